// Events from changes of the vehicle signals: trouble codes set and cleared, ignition on and
// off, low fuel, low traction battery charge and a weak 12 V battery.
//
// Each alarm fires once and re-arms only after the value recovered past a hysteresis band, so
// a fuel gauge that wavers around the threshold while cornering raises one event, not many.
// The 12 V alarm also needs the voltage to stay low for `low_battery_duration`, because the
// voltage dips far lower for a second or two while the starter cranks.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/signals/vehicle_signals.h"
#include "drivelink/v1/drivelink.pb.h"
#include "protocol/result.h"

namespace drivelink::agent::events {

using signals::TimePoint;

struct EventSettings {
    double low_fuel_percent = 10.0;    // 0 turns the alarm off
    double low_charge_percent = 10.0;  // 0 turns the alarm off
    // Fuel and charge alarms re-arm at the threshold plus this.
    double level_hysteresis_percent = 5.0;
    // By common state-of-charge tables a lead-acid battery at rest reads about 12.6 V full and
    // 11.8 V nearly empty, where starting becomes unreliable. 0 turns the alarm off.
    double low_battery_v = 11.8;
    std::chrono::seconds low_battery_duration{30};
    double battery_hysteresis_v = 0.4;  // the 12 V alarm re-arms at low_battery_v plus this
    // After an SOS event, further presses within this time raise nothing.
    std::chrono::seconds sos_rearm{10};
};

// Checks every setting against its range (docs/agent.md). The error names `key_prefix` + the
// setting and its value.
Status validate(const EventSettings& settings, std::string_view key_prefix = "");

// Fires once when a value falls below a threshold, and re-arms when it is back at or above the
// threshold plus the hysteresis.
class LowLevelAlarm {
  public:
    // Returns true when this value raises the alarm.
    bool update(double value, double threshold, double hysteresis);
    bool armed() const { return armed_; }

  private:
    bool armed_ = true;
};

class SignalEventDetector {
  public:
    explicit SignalEventDetector(EventSettings settings = {});

    // Compares `signals` with the previous call and returns the events, in the order DTC set,
    // DTC cleared, ignition, low fuel, low charge, low battery voltage. The events carry time,
    // type and their value, and the caller adds the location. Trouble codes and ignition state
    // of the first call are the starting point and raise nothing, because the first sample carries
    // them. A signal that is absent leaves its state as it was.
    std::vector<v1::VehicleEvent> update(TimePoint time, const signals::VehicleSignals& signals);

    // Replaces the settings, or rejects invalid ones and keeps the old.
    Status apply(const EventSettings& settings);
    const EventSettings& settings() const { return settings_; }

  private:
    void add_dtc_events(const signals::VehicleSignals& signals,
                        std::vector<v1::VehicleEvent>& events);
    void add_ignition_event(const signals::VehicleSignals& signals,
                            std::vector<v1::VehicleEvent>& events);
    void add_level_events(const signals::VehicleSignals& signals,
                          std::vector<v1::VehicleEvent>& events);
    void add_battery_event(TimePoint time,
                           const signals::VehicleSignals& signals,
                           std::vector<v1::VehicleEvent>& events);

    EventSettings settings_;
    std::optional<std::vector<std::string>> dtcs_;
    std::optional<bool> ignition_on_;
    LowLevelAlarm fuel_alarm_;
    LowLevelAlarm charge_alarm_;
    LowLevelAlarm battery_alarm_;
    std::optional<TimePoint> battery_low_since_;
};

}  // namespace drivelink::agent::events
