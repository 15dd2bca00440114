// The agent's event source: turns positions, vehicle signals, acceleration samples and SOS
// button presses into VehicleEvent messages, ready for Agent::raise_event.
//
// Crash and SOS events carry the emergency data (emergency.h), the others their value.
// Every event carries the latest position, when there is one. Not thread-safe: one thread,
// the agent's, feeds it.
#pragma once

#include <optional>
#include <vector>

#include "agent/events/crash_detector.h"
#include "agent/events/emergency.h"
#include "agent/events/signal_events.h"
#include "agent/signals/vehicle_signals.h"
#include "drivelink/v1/drivelink.pb.h"
#include "protocol/result.h"

namespace drivelink::agent::events {

class EventDetector {
  public:
    explicit EventDetector(VehicleIdentity identity,
                           CrashSettings crash_settings = {},
                           EventSettings event_settings = {});

    // Records a position from the receiver, for the events that follow.
    void on_location(TimePoint time, const v1::Location& location);

    // Feeds a signal snapshot: airbag, acceleration and SOS button first, then the signal
    // changes. Returns the events it raised, emergencies first.
    std::vector<v1::VehicleEvent> on_signals(TimePoint time,
                                             const signals::VehicleSignals& signals);

    // Feeds one sample of a crash sensor's acceleration stream, for cars that deliver one
    // apart from the signal snapshots.
    std::optional<v1::VehicleEvent> on_acceleration(TimePoint time,
                                                    double longitudinal_mps2,
                                                    double lateral_mps2);

    // An SOS button press. Returns the SOS event, or nothing within sos_rearm of the last.
    std::optional<v1::VehicleEvent> on_sos_button(TimePoint time);

    // Replaces both settings, or neither when one is invalid. The error names the value.
    Status apply(const CrashSettings& crash_settings, const EventSettings& event_settings);

  private:
    std::optional<v1::VehicleEvent> sos_event(TimePoint time);
    std::optional<v1::VehicleEvent> emergency_event(
        const std::optional<EmergencyDetection>& detection);
    void add_emergency_events(TimePoint time,
                              const signals::VehicleSignals& signals,
                              std::vector<v1::VehicleEvent>& events);
    void log_event(const v1::VehicleEvent& event) const;

    VehicleIdentity identity_;
    CrashDetector crash_detector_;
    SignalEventDetector signal_events_;
    PositionHistory positions_;
    signals::VehicleSignals last_signals_;
    signals::VehicleSignals emergency_signals_;  // what an emergency event reports
    bool sos_pressed_ = false;
    std::optional<TimePoint> last_sos_;
};

}  // namespace drivelink::agent::events
