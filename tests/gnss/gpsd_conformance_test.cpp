// Compares the decoder with gpsd on gpsd's own regression captures.
//
// Each capture's .chk file contains the sentences gpsd accepted, each followed by the JSON gpsd
// reported after it. gpsd reports a TPV several times per epoch as sentences add to it, so
// the reference for an epoch is its last TPV with mode 2 or 3. TPVs without a time (a
// position before any date was seen) are left out, as the decoder emits no untimed fix.
//
// Where the decoder deliberately differs from gpsd, the table below lists the difference
// and the reason, and the tests check it as listed.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/gnss/nmea_decoder.h"
#include "tests/gnss/nmea_test_support.h"

namespace drivelink::agent::gnss {
namespace {

constexpr double kDegreeTolerance = 1e-6;
constexpr double kSpeedToleranceMps = 0.01;

// A fix the decoder emits although gpsd reported none for its epoch.
struct ExtraEpoch {
    const char* time;  // as gpsd would print it
    double latitude_deg;
    double longitude_deg;
};

struct Capture {
    const char* log;
    std::size_t gpsd_epochs;  // epochs gpsd reported with mode 2 or 3 and a time
    std::vector<ExtraEpoch> extra_epochs;
    std::size_t dropped_by_gpsd = 0;  // sentences gpsd did not echo
    // Sentences gpsd dropped although their checksum is valid: each was followed by another
    // '$' on the same line. gpsd wants a line end after the checksum; the decoder takes both.
    std::size_t accepted_despite_gpsd = 0;
};

void PrintTo(const Capture& capture, std::ostream* out) {
    *out << capture.log;
}

// gpsd reports an epoch when the sentence that ends the receiver's cycle arrives (GLL for the
// BT-451). Two BT-451 epochs never got theirs: one where two logs were joined and one at the
// end of the file, so gpsd dropped them. The decoder emits every epoch with a valid position,
// and ends an epoch when the next one starts or the input ends.
const std::vector<ExtraEpoch> kBt451Extras = {
    {"2009-12-09T15:25:08.500Z", 55.0 + 47.82156 / 60.0, 23.0 + 34.14086 / 60.0},
    {"2009-12-09T14:33:08.500Z", 55.0 + 46.81633 / 60.0, 23.0 + 34.70079 / 60.0},
};

const Capture kCaptures[] = {
    {"bt451.log", 12, kBt451Extras},
    {"ch-4711.log", 7, {}},
    {"gp-320fw-2019-04-07-coldboot.log", 1, {}, 46, 2},
    {"magellan-ec10.log", 21, {}},
    {"nl2008u.log", 9, {}},
    {"tomtom-mkII.log", 4, {}},
};

struct GpsdReport {
    FixTime time;
    int mode = 0;
    double latitude_deg = 0.0;
    double longitude_deg = 0.0;
    std::optional<double> speed_mps;
};

FixTime parse_gpsd_time(const std::string& text) {
    int year = 0, month = 0, day = 0, hours = 0, minutes = 0, seconds = 0, millis = 0;
    int fields = std::sscanf(text.c_str(),
                             "%d-%d-%dT%d:%d:%d.%dZ",
                             &year,
                             &month,
                             &day,
                             &hours,
                             &minutes,
                             &seconds,
                             &millis);
    EXPECT_EQ(fields, 7) << text;
    return testing::utc(year,
                        static_cast<unsigned>(month),
                        static_cast<unsigned>(day),
                        hours,
                        minutes,
                        seconds,
                        millis);
}

std::vector<std::string> chk_lines(const std::string& log) {
    std::ifstream in(testing::test_data("nmea/gpsd/" + log + ".chk"));
    EXPECT_TRUE(in.is_open()) << log;
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        // gpsd writes its JSON with LF, but echoes each sentence with the line end it had.
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        lines.push_back(line);
    }
    return lines;
}

// Returns the last TPV with mode 2 or 3 and a time for each epoch, in order of first report.
std::vector<GpsdReport> gpsd_epochs(const std::string& log) {
    std::vector<GpsdReport> reports;
    std::map<FixTime, std::size_t> index_by_time;
    for (const std::string& line : chk_lines(log)) {
        if (line.empty() || line[0] != '{') {
            continue;
        }
        auto json = nlohmann::json::parse(line);
        if (json.value("class", "") != "TPV" || json.value("mode", 0) < 2 ||
            !json.contains("time")) {
            continue;
        }
        GpsdReport report{
            parse_gpsd_time(json["time"]), json["mode"], json["lat"], json["lon"], std::nullopt};
        if (json.contains("speed")) {
            report.speed_mps = json["speed"].get<double>();
        }
        auto [it, inserted] = index_by_time.emplace(report.time, reports.size());
        if (inserted) {
            reports.push_back(report);
        } else {
            reports[it->second] = report;
        }
    }
    return reports;
}

std::vector<Fix> decode_capture(const std::string& log) {
    NmeaDecoder decoder;
    return testing::decode_all(decoder,
                               testing::read_bytes(testing::test_data("nmea/gpsd/" + log)));
}

const Fix* find_fix(const std::vector<Fix>& fixes, FixTime time) {
    for (const Fix& fix : fixes) {
        if (fix.time == time) {
            return &fix;
        }
    }
    return nullptr;
}

class GpsdCapture : public ::testing::TestWithParam<Capture> {};

TEST_P(GpsdCapture, EmitsTheEpochsGpsdReports) {
    const Capture& capture = GetParam();
    std::vector<GpsdReport> reports = gpsd_epochs(capture.log);
    std::vector<Fix> fixes = decode_capture(capture.log);
    EXPECT_EQ(reports.size(), capture.gpsd_epochs);

    std::set<FixTime> expected;
    for (const GpsdReport& report : reports) {
        expected.insert(report.time);
    }
    for (const ExtraEpoch& extra : capture.extra_epochs) {
        EXPECT_TRUE(expected.insert(parse_gpsd_time(extra.time)).second)
            << extra.time << " is listed as extra but gpsd reported it";
    }
    std::set<FixTime> emitted;
    for (const Fix& fix : fixes) {
        EXPECT_TRUE(emitted.insert(fix.time).second)
            << "two fixes at " << format_utc_iso8601(fix.time);
    }
    EXPECT_EQ(emitted, expected);
    EXPECT_EQ(fixes.size(), capture.gpsd_epochs + capture.extra_epochs.size());
}

TEST_P(GpsdCapture, FixesMatchLastTpvOfEpoch) {
    const Capture& capture = GetParam();
    std::vector<Fix> fixes = decode_capture(capture.log);
    for (const GpsdReport& report : gpsd_epochs(capture.log)) {
        std::string time = format_utc_iso8601(report.time);
        const Fix* fix = find_fix(fixes, report.time);
        ASSERT_NE(fix, nullptr) << "no fix at " << time;
        EXPECT_NEAR(fix->latitude_deg, report.latitude_deg, kDegreeTolerance) << time;
        EXPECT_NEAR(fix->longitude_deg, report.longitude_deg, kDegreeTolerance) << time;
        EXPECT_EQ(fix->mode, report.mode) << time;
        EXPECT_EQ(fix->speed_mps.has_value(), report.speed_mps.has_value()) << time;
        if (fix->speed_mps && report.speed_mps) {
            EXPECT_NEAR(*fix->speed_mps, *report.speed_mps, kSpeedToleranceMps) << time;
        }
    }
}

TEST_P(GpsdCapture, ExtraEpochsCarryTheirRmcPosition) {
    const Capture& capture = GetParam();
    std::vector<Fix> fixes = decode_capture(capture.log);
    for (const ExtraEpoch& extra : capture.extra_epochs) {
        const Fix* fix = find_fix(fixes, parse_gpsd_time(extra.time));
        ASSERT_NE(fix, nullptr) << extra.time;
        EXPECT_NEAR(fix->latitude_deg, extra.latitude_deg, kDegreeTolerance) << extra.time;
        EXPECT_NEAR(fix->longitude_deg, extra.longitude_deg, kDegreeTolerance) << extra.time;
    }
}

// Reasons that mark the sentence itself as broken, as opposed to valid but not used.
bool is_invalid_sentence(RejectReason reason) {
    return reason == RejectReason::BadChecksum || reason == RejectReason::MissingChecksum ||
           reason == RejectReason::Truncated || reason == RejectReason::Malformed;
}

bool checksum_verifies(std::string_view piece) {
    std::size_t star = piece.find('*');
    if (star == std::string_view::npos || piece.size() != star + 3) {
        return false;
    }
    unsigned sent =
        static_cast<unsigned>(std::stoul(std::string(piece.substr(star + 1)), nullptr, 16));
    return sent == nmea_checksum(piece.substr(1, star - 1));
}

std::string_view trim_end(std::string_view text) {
    while (!text.empty() && (text.back() == '\0' || text.back() == ' ')) {
        text.remove_suffix(1);
    }
    return text;
}

// gpsd echoes every sentence it accepted, in input order, so a log sentence that does not
// match the next echoed one is a sentence gpsd dropped.
TEST_P(GpsdCapture, RejectsWhatGpsdRejected) {
    const Capture& capture = GetParam();
    std::vector<std::string> echoed;
    for (const std::string& line : chk_lines(capture.log)) {
        if (!line.empty() && line[0] == '$') {
            echoed.push_back(line);
        }
    }
    std::string bytes =
        testing::read_bytes(testing::test_data("nmea/gpsd/" + std::string(capture.log)));

    std::size_t next_echo = 0;
    std::size_t dropped_by_gpsd = 0;
    std::size_t accepted_despite_gpsd = 0;
    std::string_view rest = bytes;
    while (!rest.empty()) {
        std::size_t end = rest.find_first_of("\r\n");
        std::string_view line = rest.substr(0, end);
        rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
        if (!line.empty() && line[0] == '#') {
            continue;
        }
        std::vector<std::string_view> pieces = split_line(line).sentences;
        for (std::size_t i = 0; i < pieces.size(); ++i) {
            bool cut_short = i + 1 < pieces.size();
            ParsedSentence parsed = parse_sentence(pieces[i], cut_short);
            std::string_view text = trim_end(pieces[i]);
            if (next_echo < echoed.size() && text == echoed[next_echo]) {
                ++next_echo;
                if (!parsed.sentence) {
                    EXPECT_FALSE(is_invalid_sentence(parsed.reason)) << text;
                }
                continue;
            }
            ++dropped_by_gpsd;
            if (parsed.sentence || !is_invalid_sentence(parsed.reason)) {
                EXPECT_TRUE(cut_short) << text;
                EXPECT_TRUE(checksum_verifies(text)) << text;
                ++accepted_despite_gpsd;
            }
        }
    }
    EXPECT_EQ(next_echo, echoed.size()) << "not every echoed sentence was found in the log";
    EXPECT_EQ(dropped_by_gpsd, capture.dropped_by_gpsd);
    EXPECT_EQ(accepted_despite_gpsd, capture.accepted_despite_gpsd);
}

std::string capture_name(const ::testing::TestParamInfo<Capture>& info) {
    std::string name = info.param.log;
    name = name.substr(0, name.find(".log"));
    for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) {
            c = '_';
        }
    }
    return name;
}

INSTANTIATE_TEST_SUITE_P(GpsdConformance,
                         GpsdCapture,
                         ::testing::ValuesIn(kCaptures),
                         capture_name);

TEST(GpsdConformance, ColdBootCountsCorruption) {
    NmeaDecoder decoder;
    std::vector<Fix> fixes = testing::decode_all(
        decoder,
        testing::read_bytes(testing::test_data("nmea/gpsd/gp-320fw-2019-04-07-coldboot.log")));
    const DecoderCounters& counters = decoder.counters();
    ASSERT_EQ(fixes.size(), 1u);
    EXPECT_EQ(fixes[0].time, testing::utc(2019, 4, 7, 0, 3, 45, 30));
    // The first epoch has GGA only and comes before any date: gpsd reports it untimed.
    EXPECT_EQ(counters.epochs_without_date, 1u);
    EXPECT_GT(counters.rejected_count(RejectReason::BadChecksum), 20u);
    EXPECT_GT(counters.rejected_count(RejectReason::MissingChecksum), 0u);
    EXPECT_GT(counters.rejected_count(RejectReason::Truncated), 0u);
    EXPECT_GT(counters.rejected_count(RejectReason::Garbage), 0u);
    EXPECT_GT(counters.rejected_count(RejectReason::NoFix), 20u);
    // 23:59:50 to 19:35:15 after the restart; 23:59:59 to 00:00:02 counts as midnight.
    EXPECT_EQ(counters.backward_time_steps, 1u);
}

}  // namespace
}  // namespace drivelink::agent::gnss
