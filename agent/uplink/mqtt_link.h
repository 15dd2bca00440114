// The agent's MQTT 5 connection: the one place that talks to Paho.
//
// The session is persistent (clean start off, session expiry set), so the cloud's commit acks
// queue at the broker while the car is offline. A retained Last Will marks the car offline,
// and reconnects use exponential backoff with jitter. Paho's exceptions stop here and become
// log lines and return values. Paho calls back on its own threads, so every handler below is
// posted to the executor given at construction: handlers run where the agent runs, and no Paho
// callback blocks.
#pragma once

#include <utility>  // Boost 1.74's Asio needs this before it under C++20 on g++ 12.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "protocol/result.h"

namespace mqtt {
class async_client;
class connect_options;
}  // namespace mqtt

namespace drivelink::agent {

struct TlsOptions {
    std::string ca_file;           // PEM file of the CA that signed the broker's certificate
    std::string certificate_file;  // PEM client certificate
    std::string private_key_file;  // PEM key of the client certificate
};

struct MqttLinkOptions {
    std::string broker_uri;  // tcp://host:port, or ssl://host:port with tls set
    std::string vin;
    std::string client_id;  // empty: "drivelink-agent-{vin}"
    std::chrono::seconds keep_alive{60};
    std::chrono::seconds session_expiry{std::chrono::hours(24 * 7)};
    std::chrono::milliseconds reconnect_min{500};
    std::chrono::milliseconds reconnect_max{std::chrono::seconds(60)};
    std::optional<TlsOptions> tls;
};

struct MqttLinkHandlers {
    std::function<void()> connected;
    std::function<void(const std::string& cause)> lost;
    std::function<void(const std::string& topic, const std::string& payload)> message;
};

class MqttLink {
  public:
    MqttLink(boost::asio::any_io_executor executor,
             MqttLinkOptions options,
             MqttLinkHandlers handlers);
    ~MqttLink();
    MqttLink(const MqttLink&) = delete;
    MqttLink& operator=(const MqttLink&) = delete;

    // Starts connecting; retries until stop(). Fails only on invalid options.
    Status start();
    // Publishes at QoS 1 without waiting. False when not connected or Paho refused it.
    bool publish(const std::string& topic, const std::string& payload, bool retained = false);
    // Sends the retained offline status and disconnects, waiting at most `timeout`.
    void stop(std::chrono::milliseconds timeout = std::chrono::seconds(5));
    bool connected() const { return connected_; }

  private:
    class Listener;
    void connect();
    void on_connect_result(bool success, const std::string& detail);
    void schedule_reconnect();
    std::string status_payload(bool online) const;

    boost::asio::any_io_executor executor_;
    MqttLinkOptions options_;
    MqttLinkHandlers handlers_;
    std::unique_ptr<mqtt::async_client> client_;
    std::unique_ptr<mqtt::connect_options> connect_options_;
    std::unique_ptr<Listener> listener_;
    boost::asio::steady_timer reconnect_timer_;
    std::mt19937_64 random_;
    std::chrono::milliseconds next_delay_;
    bool connected_ = false;
    bool stopping_ = false;
    bool connecting_ = false;
    // Posted handlers hold a weak copy and do nothing once the link is gone.
    std::shared_ptr<MqttLink*> alive_;
};

}  // namespace drivelink::agent
