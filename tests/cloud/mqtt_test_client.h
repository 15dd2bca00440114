// A plain Paho client that plays the vehicles in the integration tests: it publishes uplinks
// and records the commit acks and the other commands that arrive on dl/v1/+/cmd.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "drivelink/v1/drivelink.pb.h"

namespace mqtt {
class async_client;
}

namespace drivelink::cloud::testing {

class MqttTestClient {
  public:
    // Connects with a clean MQTT 5 session and subscribes to every vehicle's command topic;
    // fails the test when that does not work.
    MqttTestClient(const std::string& broker_uri, const std::string& client_id);
    ~MqttTestClient();
    MqttTestClient(const MqttTestClient&) = delete;
    MqttTestClient& operator=(const MqttTestClient&) = delete;

    // Publishes at QoS 1 and waits for the broker's PUBACK.
    void publish(const std::string& topic, const std::string& payload, bool retained = false);

    // Sequence numbers of each CommitAck received for `vin`, in arrival order.
    std::vector<std::vector<std::uint64_t>> acks(const std::string& vin) const;

    // Waits until the acks received for `vin`, from the `first_ack`-th on, name all of `seqs`.
    bool wait_for_acks(const std::string& vin,
                       const std::set<std::uint64_t>& seqs,
                       std::size_t first_ack = 0,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

    // Downlinks other than commit acks received for `vin`, in arrival order.
    std::vector<v1::Downlink> commands(const std::string& vin) const;

  private:
    void connect(const std::string& broker_uri);

    std::unique_ptr<mqtt::async_client> client_;
    mutable std::mutex mutex_;
    std::map<std::string, std::vector<std::vector<std::uint64_t>>> acks_;
    std::map<std::string, std::vector<v1::Downlink>> commands_;
};

}  // namespace drivelink::cloud::testing
