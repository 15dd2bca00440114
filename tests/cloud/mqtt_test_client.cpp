#include "tests/cloud/mqtt_test_client.h"

#include <gtest/gtest.h>
#include <mqtt/async_client.h>

#include "drivelink/v1/drivelink.pb.h"
#include "protocol/topics.h"
#include "tests/cloud/cloud_test_support.h"

namespace drivelink::cloud::testing {
namespace {

constexpr auto kTimeout = std::chrono::seconds(10);

}  // namespace

MqttTestClient::MqttTestClient(const std::string& broker_uri, const std::string& client_id)
    : client_(std::make_unique<mqtt::async_client>(
          broker_uri, client_id, mqtt::create_options(MQTTVERSION_5), nullptr)) {
    // Runs on Paho's callback thread.
    client_->set_message_callback([this](mqtt::const_message_ptr message) {
        auto topic = protocol::parse_topic(message->get_topic());
        v1::Downlink downlink;
        if (!topic || !downlink.ParseFromString(message->get_payload_str())) {
            return;
        }
        std::lock_guard lock(mutex_);
        if (!downlink.has_commit_ack()) {
            commands_[topic->vin].push_back(std::move(downlink));
            return;
        }
        const auto& seqs = downlink.commit_ack().seqs();
        acks_[topic->vin].emplace_back(seqs.begin(), seqs.end());
    });
    connect(broker_uri);
}

void MqttTestClient::connect(const std::string& broker_uri) {
    try {
        auto options = mqtt::connect_options_builder()
                           .mqtt_version(MQTTVERSION_5)
                           .clean_start(true)
                           .finalize();
        ASSERT_TRUE(client_->connect(options)->wait_for(kTimeout)) << "connect timed out";
        ASSERT_TRUE(client_->subscribe("dl/v1/+/cmd", 1)->wait_for(kTimeout))
            << "subscribe timed out";
    } catch (const mqtt::exception& error) {
        FAIL() << "test client on " << broker_uri << ": " << error.what();
    }
}

MqttTestClient::~MqttTestClient() {
    try {
        client_->disconnect()->wait_for(kTimeout);
    } catch (const mqtt::exception&) {
        // The broker may be gone already; nothing to clean up then.
    }
}

void MqttTestClient::publish(const std::string& topic, const std::string& payload, bool retained) {
    try {
        auto token = client_->publish(topic, payload.data(), payload.size(), 1, retained);
        ASSERT_TRUE(token->wait_for(kTimeout)) << "publish to " << topic << " timed out";
    } catch (const mqtt::exception& error) {
        FAIL() << "publish to " << topic << ": " << error.what();
    }
}

std::vector<std::vector<std::uint64_t>> MqttTestClient::acks(const std::string& vin) const {
    std::lock_guard lock(mutex_);
    auto found = acks_.find(vin);
    return found == acks_.end() ? std::vector<std::vector<std::uint64_t>>{} : found->second;
}

std::vector<v1::Downlink> MqttTestClient::commands(const std::string& vin) const {
    std::lock_guard lock(mutex_);
    auto found = commands_.find(vin);
    return found == commands_.end() ? std::vector<v1::Downlink>{} : found->second;
}

bool MqttTestClient::wait_for_acks(const std::string& vin,
                                   const std::set<std::uint64_t>& seqs,
                                   std::size_t first_ack,
                                   std::chrono::milliseconds timeout) const {
    return wait_until(
        [&] {
            const auto received = acks(vin);
            std::set<std::uint64_t> acked;
            for (std::size_t i = first_ack; i < received.size(); ++i) {
                acked.insert(received[i].begin(), received[i].end());
            }
            return std::includes(acked.begin(), acked.end(), seqs.begin(), seqs.end());
        },
        timeout);
}

}  // namespace drivelink::cloud::testing
