#include "agent/gnss/nmea_dump.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "tests/gnss/nmea_test_support.h"

namespace drivelink::agent::gnss {
namespace {

using testing::utc;

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

class NmeaDumpFile : public ::testing::Test {
  protected:
    void SetUp() override {
        path_ = std::filesystem::temp_directory_path() /
                fmt::format("drivelink-gnss-dump-{}.nmea", getpid());
        // Two Regensburg epochs (the second without GGA), a corrupt copy and vendor sentences.
        std::ofstream(path_, std::ios::binary)
            << "# Garmin eTrex\r\n"
               "$PGRME,5.5,M,7.0,M,8.9,M*28\r\n"
               "$GPRMC,165744,A,4901.5940,N,01203.9163,E,0.0,131.9,110410,1.6,E,A*1F\r\n"
               "$GPGGA,165744,4901.5940,N,01203.9163,E,1,07,1.0,336.7,M,46.6,M,,*4D\r\n"
               "$GPRMC,165746,A,4901.5940,N,01203.9163,E,12.3,131.9,110410,1.6,E,A*1D\r\n"
               "$GPRMC,165746,A,4901.5940,N,01203.9163,E,0.0,131.9,110410,1.6,E,A*1D\r\n";
    }
    void TearDown() override { std::filesystem::remove(path_); }

    std::filesystem::path path_;
};

TEST_F(NmeaDumpFile, WritesOneJsonLinePerFix) {
    std::ostringstream out;
    std::ostringstream err;
    EXPECT_EQ(dump_nmea(path_, out, err), 0);

    std::vector<std::string> lines = lines_of(out.str());
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0],
              R"({"time":"2010-04-11T16:57:44.000Z","lat":49.026566667,"lon":12.065271667,)"
              R"("speed":0.0,"course":131.9,"alt":336.7,"mode":3})");
    EXPECT_EQ(lines[1],
              R"({"time":"2010-04-11T16:57:46.000Z","lat":49.026566667,"lon":12.065271667,)"
              R"("speed":0.0,"course":131.9,"mode":2})");
}

TEST_F(NmeaDumpFile, CountsRejectionsByReason) {
    std::ostringstream out;
    std::ostringstream err;
    EXPECT_EQ(dump_nmea(path_, out, err), 0);

    std::vector<std::string> lines = lines_of(err.str());
    auto has_line = [&lines](const std::string& wanted) {
        return std::find(lines.begin(), lines.end(), wanted) != lines.end();
    };
    EXPECT_TRUE(has_line("rejected bad-checksum: 1")) << err.str();
    EXPECT_TRUE(has_line("rejected proprietary: 1")) << err.str();
    EXPECT_TRUE(has_line("rejected no-fix: 0")) << err.str();
    EXPECT_TRUE(has_line(path_.string() + ": 2 fixes, 3 sentences accepted, 2 rejected"))
        << err.str();
    EXPECT_EQ(lines.size(), kRejectReasonCount + 4) << err.str();
}

TEST(NmeaDump, MissingFileFails) {
    std::ostringstream out;
    std::ostringstream err;
    EXPECT_NE(dump_nmea("/nonexistent/drive.nmea", out, err), 0);
    EXPECT_TRUE(out.str().empty());
    EXPECT_NE(err.str().find("/nonexistent/drive.nmea"), std::string::npos) << err.str();
}

TEST(FixToJson, LeavesOutUnknownValues) {
    Fix fix;
    fix.time = utc(2009, 12, 5, 13, 56, 51, 997);
    fix.latitude_deg = -55.717213333333;
    fix.longitude_deg = -37.411996667;
    fix.mode = 2;
    EXPECT_EQ(fix_to_json(fix),
              R"({"time":"2009-12-05T13:56:51.997Z","lat":-55.717213333,"lon":-37.411996667,)"
              R"("mode":2})");
}

TEST(FormatUtcIso8601, PadsFields) {
    EXPECT_EQ(format_utc_iso8601(utc(1999, 8, 22, 0, 4, 9, 5)), "1999-08-22T00:04:09.005Z");
}

}  // namespace
}  // namespace drivelink::agent::gnss
