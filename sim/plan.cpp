#include "sim/plan.h"

#include <fmt/format.h>
#include <algorithm>
#include <array>

#include "protocol/vin.h"

namespace drivelink::sim {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;

// A trip before it is placed on a route: when it starts after midnight and how long it lasts.
struct TripSlot {
    milliseconds start_of_day;
    milliseconds duration;
};

milliseconds random_minutes(SeededRandom& random, double low_min, double high_min) {
    return std::chrono::duration_cast<milliseconds>(
        std::chrono::duration<double, std::ratio<60>>(random.uniform(low_min, high_min)));
}

std::vector<TripSlot> commuter_day(SeededRandom& random) {
    return {{hours(7) + random_minutes(random, 0, 90), random_minutes(random, 20, 50)},
            {hours(16) + random_minutes(random, 30, 150), random_minutes(random, 20, 50)}};
}

std::vector<TripSlot> taxi_day(SeededRandom& random) {
    std::vector<TripSlot> slots;
    milliseconds time = hours(6) + random_minutes(random, 0, 60);
    while (time < hours(22)) {
        const auto duration = random_minutes(random, 8, 30);
        slots.push_back({time, duration});
        time += duration + random_minutes(random, 5, 40);
    }
    return slots;
}

std::vector<TripSlot> long_distance_day(SeededRandom& random) {
    std::vector<TripSlot> slots{
        {hours(8) + random_minutes(random, 0, 120), random_minutes(random, 90, 170)}};
    if (random.chance(0.5)) {
        const auto& first = slots.front();
        slots.push_back({first.start_of_day + first.duration + random_minutes(random, 30, 90),
                         random_minutes(random, 60, 150)});
    }
    return slots;
}

std::vector<TripSlot> weekend_day(SeededRandom& random) {
    std::vector<TripSlot> slots;
    milliseconds time = hours(10) + random_minutes(random, 0, 90);
    const std::size_t trips = 1 + random.below(3);
    for (std::size_t i = 0; i < trips; ++i) {
        const auto duration = random_minutes(random, 15, 60);
        slots.push_back({time, duration});
        time += duration + random_minutes(random, 60, 180);
    }
    return slots;
}

std::vector<TripSlot> day_slots(UsageProfile usage, SeededRandom& random) {
    switch (usage) {
        case UsageProfile::Commuter:
            return commuter_day(random);
        case UsageProfile::Taxi:
            return taxi_day(random);
        case UsageProfile::LongDistance:
            return long_distance_day(random);
        case UsageProfile::Weekend:
            return weekend_day(random);
    }
    return {};
}

// Takes the next `duration` of the route from fix `cursor` on, and moves the cursor past it.
Trip place_trip(const Route& route, std::size_t& cursor, TimePoint start, milliseconds duration) {
    Trip trip;
    trip.start = start;
    trip.end = start;
    trip.first_index = cursor;
    trip.fix_count = 1;
    while (trip.end - start < duration) {
        trip.end += route.gap_after(cursor);
        cursor = route.next(cursor);
        ++trip.fix_count;
    }
    cursor = route.next(cursor);
    return trip;
}

// The expected count `rate` as a whole number: the integer part plus one more with the
// probability of the fraction.
std::size_t draw_count(double rate, SeededRandom& random) {
    const auto whole = static_cast<std::size_t>(rate);
    return whole + (random.chance(rate - static_cast<double>(whole)) ? 1 : 0);
}

// Half of the codes are misfire (P030x) or catalyst efficiency (P042x) codes, for which the
// cloud recommends an inspection. Every code is in data/dtc_generic_codes.csv.
std::string random_dtc(SeededRandom& random) {
    static constexpr std::array<const char*, 10> kCodes{
        "P0300", "P0301", "P0304", "P0420", "P0302", "P0171", "P0128", "P0442", "C0035", "U0100"};
    return kCodes[random.below(kCodes.size())];
}

void add_trip_faults(CarPlan& plan, const FaultRates& rates, int days, SeededRandom& random) {
    if (plan.trips.empty()) {
        return;
    }
    auto add = [&](FaultKind kind, double rate) {
        for (std::size_t n = draw_count(rate * days, random); n > 0; --n) {
            auto& trip = plan.trips[random.below(plan.trips.size())];
            TripFault fault{
                .kind = kind, .fix_offset = 1 + random.below(trip.fix_count - 1), .dtc = {}};
            if (kind == FaultKind::TroubleCode) {
                fault.dtc = random_dtc(random);
            }
            trip.faults.push_back(std::move(fault));
        }
    };
    add(FaultKind::TroubleCode, rates.trouble_codes_per_day);
    add(FaultKind::Sos, rates.sos_per_day);
    // A crash ends the car's driving, so a car crashes at most once.
    add(FaultKind::Crash, std::min(rates.crashes_per_day, 1.0 / days));
}

void add_day(CarPlan& plan,
             const PlanSettings& settings,
             const Route& route,
             std::size_t& cursor,
             TimePoint midnight,
             SeededRandom& random) {
    TimePoint earliest = midnight;
    for (const auto& slot : day_slots(plan.usage, random)) {
        const auto start = std::max(midnight + slot.start_of_day, earliest);
        if (start + slot.duration + minutes(2) >= midnight + hours(24)) {
            break;
        }
        auto trip = place_trip(route, cursor, start, slot.duration);
        earliest = trip.end + minutes(2);
        plan.trips.push_back(std::move(trip));
    }
    for (std::size_t n = draw_count(settings.faults.coverage_losses_per_day, random); n > 0; --n) {
        plan.coverage_losses.push_back(
            {midnight + random_minutes(random, 6 * 60, 20 * 60), random_minutes(random, 20, 90)});
    }
}

}  // namespace

double SeededRandom::uniform(double low, double high) {
    // 53 random bits give every double in [0, 1) that has an exact binary form at this step.
    const double unit = static_cast<double>(engine_() >> 11) * 0x1.0p-53;
    return low + (high - low) * unit;
}

std::size_t SeededRandom::below(std::size_t count) {
    return static_cast<std::size_t>(engine_() % count);
}

std::string_view to_string(UsageProfile profile) {
    switch (profile) {
        case UsageProfile::Commuter:
            return "commuter";
        case UsageProfile::Taxi:
            return "taxi";
        case UsageProfile::LongDistance:
            return "long-distance";
        case UsageProfile::Weekend:
            return "weekend";
    }
    return "unknown";
}

std::optional<UsageProfile> parse_usage_profile(std::string_view text) {
    for (auto profile : kAllUsageProfiles) {
        if (to_string(profile) == text) {
            return profile;
        }
    }
    return std::nullopt;
}

std::string_view to_string(FaultKind kind) {
    switch (kind) {
        case FaultKind::TroubleCode:
            return "trouble-code";
        case FaultKind::Crash:
            return "crash";
        case FaultKind::Sos:
            return "sos";
        case FaultKind::CoverageLoss:
            return "coverage-loss";
    }
    return "unknown";
}

const std::vector<CarModel>& car_models() {
    using agent::signals::Powertrain;
    using agent::signals::VehicleProfile;
    static const std::vector<CarModel> kModels{
        {"JN1TANT3",
         VehicleProfile{.model = "X-Trail",
                        .tank_capacity_l = 55.0,
                        .fuel_consumption_l_per_100km = 7.4,
                        .oil_change_interval_km = 15'000.0,
                        .occupants = 2}},
        {"JN1BB8CV",
         VehicleProfile{.model = "Sylphy",
                        .tank_capacity_l = 50.0,
                        .fuel_consumption_l_per_100km = 6.1,
                        .oil_change_interval_km = 15'000.0}},
        {"JN1FE0AA",
         VehicleProfile{.model = "Ariya",
                        .powertrain = Powertrain::Electric,
                        .battery_capacity_kwh = 87.0,
                        .energy_consumption_kwh_per_100km = 18.5}},
    };
    return kModels;
}

std::string make_vin(const CarModel& model, std::size_t number) {
    // Position 10 is the model year (N = 2022), 11 the plant, 12 to 17 the serial number.
    std::string vin = fmt::format("{}0NW{:06d}", model.wmi_vds, number % 1'000'000);
    vin[8] = protocol::vin_check_digit(vin);
    return vin;
}

CarPlan plan_car(const PlanSettings& settings,
                 const std::vector<Route>& routes,
                 std::size_t number) {
    SeededRandom random(settings.seed * 0x9E3779B97F4A7C15ULL + number);
    const auto& models = car_models();
    CarPlan plan;
    plan.vehicle_number = number;
    plan.model = &models[random.below(models.size())];
    plan.vin = make_vin(*plan.model, number);
    const auto& mix = settings.usage_mix;
    plan.usage = mix.empty() ? kAllUsageProfiles[random.below(std::size(kAllUsageProfiles))]
                             : mix[random.below(mix.size())];
    plan.vehicle_seed = random.next();
    const double latitude_deg = routes.front().fixes.front().latitude_deg;
    plan.placement = make_placement(latitude_deg,
                                    random.uniform(settings.min_spread_km, settings.max_spread_km),
                                    random.uniform(0.0, 360.0));
    plan.route = random.below(routes.size());
    const auto& route = routes[plan.route];
    std::size_t cursor = random.below(route.fixes.size());
    for (int day = 0; day < settings.days; ++day) {
        add_day(plan, settings, route, cursor, settings.start + hours(24 * day), random);
    }
    add_trip_faults(plan, settings.faults, settings.days, random);
    return plan;
}

}  // namespace drivelink::sim
