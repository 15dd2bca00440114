#include "agent/events/crash_detector.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace drivelink::agent::events {

Status validate(const CrashSettings& settings, std::string_view key_prefix) {
    if (!(settings.threshold_mps2 >= 15.0 && settings.threshold_mps2 <= 1000.0)) {
        return Error{fmt::format("{}threshold_mps2 = {} is out of range: must be 15 to 1000",
                                 key_prefix,
                                 settings.threshold_mps2)};
    }
    if (settings.min_duration.count() < 0 || settings.min_duration.count() > 1000) {
        return Error{fmt::format("{}min_duration_ms = {} is out of range: must be 0 to 1000",
                                 key_prefix,
                                 settings.min_duration.count())};
    }
    if (settings.rearm.count() < 1 || settings.rearm.count() > 3600) {
        return Error{fmt::format("{}rearm_s = {} is out of range: must be 1 to 3600",
                                 key_prefix,
                                 settings.rearm.count())};
    }
    return ok_status();
}

CrashDetector::CrashDetector(CrashSettings settings) : settings_(settings) {}

Status CrashDetector::apply(const CrashSettings& settings) {
    if (auto valid = validate(settings); !valid) {
        return valid;
    }
    settings_ = settings;
    return ok_status();
}

bool CrashDetector::rearmed(TimePoint time) const {
    return !last_crash_ || time - *last_crash_ >= settings_.rearm;
}

std::optional<EmergencyDetection> CrashDetector::on_acceleration(TimePoint time,
                                                                 double longitudinal_mps2,
                                                                 double lateral_mps2) {
    const double magnitude_mps2 = std::hypot(longitudinal_mps2, lateral_mps2);
    if (!(magnitude_mps2 >= settings_.threshold_mps2)) {
        pulse_start_.reset();
        pulse_reported_ = false;
        return std::nullopt;
    }
    if (!pulse_start_) {
        pulse_start_ = time;
        pulse_peak_mps2_ = 0.0;
    }
    pulse_peak_mps2_ = std::max(pulse_peak_mps2_, magnitude_mps2);
    const auto duration = time - *pulse_start_;
    if (pulse_reported_ || duration < settings_.min_duration) {
        return std::nullopt;
    }
    // Either way this pulse is done with: reported now, or part of an incident already reported.
    pulse_reported_ = true;
    if (!rearmed(time)) {
        return std::nullopt;
    }
    last_crash_ = time;
    return EmergencyDetection{
        time, v1::EMERGENCY_TRIGGER_ACCELERATION_PULSE, pulse_peak_mps2_, duration};
}

std::optional<EmergencyDetection> CrashDetector::on_airbag(TimePoint time, bool deployed) {
    const bool newly_deployed = deployed && airbag_deployed_ != true;
    airbag_deployed_ = deployed;
    if (!newly_deployed || !rearmed(time)) {
        return std::nullopt;
    }
    last_crash_ = time;
    EmergencyDetection detection;
    detection.time = time;
    detection.trigger = v1::EMERGENCY_TRIGGER_AIRBAG;
    return detection;
}

}  // namespace drivelink::agent::events
