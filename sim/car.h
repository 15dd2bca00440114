// One simulated car: a SimulatedVehicle driven along its planned trips, the head unit's
// sampler and event detector, and a real Agent with its own outbox and MQTT connection.
//
// A SimCar runs on its own strand of the fleet's thread pool; every method except the
// constructor must be called there. It records what it handed to the agent in a CarTally,
// which is what the cloud should hold for this car once the outbox has drained.
#pragma once

#include <utility>  // Boost 1.74's Asio needs this before it under C++20 on g++ 12.

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "agent/events/event_detector.h"
#include "agent/sampling/sampler.h"
#include "agent/signals/simulated_vehicle.h"
#include "sim/coverage_proxy.h"
#include "sim/plan.h"

namespace drivelink::sim {

// A RescueUpdate as the car received it.
struct ReceivedRescueUpdate {
    std::string command_id;
    std::string case_id;
    std::string status;                   // RescueStatus name, e.g. RESCUE_STATUS_OPENED
    std::vector<std::string> dealer_ids;  // ranked dealers, best first
    std::optional<int64_t> first_dealer_eta_time_ms;
};

// A MaintenanceRecommendation as the car received it.
struct ReceivedRecommendation {
    std::string command_id;
    std::string item;  // the title the cloud sent, e.g. "Tyre rotation (overdue)"
    std::string reason;
    std::vector<std::string> dtcs;
    std::optional<double> due_traveled_distance_km;
};

// Position and time of a crash event, as the event carries them to the cloud.
struct CrashPosition {
    double latitude_deg = 0.0;
    double longitude_deg = 0.0;
    int64_t time_ms = 0;
};

struct CarTally {
    uint64_t samples = 0;
    uint64_t invalid_samples = 0;  // rejected by validate_sample, never handed to the agent
    std::map<std::string, uint64_t> events;  // by type as the cloud stores it: crash, sos, ...
    double distance_km = 0.0;                // between consecutive samples handed to the agent
    uint64_t trips = 0;
    uint64_t coverage_losses = 0;
    double odometer_km = 0.0;       // highest traveled_distance_km of the samples handed over
    std::vector<std::string> dtcs;  // codes of the DTC_SET events raised, in order
    std::vector<CrashPosition> crashes;
    // Downlinks received, in order of arrival. A command delivered twice appears twice.
    std::vector<ReceivedRescueUpdate> rescue_updates;
    std::vector<ReceivedRecommendation> recommendations;
};

class SimCar {
  public:
    SimCar(boost::asio::any_io_executor strand,
           const std::vector<Route>& routes,
           CarPlan plan,
           TimePoint start,
           std::unique_ptr<agent::Agent> agent,
           std::unique_ptr<CoverageProxy> proxy);

    // Moves the car through simulated time up to `now`: drives, parks, samples, raises
    // events and injects the planned faults.
    void advance_to(TimePoint now);
    // Cuts or restores the coverage proxy for the planned coverage losses up to `now`.
    void update_coverage(TimePoint now);

    // Steady load in real time, in place of advance_to: sends one telemetry message with one
    // sample at the next fix of the car's route, stamped with the wall clock.
    void report_now();
    // Steady load: crashes the car where it is now. Returns the crash event's sequence number,
    // or nothing when the outbox could not store it.
    std::optional<uint64_t> crash_now();

    // Records a rescue update or maintenance recommendation from the cloud in the tally.
    void record_downlink(const v1::Downlink& downlink);

    const CarPlan& plan() const { return plan_; }
    const CarTally& tally() const { return tally_; }
    agent::Agent& agent() { return *agent_; }
    CoverageProxy* proxy() { return proxy_.get(); }

  private:
    void step_trip(TimePoint now);
    void begin_trip(const Trip& trip);
    void end_trip(TimePoint time);
    void park_until(TimePoint until);
    void drive_to(const agent::gnss::Fix& fix);
    void apply_fault(const TripFault& fault, const agent::gnss::Fix& fix);
    std::optional<uint64_t> crash(const agent::gnss::Fix& fix);
    void observe(const agent::gnss::Fix& fix);
    void record_sample(const agent::gnss::Fix& fix,
                       const agent::signals::VehicleSignals& signals,
                       const agent::sampling::SampleDecision& decision);
    std::optional<uint64_t> raise(v1::VehicleEvent event);
    agent::gnss::Fix parked_fix(TimePoint time) const;

    boost::asio::any_io_executor strand_;
    const Route& route_;
    CarPlan plan_;
    std::unique_ptr<agent::Agent> agent_;
    std::unique_ptr<CoverageProxy> proxy_;
    agent::signals::SimulatedVehicle vehicle_;
    agent::sampling::Sampler sampler_;
    agent::events::EventDetector detector_;
    TimePoint cursor_;                          // simulated time reached so far
    std::size_t steady_index_ = 0;              // route fix of the latest report_now
    std::size_t next_trip_ = 0;                 // index into plan_.trips
    std::optional<std::size_t> fix_;            // route index of the next fix while on a trip
    std::size_t trip_fixes_done_ = 0;           // fixes of the current trip driven so far
    TimePoint fix_time_;                        // when the car reaches fix_
    std::optional<agent::gnss::Fix> position_;  // latest fix, where the car is parked
    std::optional<v1::Location> last_sample_location_;
    std::size_t next_coverage_change_ = 0;  // even: next loss starts, odd: it ends
    bool crashed_ = false;
    CarTally tally_;
};

}  // namespace drivelink::sim
