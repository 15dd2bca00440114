#include "sim/route.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "agent/gnss/nmea_decoder.h"
#include "agent/gnss/nmea_reader.h"

namespace drivelink::sim {
namespace {

using agent::gnss::Fix;

constexpr double kRadiansPerDegree = std::numbers::pi / 180.0;
constexpr double kKmPerDegreeLatitude = kEarthRadiusKm * kRadiansPerDegree;

// The time a gap of the log takes to drive: its distance at kGapSpeedKph, at least 1 s.
std::chrono::milliseconds gap_time(const Fix& from, const Fix& to) {
    constexpr double kGapSpeedKph = 50.0;
    const double distance_km =
        haversine_km(from.latitude_deg, from.longitude_deg, to.latitude_deg, to.longitude_deg);
    const auto time =
        std::chrono::milliseconds(static_cast<int64_t>(distance_km / kGapSpeedKph * 3'600'000.0));
    return std::max<std::chrono::milliseconds>(time, std::chrono::seconds(1));
}

// Rebases the fix times on the epoch and replaces gaps and backward steps by the time the
// distance takes to drive, so that a stretch of the route plays as one continuous drive.
void make_times_continuous(std::vector<Fix>& fixes) {
    if (fixes.empty()) {
        return;
    }
    auto previous_original = fixes.front().time;
    fixes.front().time = agent::gnss::FixTime{};
    for (std::size_t i = 1; i < fixes.size(); ++i) {
        auto step = fixes[i].time - previous_original;
        if (step <= std::chrono::milliseconds::zero() || step > kMaxRouteGap) {
            step = gap_time(fixes[i - 1], fixes[i]);
        }
        previous_original = fixes[i].time;
        fixes[i].time = fixes[i - 1].time + step;
    }
}

// Appends the drive backwards, so the route ends where it started.
void close_loop(std::vector<Fix>& fixes) {
    if (fixes.size() < 2) {
        return;
    }
    const auto turn_time = fixes.back().time;
    for (std::size_t i = fixes.size() - 1; i-- > 1;) {
        Fix back = fixes[i];
        back.time = turn_time + (turn_time - fixes[i].time);
        if (back.course_deg) {
            back.course_deg = std::fmod(*back.course_deg + 180.0, 360.0);
        }
        fixes.push_back(back);
    }
}

// Some logs report speeds no car drives, or positions that jump hundreds of metres within a
// second. The simulated vehicle's speed follows the positions and the sample validation
// rejects such speeds, so those speeds and fixes go.
void drop_impossible_motion(std::vector<Fix>& fixes) {
    constexpr double kMaxSpeedMps = 80.0;
    std::vector<Fix> kept;
    kept.reserve(fixes.size());
    for (auto& fix : fixes) {
        if (fix.speed_mps && *fix.speed_mps > kMaxSpeedMps) {
            fix.speed_mps.reset();
        }
        if (!kept.empty()) {
            const auto& previous = kept.back();
            const std::chrono::duration<double> step = fix.time - previous.time;
            const double distance_m = 1000.0 * haversine_km(previous.latitude_deg,
                                                            previous.longitude_deg,
                                                            fix.latitude_deg,
                                                            fix.longitude_deg);
            if (step.count() > 0 && step <= kMaxRouteGap &&
                distance_m > kMaxSpeedMps * step.count()) {
                continue;
            }
        }
        kept.push_back(fix);
    }
    fixes = std::move(kept);
}

}  // namespace

double haversine_km(double latitude1_deg,
                    double longitude1_deg,
                    double latitude2_deg,
                    double longitude2_deg) {
    const double phi1 = latitude1_deg * kRadiansPerDegree;
    const double phi2 = latitude2_deg * kRadiansPerDegree;
    const double delta_phi = phi2 - phi1;
    const double delta_lambda = (longitude2_deg - longitude1_deg) * kRadiansPerDegree;
    const double a = std::pow(std::sin(delta_phi / 2), 2) +
                     std::cos(phi1) * std::cos(phi2) * std::pow(std::sin(delta_lambda / 2), 2);
    return 2.0 * kEarthRadiusKm * std::asin(std::min(1.0, std::sqrt(a)));
}

std::chrono::milliseconds Route::gap_after(std::size_t index) const {
    const std::size_t following = next(index);
    if (following == 0) {
        return std::chrono::seconds(1);
    }
    return fixes[following].time - fixes[index].time;
}

Result<Route> load_route(const std::filesystem::path& nmea_file) {
    auto reader = agent::gnss::LineReader::open_file(nmea_file);
    if (!reader) {
        return Error{reader.error()};
    }
    agent::gnss::NmeaDecoder decoder;
    Route route{.name = nmea_file.stem().string(), .fixes = {}};
    auto delivered = agent::gnss::deliver_fixes(
        reader.value(), decoder, nullptr, [&](const Fix& fix) { route.fixes.push_back(fix); });
    if (!delivered) {
        return Error{delivered.error()};
    }
    drop_impossible_motion(route.fixes);
    make_times_continuous(route.fixes);
    close_loop(route.fixes);
    return route;
}

Result<std::vector<Route>> load_routes(const std::filesystem::path& directory) {
    std::error_code error;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
        if (entry.is_regular_file() && entry.path().extension() == ".txt") {
            files.push_back(entry.path());
        }
    }
    if (error) {
        return Error{"failed to read the route directory " + directory.string() + ": " +
                     error.message()};
    }
    std::sort(files.begin(), files.end());

    std::vector<Route> routes;
    for (const auto& file : files) {
        auto route = load_route(file);
        if (!route) {
            return Error{route.error()};
        }
        if (route->fixes.size() >= kMinRouteFixes) {
            routes.push_back(std::move(route).value());
        }
    }
    if (routes.empty()) {
        return Error{"no NMEA log with at least " + std::to_string(kMinRouteFixes) + " fixes in " +
                     directory.string()};
    }
    return routes;
}

Fix RoutePlacement::place(const Route& route, std::size_t index, agent::gnss::FixTime time) const {
    Fix fix = route.fixes[index];
    fix.time = time;
    fix.latitude_deg += north_offset_deg;
    fix.longitude_deg += east_offset_deg;
    return fix;
}

RoutePlacement make_placement(double latitude_deg, double distance_km, double bearing_deg) {
    const double bearing_rad = bearing_deg * kRadiansPerDegree;
    const double north_km = distance_km * std::cos(bearing_rad);
    const double east_km = distance_km * std::sin(bearing_rad);
    const double km_per_degree_longitude =
        kKmPerDegreeLatitude * std::cos(latitude_deg * kRadiansPerDegree);
    return RoutePlacement{.north_offset_deg = north_km / kKmPerDegreeLatitude,
                          .east_offset_deg = east_km / km_per_degree_longitude};
}

}  // namespace drivelink::sim
