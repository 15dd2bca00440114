// The agent as a head unit: recorded vehicle signals turn into sampled telemetry and events
// in the cloud, and commands from the cloud reach the screen once each.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fmt/format.h>
#include <csignal>
#include <cstdlib>
#include <fstream>

#include "drivelink/v1/drivelink.pb.h"
#include "protocol/codec.h"
#include "protocol/topics.h"
#include "tests/e2e/fleet.h"
#include "tests/e2e/nmea_reference.h"
#include "tests/support/mosquitto.h"
#include "tests/support/process.h"

namespace drivelink::testing {
namespace {

using std::chrono::seconds;

const std::filesystem::path kDrive = std::filesystem::path(DRIVELINK_SOURCE_DIR) /
                                     "tests/data/nmea/genivi/20100411_Geko_Regensburg.txt";
const std::filesystem::path kBinaryDir(DRIVELINK_BINARY_DIR);
// The drive's first fix, 2010-04-11T16:57:44Z.
constexpr int64_t kDriveStartMs = 1'271'005'064'000;

int64_t query_count(const std::filesystem::path& db_path, const std::string& sql) {
    sqlite3* db = nullptr;
    int64_t count = -1;
    if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
            sqlite3_step(stmt) == SQLITE_ROW) {
            count = sqlite3_column_int64(stmt, 0);
        }
        sqlite3_finalize(stmt);
    }
    sqlite3_close(db);
    return count;
}

class HeadUnit : public ::testing::Test {
  protected:
    void SetUp() override {
        broker_ = std::make_unique<MosquittoBroker>(dir_ / "broker");
        cloud_ = std::make_unique<Process>(
            kBinaryDir / "cloud/drivelink-cloud",
            std::vector<std::string>{"run", "--broker", broker_->uri(), "--db", db().string()},
            dir_ / "cloud.log");
        ASSERT_TRUE(wait_for_text(dir_ / "cloud.log", "subscribed", seconds(20)));
    }

    std::filesystem::path db() const { return dir_ / "cloud.db"; }

    std::vector<std::string> agent_args(const std::string& vin, const std::string& speed) const {
        return {"run",
                "--vin",
                vin,
                "--broker",
                broker_->uri(),
                "--nmea",
                kDrive.string(),
                "--replay-speed",
                speed,
                "--outbox",
                (dir_ / "outbox.db").string(),
                "--summary",
                (dir_ / "summary.txt").string()};
    }

    // Publishes a Downlink to the car's command topic with mosquitto_pub.
    void send_command(const std::string& vin, const v1::Downlink& downlink) {
        const auto file = dir_ / "command.bin";
        std::ofstream(file, std::ios::binary) << protocol::encode(downlink);
        const std::string command =
            fmt::format("mosquitto_pub -h 127.0.0.1 -p {} -q 1 -t {} -f {}",
                        broker_->port(),
                        protocol::topic_for(vin, protocol::Channel::Command),
                        file.string());
        ASSERT_EQ(std::system(command.c_str()), 0) << command;
    }

    TempDir dir_;
    std::unique_ptr<MosquittoBroker> broker_;
    std::unique_ptr<Process> cloud_;
};

TEST_F(HeadUnit, SignalsBecomeSamplesAndEvents) {
    const std::string vin = test_vin(51);
    std::ofstream signals(dir_ / "signals.jsonl");
    signals << fmt::format(
        "{{\"time_ms\": {}, \"Vehicle.LowVoltageSystemState\": \"ON\", "
        "\"Vehicle.TraveledDistance\": 42000.0, \"Vehicle.Diagnostics.DTCList\": []}}\n"
        "{{\"time_ms\": {}, \"Vehicle.Diagnostics.DTCList\": [\"P0301\"]}}\n"
        "{{\"time_ms\": {}, \"Vehicle.Cabin.Seat.Row1.DriverSide.Airbag.IsDeployed\": true}}\n",
        kDriveStartMs,
        kDriveStartMs + 300'000,
        kDriveStartMs + 900'000);
    signals.close();

    auto args = agent_args(vin, "0");
    args.insert(args.end(),
                {"--signals", (dir_ / "signals.jsonl").string(), "--exit-when-drained"});
    Process agent(kBinaryDir / "agent/drivelink-agent", args, dir_ / "agent.log");
    const auto status = agent.wait(seconds(120));
    ASSERT_TRUE(status.has_value()) << read_file(dir_ / "agent.log");
    ASSERT_EQ(*status, 0) << read_file(dir_ / "agent.log");
    ASSERT_EQ(cloud_->stop(), 0);

    const auto where = fmt::format("WHERE vin = '{}'", vin);
    const int64_t samples = query_count(db(), "SELECT COUNT(*) FROM samples " + where);
    // The sampler keeps fewer than every fix of the 26-minute drive, but at least one per
    // driving interval of 10 s.
    EXPECT_LT(samples, static_cast<int64_t>(reference_fixes(kDrive).size()));
    EXPECT_GT(samples, 1500 / 10);
    EXPECT_EQ(
        query_count(db(),
                    "SELECT COUNT(*) FROM samples " + where + " AND traveled_distance_km = 42000"),
        samples);
    EXPECT_EQ(query_count(db(),
                          "SELECT COUNT(*) FROM events " + where +
                              " AND lower(type) LIKE '%dtc_set%' AND dtc = 'P0301'"),
              1);
    EXPECT_EQ(query_count(
                  db(), "SELECT COUNT(*) FROM events " + where + " AND lower(type) LIKE '%crash%'"),
              1);
}

TEST_F(HeadUnit, CommandsHandledOnce) {
    const std::string vin = test_vin(52);
    Process agent(kBinaryDir / "agent/drivelink-agent", agent_args(vin, "1"), dir_ / "agent.log");
    ASSERT_TRUE(wait_for_text(dir_ / "agent.log", "connected to", seconds(20)));

    v1::Downlink campaign;
    campaign.set_command_id("campaign-7");
    campaign.mutable_campaign_message()->set_campaign_id("spring-check");
    campaign.mutable_campaign_message()->set_title("Spring check");
    campaign.mutable_campaign_message()->set_body("Free tyre check at your dealer");
    send_command(vin, campaign);
    send_command(vin, campaign);  // delivered twice, shown once

    v1::Downlink config;
    config.set_command_id("config-1");
    config.mutable_config_update()->mutable_settings()->set_driving_interval_s(5);
    send_command(vin, config);

    ASSERT_TRUE(wait_for_text(dir_ / "agent.log", "new sampling and event settings", seconds(20)))
        << read_file(dir_ / "agent.log");
    agent.signal(SIGTERM);
    const auto status = agent.wait(seconds(30));
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(*status, 0);
    cloud_->stop();

    const std::string log = read_file(dir_ / "agent.log");
    EXPECT_NE(log.find("Free tyre check at your dealer"), std::string::npos) << log;
    const std::string summary = read_file(dir_ / "summary.txt");
    EXPECT_NE(summary.find("commands_handled=2"), std::string::npos) << summary;
    EXPECT_NE(summary.find("commands_duplicate=1"), std::string::npos) << summary;
}

}  // namespace
}  // namespace drivelink::testing
