// The drivelink-cloud program as a child process: exit codes, shutdown on SIGTERM, report.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <csignal>
#include <nlohmann/json.hpp>

#include "cloud/store/sqlite_store.h"
#include "tests/cloud/cloud_test_support.h"
#include "tests/cloud/mqtt_test_client.h"
#include "tests/support/mosquitto.h"
#include "tests/support/process.h"

namespace drivelink::cloud {
namespace {

using drivelink::testing::MosquittoBroker;
using drivelink::testing::Process;
using drivelink::testing::read_file;
using drivelink::testing::TempDir;
using std::chrono::seconds;
using testing::kVin;
using testing::query_int;
using testing::telemetry_uplink;
using testing::wait_until;

const std::filesystem::path kProgram =
    std::filesystem::path(DRIVELINK_BINARY_DIR) / "cloud/drivelink-cloud";

// Runs the program to its end and returns the exit status; its output goes to `log`.
int run_program(const std::vector<std::string>& args, const std::filesystem::path& log) {
    Process program(kProgram, args, log);
    return program.wait(seconds(30)).value_or(-1);
}

TEST(CloudProgram, InvalidBrokerUriExitsTwo) {
    TempDir dir;

    const int status =
        run_program({"run", "--broker", "http://127.0.0.1:1", "--db", (dir / "c.db").string()},
                    dir / "out.log");

    EXPECT_EQ(status, 2);
    EXPECT_NE(read_file(dir / "out.log").find("http://127.0.0.1:1"), std::string::npos)
        << read_file(dir / "out.log");
}

TEST(CloudProgram, UnopenableDatabaseExitsTwo) {
    TempDir dir;
    const auto db = dir / "missing" / "c.db";

    const int status =
        run_program({"run", "--broker", "tcp://127.0.0.1:1", "--db", db.string()}, dir / "out.log");

    EXPECT_EQ(status, 2);
    EXPECT_NE(read_file(dir / "out.log").find(db.string()), std::string::npos)
        << read_file(dir / "out.log");
}

TEST(CloudProgram, ReportOfMissingDatabaseExitsTwo) {
    TempDir dir;
    const auto db = dir / "none.db";

    const int status = run_program({"report", "--db", db.string()}, dir / "out.log");

    EXPECT_EQ(status, 2);
    EXPECT_NE(read_file(dir / "out.log").find(db.string()), std::string::npos)
        << read_file(dir / "out.log");
    EXPECT_FALSE(std::filesystem::exists(db));
}

TEST(CloudProgram, HelpNamesUnits) {
    TempDir dir;

    const int status = run_program({"run", "--help"}, dir / "out.log");

    EXPECT_EQ(status, 0);
    const std::string help = read_file(dir / "out.log");
    EXPECT_NE(help.find("--batch-delay-ms"), std::string::npos) << help;
    EXPECT_NE(help.find("milliseconds"), std::string::npos) << help;
}

TEST(CloudProgram, ReportPrintsJson) {
    TempDir dir;
    const auto db = dir / "cloud.db";
    {
        auto store = SqliteStore::open(db);
        ASSERT_TRUE(store.ok()) << store.error();
        auto uplink = telemetry_uplink(kVin, 1, {{0.0, 0.0}, {0.0, 1.0}});
        auto decoded =
            protocol::decode_uplink(protocol::topic_for(kVin, protocol::Channel::Telemetry),
                                    protocol::encode(uplink),
                                    std::chrono::system_clock::now());
        ASSERT_TRUE(decoded.ok()) << decoded.rejection->detail;
        StoreBatch batch;
        batch.uplinks.push_back(ReceivedUplink{decoded.uplink, testing::now_ms()});
        ASSERT_TRUE(store.value()->commit(batch).ok());
    }

    const int status = run_program({"report", "--db", db.string(), "--json"}, dir / "out.log");

    ASSERT_EQ(status, 0) << read_file(dir / "out.log");
    const auto report = nlohmann::json::parse(read_file(dir / "out.log"), nullptr, false);
    ASSERT_FALSE(report.is_discarded()) << read_file(dir / "out.log");
    EXPECT_EQ(report["total"]["fixes"], 2);
    EXPECT_NEAR(report["total"]["distance_km"].get<double>(), 111.19508, 1e-4);
    EXPECT_EQ(report["vehicles"][0]["vin"], kVin);
}

TEST(CloudProgramBroker, SigtermCommitsAndExitsZero) {
    TempDir dir;
    MosquittoBroker broker(dir / "broker");
    testing::MqttTestClient vehicle(broker.uri(), "test-vehicle");
    const auto db = dir / "cloud.db";
    Process cloud(kProgram,
                  {"run", "--broker", broker.uri(), "--db", db.string(), "--client-id", "cloud-1"},
                  dir / "cloud.log");
    ASSERT_TRUE(wait_until(
        [&] { return read_file(dir / "cloud.log").find("subscribed") != std::string::npos; },
        seconds(20)))
        << read_file(dir / "cloud.log");

    for (std::uint64_t seq = 1; seq <= 3; ++seq) {
        vehicle.publish(protocol::topic_for(kVin, protocol::Channel::Telemetry),
                        protocol::encode(telemetry_uplink(kVin, seq, {{49.0, 12.0}})));
    }
    ASSERT_TRUE(vehicle.wait_for_acks(kVin, {1, 2, 3})) << read_file(dir / "cloud.log");
    const int status = cloud.stop();

    EXPECT_EQ(status, 0) << read_file(dir / "cloud.log");
    EXPECT_EQ(query_int(db, "SELECT count(*) FROM messages"), 3);
    EXPECT_NE(read_file(dir / "cloud.log").find("stored=3"), std::string::npos)
        << read_file(dir / "cloud.log");
}

}  // namespace
}  // namespace drivelink::cloud
