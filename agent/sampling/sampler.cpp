#include "agent/sampling/sampler.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace drivelink::agent::sampling {
namespace {

constexpr double kEarthMeanRadiusM = 6'371'008.8;
constexpr double kKphPerMps = 3.6;

double radians(double degrees) {
    return degrees * std::numbers::pi / 180.0;
}

template <typename T>
Status check_range(std::string_view prefix, std::string_view name, T value, T min, T max) {
    if (value >= min && value <= max) {
        return ok_status();
    }
    return Error{
        fmt::format("{}{} = {} is out of range: must be {} to {}", prefix, name, value, min, max)};
}

// Ignition on, or not reported at all: a car without the signal samples as when driving.
bool is_driving(const signals::VehicleSignals& signals) {
    if (!signals.ignition || *signals.ignition == signals::IgnitionState::Undefined) {
        return true;
    }
    return signals::is_ignition_on(*signals.ignition);
}

std::optional<double> speed_kph(const gnss::Fix& fix) {
    if (!fix.speed_mps) {
        return std::nullopt;
    }
    return *fix.speed_mps * kKphPerMps;
}

}  // namespace

Status validate(const SamplerSettings& settings, std::string_view key_prefix) {
    const Status checks[] = {
        check_range<int64_t>(
            key_prefix, "driving_interval_s", settings.driving_interval.count(), 1, 3600),
        check_range(key_prefix, "distance_m", settings.distance_m, 0.0, 100'000.0),
        check_range(key_prefix, "heading_change_deg", settings.heading_change_deg, 0.0, 180.0),
        check_range(
            key_prefix, "heading_min_speed_kph", settings.heading_min_speed_kph, 0.0, 200.0),
        check_range<int64_t>(
            key_prefix, "parked_interval_s", settings.parked_interval.count(), 10, 86'400),
    };
    for (const auto& check : checks) {
        if (!check) {
            return check;
        }
    }
    return ok_status();
}

bool SampleDecision::has(v1::SampleTrigger trigger) const {
    return std::find(triggers.begin(), triggers.end(), trigger) != triggers.end();
}

Sampler::Sampler(SamplerSettings settings) : settings_(settings) {}

Status Sampler::apply(const SamplerSettings& settings) {
    if (auto valid = validate(settings); !valid) {
        return valid;
    }
    settings_ = settings;
    return ok_status();
}

SampleDecision Sampler::evaluate(const gnss::Fix& fix, const signals::VehicleSignals& signals) {
    return evaluate(fix.time, fix, signals);
}

SampleDecision Sampler::evaluate(TimePoint now,
                                 const std::optional<gnss::Fix>& fix,
                                 const signals::VehicleSignals& signals) {
    SampleDecision decision;
    const bool driving = is_driving(signals);
    if (!last_record_time_) {
        decision.triggers.push_back(v1::SAMPLE_TRIGGER_FIRST);
    } else {
        add_time_trigger(now, driving, decision);
        if (driving && fix) {
            add_motion_triggers(*fix, decision);
        }
    }
    add_signal_triggers(signals, decision);
    remember(now, fix, decision.record());
    return decision;
}

void Sampler::add_time_trigger(TimePoint now, bool driving, SampleDecision& decision) {
    if (now < *last_record_time_) {
        // The clock stepped back (a GNSS time correction): restart the interval from here.
        last_record_time_ = now;
        return;
    }
    const auto interval = driving ? settings_.driving_interval : settings_.parked_interval;
    if (now - *last_record_time_ >= interval) {
        decision.triggers.push_back(v1::SAMPLE_TRIGGER_TIME);
    }
}

void Sampler::add_motion_triggers(const gnss::Fix& fix, SampleDecision& decision) const {
    if (settings_.distance_m > 0.0 && last_record_position_) {
        const double moved_m = distance_m(last_record_position_->latitude_deg,
                                          last_record_position_->longitude_deg,
                                          fix.latitude_deg,
                                          fix.longitude_deg);
        if (moved_m >= settings_.distance_m) {
            decision.triggers.push_back(v1::SAMPLE_TRIGGER_DISTANCE);
        }
    }
    const auto speed = speed_kph(fix);
    if (settings_.heading_change_deg > 0.0 && reference_course_deg_ && fix.course_deg && speed &&
        *speed >= settings_.heading_min_speed_kph) {
        const double turned_deg = heading_difference_deg(*reference_course_deg_, *fix.course_deg);
        if (turned_deg >= settings_.heading_change_deg) {
            decision.triggers.push_back(v1::SAMPLE_TRIGGER_HEADING);
        }
    }
}

void Sampler::add_signal_triggers(const signals::VehicleSignals& signals,
                                  SampleDecision& decision) {
    if (signals.dtcs) {
        auto codes = *signals.dtcs;
        signals::normalize_dtcs(codes);
        if (last_dtcs_ && codes != *last_dtcs_) {
            decision.triggers.push_back(v1::SAMPLE_TRIGGER_TROUBLE_CODES);
        }
        last_dtcs_ = std::move(codes);
    }
    if (signals.ignition && *signals.ignition != signals::IgnitionState::Undefined) {
        const bool on = signals::is_ignition_on(*signals.ignition);
        if (last_ignition_on_ && on != *last_ignition_on_) {
            decision.triggers.push_back(v1::SAMPLE_TRIGGER_IGNITION);
        }
        last_ignition_on_ = on;
    }
}

void Sampler::remember(TimePoint now, const std::optional<gnss::Fix>& fix, bool recorded) {
    const auto speed = fix ? speed_kph(*fix) : std::nullopt;
    const bool course_usable =
        fix && fix->course_deg && speed && *speed >= settings_.heading_min_speed_kph;
    if (recorded) {
        last_record_time_ = now;
        if (fix) {
            last_record_position_ = Position{fix->latitude_deg, fix->longitude_deg};
        }
        if (course_usable) {
            reference_course_deg_ = fix->course_deg;
        }
        return;
    }
    // Without a position or course at the last sample, measure from the first one seen since.
    if (fix && !last_record_position_) {
        last_record_position_ = Position{fix->latitude_deg, fix->longitude_deg};
    }
    if (course_usable && !reference_course_deg_) {
        reference_course_deg_ = fix->course_deg;
    }
}

double distance_m(double latitude1_deg,
                  double longitude1_deg,
                  double latitude2_deg,
                  double longitude2_deg) {
    const double phi1 = radians(latitude1_deg);
    const double phi2 = radians(latitude2_deg);
    const double dphi = phi2 - phi1;
    const double dlambda = radians(longitude2_deg - longitude1_deg);
    const double a = std::sin(dphi / 2) * std::sin(dphi / 2) + std::cos(phi1) * std::cos(phi2) *
                                                                   std::sin(dlambda / 2) *
                                                                   std::sin(dlambda / 2);
    return 2.0 * kEarthMeanRadiusM * std::asin(std::min(1.0, std::sqrt(a)));
}

double heading_difference_deg(double course1_deg, double course2_deg) {
    const double difference = std::fmod(std::abs(course1_deg - course2_deg), 360.0);
    return difference > 180.0 ? 360.0 - difference : difference;
}

}  // namespace drivelink::agent::sampling
