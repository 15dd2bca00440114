#include "agent/gnss/nmea_reader.h"

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <utility>

#include <fmt/format.h>

#include "agent/gnss/logger.h"

namespace drivelink::agent::gnss {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kReadChunkBytes = 16 * 1024;
constexpr int kSerialPollTimeoutMs = 100;

struct BaudRate {
    int bits_per_second;
    speed_t code;
};

constexpr std::array<BaudRate, 7> kBaudRates{{{4800, B4800},
                                              {9600, B9600},
                                              {19200, B19200},
                                              {38400, B38400},
                                              {57600, B57600},
                                              {115200, B115200},
                                              {230400, B230400}}};

std::optional<speed_t> baud_code(int bits_per_second) {
    for (const BaudRate& rate : kBaudRates) {
        if (rate.bits_per_second == bits_per_second) {
            return rate.code;
        }
    }
    return std::nullopt;
}

// Returns "<failure> <path>: <errno text>".
Error system_error(std::string_view failure, const std::filesystem::path& path) {
    return Error{fmt::format("{} {}: {}", failure, path.string(), std::strerror(errno))};
}

// Raw mode, 8 data bits, no parity, one stop bit, no flow control, modem lines ignored.
Status configure_serial(int fd, const std::filesystem::path& device, speed_t speed) {
    termios settings{};
    if (tcgetattr(fd, &settings) != 0) {
        return system_error("failed to read the terminal settings of", device);
    }
    cfmakeraw(&settings);
    settings.c_cflag |= CLOCAL | CREAD;
    settings.c_cflag &= ~(CSTOPB | CRTSCTS);
    settings.c_cc[VMIN] = 1;
    settings.c_cc[VTIME] = 0;
    if (cfsetispeed(&settings, speed) != 0 || cfsetospeed(&settings, speed) != 0 ||
        tcsetattr(fd, TCSANOW, &settings) != 0) {
        return system_error("failed to configure serial device", device);
    }
    return ok_status();
}

}  // namespace

Result<LineReader> LineReader::open_file(const std::filesystem::path& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return system_error("failed to open NMEA file", path);
    }
    return LineReader(fd, path, false);
}

Result<LineReader> LineReader::open_serial(const std::filesystem::path& device, int baud_rate) {
    std::optional<speed_t> speed = baud_code(baud_rate);
    if (!speed) {
        return Error{fmt::format(
            "unsupported baud rate {} for {}: use 4800, 9600, 19200, 38400, 57600, 115200 or "
            "230400",
            baud_rate,
            device.string())};
    }
    // O_NONBLOCK keeps open() from waiting for carrier detect; reads wait in poll() instead.
    int fd = ::open(device.c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        return system_error("failed to open serial device", device);
    }
    LineReader reader(fd, device, true);
    if (!isatty(fd)) {
        return Error{fmt::format("{} is not a serial device (not a terminal)", device.string())};
    }
    if (Status configured = configure_serial(fd, device, *speed); !configured) {
        return Error{configured.error()};
    }
    gnss_logger()->info("reading NMEA from {} at {} baud", device.string(), baud_rate);
    return reader;
}

LineReader::LineReader(int fd, std::filesystem::path path, bool serial)
    : fd_(fd), path_(std::move(path)), serial_(serial) {}

LineReader::LineReader(LineReader&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      serial_(other.serial_),
      at_end_(other.at_end_),
      buffer_(std::move(other.buffer_)),
      consumed_(other.consumed_) {}

LineReader& LineReader::operator=(LineReader&& other) noexcept {
    if (this != &other) {
        close_fd();
        fd_ = std::exchange(other.fd_, -1);
        path_ = std::move(other.path_);
        serial_ = other.serial_;
        at_end_ = other.at_end_;
        buffer_ = std::move(other.buffer_);
        consumed_ = other.consumed_;
    }
    return *this;
}

LineReader::~LineReader() {
    close_fd();
}

void LineReader::close_fd() {
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

Result<std::optional<std::string>> LineReader::next_line(std::stop_token stop) {
    while (!stop.stop_requested()) {
        if (std::optional<std::string> line = take_line()) {
            return line;
        }
        if (at_end_) {
            return std::optional<std::string>{};
        }
        Result<bool> more = read_more(stop);
        if (!more) {
            return Error{more.error()};
        }
        at_end_ = !*more;
    }
    return std::optional<std::string>{};
}

// Takes the first non-empty line out of the buffer. Without a line ending it takes one only
// at the end of input or when kMaxLineBytes are waiting.
std::optional<std::string> LineReader::take_line() {
    std::size_t start = buffer_.find_first_not_of("\r\n", consumed_);
    if (start == std::string::npos) {
        consumed_ = buffer_.size();
        return std::nullopt;
    }
    std::size_t end = buffer_.find_first_of("\r\n", start);
    if (end == std::string::npos && !at_end_ && buffer_.size() - start < kMaxLineBytes) {
        consumed_ = start;
        return std::nullopt;
    }

    end = std::min({end, buffer_.size(), start + kMaxLineBytes});
    consumed_ = end;
    return buffer_.substr(start, end - start);
}

// Appends what the file or device has to the buffer; returns false at the end of a file.
Result<bool> LineReader::read_more(std::stop_token stop) {
    std::array<char, kReadChunkBytes> chunk;
    while (!stop.stop_requested()) {
        if (serial_) {
            pollfd wait{fd_, POLLIN, 0};
            int ready = ::poll(&wait, 1, kSerialPollTimeoutMs);
            if (ready == 0 || (ready < 0 && errno == EINTR)) {
                continue;
            }
        }
        ssize_t count = ::read(fd_, chunk.data(), chunk.size());
        if (count > 0) {
            buffer_.erase(0, std::exchange(consumed_, 0));
            buffer_.append(chunk.data(), static_cast<std::size_t>(count));
            return true;
        }
        if (count == 0 && !serial_) {
            return false;
        }
        if (count == 0) {
            // poll() reported the device readable but it has nothing: it hung up (unplugged).
            return Error{fmt::format("serial device {} hung up", path_.string())};
        }
        if (count < 0 && errno != EINTR && errno != EAGAIN) {
            return system_error("failed to read NMEA from", path_);
        }
    }
    return true;
}

PacerClock::TimePoint SteadyPacerClock::now() {
    return std::chrono::steady_clock::now();
}

bool SteadyPacerClock::sleep_until(TimePoint deadline, std::stop_token stop) {
    std::mutex mutex;
    std::condition_variable_any woken;
    std::unique_lock lock(mutex);
    woken.wait_until(lock, stop, deadline, [] { return false; });
    return !stop.stop_requested();
}

Result<ReplayPacer> ReplayPacer::create(const ReplayOptions& options, PacerClock& clock) {
    if (std::isnan(options.speed_factor) || options.speed_factor < 0.0) {
        return Error{fmt::format(
            "invalid replay speed factor {}: use 1 for real time, a larger number for faster, "
            "or 0 for no waiting",
            options.speed_factor)};
    }
    if (options.max_gap && options.max_gap->count() <= 0) {
        return Error{fmt::format("invalid maximum replay gap {} ms: it must be positive",
                                 options.max_gap->count())};
    }
    return ReplayPacer(options, clock);
}

ReplayPacer::ReplayPacer(const ReplayOptions& options, PacerClock& clock)
    : options_(options), clock_(&clock) {}

bool ReplayPacer::wait_for(const Fix& fix, std::stop_token stop) {
    bool unpaced = options_.speed_factor == 0.0 || std::isinf(options_.speed_factor);
    std::optional<FixTime> previous = std::exchange(previous_fix_time_, fix.time);
    if (unpaced || !previous) {
        restart_timing(fix.time);
        return !stop.stop_requested();
    }

    auto step = fix.time - *previous;
    if (step.count() < 0 || (options_.max_gap && step > *options_.max_gap)) {
        restart_timing(fix.time);
        return !stop.stop_requested();
    }
    std::chrono::duration<double> replayed = fix.time - base_fix_time_;
    auto wall_offset = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        replayed / options_.speed_factor);
    return clock_->sleep_until(base_wall_time_ + wall_offset, stop);
}

void ReplayPacer::restart_timing(FixTime fix_time) {
    base_fix_time_ = fix_time;
    base_wall_time_ = clock_->now();
}

Status deliver_fixes(LineReader& reader,
                     NmeaDecoder& decoder,
                     ReplayPacer* pacer,
                     const std::function<void(const Fix&)>& on_fix,
                     std::stop_token stop) {
    auto deliver = [&](const Fix& fix) {
        if (pacer != nullptr && !pacer->wait_for(fix, stop)) {
            return false;
        }
        on_fix(fix);
        return true;
    };

    while (true) {
        Result<std::optional<std::string>> line = reader.next_line(stop);
        if (!line) {
            return Error{line.error()};
        }
        if (stop.stop_requested()) {
            return ok_status();
        }
        if (!line->has_value()) {
            break;
        }
        for (const Fix& fix : decoder.push_line(**line)) {
            if (!deliver(fix)) {
                return ok_status();
            }
        }
    }
    if (std::optional<Fix> last = decoder.finish()) {
        deliver(*last);
    }
    return ok_status();
}

}  // namespace drivelink::agent::gnss
