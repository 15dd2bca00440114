// The fleet: N simulated cars on one Asio thread pool, each with its own strand, agent,
// outbox and MQTT connection, run on an accelerated clock and drained at the end.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "protocol/result.h"
#include "sim/car.h"
#include "sim/plan.h"

namespace drivelink::sim {

// Steady load in real time, for load benchmarks: in place of the planned days, every car sends
// one message with one sample per report_interval for `duration`, and one car after another
// crashes every crash_interval (none when zero).
struct SteadyOptions {
    std::chrono::milliseconds report_interval{std::chrono::seconds(10)};
    std::chrono::seconds duration{std::chrono::seconds(60)};
    std::chrono::milliseconds crash_interval{0};
    std::chrono::seconds connect_timeout{std::chrono::seconds(300)};
};

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
    std::optional<SteadyOptions> steady;
    // Written by write_plan_files: the dealer network around the routes (the cloud's dealer CSV)
    // and the planned cars (vin,model,usage,odometer_km at the start). Empty: not written.
    std::filesystem::path dealers_out;
    std::filesystem::path vehicles_out;
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
    double odometer_km = 0.0;          // highest odometer reading of the samples sent
    std::vector<std::string> dtcs;     // trouble codes of the DTC_SET events raised
    std::vector<CrashPosition> crashes;
    std::vector<ReceivedRescueUpdate> rescue_updates;  // as received, duplicates included
    std::vector<ReceivedRecommendation> recommendations;
};

// Measurements of a steady run. Latencies run from raising a crash at the agent to the cloud's
// commit ack for it (stored) and to the first rescue update for it at the car.
struct SteadyResult {
    std::size_t connected = 0;  // cars connected at once before the load started
    std::chrono::milliseconds connect_wall_time{0};
    uint64_t reports = 0;
    uint64_t crashes = 0;
    std::vector<double> stored_latency_ms;
    std::vector<double> rescue_latency_ms;
};

struct FleetResult {
    bool drained = false;
    std::chrono::milliseconds simulated_wall_time{0};
    std::chrono::milliseconds drain_wall_time{0};
    std::string simulated_start_utc;
    std::string simulated_end_utc;
    std::vector<VehicleExpectation> vehicles;
    std::optional<SteadyResult> steady;
};

// The files a car keeps open: its MQTT socket, the duplicate the executor watches, the socket
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

// Plans the fleet as run_fleet does and writes options.dealers_out and options.vehicles_out,
// those that are set, without starting any car.
Status write_plan_files(const FleetOptions& options);

std::string to_json(const FleetOptions& options, const FleetResult& result);

}  // namespace drivelink::sim
