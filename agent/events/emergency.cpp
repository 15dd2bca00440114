#include "agent/events/emergency.h"

namespace drivelink::agent::events {
namespace {

bool is_sos(const EmergencyDetection& detection) {
    return detection.trigger == v1::EMERGENCY_TRIGGER_SOS_BUTTON;
}

void add_position(const EmergencyDetection& detection,
                  const PositionHistory& positions,
                  v1::VehicleEvent& event) {
    auto* emergency = event.mutable_emergency();
    const auto latest = positions.latest();
    if (!latest) {
        emergency->set_position_can_be_trusted(false);
        return;
    }
    const auto& [time, location] = *latest;
    *event.mutable_location() = location;
    for (const auto& before : positions.before_latest()) {
        *emergency->add_recent_locations() = before;
    }
    const auto age = detection.time - time;
    emergency->set_position_can_be_trusted(age <= kMaxTrustedPositionAge &&
                                           location.fix_type() != v1::FIX_TYPE_NONE);
}

void add_signals(const signals::VehicleSignals& signals, v1::VehicleEvent& event) {
    auto* emergency = event.mutable_emergency();
    if (signals.occupants) {
        emergency->set_occupants(*signals.occupants);
    }
    if (signals.speed_kph) {
        emergency->set_speed_kph(*signals.speed_kph);
    }
    if (signals.traveled_distance_km) {
        event.set_traveled_distance_km(*signals.traveled_distance_km);
    }
}

}  // namespace

void PositionHistory::add(TimePoint time, const v1::Location& location) {
    positions_.emplace_front(time, location);
    if (positions_.size() > kKept) {
        positions_.pop_back();
    }
}

std::optional<std::pair<TimePoint, v1::Location>> PositionHistory::latest() const {
    if (positions_.empty()) {
        return std::nullopt;
    }
    return positions_.front();
}

std::vector<v1::Location> PositionHistory::before_latest() const {
    std::vector<v1::Location> result;
    for (std::size_t i = 1; i < positions_.size(); ++i) {
        result.push_back(positions_[i].second);
    }
    return result;
}

v1::VehicleEvent make_emergency_event(const EmergencyDetection& detection,
                                      const VehicleIdentity& identity,
                                      const PositionHistory& positions,
                                      const signals::VehicleSignals& signals) {
    v1::VehicleEvent event;
    event.set_time_ms(detection.time.time_since_epoch().count());
    event.set_type(is_sos(detection) ? v1::EVENT_TYPE_SOS : v1::EVENT_TYPE_CRASH);

    auto* emergency = event.mutable_emergency();
    emergency->set_activation(is_sos(detection) ? v1::ACTIVATION_MANUAL : v1::ACTIVATION_AUTOMATIC);
    emergency->set_trigger(detection.trigger);
    emergency->set_vin(identity.vin);
    for (const auto storage : identity.propulsion_storages) {
        emergency->add_propulsion_storages(storage);
    }
    if (detection.peak_acceleration_mps2) {
        emergency->set_peak_acceleration_mps2(*detection.peak_acceleration_mps2);
    }
    if (detection.pulse_duration) {
        emergency->set_pulse_duration_ms(detection.pulse_duration->count());
    }
    add_position(detection, positions, event);
    add_signals(signals, event);
    return event;
}

}  // namespace drivelink::agent::events
