// The fleet: N simulated cars on one Asio thread pool, each with its own strand, agent,
// outbox and MQTT connection, run on an accelerated clock and drained at the end.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "protocol/result.h"
#include "sim/plan.h"

namespace drivelink::sim {

struct FleetOptions {
    std::string broker_uri = "tcp://127.0.0.1:1883";
    std::size_t vehicles = 10;
    std::size_t first_vehicle = 0;  // vehicle numbers first_vehicle .. + vehicles - 1
    uint64_t seed = 1;
    int days = 1;
    double day_seconds = 60.0;  // real seconds per simulated day
    std::size_t threads = 2;
    std::filesystem::path routes_directory;
    std::filesystem::path work_directory;  // outboxes go to work_directory/outbox
    FaultRates faults;
    std::vector<UsageProfile> usage_mix;
    std::chrono::seconds drain_timeout{120};
    std::chrono::milliseconds tick{100};  // how often each car catches up with the clock
    std::size_t batch_max_samples = 10;
    std::chrono::milliseconds ack_timeout{std::chrono::seconds(10)};
};

// What the cloud should hold for one vehicle after the run.
struct VehicleExpectation {
    std::string vin;
    std::string model;
    std::string usage;
    uint64_t messages = 0;  // sequence numbers 1..messages
    uint64_t samples = 0;
    std::map<std::string, uint64_t> events;
    double distance_km = 0.0;
    uint64_t trips = 0;
    uint64_t coverage_losses = 0;
    uint64_t outbox_entries_left = 0;  // 0 when drained
    uint64_t samples_thinned = 0;      // dropped by the outbox's size bound
};

struct FleetResult {
    bool drained = false;
    std::chrono::milliseconds simulated_wall_time{0};
    std::chrono::milliseconds drain_wall_time{0};
    std::string simulated_start_utc;
    std::string simulated_end_utc;
    std::vector<VehicleExpectation> vehicles;
};

// The files a car holds open: its MQTT socket, the duplicate the executor watches, the socket
// pair libmosquitto keeps to wake a loop, and an SQLite outbox in WAL mode (the database, its
// -wal and -shm files). A car with coverage faults adds the proxy's listener and two sockets.
inline constexpr std::size_t kFilesPerCar = 7;
inline constexpr std::size_t kFilesPerProxy = 3;
inline constexpr std::size_t kFilesBase = 64;  // standard streams, logs, Asio

// Raises the soft limit of open files to the hard limit when `needed` is above it. Fails,
// naming both numbers, when even the hard limit is too low.
Status ensure_open_file_limit(std::size_t needed, std::size_t vehicles);

// Plans, starts and runs the fleet through the simulated days, then waits for every outbox to
// drain (at most drain_timeout) and stops the agents.
Result<FleetResult> run_fleet(const FleetOptions& options);

std::string to_json(const FleetOptions& options, const FleetResult& result);

}  // namespace drivelink::sim
