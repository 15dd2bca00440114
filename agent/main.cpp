// drivelink-agent: the head-unit agent. See `drivelink-agent --help`.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <iostream>

#include "agent/config/agent_config.h"
#include "agent/gnss/nmea_dump.h"
#include "agent/runner.h"
#include "protocol/vin.h"

namespace {

using drivelink::agent::RunOptions;

// Command-line values; each one given overrides the configuration file.
struct RunArguments {
    std::filesystem::path config_file;
    std::string vin;
    std::string broker_uri;
    std::string client_id;
    std::filesystem::path outbox;
    std::filesystem::path nmea_file;
    std::filesystem::path serial_device;
    int baud_rate = 9600;
    double replay_speed = 1.0;
    int64_t replay_max_gap_s = 0;
    std::filesystem::path signals_file;
    bool record_every_fix = false;
    bool exit_when_drained = false;
    std::size_t batch_samples = 10;
    int64_t ack_timeout_ms = 10'000;
    std::size_t max_in_flight = 64;
    std::size_t outbox_max_entries = 100'000;
    std::size_t outbox_max_bytes = 64 * 1024 * 1024;
    int64_t reconnect_max_ms = 60'000;
    std::filesystem::path summary_file;
    bool no_check_digit = false;
};

void add_connection_options(CLI::App& run, RunArguments& args) {
    run.add_option("--config",
                   args.config_file,
                   "TOML configuration file (docs/agent.md); options given here override it");
    run.add_option("--vin", args.vin, "VIN of this car, 17 characters (ISO 3779)");
    run.add_option("--broker", args.broker_uri, "MQTT broker URI, e.g. tcp://127.0.0.1:1883");
    run.add_option("--client-id", args.client_id, "MQTT client id (default drivelink-agent-VIN)");
    run.add_option("--outbox", args.outbox, "outbox database file (SQLite), created if missing");
    run.add_option("--ack-timeout-ms",
                   args.ack_timeout_ms,
                   "publish again when no ack came within this many ms")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    run.add_option("--max-in-flight", args.max_in_flight, "messages awaiting an ack, at most")
        ->capture_default_str()
        ->check(CLI::Range(1, 65'535));
    run.add_option(
           "--reconnect-max-ms",
           args.reconnect_max_ms,
           "longest wait between reconnect attempts, in ms; waits double from 500 ms up to this")
        ->capture_default_str()
        ->check(CLI::Range(500, 3'600'000));
    run.add_option("--outbox-max-entries", args.outbox_max_entries, "outbox bound in messages")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    run.add_option("--outbox-max-bytes", args.outbox_max_bytes, "outbox bound in payload bytes")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    run.add_flag("--no-vin-check-digit",
                 args.no_check_digit,
                 "accept VINs without a valid check digit (position 9)");
}

void add_input_options(CLI::App& run, RunArguments& args) {
    auto* nmea = run.add_option("--nmea", args.nmea_file, "NMEA 0183 log file to replay");
    auto* serial =
        run.add_option("--serial", args.serial_device, "serial device of the GNSS receiver");
    nmea->excludes(serial);
    run.add_option("--baud", args.baud_rate, "baud rate of --serial, in bit/s")
        ->capture_default_str();
    run.add_option("--replay-speed",
                   args.replay_speed,
                   "replay --nmea this many times faster than recorded; 0 means without waiting")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    run.add_option(
           "--replay-max-gap-s",
           args.replay_max_gap_s,
           "in a replay, skip gaps between fixes longer than this many seconds; 0 waits for all")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    run.add_option(
        "--signals", args.signals_file, "recorded vehicle signals to replay (docs/agent.md)");
    run.add_flag("--record-every-fix",
                 args.record_every_fix,
                 "record each GNSS fix, bypassing the sampler (a track log)");
    run.add_option("--batch-samples", args.batch_samples, "samples per telemetry message, at most")
        ->capture_default_str()
        ->check(CLI::Range(1, 10'000));
    run.add_flag("--exit-when-drained",
                 args.exit_when_drained,
                 "exit once the input ended and the cloud acknowledged every message");
    run.add_option("--summary",
                   args.summary_file,
                   "write counters and rejected sentences to this file at exit");
}

// Starts from the configuration file, if any, and lays the options given on top.
drivelink::Result<RunOptions> build_options(const CLI::App& run, const RunArguments& args) {
    RunOptions options;
    if (!args.config_file.empty()) {
        auto config = drivelink::agent::config::load_config(args.config_file);
        if (!config) {
            return drivelink::Error{config.error()};
        }
        options = drivelink::agent::run_options_from(*config);
    }
    const auto given = [&run](const char* name) { return run.count(name) > 0; };
    if (given("--vin"))
        options.agent.vin = args.vin;
    if (given("--broker"))
        options.link.broker_uri = args.broker_uri;
    if (given("--client-id"))
        options.link.client_id = args.client_id;
    if (given("--outbox"))
        options.outbox_path = args.outbox;
    if (given("--nmea")) {
        options.nmea_file = args.nmea_file;
        options.serial_device.clear();
    }
    if (given("--serial")) {
        options.serial_device = args.serial_device;
        options.nmea_file.clear();
    }
    if (given("--baud"))
        options.baud_rate = args.baud_rate;
    if (given("--replay-speed"))
        options.replay_speed = args.replay_speed;
    if (given("--replay-max-gap-s") && args.replay_max_gap_s > 0) {
        options.replay_max_gap = std::chrono::seconds(args.replay_max_gap_s);
    }
    if (given("--signals"))
        options.signals_file = args.signals_file;
    if (given("--batch-samples")) {
        options.agent.batch_max_samples = args.batch_samples;
        options.settings.batch.max_samples = args.batch_samples;
    }
    if (given("--ack-timeout-ms"))
        options.agent.ack_timeout = std::chrono::milliseconds(args.ack_timeout_ms);
    if (given("--max-in-flight"))
        options.agent.max_in_flight = args.max_in_flight;
    if (given("--reconnect-max-ms"))
        options.link.reconnect_max = std::chrono::milliseconds(args.reconnect_max_ms);
    if (given("--outbox-max-entries"))
        options.outbox_limits.max_entries = args.outbox_max_entries;
    if (given("--outbox-max-bytes"))
        options.outbox_limits.max_bytes = args.outbox_max_bytes;
    if (given("--no-vin-check-digit"))
        options.validation.vin.verify_check_digit = false;
    options.record_every_fix = args.record_every_fix;
    options.exit_when_drained = args.exit_when_drained;
    options.summary_file = args.summary_file;
    options.link.vin = options.agent.vin;
    return options;
}

drivelink::Status check_options(const RunOptions& options) {
    if (auto vin = drivelink::protocol::validate_vin(options.agent.vin, options.validation.vin);
        !vin) {
        return vin;
    }
    if (options.link.broker_uri.empty()) {
        return drivelink::Error{
            "missing broker: give --broker URI or mqtt.broker in the --config file"};
    }
    if (options.outbox_path.empty()) {
        return drivelink::Error{
            "missing outbox: give --outbox FILE or outbox.path in the --config file"};
    }
    if (options.nmea_file.empty() && options.serial_device.empty()) {
        return drivelink::Error{
            "no GNSS input: give --nmea FILE or --serial DEVICE, or gnss.nmea_file or "
            "gnss.serial_device in the --config file"};
    }
    return drivelink::ok_status();
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "drivelink-agent: records a car's GNSS fixes and vehicle signals and reports them to the "
        "drivelink cloud over MQTT"};
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
    RunArguments args;
    add_connection_options(*run, args);
    add_input_options(*run, args);

    CLI11_PARSE(app, argc, argv);
    spdlog::set_level(spdlog::level::from_str(log_level));

    if (nmea->parsed()) {
        return drivelink::agent::gnss::dump_nmea(nmea_file, std::cout, std::cerr);
    }
    auto options = build_options(*run, args);
    if (!options) {
        std::cerr << "drivelink-agent: " << options.error() << "\n";
        return 2;
    }
    if (auto valid = check_options(*options); !valid) {
        std::cerr << "drivelink-agent: " << valid.error() << "\n";
        return 2;
    }
    return drivelink::agent::run_agent(*options);
}
