#include "agent/signals/simulated_vehicle.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace drivelink::agent::signals {
namespace {

using Hours = std::chrono::duration<double, std::ratio<3600>>;

constexpr double kAmbientTemperatureC = 20.0;
constexpr double kOperatingTemperatureC = 90.0;
constexpr std::chrono::seconds kWarmUpTimeConstant{300};
constexpr std::chrono::seconds kCoolDownTimeConstant{1800};
constexpr double kChargingVoltageV = 14.2;  // alternator or DC-DC converter running
constexpr double kFullRestVoltageV = 12.6;  // charged lead-acid battery at rest
constexpr double kFlatRestVoltageV = 10.5;
constexpr double kRoadNoiseMps2 = 0.2;

// Moves `value` toward `target` as a first-order system with time constant `tau`.
double approach(double value,
                double target,
                std::chrono::duration<double> elapsed,
                std::chrono::duration<double> tau) {
    return target + (value - target) * std::exp(-elapsed / tau);
}

}  // namespace

SimulatedVehicle::SimulatedVehicle(VehicleProfile profile, uint64_t seed, TimePoint start)
    : profile_(std::move(profile)), random_(seed), time_(start) {
    odometer_km_ = std::round(uniform(0.0, 150'000.0));
    energy_level_percent_ = uniform(30.0, 100.0);
    oil_life_percent_ = uniform(20.0, 100.0);
    engine_hours_ = odometer_km_ / 45.0;  // an average of 45 km/h over the car's life
}

double SimulatedVehicle::uniform(double low, double high) {
    // The top 53 bits of one draw give a double in [0, 1).
    const double unit = static_cast<double>(random_() >> 11) * 0x1.0p-53;
    return low + (high - low) * unit;
}

Status SimulatedVehicle::advance(TimePoint now, double distance_km) {
    if (now < time_) {
        return Error{fmt::format("simulated time went back by {} ms", (time_ - now).count())};
    }
    if (distance_km < 0.0) {
        return Error{fmt::format("distance_km = {} is negative", distance_km)};
    }
    if (distance_km > 0.0 && !is_ignition_on(ignition_)) {
        return Error{fmt::format(
            "cannot drive {} km with the ignition {}", distance_km, to_string(ignition_))};
    }
    const std::chrono::duration<double> elapsed = now - time_;
    const double hours = Hours(elapsed).count();
    speed_kph_ = hours > 0.0 ? distance_km / hours : 0.0;
    odometer_km_ += distance_km;
    update_energy(distance_km);
    update_engine(elapsed);
    update_battery(elapsed);
    time_ = now;
    return ok_status();
}

void SimulatedVehicle::update_energy(double distance_km) {
    if (profile_.powertrain == Powertrain::Combustion) {
        const double used_l = distance_km * profile_.fuel_consumption_l_per_100km / 100.0;
        energy_level_percent_ -= used_l / profile_.tank_capacity_l * 100.0;
        oil_life_percent_ -= distance_km / profile_.oil_change_interval_km * 100.0;
        oil_life_percent_ = std::max(oil_life_percent_, 0.0);
    } else {
        const double used_kwh = distance_km * profile_.energy_consumption_kwh_per_100km / 100.0;
        energy_level_percent_ -= used_kwh / profile_.battery_capacity_kwh * 100.0;
    }
    energy_level_percent_ = std::max(energy_level_percent_, 0.0);
}

void SimulatedVehicle::update_engine(std::chrono::duration<double> elapsed) {
    if (profile_.powertrain != Powertrain::Combustion) {
        return;
    }
    const bool running = is_ignition_on(ignition_) && energy_level_percent_ > 0.0;
    if (running) {
        engine_hours_ += Hours(elapsed).count();
        coolant_temperature_c_ =
            approach(coolant_temperature_c_, kOperatingTemperatureC, elapsed, kWarmUpTimeConstant);
    } else {
        coolant_temperature_c_ =
            approach(coolant_temperature_c_, kAmbientTemperatureC, elapsed, kCoolDownTimeConstant);
    }
}

void SimulatedVehicle::update_battery(std::chrono::duration<double> elapsed) {
    if (is_ignition_on(ignition_)) {
        battery_rest_v_ = kFullRestVoltageV;
        battery_v_ = kChargingVoltageV + uniform(-0.1, 0.1);
        return;
    }
    battery_rest_v_ -= profile_.parked_drain_v_per_h * Hours(elapsed).count();
    battery_rest_v_ = std::max(battery_rest_v_, kFlatRestVoltageV);
    battery_v_ = battery_rest_v_ + uniform(-0.02, 0.02);
}

void SimulatedVehicle::set_ignition(IgnitionState state) {
    ignition_ = state;
    if (!is_ignition_on(state)) {
        speed_kph_ = 0.0;
    }
}

void SimulatedVehicle::set_energy_level_percent(double percent) {
    energy_level_percent_ = std::clamp(percent, 0.0, 100.0);
}

Status SimulatedVehicle::inject_dtc(const std::string& code) {
    if (auto valid = validate_dtc(code); !valid) {
        return valid;
    }
    dtcs_.insert(code);
    return ok_status();
}

bool SimulatedVehicle::clear_dtc(std::string_view code) {
    const auto it = dtcs_.find(std::string(code));
    if (it == dtcs_.end()) {
        return false;
    }
    dtcs_.erase(it);
    return true;
}

void SimulatedVehicle::trigger_crash_pulse(TimePoint start,
                                           double peak_deceleration_mps2,
                                           std::chrono::milliseconds duration) {
    pulses_.push_back({start, -std::abs(peak_deceleration_mps2), duration});
}

std::optional<double> SimulatedVehicle::pulse_acceleration_mps2(TimePoint time) const {
    for (const auto& pulse : pulses_) {
        if (time < pulse.start || time > pulse.start + pulse.duration ||
            pulse.duration.count() <= 0) {
            continue;
        }
        const double phase = std::chrono::duration<double>(time - pulse.start) / pulse.duration;
        return pulse.peak_mps2 * std::sin(std::numbers::pi * phase);
    }
    return std::nullopt;
}

void SimulatedVehicle::add_powertrain_signals(VehicleSignals& signals) const {
    if (profile_.powertrain == Powertrain::Combustion) {
        const double fuel_l = energy_level_percent_ / 100.0 * profile_.tank_capacity_l;
        signals.fuel_level_percent = energy_level_percent_;
        signals.fuel_range_km = fuel_l / profile_.fuel_consumption_l_per_100km * 100.0;
        signals.engine_oil_life_percent = oil_life_percent_;
        signals.engine_coolant_temperature_c = coolant_temperature_c_;
        signals.engine_hours = engine_hours_;
        return;
    }
    signals.traction_battery_soc_percent = energy_level_percent_;
}

VehicleSignals SimulatedVehicle::signals_at(TimePoint time) {
    VehicleSignals signals;
    signals.speed_kph = speed_kph_;
    signals.traveled_distance_km = odometer_km_;
    signals.low_voltage_battery_v = battery_v_;
    signals.ignition = ignition_;
    signals.dtcs = std::vector<std::string>(dtcs_.begin(), dtcs_.end());
    signals.airbag_deployed = airbag_deployed_;
    signals.occupants = profile_.occupants;
    signals.sos_button_pressed = sos_pressed_;
    add_powertrain_signals(signals);

    const double noise_mps2 = speed_kph_ > 0.0 ? kRoadNoiseMps2 : 0.0;
    signals.longitudinal_acceleration_mps2 = uniform(-noise_mps2, noise_mps2);
    signals.lateral_acceleration_mps2 = uniform(-noise_mps2, noise_mps2);
    if (auto pulse = pulse_acceleration_mps2(time)) {
        signals.longitudinal_acceleration_mps2 = *pulse;
    }
    return signals;
}

std::vector<v1::PropulsionStorage> SimulatedVehicle::propulsion_storages() const {
    if (profile_.powertrain == Powertrain::Electric) {
        return {v1::PROPULSION_STORAGE_ELECTRIC};
    }
    if (profile_.fuel == Fuel::Diesel) {
        return {v1::PROPULSION_STORAGE_DIESEL};
    }
    return {v1::PROPULSION_STORAGE_GASOLINE};
}

}  // namespace drivelink::agent::signals
