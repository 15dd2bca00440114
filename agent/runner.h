// The drivelink-agent program's run command: GNSS input, vehicle signals, the agent core,
// cloud commands and shutdown.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "agent/config/agent_config.h"
#include "agent/outbox/outbox.h"
#include "agent/uplink/mqtt_link.h"
#include "protocol/codec.h"

namespace drivelink::agent {

struct RunOptions {
    AgentOptions agent;
    MqttLinkOptions link;
    OutboxLimits outbox_limits;
    std::filesystem::path outbox_path;
    std::filesystem::path nmea_file;      // a log to replay, or
    std::filesystem::path serial_device;  // a receiver to read
    int baud_rate = 9600;
    double replay_speed = 1.0;  // 0: as fast as possible
    // Gaps between fixes longer than this are skipped in a replay.
    std::optional<std::chrono::milliseconds> replay_max_gap;
    std::filesystem::path signals_file;  // recorded vehicle signals; empty: GNSS only
    config::RuntimeSettings settings;    // sampler, batch limits, crash and event thresholds
    bool record_every_fix = false;       // record each fix, bypassing the sampler
    std::vector<v1::PropulsionStorage> propulsion_storages;
    config::CommandsConfig commands;
    // Exit once the input ended and the cloud acknowledged every outbox entry.
    bool exit_when_drained = false;
    // How long SIGTERM or SIGINT waits for acknowledgements before disconnecting.
    std::chrono::milliseconds shutdown_drain_timeout{std::chrono::seconds(5)};
    std::filesystem::path summary_file;  // empty: summary only in the log
    protocol::ValidationOptions validation;
};

// Fills RunOptions from a loaded configuration file.
RunOptions run_options_from(const config::AgentConfig& config);

// Runs until the input ends and the outbox drained (with exit_when_drained), or SIGTERM or
// SIGINT. Returns the process exit code.
int run_agent(const RunOptions& options);

}  // namespace drivelink::agent
