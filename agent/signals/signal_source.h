// Where the agent reads vehicle signals from: the car's bus on a real head unit, a recorded
// file in a replay, a simulated vehicle in the fleet simulator.
#pragma once

#include "agent/signals/vehicle_signals.h"

namespace drivelink::agent::signals {

class SignalSource {
  public:
    virtual ~SignalSource() = default;

    // Returns the signals as they were at `time`: for each signal the latest value at or
    // before it. Callers pass non-decreasing times. Not thread-safe.
    virtual VehicleSignals signals_at(TimePoint time) = 0;
};

}  // namespace drivelink::agent::signals
