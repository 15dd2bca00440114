// Decodes the two long GENIVI car drives and checks the result against a deliberately simple
// count that shares no code with the decoder, and against what is known about each drive.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "agent/gnss/nmea_decoder.h"
#include "tests/gnss/nmea_test_support.h"

namespace drivelink::agent::gnss {
namespace {

struct Drive {
    const char* file;
    std::chrono::year_month_day date;
    double min_latitude_deg, max_latitude_deg;
    double min_longitude_deg, max_longitude_deg;
    double top_speed_kph;  // as published with the recording
};

const Drive kDrives[] = {
    // Switzerland, 3 h with a SiRF III receiver, up to 130 km/h.
    {"20100403_Z205_Switzerland.txt", std::chrono::year(2010) / 4 / 3, 45.8, 47.9, 5.9, 10.5, 130},
    // Regensburg, 26 min with a Garmin receiver, up to 104 km/h.
    {"20100411_Geko_Regensburg.txt", std::chrono::year(2010) / 4 / 11, 48.9, 49.1, 11.9, 12.3, 104},
};

void PrintTo(const Drive& drive, std::ostream* out) {
    *out << drive.file;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    while (true) {
        std::size_t at = text.find(separator);
        parts.push_back(text.substr(0, at));
        if (at == std::string_view::npos) {
            return parts;
        }
        text.remove_prefix(at + 1);
    }
}

// Counts distinct times of RMC sentences with status A (and a mode other than N) and of GGA
// sentences with quality above 0. It ignores checksums, which hold throughout both drives.
std::size_t simple_fix_count(const std::string& bytes) {
    std::set<std::string_view> times;
    for (std::string_view line : split(bytes, '\n')) {
        line.remove_prefix(std::min(line.find('$'), line.size()));
        std::vector<std::string_view> fields = split(line.substr(0, line.find('*')), ',');
        bool rmc_fix =
            fields[0] == "$GPRMC" && fields.size() > 12 && fields[2] == "A" && fields[12] != "N";
        bool gga_fix =
            fields[0] == "$GPGGA" && fields.size() > 6 && !fields[6].empty() && fields[6] != "0";
        if (rmc_fix || gga_fix) {
            times.insert(fields[1]);
        }
    }
    return times.size();
}

class GeniviDrive : public ::testing::TestWithParam<Drive> {
  protected:
    void SetUp() override {
        bytes_ =
            testing::read_bytes(testing::test_data("nmea/genivi/" + std::string(GetParam().file)));
        fixes_ = testing::decode_all(decoder_, bytes_);
    }

    std::string bytes_;
    NmeaDecoder decoder_;
    std::vector<Fix> fixes_;
};

TEST_P(GeniviDrive, FixCountMatchesSimpleCount) {
    ASSERT_FALSE(fixes_.empty());
    EXPECT_EQ(fixes_.size(), simple_fix_count(bytes_));
}

TEST_P(GeniviDrive, FixesCoverTheDrive) {
    ASSERT_GE(fixes_.size(), 2u);
    auto duration = fixes_.back().time - fixes_.front().time;
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(duration).count();
    // Both receivers report every 1 or 2 seconds; allow for gaps in reception.
    EXPECT_GT(static_cast<double>(fixes_.size()), 0.4 * static_cast<double>(seconds));
    EXPECT_LE(static_cast<double>(fixes_.size()), static_cast<double>(seconds) + 1.0);
}

TEST_P(GeniviDrive, TimesIncreaseOnTheDriveDate) {
    for (std::size_t i = 1; i < fixes_.size(); ++i) {
        ASSERT_LT(fixes_[i - 1].time, fixes_[i].time) << "fix " << i;
    }
    auto day = std::chrono::floor<std::chrono::days>(fixes_.front().time);
    EXPECT_EQ(std::chrono::year_month_day{day}, GetParam().date);
    EXPECT_EQ(decoder_.counters().backward_time_steps, 0u);
}

TEST_P(GeniviDrive, PositionsStayInRegion) {
    const Drive& drive = GetParam();
    for (const Fix& fix : fixes_) {
        std::string time = format_utc_iso8601(fix.time);
        ASSERT_GE(fix.latitude_deg, drive.min_latitude_deg) << time;
        ASSERT_LE(fix.latitude_deg, drive.max_latitude_deg) << time;
        ASSERT_GE(fix.longitude_deg, drive.min_longitude_deg) << time;
        ASSERT_LE(fix.longitude_deg, drive.max_longitude_deg) << time;
    }
}

TEST_P(GeniviDrive, TopSpeedMatchesRecording) {
    double top_speed_mps = 0.0;
    for (const Fix& fix : fixes_) {
        top_speed_mps = std::max(top_speed_mps, fix.speed_mps.value_or(0.0));
    }
    EXPECT_NEAR(top_speed_mps * 3.6, GetParam().top_speed_kph, 2.0);
}

TEST_P(GeniviDrive, NoCorruptSentences) {
    const DecoderCounters& counters = decoder_.counters();
    EXPECT_EQ(counters.rejected_count(RejectReason::BadChecksum), 0u);
    EXPECT_EQ(counters.rejected_count(RejectReason::MissingChecksum), 0u);
    EXPECT_EQ(counters.rejected_count(RejectReason::Truncated), 0u);
    EXPECT_EQ(counters.rejected_count(RejectReason::Malformed), 0u);
    EXPECT_EQ(counters.rejected_count(RejectReason::Garbage), 0u);
    EXPECT_GT(counters.rejected_count(RejectReason::Proprietary), 0u);
    EXPECT_GT(counters.sentences_accepted, fixes_.size());
}

std::string drive_name(const ::testing::TestParamInfo<Drive>& info) {
    std::string name = info.param.file;
    name = name.substr(0, name.find('.'));
    return name;
}

INSTANTIATE_TEST_SUITE_P(GeniviDrives, GeniviDrive, ::testing::ValuesIn(kDrives), drive_name);

TEST(GeniviDrives, SwitzerlandHasDeadReckoning) {
    NmeaDecoder decoder;
    std::vector<Fix> fixes = testing::decode_all(
        decoder,
        testing::read_bytes(testing::test_data("nmea/genivi/20100403_Z205_Switzerland.txt")));
    auto dead_reckoning =
        std::count_if(fixes.begin(), fixes.end(), [](const Fix& fix) { return fix.quality == 6; });
    EXPECT_GT(dead_reckoning, 20);
}

}  // namespace
}  // namespace drivelink::agent::gnss
