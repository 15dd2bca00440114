// Helpers shared by the GNSS tests: sentences with computed checksums, test data paths and
// whole-input decoding.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "agent/gnss/fix.h"
#include "agent/gnss/nmea_decoder.h"

namespace drivelink::agent::gnss::testing {

// Returns "$" + body + "*hh" with the checksum of body in upper-case hex.
std::string sentence(std::string_view body);

// Returns sentence(body) with its checksum in lower-case hex.
std::string sentence_lower_case(std::string_view body);

// Returns the path of a file below tests/data.
std::filesystem::path test_data(std::string_view relative);

// Returns the bytes of a file; fails the current test when it cannot be read.
std::string read_bytes(const std::filesystem::path& path);

// Feeds text to decoder in one push_line() call and finishes it; returns all fixes.
std::vector<Fix> decode_all(NmeaDecoder& decoder, std::string_view text);

// Returns a UTC time from its calendar fields.
FixTime utc(
    int year, unsigned month, unsigned day, int hours, int minutes, int seconds, int millis);

}  // namespace drivelink::agent::gnss::testing
