// Crash detection from the airbag state and from acceleration pulses.
//
// A crash is an airbag deployment, or an acceleration pulse whose magnitude in the horizontal
// plane, sqrt(longitudinal² + lateral²), stays at or over `threshold_mps2` for at least
// `min_duration`. The defaults, 4 g for 20 ms, sit far above hard braking (about 1 g) and
// kerb strikes, and well below the 20 g and more of a collision pulse, which lasts some 100 ms.
// Using the horizontal magnitude catches side impacts as well as frontal ones, and leaves out
// the vertical axis, where potholes make short, strong spikes.
//
// The pulse test needs acceleration samples a few ms apart, as a crash sensor delivers them.
// Samples seconds apart cannot resolve a pulse, so with those only the airbag path works.
//
// After a crash the detector reports nothing for `rearm`, so one incident (a collision with
// its secondary impacts, an airbag that deploys as the pulse is seen) makes one event.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "agent/signals/vehicle_signals.h"
#include "drivelink/v1/drivelink.pb.h"
#include "protocol/result.h"

namespace drivelink::agent::events {

using signals::TimePoint;

struct CrashSettings {
    double threshold_mps2 = 4.0 * signals::kStandardGravityMps2;
    std::chrono::milliseconds min_duration{20};
    std::chrono::seconds rearm{60};
};

// Checks threshold_mps2 (15 to 1000, so that braking never counts), min_duration_ms (0 to
// 1000) and rearm_s (1 to 3600). The error names `key_prefix` + the setting and its value.
Status validate(const CrashSettings& settings, std::string_view key_prefix = "");

// A detected emergency: a crash here, or an SOS button press.
struct EmergencyDetection {
    TimePoint time;
    v1::EmergencyTrigger trigger = v1::EMERGENCY_TRIGGER_UNSPECIFIED;
    // For acceleration pulses: the largest magnitude and the time over the threshold, both up
    // to the sample that completed the detection.
    std::optional<double> peak_acceleration_mps2;
    std::optional<std::chrono::milliseconds> pulse_duration;
};

class CrashDetector {
  public:
    explicit CrashDetector(CrashSettings settings = {});

    // Feeds one acceleration sample, at a time not before the previous one. Returns a detection
    // once the pulse has lasted min_duration, unless a crash was reported within `rearm`.
    std::optional<EmergencyDetection> on_acceleration(TimePoint time,
                                                      double longitudinal_mps2,
                                                      double lateral_mps2);
    // Feeds the airbag state. A change to deployed is a crash, and so is a first reading of
    // deployed, because the head unit may have restarted in the crash itself.
    std::optional<EmergencyDetection> on_airbag(TimePoint time, bool deployed);

    // Replaces the settings, or rejects invalid ones and keeps the old.
    Status apply(const CrashSettings& settings);
    const CrashSettings& settings() const { return settings_; }

  private:
    bool rearmed(TimePoint time) const;

    CrashSettings settings_;
    std::optional<TimePoint> pulse_start_;
    double pulse_peak_mps2_ = 0.0;
    bool pulse_reported_ = false;
    std::optional<bool> airbag_deployed_;
    std::optional<TimePoint> last_crash_;
};

}  // namespace drivelink::agent::events
