// A vehicle model for the fleet simulator and tests. Its odometer, fuel or charge, oil life,
// engine hours, coolant temperature and 12 V voltage follow the distance driven and the time
// passed. Faults can be injected: trouble codes, crash pulses, airbag deployment and the SOS
// button.
//
// The model is deterministic: the same profile, seed and sequence of calls give the same
// signals on any platform. The noise comes straight from std::mt19937_64, whose output the C++
// standard fixes, and not from the standard library's distributions, whose output it leaves
// to each implementation.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "agent/signals/signal_source.h"
#include "drivelink/v1/drivelink.pb.h"
#include "protocol/result.h"

namespace drivelink::agent::signals {

enum class Powertrain {
    Combustion,
    Electric,
};

enum class Fuel {
    Gasoline,
    Diesel,
};

// The kind of car to simulate. Fields marked combustion or electric apply to that powertrain
// only. Hybrids are not modelled.
struct VehicleProfile {
    std::string model = "compact gasoline";
    Powertrain powertrain = Powertrain::Combustion;
    Fuel fuel = Fuel::Gasoline;                      // combustion
    double tank_capacity_l = 50.0;                   // combustion
    double fuel_consumption_l_per_100km = 6.5;       // combustion
    double oil_change_interval_km = 15'000.0;        // combustion: oil life 100 % to 0 %
    double battery_capacity_kwh = 60.0;              // electric
    double energy_consumption_kwh_per_100km = 17.0;  // electric
    uint32_t occupants = 1;
    // How fast the 12 V battery's rest voltage falls while the ignition is off.
    double parked_drain_v_per_h = 0.002;
};

// A half-sine acceleration pulse along the longitudinal axis. Negative peaks decelerate.
struct AccelerationPulse {
    TimePoint start;
    double peak_mps2 = 0.0;
    std::chrono::milliseconds duration{0};
};

class SimulatedVehicle final : public SignalSource {
  public:
    // Starts parked (ignition OFF) at `start`. The seed also draws the starting odometer
    // (0 to 150,000 km), fuel or charge (30 % to 100 %) and oil life (20 % to 100 %).
    SimulatedVehicle(VehicleProfile profile, uint64_t seed, TimePoint start);

    // Moves the model to `now`, having driven `distance_km` since the previous call. Fails,
    // changing nothing, when `now` is earlier than the previous call, the distance is negative,
    // or the car moved with the ignition off.
    Status advance(TimePoint now, double distance_km);

    void set_ignition(IgnitionState state);
    void set_traveled_distance_km(double odometer_km) { odometer_km_ = odometer_km; }
    // Sets the fuel level (combustion) or state of charge (electric), as after refuelling.
    void set_energy_level_percent(double percent);
    void reset_oil_life() { oil_life_percent_ = 100.0; }

    // Sets an SAE J2012 trouble code, or fails on an invalid code.
    Status inject_dtc(const std::string& code);
    // Returns whether the code was set.
    bool clear_dtc(std::string_view code);
    void clear_all_dtcs() { dtcs_.clear(); }

    // Adds a crash pulse: from `start` for `duration` the longitudinal acceleration follows
    // a half sine to `-peak_deceleration_mps2`.
    void trigger_crash_pulse(TimePoint start,
                             double peak_deceleration_mps2,
                             std::chrono::milliseconds duration);
    void deploy_airbag() { airbag_deployed_ = true; }
    void press_sos() { sos_pressed_ = true; }
    void release_sos() { sos_pressed_ = false; }

    // Returns the current state. Only the acceleration depends on `time`, through the pulses.
    VehicleSignals signals_at(TimePoint time) override;

    const VehicleProfile& profile() const { return profile_; }
    // The energy stores on board, for the crash data sent to emergency services.
    std::vector<v1::PropulsionStorage> propulsion_storages() const;

  private:
    double uniform(double low, double high);
    void update_energy(double distance_km);
    void update_engine(std::chrono::duration<double> elapsed);
    void update_battery(std::chrono::duration<double> elapsed);
    std::optional<double> pulse_acceleration_mps2(TimePoint time) const;
    void add_powertrain_signals(VehicleSignals& signals) const;

    VehicleProfile profile_;
    std::mt19937_64 random_;
    TimePoint time_;
    IgnitionState ignition_ = IgnitionState::Off;
    double odometer_km_ = 0.0;
    double energy_level_percent_ = 100.0;  // fuel or state of charge
    double oil_life_percent_ = 100.0;
    double engine_hours_ = 0.0;
    double coolant_temperature_c_ = 20.0;
    double battery_rest_v_ = 12.6;
    double battery_v_ = 12.6;
    double speed_kph_ = 0.0;
    std::set<std::string> dtcs_;
    std::vector<AccelerationPulse> pulses_;
    bool airbag_deployed_ = false;
    bool sos_pressed_ = false;
};

}  // namespace drivelink::agent::signals
