// An independent, deliberately simple reading of an NMEA file for end-to-end checks: it
// shares no code with the agent's decoder, so the two can disagree.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace drivelink::testing {

struct ReferencePoint {
    std::string date_time;  // "ddmmyy hhmmss.ss" as in the RMC sentence
    double latitude_deg;
    double longitude_deg;
};

// Positions of the checksum-valid RMC sentences with status A, one per distinct date and time,
// in file order.
std::vector<ReferencePoint> reference_fixes(const std::filesystem::path& nmea_file);

// Great-circle distance on a sphere of the mean Earth radius, 6371.0088 km.
double haversine_km(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg);

}  // namespace drivelink::testing
