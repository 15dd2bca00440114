#include "agent/config/runtime_settings.h"

#include <chrono>

namespace drivelink::agent::config {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Checks the settings, naming each by `prefix` + its name. The prefixes differ between the
// configuration file ("sampling.", "batch.", ...) and AgentSettings ("", "batch_", ...).
Status validate_with_prefixes(const RuntimeSettings& settings,
                              std::string_view sampler_prefix,
                              std::string_view batch_prefix,
                              std::string_view crash_prefix,
                              std::string_view events_prefix) {
    if (auto valid = sampling::validate(settings.sampler, sampler_prefix); !valid) {
        return valid;
    }
    if (auto valid = sampling::validate(settings.batch, batch_prefix); !valid) {
        return valid;
    }
    if (auto valid = events::validate(settings.crash, crash_prefix); !valid) {
        return valid;
    }
    return events::validate(settings.events, events_prefix);
}

void merge_sampler(const v1::AgentSettings& update, sampling::SamplerSettings& sampler) {
    if (update.has_driving_interval_s()) {
        sampler.driving_interval = seconds(update.driving_interval_s());
    }
    if (update.has_distance_m()) {
        sampler.distance_m = update.distance_m();
    }
    if (update.has_heading_change_deg()) {
        sampler.heading_change_deg = update.heading_change_deg();
    }
    if (update.has_heading_min_speed_kph()) {
        sampler.heading_min_speed_kph = update.heading_min_speed_kph();
    }
    if (update.has_parked_interval_s()) {
        sampler.parked_interval = seconds(update.parked_interval_s());
    }
}

void merge_batch_and_crash(const v1::AgentSettings& update, RuntimeSettings& settings) {
    if (update.has_batch_max_samples()) {
        settings.batch.max_samples = update.batch_max_samples();
    }
    if (update.has_batch_max_age_s()) {
        settings.batch.max_age = seconds(update.batch_max_age_s());
    }
    if (update.has_crash_threshold_mps2()) {
        settings.crash.threshold_mps2 = update.crash_threshold_mps2();
    }
    if (update.has_crash_min_duration_ms()) {
        settings.crash.min_duration = milliseconds(update.crash_min_duration_ms());
    }
}

void merge_events(const v1::AgentSettings& update, events::EventSettings& events) {
    if (update.has_low_fuel_percent()) {
        events.low_fuel_percent = update.low_fuel_percent();
    }
    if (update.has_low_charge_percent()) {
        events.low_charge_percent = update.low_charge_percent();
    }
    if (update.has_low_battery_v()) {
        events.low_battery_v = update.low_battery_v();
    }
    if (update.has_low_battery_duration_s()) {
        events.low_battery_duration = seconds(update.low_battery_duration_s());
    }
}

}  // namespace

Status validate(const RuntimeSettings& settings) {
    return validate_with_prefixes(settings, "sampling.", "batch.", "crash.", "events.");
}

Result<RuntimeSettings> merge_update(const RuntimeSettings& current,
                                     const v1::AgentSettings& update) {
    RuntimeSettings merged = current;
    merge_sampler(update, merged.sampler);
    merge_batch_and_crash(update, merged);
    merge_events(update, merged.events);
    if (auto valid = validate_with_prefixes(merged, "", "batch_", "crash_", ""); !valid) {
        return Error{"invalid configuration update: " + valid.error()};
    }
    return merged;
}

v1::AgentSettings to_proto(const RuntimeSettings& settings) {
    v1::AgentSettings proto;
    proto.set_driving_interval_s(static_cast<uint32_t>(settings.sampler.driving_interval.count()));
    proto.set_distance_m(settings.sampler.distance_m);
    proto.set_heading_change_deg(settings.sampler.heading_change_deg);
    proto.set_heading_min_speed_kph(settings.sampler.heading_min_speed_kph);
    proto.set_parked_interval_s(static_cast<uint32_t>(settings.sampler.parked_interval.count()));
    proto.set_batch_max_samples(static_cast<uint32_t>(settings.batch.max_samples));
    proto.set_batch_max_age_s(static_cast<uint32_t>(settings.batch.max_age.count()));
    proto.set_crash_threshold_mps2(settings.crash.threshold_mps2);
    proto.set_crash_min_duration_ms(static_cast<uint32_t>(settings.crash.min_duration.count()));
    proto.set_low_fuel_percent(settings.events.low_fuel_percent);
    proto.set_low_charge_percent(settings.events.low_charge_percent);
    proto.set_low_battery_v(settings.events.low_battery_v);
    proto.set_low_battery_duration_s(
        static_cast<uint32_t>(settings.events.low_battery_duration.count()));
    return proto;
}

}  // namespace drivelink::agent::config
