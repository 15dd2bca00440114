// The cloud service in-process against a real Mosquitto: uplinks published by a plain Paho
// client must end up in SQLite once and be acknowledged on dl/v1/{vin}/cmd.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fmt/format.h>
#include <csignal>

#include "cloud/service/cloud_service.h"
#include "tests/cloud/cloud_test_support.h"
#include "tests/cloud/mqtt_test_client.h"
#include "tests/support/mosquitto.h"
#include "tests/support/process.h"

namespace drivelink::cloud {
namespace {

using drivelink::testing::MosquittoBroker;
using drivelink::testing::Process;
using drivelink::testing::TempDir;
using protocol::Channel;
using std::chrono::milliseconds;
using testing::event_uplink;
using testing::kVin;
using testing::MqttTestClient;
using testing::query_int;
using testing::query_text;
using testing::status_payload;
using testing::telemetry_uplink;
using testing::wait_until;

constexpr const char* kOtherVin = "1HGCM82633A004352";

class IngestBroker : public ::testing::Test {
  protected:
    void SetUp() override {
        broker_ = std::make_unique<MosquittoBroker>(dir_ / "broker");
        vehicles_ = std::make_unique<MqttTestClient>(broker_->uri(), "test-vehicles");
    }

    CloudServiceOptions options() const {
        CloudServiceOptions options;
        options.db_path = db();
        options.store.busy_timeout = milliseconds(50);
        options.ingest.retry_initial = milliseconds(50);
        options.ingest.retry_max = milliseconds(200);
        options.mqtt.broker_uri = broker_->uri();
        options.mqtt.client_id = "cloud-under-test";
        return options;
    }

    std::unique_ptr<CloudService> start_cloud(CloudServiceOptions service_options) {
        auto service = CloudService::start(std::move(service_options));
        EXPECT_TRUE(service.ok()) << service.error();
        if (!service) {
            return nullptr;
        }
        const auto& mqtt = service.value()->mqtt();
        EXPECT_TRUE(wait_until([&mqtt] { return mqtt.subscribed(); })) << "cloud not subscribed";
        return std::move(service).value();
    }

    std::unique_ptr<CloudService> start_cloud() { return start_cloud(options()); }

    void publish(const v1::Uplink& uplink, Channel channel = Channel::Telemetry) {
        vehicles_->publish(protocol::topic_for(uplink.vin(), channel), protocol::encode(uplink));
    }

    std::filesystem::path db() const { return dir_ / "cloud.db"; }

    std::int64_t rows(const std::string& table) const {
        return query_int(db(), fmt::format("SELECT count(*) FROM {}", table));
    }

    TempDir dir_;
    std::unique_ptr<MosquittoBroker> broker_;
    std::unique_ptr<MqttTestClient> vehicles_;
};

TEST_F(IngestBroker, StoresTelemetryAndAcks) {
    auto cloud = start_cloud();
    ASSERT_NE(cloud, nullptr);

    publish(telemetry_uplink(kVin, 1, {{49.00, 12.00}, {49.01, 12.01}}));
    publish(telemetry_uplink(kVin, 2, {{49.02, 12.02}}));
    publish(telemetry_uplink(kOtherVin, 1, {{48.00, 11.00}}));

    EXPECT_TRUE(vehicles_->wait_for_acks(kVin, {1, 2}));
    EXPECT_TRUE(vehicles_->wait_for_acks(kOtherVin, {1}));
    EXPECT_EQ(rows("messages"), 3);
    EXPECT_EQ(rows("samples"), 4);
    EXPECT_EQ(cloud->counters().stored, 3u);
}

TEST_F(IngestBroker, StoresEventAndAcks) {
    auto cloud = start_cloud();
    ASSERT_NE(cloud, nullptr);

    publish(event_uplink(kVin, 9, v1::EVENT_TYPE_CRASH), Channel::Event);

    EXPECT_TRUE(vehicles_->wait_for_acks(kVin, {9}));
    EXPECT_EQ(rows("events"), 1);
    EXPECT_EQ(query_text(db(), "SELECT type FROM events"), "crash");
}

TEST_F(IngestBroker, RepublishedMessagesStoredOnce) {
    auto cloud = start_cloud();
    ASSERT_NE(cloud, nullptr);
    const auto first = telemetry_uplink(kVin, 1, {{49.00, 12.00}, {49.01, 12.01}});
    const auto second = telemetry_uplink(kVin, 2, {{49.02, 12.02}});
    publish(first);
    publish(second);
    ASSERT_TRUE(vehicles_->wait_for_acks(kVin, {1, 2}));
    const std::size_t acks_before = vehicles_->acks(kVin).size();

    publish(first);
    publish(second);

    EXPECT_TRUE(vehicles_->wait_for_acks(kVin, {1, 2}, acks_before));
    EXPECT_EQ(rows("messages"), 2);
    EXPECT_EQ(rows("samples"), 3);
    EXPECT_EQ(query_int(db(), "SELECT duplicates FROM vehicles"), 2);
    EXPECT_EQ(cloud->counters().duplicates, 2u);
}

TEST_F(IngestBroker, InvalidMessagesBecomeDeadLetters) {
    auto cloud = start_cloud();
    ASSERT_NE(cloud, nullptr);
    auto mismatched = telemetry_uplink(kOtherVin, 1, {{49.0, 12.0}});
    auto event_on_telemetry = event_uplink(kVin, 2, v1::EVENT_TYPE_SOS);
    auto beyond_int64 = telemetry_uplink(kVin, std::uint64_t{1} << 63, {{49.0, 12.0}});

    vehicles_->publish(protocol::topic_for(kVin, Channel::Telemetry), "\xff\xff garbage");
    vehicles_->publish(protocol::topic_for(kVin, Channel::Telemetry), protocol::encode(mismatched));
    vehicles_->publish("dl/v1/1M8GDM9A1KP042788/telemetry", protocol::encode(mismatched));
    publish(event_on_telemetry, Channel::Telemetry);
    publish(beyond_int64);
    publish(telemetry_uplink(kVin, 3, {{49.0, 12.0}}));

    // The event on the telemetry topic came from its vehicle with a valid number, so its dead
    // letter is acknowledged and the agent stops resending it. The others are not acknowledged.
    ASSERT_TRUE(vehicles_->wait_for_acks(kVin, {2, 3}));
    ASSERT_TRUE(wait_until([this] { return rows("dead_letters") == 5; }));
    const auto reason_count = [this](const std::string& reason) {
        return query_int(
            db(), fmt::format("SELECT count(*) FROM dead_letters WHERE reason = '{}'", reason));
    };
    EXPECT_EQ(reason_count("undecodable"), 1);
    EXPECT_EQ(reason_count("vin_mismatch"), 1);
    EXPECT_EQ(reason_count("bad_vin"), 1);
    EXPECT_EQ(reason_count("wrong_body"), 1);
    EXPECT_EQ(reason_count("bad_sequence"), 1);
    EXPECT_EQ(query_text(db(), "SELECT payload FROM dead_letters WHERE reason = 'undecodable'"),
              "\xff\xff garbage");
    EXPECT_EQ(rows("messages"), 1);
    EXPECT_EQ(cloud->counters().rejected_by_reason["vin_mismatch"], 1u);
    EXPECT_TRUE(vehicles_->acks(kOtherVin).empty());
    for (const auto& ack : vehicles_->acks(kVin)) {
        for (const auto seq : ack) {
            EXPECT_TRUE(seq == 2 || seq == 3) << "unexpected ack of seq " << seq;
        }
    }
}

TEST_F(IngestBroker, StatusSetsOnlineAndOffline) {
    auto cloud = start_cloud();
    ASSERT_NE(cloud, nullptr);
    const std::string topic = protocol::topic_for(kVin, Channel::Status);
    const std::string online_sql = "SELECT coalesce(online, -1) FROM vehicles";
    const std::int64_t connected_ms = testing::now_ms() - 500;

    vehicles_->publish(topic, status_payload(kVin, true, connected_ms), true);
    EXPECT_TRUE(
        wait_until([&] { return rows("vehicles") == 1 && query_int(db(), online_sql) == 1; }));

    vehicles_->publish(topic, status_payload(kVin, false, connected_ms), true);
    EXPECT_TRUE(wait_until([&] { return query_int(db(), online_sql) == 0; }));
    EXPECT_EQ(cloud->counters().statuses, 2u);
}

TEST_F(IngestBroker, LastWillMarksOffline) {
    auto cloud = start_cloud();
    ASSERT_NE(cloud, nullptr);
    const std::string topic = protocol::topic_for(kVin, Channel::Status);
    const std::int64_t connected_ms = testing::now_ms() - 500;
    vehicles_->publish(topic, status_payload(kVin, true, connected_ms), true);
    ASSERT_TRUE(wait_until([&] { return rows("vehicles") == 1; }));

    // A car that vanishes without DISCONNECT: the broker publishes its Last Will.
    Process car("/usr/bin/mosquitto_sub",
                {"-h",
                 "127.0.0.1",
                 "-p",
                 std::to_string(broker_->port()),
                 "-V",
                 "mqttv5",
                 "-i",
                 "car-with-will",
                 "-t",
                 "dl/v1/none/cmd",
                 "--will-topic",
                 topic,
                 "--will-payload",
                 status_payload(kVin, false, connected_ms),
                 "--will-qos",
                 "1",
                 "--will-retain"},
                dir_ / "car.log");
    ASSERT_TRUE(wait_until([&] {
        return drivelink::testing::read_file(broker_->log_file()).find("car-with-will") !=
               std::string::npos;
    })) << drivelink::testing::read_file(broker_->log_file());
    car.signal(SIGKILL);

    EXPECT_TRUE(wait_until([&] { return query_int(db(), "SELECT online FROM vehicles") == 0; }));
}

TEST_F(IngestBroker, LockedStoreDelaysAckUntilCommit) {
    auto cloud = start_cloud();
    ASSERT_NE(cloud, nullptr);
    sqlite3* other = nullptr;
    ASSERT_EQ(sqlite3_open(db().c_str(), &other), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);

    publish(telemetry_uplink(kVin, 1, {{49.0, 12.0}}));
    const bool failed = wait_until([&cloud] { return cloud->counters().commit_failures >= 2; });
    const auto acks_while_locked = vehicles_->acks(kVin).size();
    const auto rows_while_locked = rows("messages");
    sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(other);

    EXPECT_TRUE(failed);
    EXPECT_EQ(acks_while_locked, 0u);
    EXPECT_EQ(rows_while_locked, 0);
    EXPECT_TRUE(vehicles_->wait_for_acks(kVin, {1}));
    EXPECT_EQ(rows("messages"), 1);
}

TEST_F(IngestBroker, RestartedCloudReceivesQueuedMessages) {
    start_cloud().reset();

    publish(telemetry_uplink(kVin, 1, {{49.0, 12.0}}));
    publish(telemetry_uplink(kVin, 2, {{49.1, 12.1}}));
    auto cloud = start_cloud();
    ASSERT_NE(cloud, nullptr);

    EXPECT_TRUE(vehicles_->wait_for_acks(kVin, {1, 2}));
    EXPECT_EQ(rows("messages"), 2);
}

TEST_F(IngestBroker, ReconnectsAfterBrokerRestart) {
    auto cloud = start_cloud();
    ASSERT_NE(cloud, nullptr);
    vehicles_.reset();

    broker_->stop();
    const bool lost = wait_until([&cloud] { return !cloud->mqtt().connected(); });
    broker_->start();
    const bool resubscribed = wait_until([&cloud] { return cloud->mqtt().subscribed(); });
    vehicles_ = std::make_unique<MqttTestClient>(broker_->uri(), "test-vehicles");
    publish(telemetry_uplink(kVin, 1, {{49.0, 12.0}}));

    EXPECT_TRUE(lost);
    EXPECT_TRUE(resubscribed);
    EXPECT_TRUE(vehicles_->wait_for_acks(kVin, {1}));
    EXPECT_EQ(rows("messages"), 1);
}

TEST_F(IngestBroker, StopCommitsWhatIsQueued) {
    auto service_options = options();
    // A batch delay far beyond the test's run: only stop() commits.
    service_options.ingest.batch_delay = std::chrono::hours(1);
    auto cloud = start_cloud(std::move(service_options));
    ASSERT_NE(cloud, nullptr);
    publish(telemetry_uplink(kVin, 1, {{49.0, 12.0}}));
    publish(telemetry_uplink(kVin, 2, {{49.1, 12.1}}));
    ASSERT_TRUE(wait_until([&cloud] { return cloud->counters().received == 2; }));

    EXPECT_TRUE(cloud->stop());

    EXPECT_EQ(rows("messages"), 2);
    EXPECT_TRUE(vehicles_->wait_for_acks(kVin, {1, 2}));
}

TEST_F(IngestBroker, StopAbandonsLockedStoreUnacked) {
    auto service_options = options();
    service_options.ingest.drain_timeout = milliseconds(300);
    auto cloud = start_cloud(std::move(service_options));
    ASSERT_NE(cloud, nullptr);
    sqlite3* other = nullptr;
    ASSERT_EQ(sqlite3_open(db().c_str(), &other), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
    publish(telemetry_uplink(kVin, 1, {{49.0, 12.0}}));
    const bool received = wait_until([&cloud] { return cloud->counters().received == 1; });

    const bool drained = cloud->stop();
    sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(other);

    EXPECT_TRUE(received);
    EXPECT_FALSE(drained);
    EXPECT_EQ(rows("messages"), 0);
    EXPECT_TRUE(vehicles_->acks(kVin).empty());
}

TEST_F(IngestBroker, FullBatchCommitsBeforeDelay) {
    auto service_options = options();
    service_options.ingest.batch_delay = std::chrono::hours(1);
    service_options.ingest.batch_max_messages = 3;
    auto cloud = start_cloud(std::move(service_options));
    ASSERT_NE(cloud, nullptr);

    for (std::uint64_t seq = 1; seq <= 3; ++seq) {
        publish(telemetry_uplink(kVin, seq, {{49.0, 12.0}}));
    }

    EXPECT_TRUE(vehicles_->wait_for_acks(kVin, {1, 2, 3}));
    EXPECT_EQ(rows("messages"), 3);
    EXPECT_EQ(cloud->counters().commits, 1u);
}

}  // namespace
}  // namespace drivelink::cloud
