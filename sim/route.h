// Routes for simulated cars, built from real GNSS drives.
//
// Each NMEA 0183 log is decoded once into a Route: its fixes with times made relative to the
// first fix. Cars share the routes read-only and place a stretch of one on the map and on the
// simulated clock with a RoutePlacement.
#pragma once

#include <chrono>
#include <filesystem>
#include <vector>

#include "agent/gnss/fix.h"
#include "protocol/result.h"

namespace drivelink::sim {

inline constexpr double kEarthRadiusKm = 6371.0088;  // mean Earth radius (IUGG)

// Great-circle distance on a sphere of the mean Earth radius.
double haversine_km(double latitude1_deg,
                    double longitude1_deg,
                    double latitude2_deg,
                    double longitude2_deg);

// A closed loop: the drive of a log there and back, so a car can drive stretch after stretch
// of it without jumping from one place to another.
struct Route {
    std::string name;  // the log's file name without extension
    // Fixes in time order: the drive, then the drive backwards to its start. Their times count
    // from the Unix epoch as if the drive started there, and only grow: a gap of the log longer
    // than kMaxRouteGap takes the time its distance takes at 50 km/h.
    std::vector<agent::gnss::Fix> fixes;

    // The fix after `index`: the loop's first one after its last.
    std::size_t next(std::size_t index) const { return (index + 1) % fixes.size(); }
    // The time from fix `index` to the next, 1 s where the loop closes.
    std::chrono::milliseconds gap_after(std::size_t index) const;
};

inline constexpr std::chrono::seconds kMaxRouteGap{10};
// Logs with fewer fixes are not used as routes.
inline constexpr std::size_t kMinRouteFixes = 600;

// Decodes one NMEA log into a Route.
Result<Route> load_route(const std::filesystem::path& nmea_file);

// Decodes every *.txt file in `directory` that holds at least kMinRouteFixes fixes, in file
// name order. Fails when none does.
Result<std::vector<Route>> load_routes(const std::filesystem::path& directory);

// Where a car drives its route: shifted north and east by a fixed offset.
struct RoutePlacement {
    double north_offset_deg = 0.0;
    double east_offset_deg = 0.0;

    // Returns route fix `index` shifted by the offset and measured at `time`.
    agent::gnss::Fix place(const Route& route, std::size_t index, agent::gnss::FixTime time) const;
};

// An offset of `distance_km` towards `bearing_deg` (clockwise from north) from a point at
// `latitude_deg`.
RoutePlacement make_placement(double latitude_deg, double distance_km, double bearing_deg);

}  // namespace drivelink::sim
