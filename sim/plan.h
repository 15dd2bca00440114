// What each simulated car does: its model, VIN, usage profile, where it drives, the trips of
// each simulated day and the faults injected into them. Everything is drawn from one seed,
// so a seed and a vehicle number always give the same plan.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "agent/signals/simulated_vehicle.h"
#include "sim/route.h"

namespace drivelink::sim {

using agent::signals::TimePoint;

// Draws numbers from std::mt19937_64 directly, whose output the C++ standard fixes, so a seed
// gives the same plan with any standard library.
class SeededRandom {
  public:
    explicit SeededRandom(uint64_t seed) : engine_(seed) {}

    double uniform(double low, double high);
    // A whole number from 0 to `count` - 1; `count` must be above 0.
    std::size_t below(std::size_t count);
    bool chance(double probability) { return uniform(0.0, 1.0) < probability; }
    uint64_t next() { return engine_(); }

  private:
    std::mt19937_64 engine_;
};

enum class UsageProfile {
    Commuter,      // two trips a day, to work and back
    Taxi,          // many short trips from early morning to late evening
    LongDistance,  // one or two trips of hours
    Weekend,       // a few leisure trips around midday
};

std::string_view to_string(UsageProfile profile);
std::optional<UsageProfile> parse_usage_profile(std::string_view text);
inline constexpr UsageProfile kAllUsageProfiles[] = {
    UsageProfile::Commuter, UsageProfile::Taxi, UsageProfile::LongDistance, UsageProfile::Weekend};

struct CarModel {
    std::string wmi_vds;  // VIN positions 1 to 8: maker and model
    agent::signals::VehicleProfile profile;
};

// X-Trail and Sylphy (gasoline), Ariya (electric).
const std::vector<CarModel>& car_models();

enum class FaultKind {
    TroubleCode,   // a DTC is set during a trip
    Crash,         // a crash pulse and airbag deployment end the trip; the car drives no more
    Sos,           // the SOS button is pressed during a trip
    CoverageLoss,  // the car's network connection is cut for `duration`
};

std::string_view to_string(FaultKind kind);

// Expected number of each fault per car and simulated day; below 1 it is a probability.
struct FaultRates {
    double trouble_codes_per_day = 0.0;
    double crashes_per_day = 0.0;
    double sos_per_day = 0.0;
    double coverage_losses_per_day = 0.0;
};

struct TripFault {
    FaultKind kind = FaultKind::TroubleCode;
    std::size_t fix_offset = 0;  // after this many fixes of the trip
    std::string dtc;             // TroubleCode only
};

// A stretch of the car's route: `fix_count` fixes from `first_index` on, wrapping around the
// loop, the first at `start` and the last at `end`.
struct Trip {
    TimePoint start;
    TimePoint end;
    std::size_t first_index = 0;
    std::size_t fix_count = 0;
    std::vector<TripFault> faults;
};

struct CoverageLoss {
    TimePoint start;
    std::chrono::milliseconds duration{0};  // simulated time
};

struct CarPlan {
    std::size_t vehicle_number = 0;
    std::string vin;
    const CarModel* model = nullptr;
    UsageProfile usage = UsageProfile::Commuter;
    std::size_t route = 0;  // every trip drives on, along this route's loop
    RoutePlacement placement;
    uint64_t vehicle_seed = 0;  // for SimulatedVehicle
    std::vector<Trip> trips;    // in time order, not overlapping
    std::vector<CoverageLoss> coverage_losses;
};

struct PlanSettings {
    uint64_t seed = 1;
    TimePoint start;  // the first simulated day's midnight, UTC
    int days = 1;
    FaultRates faults;
    std::vector<UsageProfile> usage_mix;  // empty: all profiles in equal shares
    double min_spread_km = 3.0;           // each car's routes are moved this far at least
    double max_spread_km = 40.0;
};

// A VIN with a valid check digit for vehicle `number` (0 to 999,999) of `model`.
std::string make_vin(const CarModel& model, std::size_t number);

// Plans vehicle `number`. Its random draws depend only on the seed and the number.
CarPlan plan_car(const PlanSettings& settings,
                 const std::vector<Route>& routes,
                 std::size_t number);

}  // namespace drivelink::sim
