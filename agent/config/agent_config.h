// The agent's configuration file, TOML, as `drivelink-agent --config FILE` loads it.
// docs/agent.md lists every key with its unit, default and allowed range.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/runtime_settings.h"
#include "drivelink/v1/drivelink.pb.h"
#include "protocol/result.h"

namespace drivelink::agent::config {

struct VehicleConfig {
    std::string vin;  // required, ISO 3779
    bool verify_vin_check_digit = true;
    std::vector<v1::PropulsionStorage> propulsion_storages;  // for crash and SOS data
};

struct TlsConfig {
    std::filesystem::path ca_file;           // PEM, the CA that signed the broker's certificate
    std::filesystem::path certificate_file;  // PEM client certificate, empty for none
    std::filesystem::path private_key_file;  // PEM key of the client certificate
};

struct MqttConfig {
    std::string broker_uri;  // required: tcp://, ssl://, ws:// or wss:// host:port
    std::string client_id;   // empty: "drivelink-agent-{vin}"
    std::optional<TlsConfig> tls;
    // An outbox entry published but not acknowledged within this time is published again.
    std::chrono::milliseconds ack_timeout{std::chrono::seconds(10)};
};

struct OutboxConfig {
    std::filesystem::path path;  // required, the SQLite file
    std::size_t max_entries = 100'000;
    std::size_t max_bytes = 64 * 1024 * 1024;
};

// Exactly one of nmea_file and serial_device is set.
struct GnssConfig {
    std::filesystem::path nmea_file;
    std::filesystem::path serial_device;
    int baud_rate = 9600;
    double replay_speed = 1.0;  // 0: as fast as possible
    // In a replay, gaps between fixes longer than this are skipped. Empty waits for every gap.
    std::optional<std::chrono::seconds> replay_max_gap;
};

struct SignalsConfig {
    std::filesystem::path replay_file;  // empty: no vehicle signals, GNSS only
};

struct CommandsConfig {
    std::filesystem::path id_store_file;  // empty: command ids kept in memory only
    std::size_t remembered_ids = 1000;
};

struct AgentConfig {
    VehicleConfig vehicle;
    MqttConfig mqtt;
    OutboxConfig outbox;
    GnssConfig gnss;
    SignalsConfig signals;
    RuntimeSettings settings;
    CommandsConfig commands;
};

// Reads and checks the file. Relative paths in it are taken relative to the file's own
// directory. The error lists every problem found, one per line, each naming the file, line,
// key and value, for example "agent.toml:12: sampling.distance_m = -5 is out of range: must be
// 0 to 100000".
Result<AgentConfig> load_config(const std::filesystem::path& path);

// Parses text already in memory. `source` names it in messages, and its directory
// anchors relative paths.
Result<AgentConfig> parse_config(std::string_view text, const std::filesystem::path& source);

}  // namespace drivelink::agent::config
