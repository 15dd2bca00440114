// Real drives end to end: an NMEA capture replayed through drivelink-agent, a real Mosquitto
// and drivelink-cloud into SQLite, checked against an independent reading of the capture.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fmt/format.h>
#include <cmath>
#include <csignal>
#include <regex>
#include <thread>

#include "tests/e2e/nmea_reference.h"
#include "tests/support/mosquitto.h"
#include "tests/support/process.h"

namespace drivelink::testing {
namespace {

using std::chrono::seconds;

constexpr const char* kVin = "1M8GDM9AXKP042788";
const std::filesystem::path kRegensburg = std::filesystem::path(DRIVELINK_SOURCE_DIR) /
                                          "tests/data/nmea/genivi/20100411_Geko_Regensburg.txt";

struct StoredSample {
    int64_t time_ms;
    double latitude_deg;
    double longitude_deg;
};

std::vector<StoredSample> stored_samples(const std::filesystem::path& db_path) {
    sqlite3* db = nullptr;
    std::vector<StoredSample> samples;
    if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        ADD_FAILURE() << "cannot open " << db_path << ": " << sqlite3_errmsg(db);
        sqlite3_close(db);
        return samples;
    }
    sqlite3_stmt* stmt = nullptr;
    const char* sql =
        "SELECT time_ms, latitude_deg, longitude_deg FROM samples WHERE vin = ? ORDER BY time_ms";
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_bind_text(stmt, 1, kVin, -1, SQLITE_STATIC);
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        samples.push_back({sqlite3_column_int64(stmt, 0),
                           sqlite3_column_double(stmt, 1),
                           sqlite3_column_double(stmt, 2)});
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return samples;
}

bool wait_for_log(const std::filesystem::path& log, const std::string& text, seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (read_file(log).find(text) != std::string::npos) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

// One broker, one cloud and the helpers to run agents against them.
class DriveEndToEnd : public ::testing::Test {
  protected:
    void SetUp() override {
        broker_ = std::make_unique<MosquittoBroker>(dir_ / "broker");
        cloud_ = std::make_unique<Process>(
            std::filesystem::path(DRIVELINK_BINARY_DIR) / "cloud/drivelink-cloud",
            std::vector<std::string>{
                "run", "--broker", broker_->uri(), "--db", cloud_db().string()},
            dir_ / "cloud.log");
        ASSERT_TRUE(wait_for_log(dir_ / "cloud.log", "subscribed", seconds(20)))
            << read_file(dir_ / "cloud.log");
    }

    std::filesystem::path cloud_db() const { return dir_ / "cloud.db"; }

    // Replays `nmea` as fast as possible and waits until the cloud acknowledged everything.
    int run_agent(const std::filesystem::path& nmea, std::vector<std::string> extra = {}) {
        std::vector<std::string> args{"run",
                                      "--vin",
                                      kVin,
                                      "--broker",
                                      broker_->uri(),
                                      "--nmea",
                                      nmea.string(),
                                      "--replay-speed",
                                      "0",
                                      "--outbox",
                                      (dir_ / "outbox.db").string(),
                                      "--exit-when-drained",
                                      "--record-every-fix"};
        args.insert(args.end(), extra.begin(), extra.end());
        Process agent(std::filesystem::path(DRIVELINK_BINARY_DIR) / "agent/drivelink-agent",
                      args,
                      dir_ / "agent.log");
        auto status = agent.wait(seconds(180));
        EXPECT_TRUE(status.has_value())
            << "agent did not finish: " << read_file(dir_ / "agent.log");
        return status.value_or(-1);
    }

    void stop_cloud() { EXPECT_EQ(cloud_->stop(), 0) << read_file(dir_ / "cloud.log"); }

    TempDir dir_;
    std::unique_ptr<MosquittoBroker> broker_;
    std::unique_ptr<Process> cloud_;
};

TEST_F(DriveEndToEnd, RegensburgStoresEachFixOnce) {
    const auto reference = reference_fixes(kRegensburg);
    ASSERT_GT(reference.size(), 700u);

    ASSERT_EQ(run_agent(kRegensburg), 0) << read_file(dir_ / "agent.log");
    stop_cloud();

    const auto stored = stored_samples(cloud_db());
    ASSERT_EQ(stored.size(), reference.size());
    EXPECT_NEAR(stored.front().latitude_deg, reference.front().latitude_deg, 1e-7);
    EXPECT_NEAR(stored.front().longitude_deg, reference.front().longitude_deg, 1e-7);
    EXPECT_NEAR(stored.back().latitude_deg, reference.back().latitude_deg, 1e-7);
    EXPECT_NEAR(stored.back().longitude_deg, reference.back().longitude_deg, 1e-7);

    double reference_km = 0;
    for (std::size_t i = 1; i < reference.size(); ++i) {
        reference_km += haversine_km(reference[i - 1].latitude_deg,
                                     reference[i - 1].longitude_deg,
                                     reference[i].latitude_deg,
                                     reference[i].longitude_deg);
    }
    double stored_km = 0;
    for (std::size_t i = 1; i < stored.size(); ++i) {
        stored_km += haversine_km(stored[i - 1].latitude_deg,
                                  stored[i - 1].longitude_deg,
                                  stored[i].latitude_deg,
                                  stored[i].longitude_deg);
    }
    EXPECT_GT(reference_km, 10.0);
    EXPECT_NEAR(stored_km, reference_km, reference_km * 0.005);
}

TEST_F(DriveEndToEnd, ResentMessagesStoredOnce) {
    // An ack timeout far below the round trip makes the agent publish messages again before
    // their ack arrives, so the cloud receives duplicates. A window of two keeps messages in
    // flight across many of the agent's 200 ms resend checks.
    ASSERT_EQ(run_agent(kRegensburg,
                        {"--ack-timeout-ms", "1", "--batch-samples", "5", "--max-in-flight", "2"}),
              0)
        << read_file(dir_ / "agent.log");
    stop_cloud();

    const std::string agent_log = read_file(dir_ / "agent.log");
    std::smatch resends;
    ASSERT_TRUE(std::regex_search(agent_log, resends, std::regex("resends=(\\d+)"))) << agent_log;
    EXPECT_GT(std::stoi(resends[1]), 0) << agent_log;

    EXPECT_EQ(stored_samples(cloud_db()).size(), reference_fixes(kRegensburg).size());
}

TEST_F(DriveEndToEnd, SecondRunOfAgentResumesSequence) {
    const auto reference = reference_fixes(kRegensburg);
    ASSERT_EQ(run_agent(kRegensburg), 0) << read_file(dir_ / "agent.log");
    // The same drive again through the same outbox: new sequence numbers, so every fix is
    // stored a second time, and none of the first run's numbers is reused.
    ASSERT_EQ(run_agent(kRegensburg), 0) << read_file(dir_ / "agent.log");
    stop_cloud();
    EXPECT_EQ(stored_samples(cloud_db()).size(), 2 * reference.size());
}

}  // namespace
}  // namespace drivelink::testing
