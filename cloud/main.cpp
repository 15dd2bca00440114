// drivelink-cloud: ingests vehicle messages from MQTT into SQLite and runs the services on
// them (run), summarises a database (report), lets operators work on rescue cases (rescue) and
// registers vehicles (vehicle) and books and advances work orders (maintenance). Exit
// codes: 0 success, 1 runtime failure (such as messages left unacknowledged at exit because the
// store kept failing), 2 invalid arguments or input.
#include <fmt/format.h>
#include <pthread.h>
#include <unistd.h>
#include <csignal>
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "cloud/cli/maintenance_command.h"
#include "cloud/cli/rescue_command.h"
#include "cloud/cli/vehicle_command.h"
#include "cloud/logging.h"
#include "cloud/report/report.h"
#include "cloud/service/cloud_service.h"

namespace {

using namespace drivelink::cloud;

constexpr int kExitFailure = 1;
constexpr int kExitBadInput = 2;

struct RunArguments {
    std::string broker_uri;
    std::string db_path;
    std::string client_id;
    std::size_t batch_max = IngestOptions{}.batch_max_messages;
    int batch_delay_ms = static_cast<int>(IngestOptions{}.batch_delay.count());
    int busy_timeout_ms = static_cast<int>(SqliteStoreOptions{}.busy_timeout.count());
    bool no_vin_check_digit = false;
    std::string log_level = "info";
    std::string dealers_path;
    std::string schedules_path;
    std::string dtc_codes_path;
    int escalation_timeout_s = 30;
};

struct ReportArguments {
    std::string db_path;
    bool json = false;
};

std::string default_client_id() {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') {
        return "drivelink-cloud";
    }
    return fmt::format("drivelink-cloud-{}", host);
}

void add_run_options(CLI::App& run, RunArguments& args) {
    run.add_option("--broker", args.broker_uri, "MQTT broker URI, tcp://HOST:PORT")
        ->required()
        ->check([](const std::string& uri) {
            auto valid = validate_broker_uri(uri);
            return valid ? std::string() : valid.error();
        });
    run.add_option("--db", args.db_path, "SQLite database file, created when missing")->required();
    run.add_option("--client-id",
                   args.client_id,
                   "MQTT client ID; keep it stable across restarts so the broker keeps queueing "
                   "for this instance (default: drivelink-cloud-HOSTNAME)");
    run.add_option(
           "--batch-max", args.batch_max, "maximum number of messages per database transaction")
        ->check(CLI::Range(1, 100'000))
        ->capture_default_str();
    run.add_option("--batch-delay-ms",
                   args.batch_delay_ms,
                   "maximum time in milliseconds a received message waits for its batch to fill "
                   "before it is committed and acknowledged")
        ->check(CLI::Range(0, 60'000))
        ->capture_default_str();
    run.add_option("--busy-timeout-ms",
                   args.busy_timeout_ms,
                   "time in milliseconds a commit waits for another process's database lock "
                   "before it fails and is retried")
        ->check(CLI::Range(0, 600'000))
        ->capture_default_str();
    run.add_flag("--no-vin-check-digit",
                 args.no_vin_check_digit,
                 "accept VINs whose 9th character is not the North American check digit");
    run.add_option("--dealers", args.dealers_path, "dealer network CSV file for rescue cases");
    run.add_option("--schedules", args.schedules_path, "maintenance schedule CSV file");
    run.add_option("--dtc-codes", args.dtc_codes_path, "trouble code description CSV file");
    run.add_option("--escalation-timeout-s",
                   args.escalation_timeout_s,
                   "seconds a rescue case waits for an operator before it is escalated")
        ->check(CLI::Range(1, 3600))
        ->capture_default_str();
    run.add_option("--log-level",
                   args.log_level,
                   "minimum level of the log lines written to standard error")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
        ->capture_default_str();
}

CloudServiceOptions service_options(const RunArguments& args) {
    CloudServiceOptions options;
    options.db_path = args.db_path;
    options.store.busy_timeout = std::chrono::milliseconds(args.busy_timeout_ms);
    options.ingest.batch_max_messages = args.batch_max;
    options.ingest.batch_delay = std::chrono::milliseconds(args.batch_delay_ms);
    options.ingest.validation.vin.verify_check_digit = !args.no_vin_check_digit;
    options.mqtt.broker_uri = args.broker_uri;
    options.mqtt.client_id = args.client_id.empty() ? default_client_id() : args.client_id;
    options.dealers_path = args.dealers_path;
    options.schedules_path = args.schedules_path;
    options.dtc_codes_path = args.dtc_codes_path;
    options.rescue.escalation_timeout = std::chrono::seconds(args.escalation_timeout_s);
    return options;
}

// Blocks SIGINT and SIGTERM in this thread and in every thread started after it, so that only
// the sigwait in run_service receives them.
sigset_t block_stop_signals() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    return signals;
}

int run_service(const RunArguments& args) {
    spdlog::set_level(spdlog::level::from_str(args.log_level));
    const sigset_t signals = block_stop_signals();
    auto logger = component_logger("cloud");

    auto service = CloudService::start(service_options(args));
    if (!service) {
        logger->error("{}", service.error());
        return kExitBadInput;
    }
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    logger->info("received {}, committing what is queued and stopping",
                 signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
    if (!service.value()->stop()) {
        return kExitFailure;
    }
    return 0;
}

int print_report(const ReportArguments& args) {
    auto store = SqliteStore::open(args.db_path, SqliteStoreOptions{.read_only = true});
    if (!store) {
        fmt::print(stderr, "drivelink-cloud report: {}\n", store.error());
        return kExitBadInput;
    }
    auto report = build_report(*store.value());
    if (!report) {
        fmt::print(stderr,
                   "drivelink-cloud report: reading '{}' failed: {}\n",
                   args.db_path,
                   report.error());
        return kExitFailure;
    }
    if (args.json) {
        fmt::print("{}\n", to_json(report.value()).dump(2));
    } else {
        fmt::print("{}", format_text(report.value()));
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    // A file size limit reached while writing the database must fail the write (and so the
    // commit, which is then retried) instead of killing the process.
    std::signal(SIGXFSZ, SIG_IGN);

    CLI::App app{"drivelink cloud: stores vehicle messages from MQTT in SQLite exactly once"};
    app.require_subcommand(1);

    RunArguments run_args;
    auto* run = app.add_subcommand(
        "run", "ingest messages from the broker until SIGTERM or SIGINT, then drain and exit");
    add_run_options(*run, run_args);

    ReportArguments report_args;
    auto* report = app.add_subcommand("report", "print what a cloud database holds");
    report->add_option("--db", report_args.db_path, "SQLite database file written by 'run'")
        ->required();
    report->add_flag("--json", report_args.json, "print JSON instead of text");

    int command_exit_code = 0;
    drivelink::cloud::cli::add_rescue_command(app, command_exit_code);
    drivelink::cloud::cli::add_vehicle_command(app, command_exit_code);
    drivelink::cloud::cli::add_maintenance_command(app, command_exit_code);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        // --help is a ParseError with exit code 0.
        const int code = app.exit(error);
        return code == 0 ? 0 : kExitBadInput;
    }
    if (run->parsed()) {
        return run_service(run_args);
    }
    if (report->parsed()) {
        return print_report(report_args);
    }
    return command_exit_code;
}
