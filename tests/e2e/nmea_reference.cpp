#include "tests/e2e/nmea_reference.h"

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

namespace drivelink::testing {
namespace {

std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> fields;
    std::stringstream stream(text);
    std::string field;
    while (std::getline(stream, field, separator)) {
        fields.push_back(field);
    }
    if (!text.empty() && text.back() == separator) {
        fields.emplace_back();
    }
    return fields;
}

bool checksum_valid(const std::string& body, const std::string& checksum) {
    unsigned value = 0;
    for (const char c : body) {
        value ^= static_cast<unsigned char>(c);
    }
    return checksum.size() >= 2 && std::stoul(checksum.substr(0, 2), nullptr, 16) == value;
}

// ddmm.mmmm with hemisphere to signed degrees.
double to_degrees(const std::string& value, const std::string& hemisphere) {
    const double raw = std::stod(value);
    const double degrees = std::floor(raw / 100.0);
    const double result = degrees + (raw - degrees * 100.0) / 60.0;
    return hemisphere == "S" || hemisphere == "W" ? -result : result;
}

}  // namespace

std::vector<ReferencePoint> reference_fixes(const std::filesystem::path& nmea_file) {
    std::ifstream in(nmea_file, std::ios::binary);
    std::vector<ReferencePoint> points;
    std::set<std::string> seen;
    std::string line;
    while (std::getline(in, line)) {
        const auto dollar = line.find('$');
        const auto star = line.find('*', dollar == std::string::npos ? 0 : dollar);
        if (dollar == std::string::npos || star == std::string::npos) {
            continue;
        }
        const std::string body = line.substr(dollar + 1, star - dollar - 1);
        if (!checksum_valid(body, line.substr(star + 1))) {
            continue;
        }
        const auto fields = split(body, ',');
        if (fields.size() < 10 || fields[0].size() != 5 || fields[0].substr(2) != "RMC" ||
            fields[2] != "A") {
            continue;
        }
        const std::string date_time = fields[9] + " " + fields[1];
        if (!seen.insert(date_time).second) {
            continue;
        }
        points.push_back(
            {date_time, to_degrees(fields[3], fields[4]), to_degrees(fields[5], fields[6])});
    }
    return points;
}

double haversine_km(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg) {
    constexpr double kEarthRadiusKm = 6371.0088;
    constexpr double kRadiansPerDegree = M_PI / 180.0;
    const double dlat = (lat2_deg - lat1_deg) * kRadiansPerDegree;
    const double dlon = (lon2_deg - lon1_deg) * kRadiansPerDegree;
    const double a = std::pow(std::sin(dlat / 2), 2) + std::cos(lat1_deg * kRadiansPerDegree) *
                                                           std::cos(lat2_deg * kRadiansPerDegree) *
                                                           std::pow(std::sin(dlon / 2), 2);
    return 2 * kEarthRadiusKm * std::asin(std::sqrt(a));
}

}  // namespace drivelink::testing
