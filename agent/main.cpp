// drivelink-agent: the head-unit agent. See `drivelink-agent --help`.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <iostream>

#include "agent/gnss/nmea_dump.h"
#include "agent/runner.h"
#include "protocol/vin.h"

namespace {

using drivelink::agent::RunOptions;

void add_run_options(CLI::App& run,
                     RunOptions& options,
                     int64_t& ack_timeout_ms,
                     int64_t& max_gap_s,
                     int64_t& reconnect_max_ms) {
    run.add_option("--vin", options.agent.vin, "VIN of this car, 17 characters (ISO 3779)")
        ->required();
    run.add_option(
           "--broker", options.link.broker_uri, "MQTT broker URI, e.g. tcp://127.0.0.1:1883")
        ->required();
    run.add_option(
        "--client-id", options.link.client_id, "MQTT client id (default drivelink-agent-VIN)");
    run.add_option(
           "--outbox", options.outbox_path, "outbox database file (SQLite), created if missing")
        ->required();
    auto* nmea = run.add_option("--nmea", options.nmea_file, "NMEA 0183 log file to replay");
    auto* serial =
        run.add_option("--serial", options.serial_device, "serial device of the GNSS receiver");
    nmea->excludes(serial);
    run.add_option("--baud", options.baud_rate, "baud rate of --serial, in bit/s")
        ->capture_default_str();
    run.add_option("--replay-speed",
                   options.replay_speed,
                   "replay --nmea this many times faster than recorded; 0 means without waiting")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    run.add_option(
           "--replay-max-gap-s",
           max_gap_s,
           "in a replay, skip gaps between fixes longer than this many seconds; 0 waits for all")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    run.add_flag("--exit-when-drained",
                 options.exit_when_drained,
                 "exit once the input ended and the cloud acknowledged every message");
    run.add_option("--batch-samples",
                   options.agent.batch_max_samples,
                   "samples per telemetry message, at most")
        ->capture_default_str()
        ->check(CLI::Range(1, 10'000));
    run.add_option(
           "--ack-timeout-ms", ack_timeout_ms, "publish again when no ack came within this many ms")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    run.add_option(
           "--max-in-flight", options.agent.max_in_flight, "messages awaiting an ack, at most")
        ->capture_default_str()
        ->check(CLI::Range(1, 65'535));
    run.add_option(
           "--outbox-max-entries", options.outbox_limits.max_entries, "outbox bound in messages")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    run.add_option(
           "--outbox-max-bytes", options.outbox_limits.max_bytes, "outbox bound in payload bytes")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    run.add_option(
           "--reconnect-max-ms",
           reconnect_max_ms,
           "longest wait between reconnect attempts, in ms; waits double from 500 ms up to this")
        ->capture_default_str()
        ->check(CLI::Range(500, 3'600'000));
    run.add_option("--summary",
                   options.summary_file,
                   "write counters and rejected sentences to this file at exit");
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "drivelink-agent: records a car's GNSS fixes and reports them to the drivelink cloud over "
        "MQTT"};
    app.require_subcommand(1);
    std::string log_level = "info";
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
        ->capture_default_str();

    auto* nmea = app.add_subcommand(
        "nmea", "decode an NMEA 0183 log: one JSON line per fix, rejected sentences on stderr");
    std::filesystem::path nmea_file;
    nmea->add_option("FILE", nmea_file, "NMEA log file")->required();

    auto* run = app.add_subcommand(
        "run", "run the agent until the input ends (with --exit-when-drained) or SIGTERM");
    RunOptions options;
    int64_t ack_timeout_ms = options.agent.ack_timeout.count();
    int64_t max_gap_s = 0;
    int64_t reconnect_max_ms = options.link.reconnect_max.count();
    bool no_check_digit = false;
    add_run_options(*run, options, ack_timeout_ms, max_gap_s, reconnect_max_ms);
    run->add_flag("--no-vin-check-digit",
                  no_check_digit,
                  "accept VINs without a valid check digit (position 9)");

    CLI11_PARSE(app, argc, argv);
    spdlog::set_level(spdlog::level::from_str(log_level));

    if (nmea->parsed()) {
        return drivelink::agent::gnss::dump_nmea(nmea_file, std::cout, std::cerr);
    }

    options.agent.ack_timeout = std::chrono::milliseconds(ack_timeout_ms);
    options.link.reconnect_max = std::chrono::milliseconds(reconnect_max_ms);
    if (max_gap_s > 0) {
        options.replay_max_gap = std::chrono::seconds(max_gap_s);
    }
    options.validation.vin.verify_check_digit = !no_check_digit;
    options.link.vin = options.agent.vin;
    if (auto vin = drivelink::protocol::validate_vin(options.agent.vin, options.validation.vin);
        !vin) {
        std::cerr << "drivelink-agent: " << vin.error() << "\n";
        return 2;
    }
    if (options.nmea_file.empty() && options.serial_device.empty()) {
        std::cerr << "drivelink-agent: no GNSS input: give --nmea FILE or --serial DEVICE\n";
        return 2;
    }
    return drivelink::agent::run_agent(options);
}
