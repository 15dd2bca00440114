#include "tests/gnss/nmea_test_support.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include <fmt/format.h>

namespace drivelink::agent::gnss::testing {

std::string sentence(std::string_view body) {
    return fmt::format("${}*{:02X}", body, nmea_checksum(body));
}

std::string sentence_lower_case(std::string_view body) {
    return fmt::format("${}*{:02x}", body, nmea_checksum(body));
}

std::filesystem::path test_data(std::string_view relative) {
    return std::filesystem::path(DRIVELINK_TEST_DATA_DIR) / relative;
}

std::string read_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in.is_open()) << "failed to open " << path;
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<Fix> decode_all(NmeaDecoder& decoder, std::string_view text) {
    std::vector<Fix> fixes = decoder.push_line(text);
    if (std::optional<Fix> last = decoder.finish()) {
        fixes.push_back(*last);
    }
    return fixes;
}

FixTime utc(
    int year, unsigned month, unsigned day, int hours, int minutes, int seconds, int millis) {
    std::chrono::sys_days date{std::chrono::year(year) / std::chrono::month(month) /
                               std::chrono::day(day)};
    return date + std::chrono::hours(hours) + std::chrono::minutes(minutes) +
           std::chrono::seconds(seconds) + std::chrono::milliseconds(millis);
}

}  // namespace drivelink::agent::gnss::testing
