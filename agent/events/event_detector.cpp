#include "agent/events/event_detector.h"

#include <utility>

#include "agent/signals/logger.h"

namespace drivelink::agent::events {
namespace {

// The signals to report with an emergency seen in `current`: the speed from before the
// impact when known, occupants and odometer as fresh as possible.
signals::VehicleSignals emergency_context(const signals::VehicleSignals& previous,
                                          const signals::VehicleSignals& current) {
    signals::VehicleSignals context = previous;
    if (!context.speed_kph) {
        context.speed_kph = current.speed_kph;
    }
    if (current.occupants) {
        context.occupants = current.occupants;
    }
    if (current.traveled_distance_km) {
        context.traveled_distance_km = current.traveled_distance_km;
    }
    return context;
}

}  // namespace

EventDetector::EventDetector(VehicleIdentity identity,
                             CrashSettings crash_settings,
                             EventSettings event_settings)
    : identity_(std::move(identity)),
      crash_detector_(crash_settings),
      signal_events_(event_settings) {}

void EventDetector::on_location(TimePoint time, const v1::Location& location) {
    positions_.add(time, location);
}

std::vector<v1::VehicleEvent> EventDetector::on_signals(TimePoint time,
                                                        const signals::VehicleSignals& signals) {
    std::vector<v1::VehicleEvent> events;
    add_emergency_events(time, signals, events);

    auto changes = signal_events_.update(time, signals);
    const auto latest = positions_.latest();
    for (auto& event : changes) {
        if (latest) {
            *event.mutable_location() = latest->second;
        }
        events.push_back(std::move(event));
    }
    last_signals_ = signals;
    emergency_signals_ = signals;
    for (const auto& event : events) {
        log_event(event);
    }
    return events;
}

void EventDetector::add_emergency_events(TimePoint time,
                                         const signals::VehicleSignals& signals,
                                         std::vector<v1::VehicleEvent>& events) {
    emergency_signals_ = emergency_context(last_signals_, signals);
    if (signals.airbag_deployed) {
        if (auto event =
                emergency_event(crash_detector_.on_airbag(time, *signals.airbag_deployed))) {
            events.push_back(std::move(*event));
        }
    }
    if (signals.longitudinal_acceleration_mps2 || signals.lateral_acceleration_mps2) {
        const auto detection =
            crash_detector_.on_acceleration(time,
                                            signals.longitudinal_acceleration_mps2.value_or(0.0),
                                            signals.lateral_acceleration_mps2.value_or(0.0));
        if (auto event = emergency_event(detection)) {
            events.push_back(std::move(*event));
        }
    }
    const bool pressed = signals.sos_button_pressed.value_or(false);
    if (pressed && !sos_pressed_) {
        if (auto event = sos_event(time)) {
            events.push_back(std::move(*event));
        }
    }
    sos_pressed_ = pressed;
}

std::optional<v1::VehicleEvent> EventDetector::on_acceleration(TimePoint time,
                                                               double longitudinal_mps2,
                                                               double lateral_mps2) {
    auto event =
        emergency_event(crash_detector_.on_acceleration(time, longitudinal_mps2, lateral_mps2));
    if (event) {
        log_event(*event);
    }
    return event;
}

std::optional<v1::VehicleEvent> EventDetector::on_sos_button(TimePoint time) {
    auto event = sos_event(time);
    if (event) {
        log_event(*event);
    }
    return event;
}

std::optional<v1::VehicleEvent> EventDetector::sos_event(TimePoint time) {
    const auto rearm = signal_events_.settings().sos_rearm;
    if (last_sos_ && time - *last_sos_ < rearm) {
        return std::nullopt;
    }
    last_sos_ = time;
    EmergencyDetection detection;
    detection.time = time;
    detection.trigger = v1::EMERGENCY_TRIGGER_SOS_BUTTON;
    return emergency_event(detection);
}

std::optional<v1::VehicleEvent> EventDetector::emergency_event(
    const std::optional<EmergencyDetection>& detection) {
    if (!detection) {
        return std::nullopt;
    }
    return make_emergency_event(*detection, identity_, positions_, emergency_signals_);
}

Status EventDetector::apply(const CrashSettings& crash_settings,
                            const EventSettings& event_settings) {
    if (auto valid = validate(crash_settings); !valid) {
        return valid;
    }
    if (auto valid = validate(event_settings); !valid) {
        return valid;
    }
    (void)crash_detector_.apply(crash_settings);
    (void)signal_events_.apply(event_settings);
    return ok_status();
}

void EventDetector::log_event(const v1::VehicleEvent& event) const {
    static const auto logger = signals::component_logger("events");
    const auto level = event.has_emergency() ? spdlog::level::warn : spdlog::level::info;
    logger->log(level,
                "event vin={} type={} time_ms={} dtc={}",
                identity_.vin,
                v1::EventType_Name(event.type()),
                event.time_ms(),
                event.dtc());
}

}  // namespace drivelink::agent::events
