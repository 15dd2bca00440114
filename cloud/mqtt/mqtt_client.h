// The cloud's MQTT 5 connection: the one place in cloud/ that talks to Paho.
//
// A persistent session (clean start off, session expiry one day by default) makes the broker
// keep queueing QoS 1 messages for this client while the cloud is down, so a restarted cloud
// with the same client ID receives them. The client subscribes to the shared subscriptions of
// the telemetry, event and status topics, so cloud instances with different client IDs split the
// vehicles. Paho's exceptions stop here and become log lines and Status values.
//
// Threads: the message handler, and the connect and loss logging, run on Paho's callback
// thread. The handler must return quickly, because Paho sends the PUBACK when it returns and
// delivers nothing else meanwhile. The first connection is retried on a thread of this class,
// and after that Paho reconnects by itself.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "cloud/ingest/ingest.h"
#include "protocol/result.h"

namespace mqtt {
class async_client;
class connect_options;
}  // namespace mqtt

namespace drivelink::cloud {

struct MqttClientOptions {
    std::string broker_uri;  // tcp://HOST:PORT or mqtt://HOST:PORT
    std::string client_id;   // stable across restarts, else the broker's session is lost
    std::chrono::seconds keep_alive{30};
    std::chrono::seconds session_expiry{std::chrono::hours(24)};
    std::chrono::milliseconds reconnect_min{500};
    std::chrono::milliseconds reconnect_max{std::chrono::seconds(30)};
    std::chrono::seconds connect_timeout{10};
    // Commit acks that Paho keeps while disconnected and sends after reconnecting.
    int max_buffered_messages = 10'000;
};

// Called with the topic and payload of each received message, on Paho's callback thread.
using MessageHandler = std::function<void(std::string topic, std::string payload)>;

// Checks that `uri` is tcp://HOST[:PORT] or mqtt://HOST[:PORT] with a port from 1 to 65535;
// the error names the URI.
Status validate_broker_uri(std::string_view uri);

class MqttClient final : public CommandPublisher {
  public:
    // Creates the Paho client without connecting. Fails on an invalid URI or client ID.
    static Result<std::unique_ptr<MqttClient>> create(MqttClientOptions options);
    ~MqttClient() override;  // calls stop()
    MqttClient(const MqttClient&) = delete;
    MqttClient& operator=(const MqttClient&) = delete;

    // Connects in the background, retrying until it succeeds or stop() is called, and
    // subscribes on every connection. `handler` receives every message.
    void start(MessageHandler handler);

    // Publishes at QoS 1 without waiting. While disconnected, Paho buffers the message up to
    // max_buffered_messages. Thread-safe.
    Status publish(const std::string& topic, const std::string& payload) override;

    // Stops retrying and disconnects, waiting at most `timeout` for publishes in flight.
    void stop(std::chrono::milliseconds timeout = std::chrono::seconds(5));

    bool connected() const { return connected_; }
    // True once the broker granted all subscriptions of the current connection.
    bool subscribed() const { return subscribed_; }

  private:
    class SubscribeListener;

    MqttClient(MqttClientOptions options, std::unique_ptr<mqtt::async_client> client);
    void install_callbacks();
    void connect_until_stopped();
    bool try_connect();
    void subscribe();
    void on_subscribed(bool granted, const std::string& detail);

    const MqttClientOptions options_;
    std::unique_ptr<mqtt::connect_options> connect_options_;
    std::unique_ptr<SubscribeListener> subscribe_listener_;
    MessageHandler handler_;

    std::atomic<bool> connected_ = false;
    std::atomic<bool> subscribed_ = false;
    std::atomic<bool> stopped_ = false;  // callbacks that still arrive after stop() do nothing
    std::atomic<int> connect_attempts_ = 0;

    std::mutex stop_mutex_;
    std::condition_variable stop_requested_;
    bool stopping_ = false;  // guarded by stop_mutex_
    std::thread connector_;

    // Declared last so that it is destroyed first, while everything its callbacks use is alive.
    std::unique_ptr<mqtt::async_client> client_;
};

}  // namespace drivelink::cloud
