// The emergency data sent with a crash or SOS event, in the spirit of the eCall minimum set of
// data (EN 15722). It contains time, position and the two before it, heading, VIN, propulsion
// type, occupants if known, and whether the car or an occupant started it.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/events/crash_detector.h"
#include "agent/signals/vehicle_signals.h"
#include "drivelink/v1/drivelink.pb.h"

namespace drivelink::agent::events {

// The car's identity, for emergency services.
struct VehicleIdentity {
    std::string vin;
    // Energy stores on board, for example GASOLINE, or GASOLINE and ELECTRIC for a hybrid.
    std::vector<v1::PropulsionStorage> propulsion_storages;
};

// Positions up to this age at the event are trusted, and older ones reported as untrusted.
inline constexpr std::chrono::seconds kMaxTrustedPositionAge{10};

// The latest three positions the receiver reported, with their times.
class PositionHistory {
  public:
    void add(TimePoint time, const v1::Location& location);

    // The newest position and its time, or empty before the first.
    std::optional<std::pair<TimePoint, v1::Location>> latest() const;
    // Up to two positions before the newest, newest first.
    std::vector<v1::Location> before_latest() const;

  private:
    static constexpr std::size_t kKept = 3;
    std::deque<std::pair<TimePoint, v1::Location>> positions_;  // newest first
};

// Builds the CRASH or SOS event for `detection`. `signals` is the latest snapshot before the
// event, for speed, occupants and odometer.
v1::VehicleEvent make_emergency_event(const EmergencyDetection& detection,
                                      const VehicleIdentity& identity,
                                      const PositionHistory& positions,
                                      const signals::VehicleSignals& signals);

}  // namespace drivelink::agent::events
