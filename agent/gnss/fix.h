// A position fix: what the receiver measured in one epoch (one measurement cycle), merged
// from the NMEA sentences that carry the same UTC time.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace drivelink::agent::gnss {

using FixTime = std::chrono::sys_time<std::chrono::milliseconds>;

struct Fix {
    FixTime time;                      // UTC
    double latitude_deg = 0.0;         // WGS 84, north positive
    double longitude_deg = 0.0;        // WGS 84, east positive
    std::optional<double> altitude_m;  // above mean sea level, from GGA
    std::optional<double> speed_mps;   // over ground
    std::optional<double> course_deg;  // over ground, true north
    // Fix dimension as gpsd reports it: 3 when GGA sent an altitude or GSA reported a 3D fix,
    // otherwise 2. Epochs without a position yield no Fix, so 0 and 1 never appear.
    int mode = 2;
    // GGA quality indicator (1 GNSS, 2 differential, 4 RTK, 5 float RTK, 6 dead reckoning,
    // ...). Without GGA it comes from the RMC mode indicator; empty when neither was sent.
    std::optional<int> quality;
    std::optional<int> satellites_used;
    std::optional<double> hdop;
};

// Formats a UTC time as ISO 8601 with milliseconds, e.g. "2010-04-11T16:57:44.000Z".
std::string format_utc_iso8601(FixTime time);

}  // namespace drivelink::agent::gnss
