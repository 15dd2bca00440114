// The cloud's MQTT 5 connection: the one place in cloud/ that talks to libmosquitto.
//
// A persistent session (clean start off, session expiry one day by default) makes the broker
// keep queueing QoS 1 messages for this client while the cloud is down, so a restarted cloud
// with the same client ID receives them. The client subscribes to the shared subscriptions of
// the telemetry, event and status topics, so cloud instances with different client IDs split the
// vehicles. libmosquitto's return codes stop here and become log lines and Status values.
//
// Threads: the message handler, and the connect and loss logging, run on libmosquitto's network
// thread. The handler must return quickly, because that thread delivers nothing else meanwhile.
// libmosquitto 2.0.11 queues the PUBACK of a message before it calls the handler, and the
// network thread writes it after the handler returns. The first connection is retried on a
// thread of this class, and after that libmosquitto reconnects by itself.
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
#include <vector>

#include "cloud/ingest/ingest.h"
#include "protocol/result.h"

struct mosquitto;
struct mosquitto_message;
struct mqtt5__property;

namespace drivelink::cloud {

struct MqttClientOptions {
    std::string broker_uri;  // tcp://HOST:PORT or mqtt://HOST:PORT
    std::string client_id;   // stable across restarts, else the broker's session is lost
    std::chrono::seconds keep_alive{30};
    std::chrono::seconds session_expiry{std::chrono::hours(24)};
    // libmosquitto 2.0.11 counts reconnect delays in whole seconds, so both are rounded up to a
    // second or more for its reconnects. The retries of the first connection use them as given.
    std::chrono::milliseconds reconnect_min{500};
    std::chrono::milliseconds reconnect_max{std::chrono::seconds(30)};
    // NOTE: unused, because libmosquitto 2.0.11 has no connect timeout. Connecting to an
    // unreachable host blocks for as long as the kernel retries the TCP handshake.
    std::chrono::seconds connect_timeout{10};
    // Maximum number of published messages (commit acks, commands) that the broker has not
    // acknowledged yet, whether in flight or kept while disconnected. publish() rejects more.
    int max_buffered_messages = 10'000;
};

// Called with the topic and payload of each received message, on libmosquitto's network thread.
using MessageHandler = std::function<void(std::string topic, std::string payload)>;

// Checks that `uri` is tcp://HOST[:PORT] or mqtt://HOST[:PORT] with a port from 1 to 65535;
// the error names the URI.
Status validate_broker_uri(std::string_view uri);

class MqttClient final : public CommandPublisher {
  public:
    // Creates the libmosquitto client without connecting. Fails on an invalid URI, client ID,
    // keep-alive, session expiry or max_buffered_messages.
    static Result<std::unique_ptr<MqttClient>> create(MqttClientOptions options);
    ~MqttClient() override;  // calls stop()
    MqttClient(const MqttClient&) = delete;
    MqttClient& operator=(const MqttClient&) = delete;

    // Connects in the background, retrying until it succeeds or stop() is called, and
    // subscribes on every connection. `handler` receives every message.
    void start(MessageHandler handler);

    // Publishes at QoS 1 without waiting. While disconnected, the message is kept in memory and
    // sent after reconnecting. Fails when max_buffered_messages are unacknowledged already, or
    // after stop(). Thread-safe.
    Status publish(const std::string& topic, const std::string& payload) override;

    // Stops reconnecting and disconnects, waiting at most `timeout` for publishes in flight.
    void stop(std::chrono::milliseconds timeout = std::chrono::seconds(5));

    bool connected() const { return connected_; }
    // True once the broker granted all subscriptions of the current connection.
    bool subscribed() const { return subscribed_; }

  private:
    struct Callbacks;
    struct MosquittoDeleter {
        void operator()(mosquitto* client) const;
    };
    struct PropertiesDeleter {
        void operator()(mqtt5__property* properties) const;
    };

    MqttClient(MqttClientOptions options,
               std::unique_ptr<mosquitto, MosquittoDeleter> client,
               std::unique_ptr<mqtt5__property, PropertiesDeleter> connect_properties);
    void connect_until_stopped();
    bool try_connect();
    void subscribe();
    void on_connect(int reason_code, int flags);
    void on_disconnect(int reason_code);
    void on_subscribed(int mid, const int* granted_qos, int count);
    void on_published(int mid, int reason_code);
    void on_message(const mosquitto_message& message);
    int send_to_library(const std::string& topic, const std::string& payload);
    void send_held_messages();
    void release_unacknowledged();
    void wait_for_publishes(std::chrono::milliseconds timeout);
    void stop_network_thread();

    const MqttClientOptions options_;
    std::string host_;  // of options_.broker_uri
    int port_ = 0;
    // Sent with every CONNECT, also on libmosquitto's reconnects, which reuse the properties
    // given to mosquitto_connect_bind_v5.
    std::unique_ptr<mqtt5__property, PropertiesDeleter> connect_properties_;
    MessageHandler handler_;

    // publish() hands messages to libmosquitto only between a CONNACK and the loss of that
    // connection, and keeps them in held_messages_ otherwise. libmosquitto's reconnect (in its
    // lib/connect.c) opens the socket before it queues CONNECT, so a PUBLISH from another thread
    // could otherwise be queued ahead of the CONNECT.
    std::mutex publish_mutex_;
    struct HeldMessage {
        std::string topic;
        std::string payload;
    };
    std::vector<HeldMessage> held_messages_;  // guarded by publish_mutex_

    std::atomic<bool> connected_ = false;  // written with publish_mutex_ held until stop()
    std::atomic<bool> subscribed_ = false;
    // Callbacks that still arrive after stop() do nothing. Written with publish_mutex_ held.
    std::atomic<bool> stopped_ = false;
    std::atomic<int> subscribe_mid_ = 0;  // message ID of the SUBSCRIBE of this connection

    // Messages published and not acknowledged by the broker yet, held ones included.
    std::mutex unacknowledged_mutex_;
    std::condition_variable unacknowledged_changed_;
    int unacknowledged_ = 0;  // guarded by unacknowledged_mutex_

    std::mutex stop_mutex_;
    std::condition_variable stop_requested_;
    bool stopping_ = false;         // guarded by stop_mutex_
    bool network_started_ = false;  // guarded by stop_mutex_
    std::thread connector_;

    // Declared last so that it is destroyed first, after stop() has joined the network thread.
    std::unique_ptr<mosquitto, MosquittoDeleter> client_;
};

}  // namespace drivelink::cloud
