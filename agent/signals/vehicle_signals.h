// A snapshot of the vehicle's own signals, as opposed to the GNSS position.
//
// Names follow the COVESA Vehicle Signal Specification (VSS 4.x) and carry their unit. Every
// signal is optional because cars differ: an electric car has no fuel level, an older car no
// acceleration sensor on the bus.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "drivelink/v1/drivelink.pb.h"
#include "protocol/result.h"

namespace drivelink::agent::signals {

// UTC, milliseconds since the Unix epoch, the same type as gnss::FixTime.
using TimePoint = std::chrono::sys_time<std::chrono::milliseconds>;

inline constexpr double kStandardGravityMps2 = 9.80665;

// VSS Vehicle.LowVoltageSystemState. VSS has no ignition signal of its own: On and Start mean
// the ignition is on.
enum class IgnitionState {
    Undefined,
    Lock,
    Off,
    Acc,
    On,
    Start,
};

// Returns the VSS spelling: "UNDEFINED", "LOCK", "OFF", "ACC", "ON" or "START".
std::string_view to_string(IgnitionState state);
// Parses the VSS spelling, returning empty for anything else.
std::optional<IgnitionState> parse_ignition_state(std::string_view text);
bool is_ignition_on(IgnitionState state);
v1::LowVoltageSystemState to_proto(IgnitionState state);

struct VehicleSignals {
    std::optional<double> speed_kph;             // Vehicle.Speed
    std::optional<double> traveled_distance_km;  // Vehicle.TraveledDistance, the odometer
    // Vehicle.Powertrain.FuelSystem.RelativeLevel (Vehicle.OBD.FuelLevel on older cars).
    std::optional<double> fuel_level_percent;
    // Vehicle.Powertrain.FuelSystem.Range, which VSS gives in m.
    std::optional<double> fuel_range_km;
    // Vehicle.Powertrain.TractionBattery.StateOfCharge.Current
    std::optional<double> traction_battery_soc_percent;
    std::optional<double> low_voltage_battery_v;  // Vehicle.LowVoltageBattery.CurrentVoltage
    // Percent of the oil change interval left, 100 just after a change. VSS 4.x has only
    // Vehicle.Powertrain.CombustionEngine.OilLifeRemaining, in seconds.
    std::optional<double> engine_oil_life_percent;
    std::optional<double> engine_coolant_temperature_c;  // ...CombustionEngine.ECT
    std::optional<double> engine_hours;                  // ...CombustionEngine.EngineHours, h
    std::optional<IgnitionState> ignition;               // Vehicle.LowVoltageSystemState
    // Vehicle.Diagnostics.DTCList: active SAE J2012 codes, sorted, without duplicates.
    std::optional<std::vector<std::string>> dtcs;
    // True when any Vehicle.Cabin.Seat.*.*.Airbag.IsDeployed is true.
    std::optional<bool> airbag_deployed;
    std::optional<uint32_t> occupants;  // count of Vehicle.Cabin.Seat.*.*.IsOccupied
    // Vehicle.Acceleration.Longitudinal and .Lateral, ISO 8855 axes: forward and left
    // positive, so braking is negative.
    std::optional<double> longitudinal_acceleration_mps2;
    std::optional<double> lateral_acceleration_mps2;
    // The SOS button of the head unit or overhead console. VSS has no signal for it.
    std::optional<bool> sos_button_pressed;
};

// Checks an SAE J2012 diagnostic trouble code: one of P, C, B, U then four upper-case
// hexadecimal digits, such as "P0301" or "U0A1F". The error names the code.
Status validate_dtc(std::string_view code);

// Sorts the codes and removes duplicates, as VehicleSignals::dtcs expects.
void normalize_dtcs(std::vector<std::string>& codes);

// Copies the signals that are present into `sample`. Absent ones stay unset.
void add_to_sample(const VehicleSignals& signals, v1::Sample& sample);

}  // namespace drivelink::agent::signals
