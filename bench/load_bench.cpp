// Fleet load benchmark: Mosquitto, drivelink-cloud and several drivelink-sim processes on one
// machine. Every car reports once per interval for the load's duration while one car after
// another crashes. The benchmark checks that every car connects and nothing is lost. It measures
// the time from raising a crash at the agent to the cloud's commit ack (the event is stored) and
// to the rescue update at the car. The baseline, in the same run on the same loaded broker, is
// the PUBACK round trip of a plain QoS 1 publisher. Prints a Markdown table for
// docs/BENCHMARKS.md.
//
// Usage: load_bench [--vehicles N] [--processes K] [--report-s S] [--duration-s D]
//                   [--crash-every-ms C] [--sim-dir DIR]

#include <fmt/format.h>
#include <mqtt/async_client.h>
#include <sqlite3.h>

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "tests/support/mosquitto.h"
#include "tests/support/process.h"

namespace {

using drivelink::testing::MosquittoBroker;
using drivelink::testing::Process;
using drivelink::testing::read_file;
using drivelink::testing::TempDir;
using Clock = std::chrono::steady_clock;

const std::filesystem::path kBinaryDir(DRIVELINK_BINARY_DIR);
const std::filesystem::path kSourceDir(DRIVELINK_SOURCE_DIR);

double percentile(std::vector<double> values, double fraction) {
    if (values.empty()) {
        return 0.0;
    }
    std::sort(values.begin(), values.end());
    const auto index = static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1));
    return values[index];
}

// Publishes one small QoS 1 message every 100 ms and records each PUBACK round trip.
class PubackProbe {
  public:
    explicit PubackProbe(const std::string& uri)
        : client_(uri, "load-bench-probe", mqtt::create_options(MQTTVERSION_5)) {
        client_.connect(mqtt::connect_options_builder().mqtt_version(MQTTVERSION_5).finalize())
            ->wait();
        thread_ = std::thread([this] { run(); });
    }
    ~PubackProbe() {
        stop_ = true;
        thread_.join();
        client_.disconnect()->wait_for(std::chrono::seconds(2));
    }
    // Discards the round trips measured so far.
    void restart() {
        std::lock_guard lock(mutex_);
        round_trips_ms_.clear();
    }
    std::vector<double> round_trips_ms() {
        std::lock_guard lock(mutex_);
        return round_trips_ms_;
    }

  private:
    void run() {
        const std::string payload(200, 'x');
        while (!stop_) {
            const auto start = Clock::now();
            try {
                client_.publish("bench/probe", payload.data(), payload.size(), 1, false)->wait();
                const std::chrono::duration<double, std::milli> took = Clock::now() - start;
                std::lock_guard lock(mutex_);
                round_trips_ms_.push_back(took.count());
            } catch (const mqtt::exception& error) {
                std::cerr << "probe publish failed: " << error.what() << "\n";
            }
            std::this_thread::sleep_until(start + std::chrono::milliseconds(100));
        }
    }

    mqtt::async_client client_;
    std::thread thread_;
    std::atomic<bool> stop_ = false;
    std::mutex mutex_;
    std::vector<double> round_trips_ms_;
};

std::map<std::string, int64_t> stored_messages(const std::filesystem::path& db_path) {
    std::map<std::string, int64_t> counts;
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_stmt* statement = nullptr;
        if (sqlite3_prepare_v2(
                db, "SELECT vin, count(*) FROM messages GROUP BY vin", -1, &statement, nullptr) ==
            SQLITE_OK) {
            while (sqlite3_step(statement) == SQLITE_ROW) {
                counts[reinterpret_cast<const char*>(sqlite3_column_text(statement, 0))] =
                    sqlite3_column_int64(statement, 1);
            }
        }
        sqlite3_finalize(statement);
    }
    sqlite3_close(db);
    return counts;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"load_bench: connected cars, losses and crash latency under steady load"};
    int vehicles = 1000;
    int processes = 1;
    double report_s = 10.0;
    int duration_s = 120;
    int crash_every_ms = 500;
    std::string sim_root;
    app.add_option("--vehicles", vehicles, "simulated cars in all")->check(CLI::Range(1, 100'000));
    app.add_option("--processes", processes, "drivelink-sim processes sharing the cars")
        ->check(CLI::Range(1, 64));
    app.add_option("--report-s", report_s, "seconds between two reports of one car");
    app.add_option("--duration-s", duration_s, "seconds the load runs");
    app.add_option("--crash-every-ms", crash_every_ms, "a new crash every this many ms");
    app.add_option("--sim-dir",
                   sim_root,
                   "directory for the simulated cars' outboxes, for example a tmpfs, so that "
                   "their writes do not share the cloud's disk (default: next to the cloud's)")
        ->check(CLI::ExistingDirectory);
    CLI11_PARSE(app, argc, argv);

    TempDir dir;
    // The cars' outboxes live here; removed at the end when outside the temporary directory.
    const auto sim_dir = sim_root.empty() ? dir.path()
                                          : std::filesystem::path(sim_root) /
                                                fmt::format("drivelink-load-{}", ::getpid());
    struct RemoveAtExit {
        std::filesystem::path path;
        ~RemoveAtExit() {
            if (!path.empty()) {
                std::error_code ignored;
                std::filesystem::remove_all(path, ignored);
            }
        }
    } remove_sim_dir{sim_root.empty() ? std::filesystem::path() : sim_dir};
    MosquittoBroker broker(dir / "broker");
    const auto db_path = dir / "cloud.db";
    Process cloud(kBinaryDir / "cloud/drivelink-cloud",
                  {"run",
                   "--broker",
                   broker.uri(),
                   "--db",
                   db_path.string(),
                   "--dealers",
                   (kSourceDir / "data/dealers_sample.csv").string(),
                   "--log-level",
                   "warn"},
                  dir / "cloud.log");
    std::this_thread::sleep_for(std::chrono::seconds(1));
    PubackProbe probe(broker.uri());

    std::vector<std::unique_ptr<Process>> sims;
    const int per_process = (vehicles + processes - 1) / processes;
    int assigned = 0;
    for (int i = 0; i < processes && assigned < vehicles; ++i) {
        const int count = std::min(per_process, vehicles - assigned);
        sims.push_back(std::make_unique<Process>(
            kBinaryDir / "sim/drivelink-sim",
            std::vector<std::string>{"--broker",
                                     broker.uri(),
                                     "--vehicles",
                                     std::to_string(count),
                                     "--first-vehicle",
                                     std::to_string(assigned),
                                     "--work-dir",
                                     (sim_dir / fmt::format("sim{}", i)).string(),
                                     "--expect",
                                     (dir / fmt::format("expect{}.json", i)).string(),
                                     "--steady-report-s",
                                     fmt::format("{}", report_s),
                                     "--steady-duration-s",
                                     std::to_string(duration_s),
                                     // Each process crashes its own cars: together one per
                                     // crash_every_ms.
                                     "--steady-crash-every-ms",
                                     std::to_string(crash_every_ms * processes),
                                     "--drain-timeout-s",
                                     "300",
                                     "--log-level",
                                     "info"},
            dir / fmt::format("sim{}.log", i)));
        assigned += count;
    }
    // The probe's figures count from when the load starts, which the simulators log.
    bool load_started = false;
    const auto deadline = Clock::now() + std::chrono::seconds(duration_s + 900);
    int failed = 0;
    for (std::size_t i = 0; i < sims.size(); ++i) {
        std::optional<int> status;
        while (!(status = sims[i]->wait(std::chrono::milliseconds(200))) &&
               Clock::now() < deadline) {
            if (!load_started &&
                read_file(dir / "sim0.log").find("reporting every") != std::string::npos) {
                probe.restart();
                load_started = true;
            }
        }
        if (status != 0) {
            ++failed;
            std::cerr << fmt::format("drivelink-sim {} ended with {}; log {}\n",
                                     i,
                                     status ? std::to_string(*status) : "a timeout",
                                     (dir / fmt::format("sim{}.log", i)).string());
        }
    }
    const auto round_trips = probe.round_trips_ms();
    if (cloud.stop() != 0) {
        std::cerr << "drivelink-cloud failed: " << read_file(dir / "cloud.log");
        return 1;
    }

    std::size_t connected = 0;
    uint64_t reports = 0;
    uint64_t crashes = 0;
    int64_t connect_ms = 0;
    std::vector<double> stored_ms;
    std::vector<double> rescue_ms;
    std::map<std::string, int64_t> expected;
    bool drained = true;
    for (std::size_t i = 0; i < sims.size(); ++i) {
        std::ifstream file(dir / fmt::format("expect{}.json", i));
        if (!file) {
            std::cerr << "no results from drivelink-sim " << i << "\n";
            return 1;
        }
        const auto document = nlohmann::json::parse(file);
        drained = drained && document.at("drained").get<bool>();
        const auto& steady = document.at("steady");
        connected += steady.at("connected").get<std::size_t>();
        reports += steady.at("reports").get<uint64_t>();
        crashes += steady.at("crashes").get<uint64_t>();
        connect_ms = std::max(connect_ms, steady.at("connect_wall_time_ms").get<int64_t>());
        for (double value : steady.at("stored_latency_ms")) {
            stored_ms.push_back(value);
        }
        for (double value : steady.at("rescue_latency_ms")) {
            rescue_ms.push_back(value);
        }
        for (const auto& vehicle : document.at("vehicles")) {
            expected[vehicle.at("vin").get<std::string>()] = vehicle.at("messages").get<int64_t>();
        }
    }
    const auto stored = stored_messages(db_path);
    int64_t lost = 0;
    int64_t sent = 0;
    for (const auto& [vin, messages] : expected) {
        sent += messages;
        const auto found = stored.find(vin);
        lost += messages - (found == stored.end() ? 0 : std::min(found->second, messages));
    }

    const double puback_p50 = percentile(round_trips, 0.50);
    const double puback_p99 = percentile(round_trips, 0.99);
    const double stored_p50 = percentile(stored_ms, 0.50);
    const double stored_p99 = percentile(stored_ms, 0.99);
    const double rescue_p50 = percentile(rescue_ms, 0.50);
    const double rescue_p99 = percentile(rescue_ms, 0.99);
    std::cout << fmt::format(
        "| vehicles | sim processes | connected | connect time (s) | report every (s) | "
        "reports | messages sent | lost | crashes | crash to stored p50 / p99 (ms) | "
        "crash to rescue update p50 / p99 (ms) | baseline PUBACK p50 / p99 (ms) | "
        "stored p50 / p99 vs PUBACK |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
        "| {} | {} | {} | {:.1f} | {} | {} | {} | {} | {} | {:.1f} / {:.1f} | {:.1f} / {:.1f} | "
        "{:.2f} / {:.2f} | {:.0f}x / {:.0f}x |\n",
        vehicles,
        sims.size(),
        connected,
        static_cast<double>(connect_ms) / 1000.0,
        report_s,
        reports,
        sent,
        lost,
        crashes,
        stored_p50,
        stored_p99,
        rescue_p50,
        rescue_p99,
        puback_p50,
        puback_p99,
        puback_p50 > 0 ? stored_p50 / puback_p50 : 0.0,
        puback_p99 > 0 ? stored_p99 / puback_p99 : 0.0);
    const bool complete = failed == 0 && drained && lost == 0 &&
                          connected == static_cast<std::size_t>(vehicles) &&
                          stored_ms.size() == crashes;
    if (!complete) {
        std::cerr << fmt::format(
            "incomplete: {} simulators failed, drained={}, lost={}, connected={} of {}, "
            "{} of {} crashes acknowledged\n",
            failed,
            drained,
            lost,
            connected,
            vehicles,
            stored_ms.size(),
            crashes);
    }
    return complete ? 0 : 1;
}
