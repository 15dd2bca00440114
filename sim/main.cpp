// drivelink-sim: runs a fleet of simulated cars, each a real agent, against an MQTT broker and
// writes what the cloud should hold afterwards.
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>

#include "sim/fleet.h"

namespace {

using drivelink::sim::FleetOptions;
using drivelink::sim::FleetResult;

struct CommandLine {
    FleetOptions fleet;
    std::string expect_file;
    std::vector<std::string> usage;
    int drain_timeout_s = 120;
    std::string log_level = "info";
    double steady_report_s = 0.0;  // 0: the planned days
    int steady_duration_s = 60;
    int steady_crash_every_ms = 0;
    bool plan_only = false;
};

void add_fault_options(CLI::App& app, CommandLine& line) {
    auto& faults = line.fleet.faults;
    app.add_option("--dtc-rate",
                   faults.trouble_codes_per_day,
                   "trouble codes set per car and simulated day (below 1: a probability)")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--crash-rate",
                   faults.crashes_per_day,
                   "probability that a car crashes on a simulated day; a crashed car stops")
        ->check(CLI::Range(0.0, 1.0));
    app.add_option("--sos-rate", faults.sos_per_day, "SOS presses per car and simulated day")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--coverage-loss-rate",
                   faults.coverage_losses_per_day,
                   "network coverage losses (20 to 90 simulated minutes) per car and day; the car "
                   "then connects through a loopback proxy that the simulator cuts")
        ->check(CLI::NonNegativeNumber);
}

void add_options(CLI::App& app, CommandLine& line) {
    auto& fleet = line.fleet;
    app.add_option("--broker", fleet.broker_uri, "MQTT broker URI, tcp://127.0.0.1:PORT")
        ->required();
    app.add_option("--vehicles", fleet.vehicles, "number of cars in this process")
        ->check(CLI::Range(1, 100'000));
    app.add_option("--first-vehicle",
                   fleet.first_vehicle,
                   "number of the first car; processes sharing a broker need disjoint ranges")
        ->check(CLI::Range(0, 999'999));
    app.add_option("--seed", fleet.seed, "seed of every random draw; equal seeds repeat a run");
    app.add_option("--days", fleet.days, "simulated days, ending at the latest UTC midnight")
        ->check(CLI::Range(1, 30));
    app.add_option("--day-seconds", fleet.day_seconds, "real seconds per simulated day")
        ->check(CLI::Range(1.0, 86'400.0));
    app.add_option("--threads", fleet.threads, "threads of the pool the cars share")
        ->check(CLI::Range(1, 256));
    app.add_option("--routes",
                   fleet.routes_directory,
                   "directory of NMEA 0183 logs (*.txt) to build routes from")
        ->check(CLI::ExistingDirectory);
    app.add_option("--work-dir", fleet.work_directory, "directory for the cars' outboxes")
        ->required();
    app.add_option("--expect", line.expect_file, "write the expected cloud contents here as JSON");
    app.add_option("--usage",
                   line.usage,
                   "usage profiles to draw from: commuter, taxi, long-distance, weekend "
                   "(default: all)");
    app.add_option("--batch-samples", fleet.batch_max_samples, "samples per telemetry message")
        ->check(CLI::Range(1, 1000));
    app.add_option("--drain-timeout-s",
                   line.drain_timeout_s,
                   "seconds to wait at the end for every outbox to drain")
        ->check(CLI::Range(1, 3600));
    app.add_option("--log-level", line.log_level, "trace, debug, info, warn or error");
    app.add_option("--dealers-out",
                   fleet.dealers_out,
                   "write a dealer network around the cars' routes here, in the CSV format of "
                   "drivelink-cloud run --dealers");
    app.add_option("--vehicles-out",
                   fleet.vehicles_out,
                   "write the planned cars here as CSV: vin,model,usage,odometer_km at the start");
    app.add_flag("--plan-only",
                 line.plan_only,
                 "write --dealers-out and --vehicles-out and exit without starting any car");
    add_fault_options(app, line);
    auto* steady = app.add_option(
        "--steady-report-s",
        line.steady_report_s,
        "steady load in real time: each car sends one sample every this many seconds, in place "
        "of the planned days");
    steady->check(CLI::Range(0.1, 3600.0));
    app.add_option("--steady-duration-s", line.steady_duration_s, "seconds the steady load runs")
        ->check(CLI::Range(1, 86'400))
        ->needs(steady);
    app.add_option("--steady-crash-every-ms",
                   line.steady_crash_every_ms,
                   "during the steady load, one more car crashes every this many ms (0: none)")
        ->check(CLI::Range(0, 3'600'000))
        ->needs(steady);
}

void print_summary(const FleetResult& result) {
    uint64_t messages = 0;
    uint64_t samples = 0;
    uint64_t left = 0;
    double distance_km = 0.0;
    std::map<std::string, uint64_t> events;
    for (const auto& vehicle : result.vehicles) {
        messages += vehicle.messages;
        samples += vehicle.samples;
        left += vehicle.outbox_entries_left;
        distance_km += vehicle.distance_km;
        for (const auto& [type, count] : vehicle.events) {
            events[type] += count;
        }
    }
    std::cout << fmt::format(
        "fleet: vehicles={} messages={} samples={} distance_km={:.1f} drained={} "
        "entries_left={} simulated={} to {} in {:.1f} s, drain {:.1f} s\n",
        result.vehicles.size(),
        messages,
        samples,
        distance_km,
        result.drained,
        left,
        result.simulated_start_utc,
        result.simulated_end_utc,
        static_cast<double>(result.simulated_wall_time.count()) / 1000.0,
        static_cast<double>(result.drain_wall_time.count()) / 1000.0);
    for (const auto& [type, count] : events) {
        std::cout << fmt::format("events {}: {}\n", type, count);
    }
}

int run(CommandLine& line) {
    for (const auto& name : line.usage) {
        auto profile = drivelink::sim::parse_usage_profile(name);
        if (!profile) {
            spdlog::error("invalid --usage '{}': use commuter, taxi, long-distance or weekend",
                          name);
            return 2;
        }
        line.fleet.usage_mix.push_back(*profile);
    }
    line.fleet.drain_timeout = std::chrono::seconds(line.drain_timeout_s);
    if (line.steady_report_s > 0) {
        line.fleet.steady = drivelink::sim::SteadyOptions{
            .report_interval =
                std::chrono::milliseconds(static_cast<int64_t>(line.steady_report_s * 1000.0)),
            .duration = std::chrono::seconds(line.steady_duration_s),
            .crash_interval = std::chrono::milliseconds(line.steady_crash_every_ms)};
    }
    if (!line.fleet.dealers_out.empty() || !line.fleet.vehicles_out.empty()) {
        if (auto written = drivelink::sim::write_plan_files(line.fleet); !written) {
            spdlog::error("{}", written.error());
            return 2;
        }
    }
    if (line.plan_only) {
        return 0;
    }
    auto result = drivelink::sim::run_fleet(line.fleet);
    if (!result) {
        spdlog::error("{}", result.error());
        return 2;
    }
    print_summary(*result);
    if (!line.expect_file.empty()) {
        std::ofstream out(line.expect_file);
        out << drivelink::sim::to_json(line.fleet, *result);
        if (!out) {
            spdlog::error("failed to write the expectation file {}", line.expect_file);
            return 2;
        }
    }
    return result->drained ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"drivelink-sim: a fleet of simulated cars, each a real drivelink agent"};
    CommandLine line;
    line.fleet.routes_directory = DRIVELINK_DEFAULT_ROUTES;
    add_options(app, line);
    CLI11_PARSE(app, argc, argv);
    // Logs go to standard error, so standard output carries only the summary.
    spdlog::set_default_logger(spdlog::stderr_color_mt("drivelink-sim"));
    spdlog::set_level(spdlog::level::from_str(line.log_level));
    return run(line);
}
