// The numbers of `drivelink-cloud report`: what a cloud database contains per vehicle and in
// total.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cloud/store/store.h"

namespace drivelink::cloud {

// Mean Earth radius of the IUGG, in km.
inline constexpr double kEarthRadiusKm = 6371.0088;

// Great-circle distance between two WGS 84 positions on a sphere of kEarthRadiusKm, by the
// haversine formula.
double haversine_km(double latitude1_deg,
                    double longitude1_deg,
                    double latitude2_deg,
                    double longitude2_deg);

struct VehicleReport {
    VehicleSummary summary;
    double distance_km = 0.0;  // along the samples with a fix, in time order
    std::map<std::string, std::uint64_t> dead_letters_by_reason;
};

struct Report {
    std::vector<VehicleReport> vehicles;
    // Totals over all vehicles.
    std::uint64_t messages = 0;
    std::uint64_t events = 0;
    std::uint64_t samples = 0;
    std::uint64_t duplicates = 0;
    std::uint64_t dropped_samples = 0;
    double distance_km = 0.0;
    std::optional<double> top_speed_kph;
    std::optional<std::int64_t> first_sample_time_ms;
    std::optional<std::int64_t> last_sample_time_ms;
    // Over all dead letters, also those whose topic named no known vehicle.
    std::map<std::string, std::uint64_t> dead_letters_by_reason;
};

// Reads the store and computes the report.
Result<Report> build_report(Store& store);

// Formats a UTC time as ISO 8601 with milliseconds, for example 2023-11-14T22:13:20.000Z.
std::string format_utc(std::int64_t time_ms);

// Formats a duration as "2h 03m 04s", or "0s" when there is none.
std::string format_span(std::int64_t span_ms);

std::string format_text(const Report& report);
nlohmann::json to_json(const Report& report);

}  // namespace drivelink::cloud
