// Fleet ingest benchmark: Mosquitto, drivelink-cloud and drivelink-sim on one machine.
//
// Compares the rate at which the cloud stores samples durably with the rate at which the same
// broker delivers the same telemetry to a subscriber that only counts, in the same run. Prints
// a Markdown table for docs/BENCHMARKS.md.
//
// Usage: fleet_bench [--vehicles N] [--day-seconds S]

#include <fmt/format.h>
#include <mqtt/async_client.h>
#include <sqlite3.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <vector>

#include "drivelink/v1/drivelink.pb.h"
#include "tests/support/mosquitto.h"
#include "tests/support/process.h"

namespace {

using drivelink::testing::MosquittoBroker;
using drivelink::testing::Process;
using drivelink::testing::TempDir;
using Clock = std::chrono::steady_clock;

const std::filesystem::path kBinaryDir(DRIVELINK_BINARY_DIR);

// Subscribes to every car's telemetry and counts its samples without storing them.
class CountingSubscriber {
  public:
    explicit CountingSubscriber(const std::string& uri)
        : client_(uri, "fleet-bench-counter", mqtt::create_options(MQTTVERSION_5)) {
        client_.set_message_callback([this](mqtt::const_message_ptr message) {
            drivelink::v1::Uplink uplink;
            if (!uplink.ParseFromString(message->to_string()) || !uplink.has_batch()) {
                return;
            }
            const auto now = Clock::now().time_since_epoch().count();
            int64_t expected = 0;
            first_ns_.compare_exchange_strong(expected, now);
            last_ns_ = now;
            samples_ += static_cast<uint64_t>(uplink.batch().samples_size());
        });
        auto options = mqtt::connect_options_builder().mqtt_version(MQTTVERSION_5).finalize();
        client_.connect(options)->wait();
        client_.subscribe("dl/v1/+/telemetry", 1)->wait();
    }
    ~CountingSubscriber() { client_.disconnect()->wait_for(std::chrono::seconds(2)); }

    uint64_t samples() const { return samples_; }
    Clock::time_point first() const { return Clock::time_point(Clock::duration(first_ns_)); }
    Clock::time_point last() const { return Clock::time_point(Clock::duration(last_ns_)); }

  private:
    mqtt::async_client client_;
    std::atomic<uint64_t> samples_{0};
    std::atomic<int64_t> first_ns_{0};
    std::atomic<int64_t> last_ns_{0};
};

int64_t stored_samples(const std::filesystem::path& db_path) {
    sqlite3* db = nullptr;
    int64_t count = -1;
    if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 1000);
        sqlite3_stmt* statement = nullptr;
        if (sqlite3_prepare_v2(db, "SELECT count(*) FROM samples", -1, &statement, nullptr) ==
                SQLITE_OK &&
            sqlite3_step(statement) == SQLITE_ROW) {
            count = sqlite3_column_int64(statement, 0);
        }
        sqlite3_finalize(statement);
    }
    sqlite3_close(db);
    return count;
}

int64_t expected_samples(const std::filesystem::path& expect_path) {
    std::ifstream file(expect_path);
    const auto expected = nlohmann::json::parse(file);
    int64_t total = 0;
    for (const auto& vehicle : expected.at("vehicles")) {
        total += vehicle.at("samples").get<int64_t>();
    }
    return total;
}

double seconds_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double>(to - from).count();
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"fleet_bench: cloud ingest rate against broker delivery rate"};
    int vehicles = 500;
    double day_seconds = 60.0;
    app.add_option("--vehicles", vehicles, "simulated cars, one drivelink-sim process");
    app.add_option("--day-seconds", day_seconds, "real seconds per simulated day");
    CLI11_PARSE(app, argc, argv);

    TempDir dir;
    MosquittoBroker broker(dir / "broker");
    const auto db_path = dir / "cloud.db";
    Process cloud(
        kBinaryDir / "cloud/drivelink-cloud",
        {"run", "--broker", broker.uri(), "--db", db_path.string(), "--log-level", "warn"},
        dir / "cloud.log");
    std::this_thread::sleep_for(std::chrono::seconds(1));
    CountingSubscriber counter(broker.uri());

    Process sim(kBinaryDir / "sim/drivelink-sim",
                {"--broker",
                 broker.uri(),
                 "--vehicles",
                 std::to_string(vehicles),
                 "--day-seconds",
                 fmt::format("{}", day_seconds),
                 "--work-dir",
                 (dir / "sim").string(),
                 "--expect",
                 (dir / "expect.json").string(),
                 "--log-level",
                 "warn"},
                dir / "sim.log");
    // Polls the cloud's database, to learn when it had stored the last sample.
    std::vector<std::pair<Clock::time_point, int64_t>> progress;
    std::optional<int> exit_status;
    while (!(exit_status = sim.wait(std::chrono::milliseconds(250)))) {
        progress.emplace_back(Clock::now(), stored_samples(db_path));
    }
    if (exit_status != 0) {
        std::cerr << "drivelink-sim failed; log: "
                  << drivelink::testing::read_file(dir / "sim.log");
        return 1;
    }
    const int64_t expected = expected_samples(dir / "expect.json");
    const int64_t stored = stored_samples(db_path);
    auto stored_at = Clock::now();
    for (const auto& [time, count] : progress) {
        if (count == stored) {
            stored_at = time;
            break;
        }
    }

    const double delivery_s = seconds_between(counter.first(), counter.last());
    const double storage_s = seconds_between(counter.first(), stored_at);
    const double delivered_rate = static_cast<double>(counter.samples()) / delivery_s;
    const double stored_rate = static_cast<double>(stored) / storage_s;
    std::cout << fmt::format(
        "| vehicles | day (s) | samples sent | delivered to counter | stored by cloud | "
        "delivered/s | stored/s | ratio |\n|---|---|---|---|---|---|---|---|\n"
        "| {} | {} | {} | {} | {} | {:.0f} | {:.0f} | {:.3f} |\n",
        vehicles,
        day_seconds,
        expected,
        counter.samples(),
        stored,
        delivered_rate,
        stored_rate,
        stored_rate / delivered_rate);
    return stored == expected ? 0 : 1;
}
