// MqttClient against a real Mosquitto that restarts or drops the connection: the client must
// reconnect, subscribe again, keep its QoS 1 publishes and keep its persistent session.
#include <gtest/gtest.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>

#include <fmt/format.h>
#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "cloud/mqtt/mqtt_client.h"
#include "protocol/topics.h"
#include "tests/cloud/cloud_test_support.h"
#include "tests/support/mosquitto.h"
#include "tests/support/process.h"
#include "tests/support/tcp_proxy.h"

namespace drivelink::cloud {
namespace {

using drivelink::testing::MosquittoBroker;
using drivelink::testing::TcpProxy;
using drivelink::testing::TempDir;
using protocol::Channel;
using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::kVin;
using testing::wait_until;

// Long enough for a few of libmosquitto's reconnects, which come at least a second apart.
constexpr auto kReconnectTimeout = seconds(30);

struct Message {
    std::string topic;
    std::string payload;
};

// Messages that a client's network thread receives and the test reads.
class Inbox {
  public:
    void add(std::string topic, std::string payload) {
        std::lock_guard lock(mutex_);
        messages_.push_back({std::move(topic), std::move(payload)});
    }

    // Returns the payloads received on `topic`, in arrival order.
    std::vector<std::string> payloads(const std::string& topic) const {
        std::lock_guard lock(mutex_);
        std::vector<std::string> payloads;
        for (const auto& message : messages_) {
            if (message.topic == topic) {
                payloads.push_back(message.payload);
            }
        }
        return payloads;
    }

    // Returns true when every one of `expected` has arrived on `topic`.
    bool contains_all(const std::string& topic, const std::vector<std::string>& expected) const {
        const auto received = payloads(topic);
        const std::set<std::string> unique(received.begin(), received.end());
        return std::all_of(expected.begin(), expected.end(), [&unique](const std::string& payload) {
            return unique.contains(payload);
        });
    }

  private:
    mutable std::mutex mutex_;
    std::vector<Message> messages_;
};

// Checks that `topic` received each of `expected` and nothing else. QoS 1 allows duplicates,
// so a payload may arrive more than once.
void expect_exactly(const Inbox& inbox,
                    const std::string& topic,
                    const std::vector<std::string>& expected) {
    const auto received = inbox.payloads(topic);
    const std::set<std::string> unique(received.begin(), received.end());
    const std::set<std::string> wanted(expected.begin(), expected.end());
    for (const auto& payload : wanted) {
        EXPECT_TRUE(unique.contains(payload)) << "missing on " << topic << ": " << payload;
    }
    for (const auto& payload : unique) {
        EXPECT_TRUE(wanted.contains(payload)) << "unexpected on " << topic << ": " << payload;
    }
}

// A plain libmosquitto client that plays the vehicles: a persistent MQTT 5 session that
// reconnects by itself, subscribes to `filter` on every connection and records what arrives.
class TestPeer {
  public:
    TestPeer(const std::string& client_id, int port, const std::string& filter)
        : filter_(filter), client_(mosquitto_new(client_id.c_str(), false, this)) {
        if (!client_) {
            throw std::runtime_error("mosquitto_new failed for " + client_id);
        }
        mosquitto_int_option(client_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
        mosquitto_reconnect_delay_set(client_, 1, 1, false);
        mosquitto_connect_v5_callback_set(client_, &TestPeer::on_connect);
        mosquitto_subscribe_callback_set(client_, &TestPeer::on_subscribe);
        mosquitto_publish_v5_callback_set(client_, &TestPeer::on_publish);
        mosquitto_message_callback_set(client_, &TestPeer::on_message);

        mosquitto_property* properties = nullptr;
        mosquitto_property_add_int32(&properties, MQTT_PROP_SESSION_EXPIRY_INTERVAL, 3600);
        const int connected =
            mosquitto_connect_bind_v5(client_, "127.0.0.1", port, 30, nullptr, properties);
        mosquitto_property_free_all(&properties);
        if (connected != MOSQ_ERR_SUCCESS || mosquitto_loop_start(client_) != MOSQ_ERR_SUCCESS) {
            mosquitto_destroy(client_);
            throw std::runtime_error(fmt::format(
                "test peer cannot connect to port {}: {}", port, mosquitto_strerror(connected)));
        }
    }

    ~TestPeer() {
        mosquitto_disconnect(client_);
        mosquitto_loop_stop(client_, false);
        mosquitto_destroy(client_);
    }

    TestPeer(const TestPeer&) = delete;
    TestPeer& operator=(const TestPeer&) = delete;

    // Returns the number of SUBACKs received, one per connection.
    int subscriptions() const {
        std::lock_guard lock(mutex_);
        return subscriptions_;
    }

    // Publishes at QoS 1 and waits for the broker's PUBACK.
    void publish(const std::string& topic, const std::string& payload) {
        int mid = 0;
        const int result = mosquitto_publish_v5(client_,
                                                &mid,
                                                topic.c_str(),
                                                static_cast<int>(payload.size()),
                                                payload.data(),
                                                1,
                                                false,
                                                nullptr);
        ASSERT_EQ(result, MOSQ_ERR_SUCCESS) << mosquitto_strerror(result);
        ASSERT_TRUE(wait_until([&] {
            std::lock_guard lock(mutex_);
            return acknowledged_.contains(mid);
        })) << "no PUBACK for "
            << payload;
    }

    const Inbox& inbox() const { return inbox_; }

  private:
    static void on_connect(
        mosquitto* client, void* self, int reason_code, int, const mosquitto_property*) {
        if (reason_code == MQTT_RC_SUCCESS) {
            const auto& filter = static_cast<TestPeer*>(self)->filter_;
            mosquitto_subscribe(client, nullptr, filter.c_str(), 1);
        }
    }

    static void on_subscribe(mosquitto*, void* self, int, int, const int*) {
        auto* peer = static_cast<TestPeer*>(self);
        std::lock_guard lock(peer->mutex_);
        ++peer->subscriptions_;
    }

    static void on_publish(mosquitto*, void* self, int mid, int, const mosquitto_property*) {
        auto* peer = static_cast<TestPeer*>(self);
        std::lock_guard lock(peer->mutex_);
        peer->acknowledged_.insert(mid);
    }

    static void on_message(mosquitto*, void* self, const mosquitto_message* message) {
        static_cast<TestPeer*>(self)->inbox_.add(
            message->topic,
            std::string(static_cast<const char*>(message->payload),
                        static_cast<std::size_t>(message->payloadlen)));
    }

    const std::string filter_;
    mosquitto* client_;
    mutable std::mutex mutex_;
    int subscriptions_ = 0;
    std::set<int> acknowledged_;
    Inbox inbox_;
};

std::vector<std::string> numbered(const std::string& prefix, int count) {
    std::vector<std::string> payloads;
    for (int i = 0; i < count; ++i) {
        payloads.push_back(fmt::format("{}-{}", prefix, i));
    }
    return payloads;
}

class MqttClientBroker : public ::testing::Test {
  protected:
    void SetUp() override {
        broker_ = std::make_unique<MosquittoBroker>(dir_ / "broker");
        vehicles_ = std::make_unique<TestPeer>("test-vehicles", broker_->port(), "dl/v1/+/cmd");
        ASSERT_TRUE(wait_until([this] { return vehicles_->subscriptions() >= 1; }));
    }

    // Creates and starts the cloud's client on `port` and waits for its subscriptions.
    std::unique_ptr<MqttClient> start_cloud(int port) {
        MqttClientOptions options;
        options.broker_uri = fmt::format("tcp://127.0.0.1:{}", port);
        options.client_id = "cloud-under-test";
        options.reconnect_min = milliseconds(100);
        options.reconnect_max = seconds(1);
        auto created = MqttClient::create(std::move(options));
        EXPECT_TRUE(created.ok()) << created.error();
        if (!created) {
            return nullptr;
        }
        auto client = std::move(created).value();
        client->start([this](std::string topic, std::string payload) {
            cloud_inbox_.add(std::move(topic), std::move(payload));
        });
        EXPECT_TRUE(wait_until([&client] { return client->subscribed(); }))
            << "cloud not subscribed";
        return client;
    }

    void publish_all(MqttClient& cloud,
                     const std::string& topic,
                     const std::vector<std::string>& payloads) {
        for (const auto& payload : payloads) {
            const auto published = cloud.publish(topic, payload);
            EXPECT_TRUE(published.ok()) << published.error();
        }
    }

    TempDir dir_;
    std::unique_ptr<MosquittoBroker> broker_;
    std::unique_ptr<TestPeer> vehicles_;
    Inbox cloud_inbox_;
    const std::string command_topic_ = protocol::topic_for(kVin, Channel::Command);
    const std::string telemetry_topic_ = protocol::topic_for(kVin, Channel::Telemetry);
};

TEST_F(MqttClientBroker, BrokerRestartKeepsPublishes) {
    auto cloud = start_cloud(broker_->port());
    ASSERT_NE(cloud, nullptr);

    // The broker stops right after these publishes, so some of them are likely still waiting for
    // their PUBACK, and libmosquitto sends those again after reconnecting.
    const auto before = numbered("before-restart", 200);
    publish_all(*cloud, command_topic_, before);
    broker_->stop();
    ASSERT_TRUE(wait_until([&] { return !cloud->connected(); })) << "loss not noticed";
    EXPECT_FALSE(cloud->subscribed());

    const auto during = numbered("while-broker-down", 20);
    publish_all(*cloud, command_topic_, during);

    broker_->start();
    ASSERT_TRUE(wait_until([&] { return cloud->subscribed(); }, kReconnectTimeout))
        << "cloud did not reconnect and subscribe again";
    const auto after = numbered("after-restart", 20);
    publish_all(*cloud, command_topic_, after);

    std::vector<std::string> expected = before;
    expected.insert(expected.end(), during.begin(), during.end());
    expected.insert(expected.end(), after.begin(), after.end());
    EXPECT_TRUE(
        wait_until([&] { return vehicles_->inbox().contains_all(command_topic_, expected); },
                   kReconnectTimeout));
    expect_exactly(vehicles_->inbox(), command_topic_, expected);

    // The subscriptions made after the restart deliver to the cloud.
    ASSERT_TRUE(wait_until([&] { return vehicles_->subscriptions() >= 2; }, kReconnectTimeout));
    ASSERT_NO_FATAL_FAILURE(vehicles_->publish(telemetry_topic_, "uplink-after-restart"));
    EXPECT_TRUE(wait_until(
        [&] { return cloud_inbox_.contains_all(telemetry_topic_, {"uplink-after-restart"}); }));
    expect_exactly(cloud_inbox_, telemetry_topic_, {"uplink-after-restart"});
}

// Checks that libmosquitto sends the session expiry interval on its own reconnects too. Without
// it, the broker ends the session when the reconnected connection drops, and the uplinks
// published during the cut are lost.
TEST_F(MqttClientBroker, SessionSurvivesAutomaticReconnect) {
    TcpProxy proxy(broker_->port());
    auto cloud = start_cloud(proxy.port());
    ASSERT_NE(cloud, nullptr);

    broker_->stop();
    ASSERT_TRUE(wait_until([&] { return !cloud->connected(); })) << "loss not noticed";
    broker_->start();
    ASSERT_TRUE(wait_until([&] { return cloud->subscribed(); }, kReconnectTimeout))
        << "cloud did not reconnect after the broker restart";

    proxy.cut();
    ASSERT_TRUE(wait_until([&] { return !cloud->connected(); })) << "cut not noticed";
    ASSERT_TRUE(wait_until([&] { return vehicles_->subscriptions() >= 2; }, kReconnectTimeout));
    const auto uplinks = numbered("uplink-during-cut", 10);
    for (const auto& payload : uplinks) {
        ASSERT_NO_FATAL_FAILURE(vehicles_->publish(telemetry_topic_, payload));
    }
    const auto commands = numbered("command-during-cut", 10);
    publish_all(*cloud, command_topic_, commands);

    proxy.restore();
    ASSERT_TRUE(wait_until([&] { return cloud->subscribed(); }, kReconnectTimeout))
        << "cloud did not reconnect after the cut";
    EXPECT_TRUE(wait_until([&] { return cloud_inbox_.contains_all(telemetry_topic_, uplinks); },
                           kReconnectTimeout));
    expect_exactly(cloud_inbox_, telemetry_topic_, uplinks);
    EXPECT_TRUE(
        wait_until([&] { return vehicles_->inbox().contains_all(command_topic_, commands); },
                   kReconnectTimeout));
    expect_exactly(vehicles_->inbox(), command_topic_, commands);
}

TEST_F(MqttClientBroker, StopIsIdempotentAndRejectsPublish) {
    auto cloud = start_cloud(broker_->port());
    ASSERT_NE(cloud, nullptr);

    cloud->stop();
    cloud->stop();
    EXPECT_FALSE(cloud->connected());
    EXPECT_FALSE(cloud->subscribed());
    const auto published = cloud->publish(command_topic_, "after-stop");
    ASSERT_FALSE(published.ok());
    EXPECT_NE(published.error().find(command_topic_), std::string::npos) << published.error();
}

// Without a broker nothing is acknowledged, so the limit is reached after exactly
// max_buffered_messages publishes.
TEST(MqttClient, RejectsPublishBeyondBufferLimit) {
    MqttClientOptions options;
    options.broker_uri = "tcp://127.0.0.1:1";
    options.client_id = "cloud-buffer-limit";
    options.max_buffered_messages = 3;
    auto created = MqttClient::create(std::move(options));
    ASSERT_TRUE(created.ok()) << created.error();
    auto& cloud = *created.value();
    const std::string topic = protocol::topic_for(kVin, Channel::Command);

    for (int i = 0; i < 3; ++i) {
        const auto published = cloud.publish(topic, fmt::format("kept-{}", i));
        EXPECT_TRUE(published.ok()) << published.error();
    }
    const auto rejected = cloud.publish(topic, "one-too-many");
    ASSERT_FALSE(rejected.ok());
    EXPECT_NE(rejected.error().find(topic), std::string::npos) << rejected.error();
}

TEST(MqttClient, RejectsInvalidOptions) {
    MqttClientOptions options;
    options.broker_uri = "ssl://127.0.0.1:8883";
    options.client_id = "cloud";
    EXPECT_FALSE(MqttClient::create(options).ok());

    options.broker_uri = "tcp://127.0.0.1:1883";
    options.client_id.clear();
    EXPECT_FALSE(MqttClient::create(options).ok());

    options.client_id = "cloud";
    options.keep_alive = seconds(2);
    EXPECT_FALSE(MqttClient::create(options).ok());
}

}  // namespace
}  // namespace drivelink::cloud
