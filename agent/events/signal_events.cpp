#include "agent/events/signal_events.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

namespace drivelink::agent::events {
namespace {

template <typename T>
Status check_range(std::string_view prefix, std::string_view name, T value, T min, T max) {
    if (value >= min && value <= max) {
        return ok_status();
    }
    return Error{
        fmt::format("{}{} = {} is out of range: must be {} to {}", prefix, name, value, min, max)};
}

v1::VehicleEvent make_event(v1::EventType type) {
    v1::VehicleEvent event;
    event.set_type(type);
    return event;
}

std::vector<std::string> difference(const std::vector<std::string>& from,
                                    const std::vector<std::string>& without) {
    std::vector<std::string> result;
    std::set_difference(
        from.begin(), from.end(), without.begin(), without.end(), std::back_inserter(result));
    return result;
}

}  // namespace

Status validate(const EventSettings& settings, std::string_view key_prefix) {
    const Status checks[] = {
        check_range(key_prefix, "low_fuel_percent", settings.low_fuel_percent, 0.0, 100.0),
        check_range(key_prefix, "low_charge_percent", settings.low_charge_percent, 0.0, 100.0),
        check_range(
            key_prefix, "level_hysteresis_percent", settings.level_hysteresis_percent, 0.0, 50.0),
        check_range(key_prefix, "low_battery_v", settings.low_battery_v, 0.0, 16.0),
        check_range<int64_t>(
            key_prefix, "low_battery_duration_s", settings.low_battery_duration.count(), 0, 3600),
        check_range(key_prefix, "battery_hysteresis_v", settings.battery_hysteresis_v, 0.0, 5.0),
        check_range<int64_t>(key_prefix, "sos_rearm_s", settings.sos_rearm.count(), 0, 3600),
    };
    for (const auto& check : checks) {
        if (!check) {
            return check;
        }
    }
    return ok_status();
}

bool LowLevelAlarm::update(double value, double threshold, double hysteresis) {
    if (value >= threshold + hysteresis) {
        armed_ = true;
        return false;
    }
    if (value < threshold && armed_) {
        armed_ = false;
        return true;
    }
    return false;
}

SignalEventDetector::SignalEventDetector(EventSettings settings) : settings_(settings) {}

Status SignalEventDetector::apply(const EventSettings& settings) {
    if (auto valid = validate(settings); !valid) {
        return valid;
    }
    settings_ = settings;
    return ok_status();
}

std::vector<v1::VehicleEvent> SignalEventDetector::update(TimePoint time,
                                                          const signals::VehicleSignals& signals) {
    std::vector<v1::VehicleEvent> events;
    add_dtc_events(signals, events);
    add_ignition_event(signals, events);
    add_level_events(signals, events);
    add_battery_event(time, signals, events);
    for (auto& event : events) {
        event.set_time_ms(time.time_since_epoch().count());
        if (signals.traveled_distance_km) {
            event.set_traveled_distance_km(*signals.traveled_distance_km);
        }
    }
    return events;
}

void SignalEventDetector::add_dtc_events(const signals::VehicleSignals& signals,
                                         std::vector<v1::VehicleEvent>& events) {
    if (!signals.dtcs) {
        return;
    }
    auto codes = *signals.dtcs;
    signals::normalize_dtcs(codes);
    if (dtcs_) {
        for (const auto& code : difference(codes, *dtcs_)) {
            events.push_back(make_event(v1::EVENT_TYPE_DTC_SET));
            events.back().set_dtc(code);
        }
        for (const auto& code : difference(*dtcs_, codes)) {
            events.push_back(make_event(v1::EVENT_TYPE_DTC_CLEARED));
            events.back().set_dtc(code);
        }
    }
    dtcs_ = std::move(codes);
}

void SignalEventDetector::add_ignition_event(const signals::VehicleSignals& signals,
                                             std::vector<v1::VehicleEvent>& events) {
    if (!signals.ignition || *signals.ignition == signals::IgnitionState::Undefined) {
        return;
    }
    const bool on = signals::is_ignition_on(*signals.ignition);
    if (ignition_on_ && on != *ignition_on_) {
        events.push_back(make_event(on ? v1::EVENT_TYPE_IGNITION_ON : v1::EVENT_TYPE_IGNITION_OFF));
    }
    ignition_on_ = on;
}

void SignalEventDetector::add_level_events(const signals::VehicleSignals& signals,
                                           std::vector<v1::VehicleEvent>& events) {
    const double hysteresis = settings_.level_hysteresis_percent;
    if (signals.fuel_level_percent &&
        fuel_alarm_.update(*signals.fuel_level_percent, settings_.low_fuel_percent, hysteresis)) {
        events.push_back(make_event(v1::EVENT_TYPE_LOW_FUEL));
        events.back().set_fuel_level_percent(*signals.fuel_level_percent);
    }
    if (signals.traction_battery_soc_percent &&
        charge_alarm_.update(
            *signals.traction_battery_soc_percent, settings_.low_charge_percent, hysteresis)) {
        events.push_back(make_event(v1::EVENT_TYPE_LOW_CHARGE));
        events.back().set_traction_battery_soc_percent(*signals.traction_battery_soc_percent);
    }
}

void SignalEventDetector::add_battery_event(TimePoint time,
                                            const signals::VehicleSignals& signals,
                                            std::vector<v1::VehicleEvent>& events) {
    if (!signals.low_voltage_battery_v) {
        // A gap in the readings: the voltage may have recovered, so start the timer again.
        battery_low_since_.reset();
        return;
    }
    const double voltage_v = *signals.low_voltage_battery_v;
    if (voltage_v >= settings_.low_battery_v) {
        battery_low_since_.reset();
        battery_alarm_.update(voltage_v, settings_.low_battery_v, settings_.battery_hysteresis_v);
        return;
    }
    if (!battery_low_since_) {
        battery_low_since_ = time;
    }
    if (time - *battery_low_since_ < settings_.low_battery_duration) {
        return;
    }
    if (battery_alarm_.update(voltage_v, settings_.low_battery_v, settings_.battery_hysteresis_v)) {
        events.push_back(make_event(v1::EVENT_TYPE_LOW_BATTERY_VOLTAGE));
        events.back().set_low_voltage_battery_v(voltage_v);
    }
}

}  // namespace drivelink::agent::events
