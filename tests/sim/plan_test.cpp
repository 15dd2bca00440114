#include "sim/plan.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include "protocol/vin.h"
#include "sim/fleet.h"
#include "sim/route.h"

namespace drivelink::sim {
namespace {

const std::filesystem::path kRoutes =
    std::filesystem::path(DRIVELINK_SOURCE_DIR) / "tests/data/nmea/genivi";

const std::vector<Route>& routes() {
    static const auto loaded = load_routes(kRoutes);
    return loaded.value();
}

PlanSettings settings() {
    PlanSettings result;
    result.seed = 7;
    result.start = std::chrono::floor<std::chrono::days>(TimePoint{} + std::chrono::days(14'000));
    result.days = 2;
    result.faults = {.trouble_codes_per_day = 1.0,
                     .crashes_per_day = 0.5,
                     .sos_per_day = 1.0,
                     .coverage_losses_per_day = 1.0};
    return result;
}

TEST(Route, LoadsEveryDriveAsClosedLoop) {
    ASSERT_EQ(routes().size(), 2u);
    for (const auto& route : routes()) {
        SCOPED_TRACE(route.name);
        const auto& first = route.fixes.front();
        const auto& last = route.fixes.back();
        EXPECT_LT(
            haversine_km(
                first.latitude_deg, first.longitude_deg, last.latitude_deg, last.longitude_deg),
            0.5);
        for (std::size_t i = 1; i < route.fixes.size(); ++i) {
            ASSERT_GT(route.fixes[i].time, route.fixes[i - 1].time) << "fix " << i;
        }
    }
}

TEST(Route, MissingDirectoryIsError) {
    EXPECT_FALSE(load_routes(kRoutes / "missing").ok());
}

TEST(Haversine, OneDegreeOfMeridian) {
    EXPECT_NEAR(haversine_km(0.0, 0.0, 1.0, 0.0), 111.195, 0.001);
}

TEST(Placement, ShiftsByDistance) {
    const auto placement = make_placement(47.0, 10.0, 90.0);
    EXPECT_NEAR(placement.north_offset_deg, 0.0, 1e-9);
    EXPECT_NEAR(haversine_km(47.0, 8.0, 47.0, 8.0 + placement.east_offset_deg), 10.0, 0.01);
}

TEST(Plan, VinsHaveValidCheckDigit) {
    for (std::size_t number = 0; number < 300; ++number) {
        const auto plan = plan_car(settings(), routes(), number);
        EXPECT_TRUE(protocol::validate_vin(plan.vin).ok()) << plan.vin;
    }
}

TEST(Plan, SameSeedSamePlan) {
    const auto first = plan_car(settings(), routes(), 42);
    const auto second = plan_car(settings(), routes(), 42);
    EXPECT_EQ(first.vin, second.vin);
    EXPECT_EQ(first.usage, second.usage);
    EXPECT_EQ(first.vehicle_seed, second.vehicle_seed);
    ASSERT_EQ(first.trips.size(), second.trips.size());
    for (std::size_t i = 0; i < first.trips.size(); ++i) {
        EXPECT_EQ(first.trips[i].start, second.trips[i].start);
        EXPECT_EQ(first.trips[i].fix_count, second.trips[i].fix_count);
        EXPECT_EQ(first.trips[i].faults.size(), second.trips[i].faults.size());
    }
}

TEST(Plan, TripsStayInsideDaysAndDoNotOverlap) {
    const auto start = settings().start;
    const auto end = start + std::chrono::days(settings().days);
    for (std::size_t number = 0; number < 100; ++number) {
        const auto plan = plan_car(settings(), routes(), number);
        SCOPED_TRACE(plan.vin);
        EXPECT_FALSE(plan.trips.empty());
        for (std::size_t i = 0; i < plan.trips.size(); ++i) {
            const auto& trip = plan.trips[i];
            EXPECT_GE(trip.start, start);
            EXPECT_LT(trip.end, end);
            EXPECT_LE(trip.start, trip.end);
            if (i > 0) {
                EXPECT_GT(trip.start, plan.trips[i - 1].end);
            }
        }
    }
}

TEST(Plan, UsageMixLimitsProfiles) {
    auto taxi_only = settings();
    taxi_only.usage_mix = {UsageProfile::Taxi};
    for (std::size_t number = 0; number < 20; ++number) {
        EXPECT_EQ(plan_car(taxi_only, routes(), number).usage, UsageProfile::Taxi);
    }
}

TEST(Plan, UsageProfileNamesRoundTrip) {
    for (auto profile : kAllUsageProfiles) {
        EXPECT_EQ(parse_usage_profile(to_string(profile)), profile);
    }
    EXPECT_FALSE(parse_usage_profile("bus").has_value());
}

TEST(OpenFileLimit, TooManyVehiclesIsError) {
    rlimit limit{};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
    if (limit.rlim_max == RLIM_INFINITY) {
        GTEST_SKIP() << "no hard limit of open files here";
    }
    const auto result = ensure_open_file_limit(std::size_t{1} << 40, 1'000'000);
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().find("several drivelink-sim processes"), std::string::npos);
}

}  // namespace
}  // namespace drivelink::sim
