// End to end with the fleet simulator: Mosquitto, drivelink-cloud and a few hundred simulated
// cars, each a real agent, for a simulated day with trouble codes, crashes, SOS presses,
// coverage losses and a broker restart. The cloud's database must then contain exactly what the
// simulator reports it sent.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "sim/route.h"
#include "tests/sim/sim_database.h"
#include "tests/support/mosquitto.h"
#include "tests/support/process.h"

namespace drivelink::testing {
namespace {

const std::filesystem::path kBinaryDir(DRIVELINK_BINARY_DIR);

constexpr int kVehicles = 200;
constexpr double kDaySeconds = 60.0;
constexpr double kDistanceTolerance = 0.005;
constexpr double kCoverageLossesPerDay = 2.0;

// What the cloud's database holds for one VIN.
struct Stored {
    int64_t messages = 0;
    int64_t max_seq = 0;
    int64_t samples = 0;
    std::map<std::string, int64_t> events;
    double distance_km = 0.0;
};

std::map<std::string, Stored> read_cloud(const std::filesystem::path& path) {
    std::map<std::string, Stored> stored;
    Database db(path);
    db.query("SELECT vin, count(*), max(seq) FROM messages GROUP BY vin", [&](sqlite3_stmt* row) {
        auto& vehicle = stored[text(row, 0)];
        vehicle.messages = sqlite3_column_int64(row, 1);
        vehicle.max_seq = sqlite3_column_int64(row, 2);
    });
    db.query("SELECT vin, count(*) FROM samples GROUP BY vin", [&](sqlite3_stmt* row) {
        stored[text(row, 0)].samples = sqlite3_column_int64(row, 1);
    });
    db.query("SELECT vin, lower(type), count(*) FROM events GROUP BY vin, lower(type)",
             [&](sqlite3_stmt* row) {
                 stored[text(row, 0)].events[text(row, 1)] = sqlite3_column_int64(row, 2);
             });
    std::string vin;
    double latitude_deg = 0.0;
    double longitude_deg = 0.0;
    db.query(
        "SELECT vin, latitude_deg, longitude_deg FROM samples ORDER BY vin, time_ms, seq, "
        "batch_index",
        [&](sqlite3_stmt* row) {
            const std::string row_vin = text(row, 0);
            const double latitude = sqlite3_column_double(row, 1);
            const double longitude = sqlite3_column_double(row, 2);
            if (row_vin == vin) {
                stored[vin].distance_km +=
                    sim::haversine_km(latitude_deg, longitude_deg, latitude, longitude);
            }
            vin = row_vin;
            latitude_deg = latitude;
            longitude_deg = longitude;
        });
    return stored;
}

class FleetSimTest : public ::testing::Test {
  protected:
    void SetUp() override {
        broker_ = std::make_unique<MosquittoBroker>(dir_ / "broker");
        cloud_ = std::make_unique<Process>(
            kBinaryDir / "cloud/drivelink-cloud",
            std::vector<std::string>{"run", "--broker", broker_->uri(), "--db", db_path()},
            dir_ / "cloud.log",
            /*through_pipe=*/true);
        ASSERT_TRUE(wait_for_subscription()) << read_file(dir_ / "cloud.log");
    }

    bool wait_for_subscription() {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (std::chrono::steady_clock::now() < deadline) {
            if (read_file(dir_ / "cloud.log").find("subscribed") != std::string::npos) {
                return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return false;
    }

    std::unique_ptr<Process> start_sim() {
        return std::make_unique<Process>(
            kBinaryDir / "sim/drivelink-sim",
            std::vector<std::string>{"--broker",
                                     broker_->uri(),
                                     "--vehicles",
                                     std::to_string(kVehicles),
                                     "--day-seconds",
                                     std::to_string(kDaySeconds),
                                     "--seed",
                                     "20100403",
                                     "--work-dir",
                                     (dir_ / "sim").string(),
                                     "--expect",
                                     expect_path(),
                                     "--dtc-rate",
                                     "0.3",
                                     "--crash-rate",
                                     "0.05",
                                     "--sos-rate",
                                     "0.05",
                                     "--coverage-loss-rate",
                                     std::to_string(kCoverageLossesPerDay),
                                     "--drain-timeout-s",
                                     "90",
                                     "--log-level",
                                     "warn"},
            dir_ / "sim.log");
    }

    std::string db_path() const { return (dir_ / "cloud.db").string(); }
    std::string expect_path() const { return (dir_ / "expect.json").string(); }

    TempDir dir_;
    std::unique_ptr<MosquittoBroker> broker_;
    std::unique_ptr<Process> cloud_;
};

TEST_F(FleetSimTest, CloudHoldsWhatFleetSent) {
    auto sim = start_sim();
    // A third into the simulated day the broker restarts, as in a maintenance window.
    std::this_thread::sleep_for(std::chrono::duration<double>(kDaySeconds / 3));
    broker_->stop();
    std::this_thread::sleep_for(std::chrono::seconds(2));
    broker_->start();

    const auto exit_status = sim->wait(std::chrono::seconds(180));
    ASSERT_TRUE(exit_status.has_value()) << "drivelink-sim still running after 180 s";
    ASSERT_EQ(*exit_status, 0) << read_file(dir_ / "sim.log");
    ASSERT_EQ(cloud_->stop(), 0) << read_file(dir_ / "cloud.log");

    std::ifstream expect_file(expect_path());
    const auto expected = nlohmann::json::parse(expect_file);
    ASSERT_TRUE(expected.at("drained").get<bool>());
    const auto stored = read_cloud(db_path());
    ASSERT_EQ(expected.at("vehicles").size(), static_cast<std::size_t>(kVehicles));

    std::map<std::string, int64_t> expected_events;
    int64_t coverage_losses = 0;
    for (const auto& vehicle : expected.at("vehicles")) {
        const auto vin = vehicle.at("vin").get<std::string>();
        SCOPED_TRACE("vin=" + vin);
        ASSERT_TRUE(stored.contains(vin));
        const auto& cloud = stored.at(vin);
        const auto messages = vehicle.at("messages").get<int64_t>();
        EXPECT_EQ(cloud.messages, messages);
        EXPECT_EQ(cloud.max_seq, messages);
        EXPECT_EQ(cloud.samples, vehicle.at("samples").get<int64_t>());
        const auto events = vehicle.at("events").get<std::map<std::string, int64_t>>();
        EXPECT_EQ(cloud.events, events);
        const auto distance_km = vehicle.at("distance_km").get<double>();
        EXPECT_NEAR(cloud.distance_km, distance_km, kDistanceTolerance * distance_km);
        for (const auto& [type, count] : events) {
            expected_events[type] += count;
        }
        coverage_losses += vehicle.at("coverage_losses").get<int64_t>();
    }
    // The faults really happened, so the checks above covered them.
    EXPECT_GT(expected_events["crash"], 0);
    EXPECT_GT(expected_events["sos"], 0);
    EXPECT_GT(expected_events["dtc_set"], 0);
    EXPECT_GT(coverage_losses, 0);
}

}  // namespace
}  // namespace drivelink::testing
