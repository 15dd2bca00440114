#include "agent/config/agent_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <sstream>
#include <utility>

#include "agent/config/toml_reader.h"
#include "agent/signals/logger.h"
#include "protocol/broker_uri.h"
#include "protocol/vin.h"

namespace drivelink::agent::config {
namespace {

constexpr std::array<std::pair<std::string_view, v1::PropulsionStorage>, 7> kPropulsionNames{{
    {"gasoline", v1::PROPULSION_STORAGE_GASOLINE},
    {"diesel", v1::PROPULSION_STORAGE_DIESEL},
    {"cng", v1::PROPULSION_STORAGE_COMPRESSED_NATURAL_GAS},
    {"lpg", v1::PROPULSION_STORAGE_LIQUEFIED_PETROLEUM_GAS},
    {"electric", v1::PROPULSION_STORAGE_ELECTRIC},
    {"hydrogen", v1::PROPULSION_STORAGE_HYDROGEN},
    {"other", v1::PROPULSION_STORAGE_OTHER},
}};

constexpr std::array<int, 11> kBaudRates{
    1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600};

void read_propulsion(TableReader& vehicle, VehicleConfig& config) {
    std::vector<std::string> names;
    vehicle.read("propulsion", names);
    for (const auto& name : names) {
        const auto* found = std::find_if(
            kPropulsionNames.begin(), kPropulsionNames.end(), [&name](const auto& entry) {
                return entry.first == name;
            });
        if (found == kPropulsionNames.end()) {
            vehicle.error("propulsion",
                          fmt::format("\"{}\" is invalid: expected gasoline, diesel, cng, lpg, "
                                      "electric, hydrogen or other",
                                      name));
            continue;
        }
        config.propulsion_storages.push_back(found->second);
    }
}

void read_vehicle(TableReader& root, VehicleConfig& config) {
    auto vehicle = root.table("vehicle");
    vehicle.read("vin", config.vin, Presence::Required);
    vehicle.read("verify_vin_check_digit", config.verify_vin_check_digit);
    read_propulsion(vehicle, config);
    if (!config.vin.empty()) {
        const protocol::VinOptions options{config.verify_vin_check_digit};
        if (auto valid = protocol::validate_vin(config.vin, options); !valid) {
            vehicle.error("vin", fmt::format("\"{}\" is invalid: {}", config.vin, valid.error()));
        }
    }
    vehicle.finish();
}

void read_tls(TableReader& mqtt, MqttConfig& config) {
    auto tls_table = mqtt.table("tls");
    if (!tls_table.present()) {
        return;
    }
    TlsConfig tls;
    tls_table.read("ca_file", tls.ca_file, Presence::Required);
    tls_table.read("certificate_file", tls.certificate_file);
    tls_table.read("private_key_file", tls.private_key_file);
    if (tls.certificate_file.empty() != tls.private_key_file.empty()) {
        tls_table.note("private_key_file",
                       "mqtt.tls.certificate_file and mqtt.tls.private_key_file go together: "
                       "give both or neither");
    }
    tls_table.finish();
    config.tls = std::move(tls);
}

void check_broker(TableReader& mqtt, const MqttConfig& config) {
    const auto& uri = config.broker_uri;
    if (uri.empty()) {
        return;
    }
    const auto address = protocol::parse_broker_uri(uri);
    if (!address) {
        mqtt.error("broker", fmt::format("\"{}\" is invalid: {}", uri, address.error()));
        return;
    }
    if (config.tls && !address->tls) {
        mqtt.error("broker",
                   fmt::format("\"{}\" is invalid: mqtt.tls is set, so the broker URI must "
                               "start with ssl://",
                               uri));
    }
}

void read_mqtt(TableReader& root, MqttConfig& config) {
    auto mqtt = root.table("mqtt");
    mqtt.read("broker", config.broker_uri, Presence::Required);
    mqtt.read("client_id", config.client_id);
    mqtt.read("ack_timeout_ms", config.ack_timeout);
    read_tls(mqtt, config);
    check_broker(mqtt, config);
    const auto ack_timeout_ms = config.ack_timeout.count();
    if (ack_timeout_ms < 100 || ack_timeout_ms > 3'600'000) {
        mqtt.error("ack_timeout_ms",
                   fmt::format("{} is out of range: must be 100 to 3600000", ack_timeout_ms));
    }
    mqtt.finish();
}

void read_outbox(TableReader& root, OutboxConfig& config) {
    auto outbox = root.table("outbox");
    outbox.read("path", config.path, Presence::Required);
    outbox.read_integer("max_entries", config.max_entries);
    outbox.read_integer("max_bytes", config.max_bytes);
    if (config.max_entries < 1) {
        outbox.error("max_entries", "0 is out of range: must be at least 1");
    }
    if (config.max_bytes < 1024) {
        outbox.error("max_bytes",
                     fmt::format("{} is out of range: must be at least 1024", config.max_bytes));
    }
    outbox.finish();
}

void check_gnss(TableReader& gnss, const GnssConfig& config) {
    if (config.nmea_file.empty() == config.serial_device.empty()) {
        gnss.note("nmea_file",
                  "give exactly one of gnss.nmea_file (an NMEA log to replay) and "
                  "gnss.serial_device (the receiver)");
    }
    if (std::find(kBaudRates.begin(), kBaudRates.end(), config.baud_rate) == kBaudRates.end()) {
        gnss.error("baud_rate",
                   fmt::format("{} is invalid: expected a standard rate from 1200 to 921600, "
                               "such as 4800, 9600 or 115200",
                               config.baud_rate));
    }
    if (!(config.replay_speed >= 0.0 && std::isfinite(config.replay_speed))) {
        gnss.error("replay_speed",
                   fmt::format("{} is out of range: must be 0 or more", config.replay_speed));
    }
}

void read_gnss(TableReader& root, GnssConfig& config) {
    auto gnss = root.table("gnss");
    gnss.read("nmea_file", config.nmea_file);
    gnss.read("serial_device", config.serial_device);
    gnss.read_integer("baud_rate", config.baud_rate);
    gnss.read("replay_speed", config.replay_speed);
    std::chrono::seconds max_gap{0};
    gnss.read("replay_max_gap_s", max_gap);
    if (max_gap.count() < 0) {
        gnss.error("replay_max_gap_s",
                   fmt::format("{} is out of range: must be 0 or more", max_gap.count()));
    } else if (max_gap.count() > 0) {
        config.replay_max_gap = max_gap;
    }
    check_gnss(gnss, config);
    gnss.finish();
}

void read_signals(TableReader& root, SignalsConfig& config) {
    auto signals = root.table("signals");
    signals.read("replay_file", config.replay_file);
    signals.finish();
}

void read_commands(TableReader& root, CommandsConfig& config) {
    auto commands = root.table("commands");
    commands.read("id_store_file", config.id_store_file);
    commands.read_integer("remembered_ids", config.remembered_ids);
    if (config.remembered_ids < 1 || config.remembered_ids > 1'000'000) {
        commands.error(
            "remembered_ids",
            fmt::format("{} is out of range: must be 1 to 1000000", config.remembered_ids));
    }
    commands.finish();
}

void read_sampling(TableReader& root, sampling::SamplerSettings& settings) {
    auto sampling = root.table("sampling");
    sampling.read("driving_interval_s", settings.driving_interval);
    sampling.read("distance_m", settings.distance_m);
    sampling.read("heading_change_deg", settings.heading_change_deg);
    sampling.read("heading_min_speed_kph", settings.heading_min_speed_kph);
    sampling.read("parked_interval_s", settings.parked_interval);
    sampling.finish();
}

void read_batch_and_crash(TableReader& root, RuntimeSettings& settings) {
    auto batch = root.table("batch");
    batch.read_integer("max_samples", settings.batch.max_samples);
    batch.read("max_age_s", settings.batch.max_age);
    batch.finish();

    auto crash = root.table("crash");
    crash.read("threshold_mps2", settings.crash.threshold_mps2);
    crash.read("min_duration_ms", settings.crash.min_duration);
    crash.read("rearm_s", settings.crash.rearm);
    crash.finish();
}

void read_events(TableReader& root, events::EventSettings& settings) {
    auto events = root.table("events");
    events.read("low_fuel_percent", settings.low_fuel_percent);
    events.read("low_charge_percent", settings.low_charge_percent);
    events.read("level_hysteresis_percent", settings.level_hysteresis_percent);
    events.read("low_battery_v", settings.low_battery_v);
    events.read("low_battery_duration_s", settings.low_battery_duration);
    events.read("battery_hysteresis_v", settings.battery_hysteresis_v);
    events.read("sos_rearm_s", settings.sos_rearm);
    events.finish();
}

void read_runtime_settings(TableReader& root, TomlErrors& errors, RuntimeSettings& settings) {
    read_sampling(root, settings.sampler);
    read_batch_and_crash(root, settings);
    read_events(root, settings.events);
    if (auto valid = validate(settings); !valid) {
        errors.add(nullptr, valid.error());
    }
}

Result<toml::table> parse_toml(std::string_view text, const std::string& source) {
    try {
        return toml::parse(text, source);
    } catch (const toml::parse_error& e) {
        const auto& begin = e.source().begin;
        return Error{fmt::format(
            "{}:{}:{}: invalid TOML: {}", source, begin.line, begin.column, e.description())};
    }
}

}  // namespace

Result<AgentConfig> parse_config(std::string_view text, const std::filesystem::path& source) {
    const auto source_name = source.string();
    auto document = parse_toml(text, source_name);
    if (!document) {
        return Error{document.error()};
    }
    TomlErrors errors(source_name);
    TableReader root(errors, &document.value(), "", source.parent_path());
    AgentConfig config;
    read_vehicle(root, config.vehicle);
    read_mqtt(root, config.mqtt);
    read_outbox(root, config.outbox);
    read_gnss(root, config.gnss);
    read_signals(root, config.signals);
    read_runtime_settings(root, errors, config.settings);
    read_commands(root, config.commands);
    root.finish();
    if (!errors.empty()) {
        return Error{errors.joined()};
    }
    return config;
}

Result<AgentConfig> load_config(const std::filesystem::path& path) {
    std::ifstream input(path, std::ios::binary);
    if (!input) {
        return Error{fmt::format("cannot open configuration file {}", path.string())};
    }
    std::ostringstream text;
    text << input.rdbuf();
    auto config = parse_config(text.str(), path);
    if (config) {
        signals::component_logger("config")->info(
            "loaded configuration file={} vin={}", path.string(), config->vehicle.vin);
    }
    return config;
}

}  // namespace drivelink::agent::config
