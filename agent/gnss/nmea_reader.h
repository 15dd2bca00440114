// Input of NMEA 0183 text: lines from a log file or a serial device, and replay of a log
// at the pace it was recorded (or a multiple of it).
//
// Opening reports a bad path, a device that is not a terminal or an unsupported baud rate
// as an Error naming the path or value. Reads after that report failures the same way.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>

#include "agent/gnss/fix.h"
#include "agent/gnss/nmea_decoder.h"
#include "protocol/result.h"

namespace drivelink::agent::gnss {

// Reads lines split at CR, LF or CRLF, skipping empty ones, from a file or a serial device.
// Move-only; closes its file descriptor when destroyed.
class LineReader {
  public:
    // Opens a log file.
    static Result<LineReader> open_file(const std::filesystem::path& path);

    // Opens a serial device (e.g. /dev/ttyUSB0) in raw mode, 8N1 without flow control, at
    // baud_rate, one of 4800, 9600, 19200, 38400, 57600, 115200 and 230400.
    static Result<LineReader> open_serial(const std::filesystem::path& device, int baud_rate);

    LineReader(LineReader&& other) noexcept;
    LineReader& operator=(LineReader&& other) noexcept;
    LineReader(const LineReader&) = delete;
    LineReader& operator=(const LineReader&) = delete;
    ~LineReader();

    // Returns the next line without its ending, or an empty optional at the end of a file or
    // once stop is requested. A serial device has no end: the call waits for data, checking
    // stop every 100 ms. A line longer than kMaxLineBytes is returned in pieces of that size.
    Result<std::optional<std::string>> next_line(std::stop_token stop = {});

    const std::filesystem::path& path() const { return path_; }

    static constexpr std::size_t kMaxLineBytes = 4096;

  private:
    LineReader(int fd, std::filesystem::path path, bool serial);
    std::optional<std::string> take_line();
    Result<bool> read_more(std::stop_token stop);
    void close_fd();

    int fd_ = -1;
    std::filesystem::path path_;
    bool serial_ = false;
    bool at_end_ = false;
    std::string buffer_;
    std::size_t consumed_ = 0;  // bytes at the front of buffer_ already returned as lines
};

// The time source of ReplayPacer, replaced by a fake one in tests.
class PacerClock {
  public:
    using TimePoint = std::chrono::steady_clock::time_point;

    virtual ~PacerClock() = default;
    virtual TimePoint now() = 0;
    // Waits until deadline; returns false if stop was requested before it passed.
    virtual bool sleep_until(TimePoint deadline, std::stop_token stop) = 0;
};

// PacerClock on std::chrono::steady_clock; a stop request ends the wait at once.
class SteadyPacerClock final : public PacerClock {
  public:
    TimePoint now() override;
    bool sleep_until(TimePoint deadline, std::stop_token stop) override;
};

struct ReplayOptions {
    // 1 replays in real time, 10 ten times faster; 0 or infinity waits for nothing.
    double speed_factor = 1.0;
    // Longer gaps between consecutive fixes, such as where a log was trimmed, are skipped
    // instead of waited for. Empty: every gap is waited for.
    std::optional<std::chrono::milliseconds> max_gap;
};

// Delivers the fixes of a log at the pace their times set: each fix is due when as much
// time, divided by the speed factor, has passed since the first fix as lies between the two
// fix times. When time goes backwards (two logs joined) or jumps by more than max_gap, the
// fix is due at once and timing starts again from it.
class ReplayPacer {
  public:
    // Fails for a negative or NaN speed factor, or a max_gap that is not positive.
    static Result<ReplayPacer> create(const ReplayOptions& options, PacerClock& clock);

    // Waits until fix is due; returns false if stop was requested while waiting.
    bool wait_for(const Fix& fix, std::stop_token stop = {});

  private:
    ReplayPacer(const ReplayOptions& options, PacerClock& clock);
    void restart_timing(FixTime fix_time);

    ReplayOptions options_;
    PacerClock* clock_;
    std::optional<FixTime> previous_fix_time_;
    FixTime base_fix_time_{};
    PacerClock::TimePoint base_wall_time_{};
};

// Reads every line of reader into decoder and passes each fix to on_fix, after pacer's wait
// when a pacer is given. Returns when the input ends (after the last epoch's fix), when stop
// is requested, or with the error of a failed read.
Status deliver_fixes(LineReader& reader,
                     NmeaDecoder& decoder,
                     ReplayPacer* pacer,
                     const std::function<void(const Fix&)>& on_fix,
                     std::stop_token stop = {});

}  // namespace drivelink::agent::gnss
