#include "agent/signals/replay_signal_source.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "agent/signals/logger.h"

namespace drivelink::agent::signals {
namespace {

using nlohmann::json;

// A numeric signal: its key in the file, where it goes, and the factor from the file's unit
// (the VSS unit) to ours. The range is in the file's unit.
struct NumberSignal {
    std::string_view key;
    std::optional<double> VehicleSignals::*field;
    double scale;
    double min;
    double max;
};

constexpr NumberSignal kNumberSignals[] = {
    {"Vehicle.Speed", &VehicleSignals::speed_kph, 1.0, 0.0, 500.0},
    {"Vehicle.TraveledDistance", &VehicleSignals::traveled_distance_km, 1.0, 0.0, 1e7},
    {"Vehicle.Powertrain.FuelSystem.RelativeLevel",
     &VehicleSignals::fuel_level_percent,
     1.0,
     0.0,
     100.0},
    {"Vehicle.Powertrain.FuelSystem.Level", &VehicleSignals::fuel_level_percent, 1.0, 0.0, 100.0},
    {"Vehicle.OBD.FuelLevel", &VehicleSignals::fuel_level_percent, 1.0, 0.0, 100.0},
    {"Vehicle.Powertrain.FuelSystem.Range", &VehicleSignals::fuel_range_km, 0.001, 0.0, 1e7},
    {"Vehicle.Powertrain.TractionBattery.StateOfCharge.Current",
     &VehicleSignals::traction_battery_soc_percent,
     1.0,
     0.0,
     100.0},
    {"Vehicle.LowVoltageBattery.CurrentVoltage",
     &VehicleSignals::low_voltage_battery_v,
     1.0,
     0.0,
     60.0},
    {"engine_oil_life_percent", &VehicleSignals::engine_oil_life_percent, 1.0, 0.0, 100.0},
    {"Vehicle.Powertrain.CombustionEngine.ECT",
     &VehicleSignals::engine_coolant_temperature_c,
     1.0,
     -60.0,
     200.0},
    {"Vehicle.Powertrain.CombustionEngine.EngineHours",
     &VehicleSignals::engine_hours,
     1.0,
     0.0,
     1e6},
    {"Vehicle.Acceleration.Longitudinal",
     &VehicleSignals::longitudinal_acceleration_mps2,
     1.0,
     -1000.0,
     1000.0},
    {"Vehicle.Acceleration.Lateral",
     &VehicleSignals::lateral_acceleration_mps2,
     1.0,
     -1000.0,
     1000.0},
};

constexpr std::string_view kSeatPrefix = "Vehicle.Cabin.Seat.";
constexpr std::string_view kAirbagSuffix = ".Airbag.IsDeployed";
constexpr std::string_view kOccupiedSuffix = ".IsOccupied";

// Everything parsed so far. Seats are kept one by one because a line may report one seat.
struct ParseState {
    VehicleSignals current;
    std::map<std::string, bool> airbags;
    std::map<std::string, bool> occupied_seats;
    std::optional<TimePoint> last_time;
};

// The position of a line in the file, for error messages ("file:line").
struct LineContext {
    const std::string& source;
    std::size_t number;

    Error error(std::string_view message) const {
        return Error{fmt::format("{}:{}: {}", source, number, message)};
    }
};

std::string quoted(const json& value) {
    return value.dump();
}

// "Row1.DriverSide" out of "Vehicle.Cabin.Seat.Row1.DriverSide.IsOccupied", or empty when the
// key does not name one seat with the given suffix.
std::optional<std::string> seat_of(std::string_view key, std::string_view suffix) {
    if (!key.starts_with(kSeatPrefix) || !key.ends_with(suffix)) {
        return std::nullopt;
    }
    const auto seat =
        key.substr(kSeatPrefix.size(), key.size() - kSeatPrefix.size() - suffix.size());
    const auto dot = seat.find('.');
    if (seat.empty() || dot == std::string_view::npos || dot == 0 || dot + 1 == seat.size() ||
        seat.find('.', dot + 1) != std::string_view::npos) {
        return std::nullopt;
    }
    return std::string(seat);
}

const NumberSignal* find_number_signal(std::string_view key) {
    for (const auto& signal : kNumberSignals) {
        if (signal.key == key) {
            return &signal;
        }
    }
    return nullptr;
}

Status set_number(const NumberSignal& signal,
                  const json& value,
                  ParseState& state,
                  const LineContext& line) {
    if (value.is_null()) {
        state.current.*signal.field = std::nullopt;
        return ok_status();
    }
    if (!value.is_number()) {
        return line.error(
            fmt::format("{} = {} is invalid: expected a number", signal.key, quoted(value)));
    }
    const double number = value.get<double>();
    if (number < signal.min || number > signal.max) {
        return line.error(fmt::format("{} = {} is out of range: must be {} to {}",
                                      signal.key,
                                      quoted(value),
                                      signal.min,
                                      signal.max));
    }
    state.current.*signal.field = number * signal.scale;
    return ok_status();
}

Status set_ignition(const json& value, ParseState& state, const LineContext& line) {
    if (value.is_null()) {
        state.current.ignition = std::nullopt;
        return ok_status();
    }
    std::optional<IgnitionState> ignition;
    if (value.is_string()) {
        ignition = parse_ignition_state(value.get<std::string>());
    }
    if (!ignition) {
        return line.error(fmt::format(
            "Vehicle.LowVoltageSystemState = {} is invalid: expected one of UNDEFINED, LOCK, "
            "OFF, ACC, ON, START",
            quoted(value)));
    }
    state.current.ignition = ignition;
    return ok_status();
}

Status set_dtcs(const json& value, ParseState& state, const LineContext& line) {
    if (value.is_null()) {
        state.current.dtcs = std::nullopt;
        return ok_status();
    }
    if (!value.is_array()) {
        return line.error(fmt::format(
            "Vehicle.Diagnostics.DTCList = {} is invalid: expected an array of trouble codes",
            quoted(value)));
    }
    std::vector<std::string> codes;
    for (const auto& element : value) {
        const std::string code = element.is_string() ? element.get<std::string>() : element.dump();
        if (auto valid = validate_dtc(code); !valid) {
            return line.error(fmt::format("Vehicle.Diagnostics.DTCList: {}", valid.error()));
        }
        codes.push_back(code);
    }
    normalize_dtcs(codes);
    state.current.dtcs = std::move(codes);
    return ok_status();
}

// Stores one seat's flag in `seats`. A null removes the seat.
Status set_seat_flag(std::string_view key,
                     const std::string& seat,
                     const json& value,
                     std::map<std::string, bool>& seats,
                     const LineContext& line) {
    if (value.is_null()) {
        seats.erase(seat);
        return ok_status();
    }
    if (!value.is_boolean()) {
        return line.error(
            fmt::format("{} = {} is invalid: expected true or false", key, quoted(value)));
    }
    seats[seat] = value.get<bool>();
    return ok_status();
}

Status set_sos(const json& value, ParseState& state, const LineContext& line) {
    if (value.is_null()) {
        state.current.sos_button_pressed = std::nullopt;
        return ok_status();
    }
    if (!value.is_boolean()) {
        return line.error(fmt::format("sos_button_pressed = {} is invalid: expected true or false",
                                      quoted(value)));
    }
    state.current.sos_button_pressed = value.get<bool>();
    return ok_status();
}

Status apply_signal(std::string_view key,
                    const json& value,
                    ParseState& state,
                    const LineContext& line) {
    if (const auto* number = find_number_signal(key)) {
        return set_number(*number, value, state, line);
    }
    if (key == "Vehicle.LowVoltageSystemState") {
        return set_ignition(value, state, line);
    }
    if (key == "Vehicle.Diagnostics.DTCList") {
        return set_dtcs(value, state, line);
    }
    if (key == "sos_button_pressed") {
        return set_sos(value, state, line);
    }
    if (auto seat = seat_of(key, kAirbagSuffix)) {
        return set_seat_flag(key, *seat, value, state.airbags, line);
    }
    if (auto seat = seat_of(key, kOccupiedSuffix)) {
        return set_seat_flag(key, *seat, value, state.occupied_seats, line);
    }
    return line.error(
        fmt::format("unknown signal \"{}\": use a VSS path listed in docs/agent.md, for example "
                    "\"Vehicle.Speed\"",
                    key));
}

// Derives the per-car values from the per-seat ones.
void summarize_seats(ParseState& state) {
    if (state.airbags.empty()) {
        state.current.airbag_deployed = std::nullopt;
    } else {
        state.current.airbag_deployed = std::any_of(state.airbags.begin(),
                                                    state.airbags.end(),
                                                    [](const auto& seat) { return seat.second; });
    }
    if (state.occupied_seats.empty()) {
        state.current.occupants = std::nullopt;
    } else {
        state.current.occupants = static_cast<uint32_t>(std::count_if(
            state.occupied_seats.begin(), state.occupied_seats.end(), [](const auto& seat) {
                return seat.second;
            }));
    }
}

Result<TimePoint> read_time(const json& object, const ParseState& state, const LineContext& line) {
    const auto it = object.find("time_ms");
    if (it == object.end()) {
        return line.error("missing time_ms");
    }
    if (!it->is_number_integer()) {
        return line.error(fmt::format(
            "time_ms = {} is invalid: expected milliseconds since the Unix epoch as an integer",
            quoted(*it)));
    }
    const TimePoint time{std::chrono::milliseconds(it->get<int64_t>())};
    if (state.last_time && time < *state.last_time) {
        return line.error(fmt::format("time_ms = {} is earlier than the previous line's {}",
                                      time.time_since_epoch().count(),
                                      state.last_time->time_since_epoch().count()));
    }
    return time;
}

Result<json> parse_object(const std::string& text, const LineContext& line) {
    json object;
    try {
        object = json::parse(text);
    } catch (const json::parse_error& e) {
        return line.error(fmt::format("invalid JSON ({}): {}", e.what(), text.substr(0, 80)));
    }
    if (!object.is_object()) {
        return line.error(fmt::format("expected a JSON object with time_ms and signals, got {}",
                                      text.substr(0, 80)));
    }
    return object;
}

Result<TimePoint> parse_line(const std::string& text, ParseState& state, const LineContext& line) {
    auto object = parse_object(text, line);
    if (!object) {
        return Error{object.error()};
    }
    auto time = read_time(*object, state, line);
    if (!time) {
        return time;
    }
    for (const auto& [key, value] : object->items()) {
        if (key == "time_ms") {
            continue;
        }
        if (auto applied = apply_signal(key, value, state, line); !applied) {
            return Error{applied.error()};
        }
    }
    summarize_seats(state);
    state.last_time = *time;
    return time;
}

bool is_skipped(const std::string& text) {
    const auto first = text.find_first_not_of(" \t\r");
    return first == std::string::npos || text[first] == '#';
}

}  // namespace

Result<ReplaySignalSource> ReplaySignalSource::load(const std::filesystem::path& path) {
    std::ifstream input(path);
    if (!input) {
        return Error{fmt::format("cannot open signal replay file {}", path.string())};
    }
    auto source = parse(input, path.string());
    if (source) {
        component_logger("signals")->info(
            "loaded signal replay file={} lines={}", path.string(), source->size());
    }
    return source;
}

Result<ReplaySignalSource> ReplaySignalSource::parse(std::istream& input,
                                                     const std::string& source_name) {
    ReplaySignalSource source;
    ParseState state;
    std::string text;
    for (std::size_t number = 1; std::getline(input, text); ++number) {
        if (is_skipped(text)) {
            continue;
        }
        const LineContext line{source_name, number};
        auto time = parse_line(text, state, line);
        if (!time) {
            return Error{time.error()};
        }
        source.snapshots_.emplace_back(*time, state.current);
    }
    return source;
}

VehicleSignals ReplaySignalSource::signals_at(TimePoint time) {
    const auto after = std::upper_bound(
        snapshots_.begin(), snapshots_.end(), time, [](TimePoint t, const auto& snapshot) {
            return t < snapshot.first;
        });
    if (after == snapshots_.begin()) {
        return {};
    }
    return std::prev(after)->second;
}

TimePoint ReplaySignalSource::first_time() const {
    return snapshots_.empty() ? TimePoint{} : snapshots_.front().first;
}

TimePoint ReplaySignalSource::last_time() const {
    return snapshots_.empty() ? TimePoint{} : snapshots_.back().first;
}

}  // namespace drivelink::agent::signals
