// The agent's MQTT 5 connection: the one place in agent/ that talks to libmosquitto.
//
// The session is persistent (clean start off, session expiry set), so the cloud's commit acks
// and commands queue at the broker while the car is offline. A retained Last Will marks the
// car offline, and reconnects use exponential backoff with jitter.
//
// libmosquitto runs no thread of its own here: its socket is watched by the executor given at
// construction, and every read, write, keep-alive check and callback runs there, so thousands
// of links share one thread pool. Only the TCP and TLS connect, which blocks, runs on a small
// shared pool of connect threads; the executor leaves the client alone meanwhile.
#pragma once

#include <utility>  // Boost 1.74's Asio needs this before it under C++20 on g++ 12.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "protocol/broker_uri.h"
#include "protocol/result.h"

struct mosquitto;
struct mosquitto_message;
typedef struct mqtt5__property mosquitto_property;

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
    std::chrono::seconds connect_timeout{20};  // from the CONNECT to the SUBACK
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
    // Publishes at QoS 1 without waiting. False when not connected or the client refused it.
    bool publish(const std::string& topic, const std::string& payload, bool retained = false);
    // Sends the retained offline status and disconnects, waiting at most `timeout`.
    void stop(std::chrono::milliseconds timeout = std::chrono::seconds(5));
    bool connected() const { return connected_; }

  private:
    struct Client;  // the libmosquitto handle, shared with a connect in progress

    void connect();
    void on_connect_returned(int rc, int saved_errno);
    void fail_attempt(const std::string& detail);
    void on_lost(const std::string& cause);
    void schedule_reconnect();
    std::string status_payload(bool online) const;

    // Socket watching: each wait calls into libmosquitto and arms itself again.
    void watch_socket();
    void unwatch_socket();
    void wait_readable();
    void wait_writable();
    // Waits once for the socket to be ready in `type`, then lets libmosquitto read or write.
    void wait(boost::asio::posix::stream_descriptor::wait_type type, bool& pending);
    void after_io(int rc, uint64_t generation);
    void start_keepalive();

    // libmosquitto callbacks, called from within the calls above on the executor.
    static void on_connack(mosquitto*, void* self, int rc, int flags, const mosquitto_property*);
    static void on_suback(
        mosquitto*, void* self, int mid, int count, const int* granted, const mosquitto_property*);
    static void on_message(mosquitto*,
                           void* self,
                           const mosquitto_message* message,
                           const mosquitto_property*);
    static void on_disconnect(mosquitto*, void* self, int rc, const mosquitto_property*);

    boost::asio::any_io_executor executor_;
    MqttLinkOptions options_;
    MqttLinkHandlers handlers_;
    protocol::BrokerAddress address_;
    std::shared_ptr<Client> client_;
    std::optional<boost::asio::posix::stream_descriptor> socket_;  // a duplicate of its socket
    uint64_t socket_generation_ = 0;  // waits of an earlier socket find it changed
    bool reading_ = false;
    bool writing_ = false;
    boost::asio::steady_timer reconnect_timer_;
    boost::asio::steady_timer
        attempt_timer_;  // gives up on an attempt the broker does not complete
    boost::asio::steady_timer keepalive_timer_;  // drives libmosquitto's keep-alive
    std::mt19937_64 random_;
    std::chrono::milliseconds next_delay_;
    bool connected_ = false;
    bool stopping_ = false;
    // One attempt runs from connect() until the SUBACK of the command subscription, or its
    // failure. Results of older attempts are dropped.
    uint64_t attempt_ = 0;
    bool attempting_ = false;
    int subscribe_mid_ = -1;
    // Posted handlers hold a weak copy and do nothing once the link is gone.
    std::shared_ptr<MqttLink*> alive_;
};

}  // namespace drivelink::agent
