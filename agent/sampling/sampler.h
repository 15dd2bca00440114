// Decides which moments the agent records as samples, the way fleet trackers do: by time, by
// distance travelled, by change of heading, and when a trouble code or the ignition changes.
//
// With the ignition on (or not reported) the car counts as driving: a sample at least every
// driving interval, and one whenever it moved `distance_m` or turned `heading_change_deg`
// since the last sample. With the ignition off (LOCK, OFF or ACC) only the slower parked
// interval and signal changes trigger, so GNSS jitter of a parked car records nothing.
//
// The sampler never reads a clock: callers pass the fix time or another time point, so tests
// and the simulator's accelerated clock drive it. Not thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/gnss/fix.h"
#include "agent/signals/vehicle_signals.h"
#include "drivelink/v1/drivelink.pb.h"
#include "protocol/result.h"

namespace drivelink::agent::sampling {

using signals::TimePoint;

struct SamplerSettings {
    std::chrono::seconds driving_interval{10};
    double distance_m = 100.0;         // 0 turns the distance trigger off
    double heading_change_deg = 15.0;  // 0 turns the heading trigger off
    // Below this speed the receiver's course is mostly noise, so it triggers nothing.
    double heading_min_speed_kph = 5.0;
    std::chrono::seconds parked_interval{std::chrono::minutes(30)};
};

// Checks every setting against its allowed range (docs/agent.md). The error names the first
// invalid setting as `key_prefix` + its name with unit, and its value, for example
// "sampling.distance_m = -5 is out of range: must be 0 to 100000".
Status validate(const SamplerSettings& settings, std::string_view key_prefix = "");

// Whether to record this moment, and why. Empty triggers: do not record.
struct SampleDecision {
    std::vector<v1::SampleTrigger> triggers;

    bool record() const { return !triggers.empty(); }
    bool has(v1::SampleTrigger trigger) const;
};

class Sampler {
  public:
    explicit Sampler(SamplerSettings settings = {});

    // Decides for a new fix at the fix's own time. When it returns a trigger, the caller is
    // expected to record the sample: the sampler measures the next interval, distance and
    // heading change from here.
    SampleDecision evaluate(const gnss::Fix& fix, const signals::VehicleSignals& signals);
    // Decides at time `now`, with or without a fix. Without one (no receiver, no
    // position) only time and signal changes trigger.
    SampleDecision evaluate(TimePoint now,
                            const std::optional<gnss::Fix>& fix,
                            const signals::VehicleSignals& signals);

    // Replaces the settings at run time, keeping what was recorded so far. Rejects invalid
    // settings and keeps the old ones, with an error that names the value.
    Status apply(const SamplerSettings& settings);
    const SamplerSettings& settings() const { return settings_; }

  private:
    struct Position {
        double latitude_deg;
        double longitude_deg;
    };

    void add_time_trigger(TimePoint now, bool driving, SampleDecision& decision);
    void add_motion_triggers(const gnss::Fix& fix, SampleDecision& decision) const;
    void add_signal_triggers(const signals::VehicleSignals& signals, SampleDecision& decision);
    void remember(TimePoint now, const std::optional<gnss::Fix>& fix, bool recorded);

    SamplerSettings settings_;
    std::optional<TimePoint> last_record_time_;
    std::optional<Position> last_record_position_;
    std::optional<double> reference_course_deg_;
    std::optional<std::vector<std::string>> last_dtcs_;
    std::optional<bool> last_ignition_on_;
};

// Great-circle distance on a sphere of the Earth's mean radius (6,371,008.8 m), good to about
// 0.5 % against WGS 84, plenty for a sampling threshold.
double distance_m(double latitude1_deg,
                  double longitude1_deg,
                  double latitude2_deg,
                  double longitude2_deg);

// Smallest angle between two courses, 0 to 180 degrees.
double heading_difference_deg(double course1_deg, double course2_deg);

}  // namespace drivelink::agent::sampling
