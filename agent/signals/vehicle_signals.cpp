#include "agent/signals/vehicle_signals.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

namespace drivelink::agent::signals {
namespace {

constexpr std::array<std::pair<IgnitionState, std::string_view>, 6> kIgnitionNames{{
    {IgnitionState::Undefined, "UNDEFINED"},
    {IgnitionState::Lock, "LOCK"},
    {IgnitionState::Off, "OFF"},
    {IgnitionState::Acc, "ACC"},
    {IgnitionState::On, "ON"},
    {IgnitionState::Start, "START"},
}};

bool is_upper_hex_digit(char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

}  // namespace

std::string_view to_string(IgnitionState state) {
    for (const auto& [value, name] : kIgnitionNames) {
        if (value == state) {
            return name;
        }
    }
    return "UNDEFINED";
}

std::optional<IgnitionState> parse_ignition_state(std::string_view text) {
    for (const auto& [value, name] : kIgnitionNames) {
        if (name == text) {
            return value;
        }
    }
    return std::nullopt;
}

bool is_ignition_on(IgnitionState state) {
    return state == IgnitionState::On || state == IgnitionState::Start;
}

v1::LowVoltageSystemState to_proto(IgnitionState state) {
    switch (state) {
        case IgnitionState::Undefined:
            return v1::LOW_VOLTAGE_SYSTEM_STATE_UNDEFINED;
        case IgnitionState::Lock:
            return v1::LOW_VOLTAGE_SYSTEM_STATE_LOCK;
        case IgnitionState::Off:
            return v1::LOW_VOLTAGE_SYSTEM_STATE_OFF;
        case IgnitionState::Acc:
            return v1::LOW_VOLTAGE_SYSTEM_STATE_ACC;
        case IgnitionState::On:
            return v1::LOW_VOLTAGE_SYSTEM_STATE_ON;
        case IgnitionState::Start:
            return v1::LOW_VOLTAGE_SYSTEM_STATE_START;
    }
    return v1::LOW_VOLTAGE_SYSTEM_STATE_UNSPECIFIED;
}

Status validate_dtc(std::string_view code) {
    const auto invalid = [&code] {
        return Error{
            fmt::format("trouble code \"{}\" is invalid: expected P, C, B or U and four upper-case "
                        "hexadecimal digits, such as P0301",
                        code)};
    };
    if (code.size() != 5) {
        return invalid();
    }
    if (code[0] != 'P' && code[0] != 'C' && code[0] != 'B' && code[0] != 'U') {
        return invalid();
    }
    if (!std::all_of(code.begin() + 1, code.end(), is_upper_hex_digit)) {
        return invalid();
    }
    return ok_status();
}

void normalize_dtcs(std::vector<std::string>& codes) {
    std::sort(codes.begin(), codes.end());
    codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
}

void add_to_sample(const VehicleSignals& signals, v1::Sample& sample) {
    const auto copy = [](const std::optional<double>& value, auto setter) {
        if (value) {
            setter(*value);
        }
    };
    copy(signals.speed_kph, [&](double v) { sample.set_speed_kph(v); });
    copy(signals.traveled_distance_km, [&](double v) { sample.set_traveled_distance_km(v); });
    copy(signals.fuel_level_percent, [&](double v) { sample.set_fuel_level_percent(v); });
    copy(signals.fuel_range_km, [&](double v) { sample.set_fuel_range_km(v); });
    copy(signals.traction_battery_soc_percent,
         [&](double v) { sample.set_traction_battery_soc_percent(v); });
    copy(signals.low_voltage_battery_v, [&](double v) { sample.set_low_voltage_battery_v(v); });
    copy(signals.engine_oil_life_percent, [&](double v) { sample.set_engine_oil_life_percent(v); });
    copy(signals.engine_coolant_temperature_c,
         [&](double v) { sample.set_engine_coolant_temperature_c(v); });
    copy(signals.engine_hours, [&](double v) { sample.set_engine_hours(v); });
    copy(signals.longitudinal_acceleration_mps2,
         [&](double v) { sample.set_longitudinal_acceleration_mps2(v); });
    copy(signals.lateral_acceleration_mps2,
         [&](double v) { sample.set_lateral_acceleration_mps2(v); });
    if (signals.ignition) {
        sample.set_low_voltage_system_state(to_proto(*signals.ignition));
    }
    if (signals.dtcs) {
        for (const auto& code : *signals.dtcs) {
            sample.add_dtcs(code);
        }
    }
}

}  // namespace drivelink::agent::signals
