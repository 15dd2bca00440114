#include "agent/gnss/nmea_reader.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <thread>

#include <fmt/format.h>

#include "tests/gnss/nmea_test_support.h"

namespace drivelink::agent::gnss {
namespace {

using namespace std::chrono_literals;
using testing::sentence;
using testing::utc;

// A file in the temporary directory, removed when the test ends.
class TempFile {
  public:
    explicit TempFile(std::string_view contents) {
        const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
        path_ = std::filesystem::temp_directory_path() / fmt::format("drivelink-gnss-{}-{}-{}.nmea",
                                                                     getpid(),
                                                                     test->test_suite_name(),
                                                                     test->name());
        std::ofstream out(path_, std::ios::binary);
        out << contents;
    }
    ~TempFile() { std::filesystem::remove(path_); }
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

std::vector<std::string> read_all_lines(LineReader& reader) {
    std::vector<std::string> lines;
    while (true) {
        auto line = reader.next_line();
        EXPECT_TRUE(line.ok()) << (line.ok() ? "" : line.error());
        if (!line.ok() || !line->has_value()) {
            return lines;
        }
        lines.push_back(**line);
    }
}

TEST(LineReader, SplitsAtAnyLineEnding) {
    TempFile file("one\r\ntwo\nthree\rfour\n\r\n\nfive");
    auto reader = LineReader::open_file(file.path());
    ASSERT_TRUE(reader.ok()) << reader.error();
    std::vector<std::string> expected = {"one", "two", "three", "four", "five"};
    EXPECT_EQ(read_all_lines(reader.value()), expected);
}

TEST(LineReader, KeepsNulBytes) {
    TempFile file(std::string("\0\0$PSRF154,107*3D\r\n", 19));
    auto reader = LineReader::open_file(file.path());
    ASSERT_TRUE(reader.ok()) << reader.error();
    std::vector<std::string> lines = read_all_lines(reader.value());
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0], std::string("\0\0$PSRF154,107*3D", 17));
}

TEST(LineReader, SplitsOverlongLine) {
    TempFile file(std::string(LineReader::kMaxLineBytes + 10, 'x') + "\n");
    auto reader = LineReader::open_file(file.path());
    ASSERT_TRUE(reader.ok()) << reader.error();
    std::vector<std::string> lines = read_all_lines(reader.value());
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0].size(), LineReader::kMaxLineBytes);
    EXPECT_EQ(lines[1].size(), 10u);
}

TEST(LineReader, MissingFileNamesPath) {
    auto reader = LineReader::open_file("/nonexistent/drive.nmea");
    ASSERT_FALSE(reader.ok());
    EXPECT_NE(reader.error().find("/nonexistent/drive.nmea"), std::string::npos) << reader.error();
    EXPECT_NE(reader.error().find("No such file"), std::string::npos) << reader.error();
}

TEST(LineReader, DirectoryFailsOnRead) {
    auto reader = LineReader::open_file(std::filesystem::temp_directory_path());
    ASSERT_TRUE(reader.ok()) << reader.error();
    auto line = reader.value().next_line();
    ASSERT_FALSE(line.ok());
    EXPECT_NE(line.error().find(std::filesystem::temp_directory_path().string()), std::string::npos)
        << line.error();
}

TEST(LineReader, SerialRejectsUnsupportedBaud) {
    auto reader = LineReader::open_serial("/dev/ttyUSB7", 1234);
    ASSERT_FALSE(reader.ok());
    EXPECT_NE(reader.error().find("baud rate 1234"), std::string::npos) << reader.error();
    EXPECT_NE(reader.error().find("/dev/ttyUSB7"), std::string::npos) << reader.error();
}

TEST(LineReader, SerialRejectsMissingDevice) {
    auto reader = LineReader::open_serial("/dev/nonexistent-gnss", 9600);
    ASSERT_FALSE(reader.ok());
    EXPECT_NE(reader.error().find("/dev/nonexistent-gnss"), std::string::npos) << reader.error();
}

TEST(LineReader, SerialRejectsRegularFile) {
    TempFile file("$GPRMC\n");
    auto reader = LineReader::open_serial(file.path(), 9600);
    ASSERT_FALSE(reader.ok());
    EXPECT_NE(reader.error().find("not a serial device"), std::string::npos) << reader.error();
}

// A pseudo-terminal in place of the receiver: the test writes to its master side.
class PseudoTerminal {
  public:
    PseudoTerminal() {
        master_ = posix_openpt(O_RDWR | O_NOCTTY);
        EXPECT_GE(master_, 0);
        EXPECT_EQ(grantpt(master_), 0);
        EXPECT_EQ(unlockpt(master_), 0);
        device_ = ptsname(master_);
    }
    ~PseudoTerminal() { close_master(); }
    void close_master() {
        if (master_ >= 0) {
            close(master_);
            master_ = -1;
        }
    }
    void write_text(std::string_view text) {
        EXPECT_EQ(::write(master_, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    }
    const std::string& device() const { return device_; }

  private:
    int master_ = -1;
    std::string device_;
};

TEST(LineReader, SerialReadsFromTerminal) {
    PseudoTerminal terminal;
    auto reader = LineReader::open_serial(terminal.device(), 4800);
    ASSERT_TRUE(reader.ok()) << reader.error();

    terminal.write_text("$GPRMC,1*00\r\n$GPGGA,2*00\r\n");
    auto first = reader.value().next_line();
    auto second = reader.value().next_line();
    ASSERT_TRUE(first.ok()) << first.error();
    ASSERT_TRUE(second.ok()) << second.error();
    EXPECT_EQ(first->value_or(""), "$GPRMC,1*00");
    EXPECT_EQ(second->value_or(""), "$GPGGA,2*00");
}

TEST(LineReader, SerialHangUpIsError) {
    PseudoTerminal terminal;
    auto reader = LineReader::open_serial(terminal.device(), 9600);
    ASSERT_TRUE(reader.ok()) << reader.error();

    terminal.close_master();
    auto line = reader.value().next_line();
    ASSERT_FALSE(line.ok());
    EXPECT_NE(line.error().find(terminal.device()), std::string::npos) << line.error();
}

TEST(LineReader, SerialSetsBaudAndRawMode) {
    PseudoTerminal terminal;
    auto reader = LineReader::open_serial(terminal.device(), 38400);
    ASSERT_TRUE(reader.ok()) << reader.error();

    int fd = ::open(terminal.device().c_str(), O_RDONLY | O_NOCTTY);
    ASSERT_GE(fd, 0);
    termios settings{};
    ASSERT_EQ(tcgetattr(fd, &settings), 0);
    close(fd);
    EXPECT_EQ(cfgetispeed(&settings), static_cast<speed_t>(B38400));
    EXPECT_EQ(settings.c_lflag & ICANON, 0u);
    EXPECT_EQ(settings.c_lflag & ECHO, 0u);
    EXPECT_EQ(settings.c_cflag & CSIZE, static_cast<tcflag_t>(CS8));
}

TEST(LineReader, SerialWaitEndsOnStop) {
    PseudoTerminal terminal;
    auto reader = LineReader::open_serial(terminal.device(), 9600);
    ASSERT_TRUE(reader.ok()) << reader.error();

    std::stop_source stop;
    std::jthread stopper([&stop] {
        std::this_thread::sleep_for(150ms);
        stop.request_stop();
    });
    auto started = std::chrono::steady_clock::now();
    auto line = reader.value().next_line(stop.get_token());
    ASSERT_TRUE(line.ok()) << line.error();
    EXPECT_FALSE(line->has_value());
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

// Advances only when the pacer sleeps, and records each sleep.
class FakeClock final : public PacerClock {
  public:
    TimePoint now() override { return now_; }
    bool sleep_until(TimePoint deadline, std::stop_token stop) override {
        sleeps.push_back(deadline - now_);
        now_ = std::max(now_, deadline);
        return !stop.stop_requested();
    }
    std::chrono::steady_clock::duration elapsed() const { return now_ - TimePoint{}; }
    void advance(std::chrono::steady_clock::duration step) { now_ += step; }

    std::vector<std::chrono::steady_clock::duration> sleeps;

  private:
    TimePoint now_{};
};

Fix fix_at(FixTime time) {
    Fix fix;
    fix.time = time;
    return fix;
}

const FixTime kStart = utc(2010, 4, 11, 16, 57, 44, 0);

ReplayPacer make_pacer(FakeClock& clock,
                       double speed_factor,
                       std::optional<std::chrono::milliseconds> max_gap = std::nullopt) {
    auto pacer = ReplayPacer::create({speed_factor, max_gap}, clock);
    EXPECT_TRUE(pacer.ok()) << pacer.error();
    return std::move(pacer).value();
}

TEST(ReplayPacer, RealTimeFollowsFixTimes) {
    FakeClock clock;
    ReplayPacer pacer = make_pacer(clock, 1.0);
    EXPECT_TRUE(pacer.wait_for(fix_at(kStart)));
    EXPECT_EQ(clock.elapsed(), 0s);
    EXPECT_TRUE(pacer.wait_for(fix_at(kStart + 1s)));
    EXPECT_EQ(clock.elapsed(), 1s);
    EXPECT_TRUE(pacer.wait_for(fix_at(kStart + 2500ms)));
    EXPECT_EQ(clock.elapsed(), 2500ms);
}

TEST(ReplayPacer, FactorTenIsTenTimesFaster) {
    FakeClock clock;
    ReplayPacer pacer = make_pacer(clock, 10.0);
    pacer.wait_for(fix_at(kStart));
    pacer.wait_for(fix_at(kStart + 1s));
    EXPECT_EQ(clock.elapsed(), 100ms);
    pacer.wait_for(fix_at(kStart + 2500ms));
    EXPECT_EQ(clock.elapsed(), 250ms);
}

TEST(ReplayPacer, FractionalFactorIsSlower) {
    FakeClock clock;
    ReplayPacer pacer = make_pacer(clock, 0.5);
    pacer.wait_for(fix_at(kStart));
    pacer.wait_for(fix_at(kStart + 1s));
    EXPECT_EQ(clock.elapsed(), 2s);
}

TEST(ReplayPacer, ZeroAndInfinityNeverWait) {
    for (double factor : {0.0, std::numeric_limits<double>::infinity()}) {
        FakeClock clock;
        ReplayPacer pacer = make_pacer(clock, factor);
        for (int i = 0; i < 5; ++i) {
            EXPECT_TRUE(pacer.wait_for(fix_at(kStart + std::chrono::seconds(i))));
        }
        EXPECT_TRUE(clock.sleeps.empty()) << factor;
        EXPECT_EQ(clock.elapsed(), 0s) << factor;
    }
}

TEST(ReplayPacer, ProcessingTimeIsNotAdded) {
    FakeClock clock;
    ReplayPacer pacer = make_pacer(clock, 1.0);
    pacer.wait_for(fix_at(kStart));
    clock.advance(400ms);
    pacer.wait_for(fix_at(kStart + 1s));
    ASSERT_EQ(clock.sleeps.size(), 1u);
    EXPECT_EQ(clock.sleeps[0], 600ms);
    EXPECT_EQ(clock.elapsed(), 1s);
}

TEST(ReplayPacer, BackwardTimeRestartsTiming) {
    FakeClock clock;
    ReplayPacer pacer = make_pacer(clock, 1.0);
    pacer.wait_for(fix_at(kStart + 60s));
    pacer.wait_for(fix_at(kStart + 61s));
    EXPECT_EQ(clock.elapsed(), 1s);
    pacer.wait_for(fix_at(kStart));  // the second of two joined logs begins
    EXPECT_EQ(clock.elapsed(), 1s);
    pacer.wait_for(fix_at(kStart + 2s));
    EXPECT_EQ(clock.elapsed(), 3s);
}

TEST(ReplayPacer, MaxGapSkipsLongGaps) {
    FakeClock clock;
    ReplayPacer pacer = make_pacer(clock, 1.0, 10s);
    pacer.wait_for(fix_at(kStart));
    pacer.wait_for(fix_at(kStart + 20min));
    EXPECT_EQ(clock.elapsed(), 0s);
    pacer.wait_for(fix_at(kStart + 20min + 5s));
    EXPECT_EQ(clock.elapsed(), 5s);
}

TEST(ReplayPacer, RejectsInvalidOptions) {
    FakeClock clock;
    auto negative = ReplayPacer::create({-1.0, std::nullopt}, clock);
    ASSERT_FALSE(negative.ok());
    EXPECT_NE(negative.error().find("-1"), std::string::npos) << negative.error();
    EXPECT_FALSE(ReplayPacer::create({std::nan(""), std::nullopt}, clock).ok());
    EXPECT_FALSE(ReplayPacer::create({1.0, 0ms}, clock).ok());
}

TEST(ReplayPacer, StopEndsWait) {
    FakeClock clock;
    ReplayPacer pacer = make_pacer(clock, 1.0);
    std::stop_source stop;
    EXPECT_TRUE(pacer.wait_for(fix_at(kStart), stop.get_token()));
    stop.request_stop();
    EXPECT_FALSE(pacer.wait_for(fix_at(kStart + 1s), stop.get_token()));
}

TEST(SteadyPacerClock, SleepsUntilDeadline) {
    SteadyPacerClock clock;
    auto started = clock.now();
    EXPECT_TRUE(clock.sleep_until(started + 20ms, {}));
    EXPECT_GE(clock.now() - started, 20ms);
}

TEST(SteadyPacerClock, StopInterruptsSleep) {
    SteadyPacerClock clock;
    std::stop_source stop;
    std::jthread stopper([&stop] {
        std::this_thread::sleep_for(20ms);
        stop.request_stop();
    });
    auto started = clock.now();
    EXPECT_FALSE(clock.sleep_until(started + 60s, stop.get_token()));
    EXPECT_LT(clock.now() - started, 10s);
}

std::string three_second_log() {
    return "# three fixes one second apart\n" +
           sentence("GPRMC,165744,A,4901.5940,N,01203.9163,E,0.0,131.9,110410,1.6,E,A") + "\r\n" +
           "$GPRMC,165745,A,4901.5940,N,01203.9163,E,0.0,131.9,110410,1.6,E,A*00\r\n" +
           sentence("GPRMC,165745,A,4901.5940,N,01203.9163,E,0.0,131.9,110410,1.6,E,A") + "\r\n" +
           sentence("GPRMC,165746,A,4901.5940,N,01203.9163,E,0.0,131.9,110410,1.6,E,A") + "\r\n";
}

TEST(DeliverFixes, PacesFixesFromFile) {
    TempFile file(three_second_log());
    auto reader = LineReader::open_file(file.path());
    ASSERT_TRUE(reader.ok()) << reader.error();
    FakeClock clock;
    ReplayPacer pacer = make_pacer(clock, 2.0);
    NmeaDecoder decoder;

    std::vector<std::chrono::steady_clock::duration> delivered_at;
    Status status = deliver_fixes(reader.value(), decoder, &pacer, [&](const Fix&) {
        delivered_at.push_back(clock.elapsed());
    });
    ASSERT_TRUE(status.ok()) << status.error();
    std::vector<std::chrono::steady_clock::duration> expected = {0ms, 500ms, 1000ms};
    EXPECT_EQ(delivered_at, expected);
    EXPECT_EQ(decoder.rejected(RejectReason::BadChecksum), 1u);
}

TEST(DeliverFixes, StopsWhenRequested) {
    TempFile file(three_second_log());
    auto reader = LineReader::open_file(file.path());
    ASSERT_TRUE(reader.ok()) << reader.error();
    NmeaDecoder decoder;
    std::stop_source stop;

    int delivered = 0;
    Status status = deliver_fixes(
        reader.value(),
        decoder,
        nullptr,
        [&](const Fix&) {
            ++delivered;
            stop.request_stop();
        },
        stop.get_token());
    ASSERT_TRUE(status.ok()) << status.error();
    EXPECT_EQ(delivered, 1);
}

TEST(DeliverFixes, WithoutPacerDeliversAll) {
    TempFile file(three_second_log());
    auto reader = LineReader::open_file(file.path());
    ASSERT_TRUE(reader.ok()) << reader.error();
    NmeaDecoder decoder;
    std::vector<FixTime> times;
    Status status = deliver_fixes(
        reader.value(), decoder, nullptr, [&](const Fix& fix) { times.push_back(fix.time); });
    ASSERT_TRUE(status.ok()) << status.error();
    ASSERT_EQ(times.size(), 3u);
    EXPECT_EQ(times[2], utc(2010, 4, 11, 16, 57, 46, 0));
}

}  // namespace
}  // namespace drivelink::agent::gnss
