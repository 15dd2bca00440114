#include "agent/uplink/mqtt_link.h"

#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cerrno>
#include <cstring>
#include <thread>

#include "drivelink/v1/drivelink.pb.h"
#include "protocol/broker_uri.h"
#include "protocol/codec.h"
#include "protocol/topics.h"

namespace drivelink::agent {
namespace {

constexpr int kQos = 1;

std::shared_ptr<spdlog::logger> logger() {
    static auto instance = [] {
        auto existing = spdlog::get("uplink");
        return existing ? existing : spdlog::default_logger()->clone("uplink");
    }();
    return instance;
}

void init_library() {
    static const int result = mosquitto_lib_init();
    (void)result;
}

// Connects block in TCP and TLS, so they run here and not on the agent's executor.
boost::asio::thread_pool& connect_pool() {
    static boost::asio::thread_pool pool(4);
    return pool;
}

std::string describe(int rc, int saved_errno) {
    if (rc == MOSQ_ERR_ERRNO) {
        return std::strerror(saved_errno);
    }
    return mosquitto_strerror(rc);
}

}  // namespace

struct MqttLink::Client {
    mosquitto* handle = nullptr;
    ~Client() {
        if (handle) {
            mosquitto_destroy(handle);
        }
    }
};

MqttLink::MqttLink(boost::asio::any_io_executor executor,
                   MqttLinkOptions options,
                   MqttLinkHandlers handlers)
    : executor_(executor),
      options_(std::move(options)),
      handlers_(std::move(handlers)),
      reconnect_timer_(executor),
      attempt_timer_(executor),
      keepalive_timer_(executor),
      random_(std::random_device{}()),
      next_delay_(options_.reconnect_min),
      alive_(std::make_shared<MqttLink*>(this)) {
    if (options_.client_id.empty()) {
        options_.client_id = "drivelink-agent-" + options_.vin;
    }
}

MqttLink::~MqttLink() {
    alive_.reset();
    unwatch_socket();
    if (client_) {
        // A connect still running on a connect thread keeps the client until it returns, and
        // the callbacks then find no link.
        mosquitto_user_data_set(client_->handle, nullptr);
    }
}

std::string MqttLink::status_payload(bool online) const {
    v1::VehicleStatus status;
    status.set_vin(options_.vin);
    status.set_online(online);
    status.set_time_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count());
    return protocol::encode(status);
}

Status MqttLink::start() {
    auto address = protocol::parse_broker_uri(options_.broker_uri);
    if (!address) {
        return Error{address.error()};
    }
    address_ = *address;
    if (address_.tls != options_.tls.has_value()) {
        return Error{fmt::format("broker URI '{}' {}",
                                 options_.broker_uri,
                                 address_.tls ? "is ssl:// but no TLS files were given"
                                              : "is tcp:// but TLS files were given")};
    }
    init_library();
    auto client = std::make_shared<Client>();
    client->handle = mosquitto_new(options_.client_id.c_str(), /*clean_session=*/false, this);
    if (client->handle == nullptr) {
        return Error{fmt::format(
            "creating the MQTT client '{}' failed: {}", options_.client_id, std::strerror(errno))};
    }
    mosquitto* handle = client->handle;
    mosquitto_int_option(handle, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    // Acks and commands are small and wait for nothing: no Nagle delay.
    mosquitto_int_option(handle, MOSQ_OPT_TCP_NODELAY, 1);
    const auto will_topic = protocol::topic_for(options_.vin, protocol::Channel::Status);
    const auto will = status_payload(false);
    if (const int rc = mosquitto_will_set_v5(handle,
                                             will_topic.c_str(),
                                             static_cast<int>(will.size()),
                                             will.data(),
                                             kQos,
                                             true,
                                             nullptr);
        rc != MOSQ_ERR_SUCCESS) {
        return Error{fmt::format("setting the Last Will failed: {}", mosquitto_strerror(rc))};
    }
    if (options_.tls) {
        const auto& tls = *options_.tls;
        const auto file_or_none = [](const std::string& path) {
            return path.empty() ? nullptr : path.c_str();
        };
        if (const int rc = mosquitto_tls_set(handle,
                                             tls.ca_file.c_str(),
                                             nullptr,
                                             file_or_none(tls.certificate_file),
                                             file_or_none(tls.private_key_file),
                                             nullptr);
            rc != MOSQ_ERR_SUCCESS) {
            return Error{fmt::format(
                "loading the TLS files (CA '{}', certificate '{}', key '{}') failed: {}",
                tls.ca_file,
                tls.certificate_file,
                tls.private_key_file,
                describe(rc, errno))};
        }
        // The broker's certificate must chain to the CA and name the host we dialled.
        mosquitto_tls_opts_set(handle, /*SSL_VERIFY_PEER=*/1, nullptr, nullptr);
        mosquitto_tls_insecure_set(handle, false);
    }
    mosquitto_connect_v5_callback_set(handle, &MqttLink::on_connack);
    mosquitto_subscribe_v5_callback_set(handle, &MqttLink::on_suback);
    mosquitto_message_v5_callback_set(handle, &MqttLink::on_message);
    mosquitto_disconnect_v5_callback_set(handle, &MqttLink::on_disconnect);
    client_ = std::move(client);
    connect();
    return ok_status();
}

void MqttLink::connect() {
    if (stopping_ || attempting_ || !client_) {
        return;
    }
    unwatch_socket();
    ++attempt_;
    attempting_ = true;
    connected_ = false;
    subscribe_mid_ = -1;
    logger()->info("vin={} connecting to {}", options_.vin, options_.broker_uri);
    boost::asio::post(connect_pool(),
                      [client = client_,
                       address = address_,
                       keep_alive = static_cast<int>(options_.keep_alive.count()),
                       expiry = static_cast<uint32_t>(options_.session_expiry.count()),
                       executor = executor_,
                       alive = std::weak_ptr<MqttLink*>(alive_),
                       attempt = attempt_] {
                          mosquitto_property* properties = nullptr;
                          mosquitto_property_add_int32(
                              &properties, MQTT_PROP_SESSION_EXPIRY_INTERVAL, expiry);
                          const int rc = mosquitto_connect_bind_v5(client->handle,
                                                                   address.host.c_str(),
                                                                   address.port,
                                                                   keep_alive,
                                                                   nullptr,
                                                                   properties);
                          const int saved_errno = errno;
                          mosquitto_property_free_all(&properties);
                          boost::asio::post(executor, [alive, attempt, rc, saved_errno] {
                              auto link = alive.lock();
                              if (link && (*link)->attempt_ == attempt) {
                                  (*link)->on_connect_returned(rc, saved_errno);
                              }
                          });
                      });
}

void MqttLink::on_connect_returned(int rc, int saved_errno) {
    if (stopping_ || !attempting_) {
        return;
    }
    if (rc != MOSQ_ERR_SUCCESS) {
        fail_attempt(describe(rc, saved_errno));
        return;
    }
    // The CONNECT is on its way. The CONNACK and then the SUBACK arrive through the socket.
    watch_socket();
    attempt_timer_.expires_after(options_.connect_timeout);
    attempt_timer_.async_wait([alive = std::weak_ptr<MqttLink*>(alive_),
                               attempt = attempt_](const boost::system::error_code& error) {
        auto link = alive.lock();
        if (!error && link && (*link)->attempt_ == attempt && (*link)->attempting_) {
            (*link)->fail_attempt("no CONNACK or SUBACK from the broker in time");
        }
    });
}

void MqttLink::fail_attempt(const std::string& detail) {
    attempting_ = false;
    subscribe_mid_ = -1;
    attempt_timer_.cancel();
    unwatch_socket();
    logger()->warn("vin={} connect to {} failed: {}", options_.vin, options_.broker_uri, detail);
    schedule_reconnect();
}

void MqttLink::on_lost(const std::string& cause) {
    if (stopping_) {
        return;
    }
    if (attempting_) {
        fail_attempt(fmt::format("connection lost: {}", cause));
        return;
    }
    if (!connected_) {
        return;
    }
    connected_ = false;
    unwatch_socket();
    logger()->warn("vin={} connection lost: {}", options_.vin, cause);
    if (handlers_.lost) {
        boost::asio::post(executor_, [alive = std::weak_ptr<MqttLink*>(alive_), cause] {
            if (auto link = alive.lock()) {
                (*link)->handlers_.lost(cause);
            }
        });
    }
    schedule_reconnect();
}

void MqttLink::schedule_reconnect() {
    if (stopping_) {
        return;
    }
    // Full jitter between half and all of the current delay spreads a fleet's reconnects
    // after a broker restart.
    std::uniform_int_distribution<int64_t> jitter(next_delay_.count() / 2, next_delay_.count());
    const std::chrono::milliseconds delay(jitter(random_));
    next_delay_ = std::min(next_delay_ * 2, options_.reconnect_max);
    logger()->info("vin={} reconnecting in {} ms", options_.vin, delay.count());
    reconnect_timer_.expires_after(delay);
    reconnect_timer_.async_wait(
        [alive = std::weak_ptr<MqttLink*>(alive_)](const boost::system::error_code& error) {
            auto link = alive.lock();
            if (!error && link) {
                (*link)->connect();
            }
        });
}

void MqttLink::watch_socket() {
    unwatch_socket();
    const int fd = mosquitto_socket(client_->handle);
    if (fd < 0) {
        fail_attempt("the client has no socket after connecting");
        return;
    }
    // Asio watches a duplicate, so libmosquitto closing its own descriptor can never make Asio
    // act on a number the process has meanwhile handed to another socket.
    const int duplicate = ::dup(fd);
    if (duplicate < 0) {
        fail_attempt(fmt::format("duplicating the socket failed: {}", std::strerror(errno)));
        return;
    }
    socket_.emplace(executor_, duplicate);
    ++socket_generation_;
    wait_readable();
    if (mosquitto_want_write(client_->handle)) {
        wait_writable();
    }
    start_keepalive();
}

void MqttLink::unwatch_socket() {
    if (!socket_) {
        return;
    }
    boost::system::error_code ignored;
    socket_->close(ignored);  // handlers waiting on it run with operation_aborted
    socket_.reset();
    ++socket_generation_;
    reading_ = false;
    writing_ = false;
    keepalive_timer_.cancel();
}

void MqttLink::wait_readable() {
    wait(boost::asio::posix::stream_descriptor::wait_read, reading_);
}

void MqttLink::wait_writable() {
    wait(boost::asio::posix::stream_descriptor::wait_write, writing_);
}

void MqttLink::wait(boost::asio::posix::stream_descriptor::wait_type type, bool& pending) {
    if (!socket_ || pending) {
        return;
    }
    pending = true;
    socket_->async_wait(
        type,
        [alive = std::weak_ptr<MqttLink*>(alive_), generation = socket_generation_, type](
            const boost::system::error_code& error) {
            auto link = alive.lock();
            if (!link || (*link)->socket_generation_ != generation) {
                return;
            }
            auto& self = **link;
            const bool read = type == boost::asio::posix::stream_descriptor::wait_read;
            (read ? self.reading_ : self.writing_) = false;
            if (error) {
                return;
            }
            self.after_io(read ? mosquitto_loop_read(self.client_->handle, 1)
                               : mosquitto_loop_write(self.client_->handle, 1),
                          generation);
            // Reading goes on for the life of the socket, writing only while data waits.
            if (read && self.socket_generation_ == generation) {
                self.wait_readable();
            }
        });
}

void MqttLink::after_io(int rc, uint64_t generation) {
    if (socket_generation_ != generation) {
        return;  // a callback inside the call already gave the socket up
    }
    if (rc != MOSQ_ERR_SUCCESS) {
        on_lost(describe(rc, errno));
        unwatch_socket();
        return;
    }
    if (mosquitto_want_write(client_->handle)) {
        wait_writable();
    }
}

void MqttLink::start_keepalive() {
    // A tenth of the keep-alive interval finds a missing PINGRESP soon enough, and thousands of
    // cars in one simulator do not wake up every second for it.
    keepalive_timer_.expires_after(
        std::max<std::chrono::seconds>(std::chrono::seconds(1), options_.keep_alive / 10));
    keepalive_timer_.async_wait(
        [alive = std::weak_ptr<MqttLink*>(alive_),
         generation = socket_generation_](const boost::system::error_code& error) {
            auto link = alive.lock();
            if (error || !link || (*link)->socket_generation_ != generation) {
                return;
            }
            auto& self = **link;
            // Sends PINGREQ when due and drops a connection whose PINGRESP is overdue.
            self.after_io(mosquitto_loop_misc(self.client_->handle), generation);
            if (self.socket_generation_ == generation) {
                self.start_keepalive();
            }
        });
}

void MqttLink::on_connack(mosquitto*, void* self, int rc, int, const mosquitto_property*) {
    auto* link = static_cast<MqttLink*>(self);
    if (link == nullptr || !link->attempting_) {
        return;
    }
    if (rc != 0) {
        link->fail_attempt(fmt::format("refused: {}", mosquitto_reason_string(rc)));
        return;
    }
    // The car counts as connected only once the broker confirmed the command subscription, so
    // that commands sent once it reports itself online are not lost on a session new to the
    // broker.
    const auto topic = protocol::topic_for(link->options_.vin, protocol::Channel::Command);
    int mid = 0;
    if (const int sub =
            mosquitto_subscribe_v5(link->client_->handle, &mid, topic.c_str(), kQos, 0, nullptr);
        sub != MOSQ_ERR_SUCCESS) {
        link->fail_attempt(fmt::format("subscribing to commands: {}", describe(sub, errno)));
        return;
    }
    link->subscribe_mid_ = mid;
}

void MqttLink::on_suback(
    mosquitto*, void* self, int mid, int count, const int* granted, const mosquitto_property*) {
    auto* link = static_cast<MqttLink*>(self);
    if (link == nullptr || !link->attempting_ || mid != link->subscribe_mid_) {
        return;
    }
    if (count < 1 || granted[0] >= 0x80) {
        link->fail_attempt(fmt::format("subscription to commands refused with reason code {}",
                                       count < 1 ? -1 : granted[0]));
        return;
    }
    const auto topic = protocol::topic_for(link->options_.vin, protocol::Channel::Status);
    const auto online = link->status_payload(true);
    if (const int rc = mosquitto_publish_v5(link->client_->handle,
                                            nullptr,
                                            topic.c_str(),
                                            static_cast<int>(online.size()),
                                            online.data(),
                                            kQos,
                                            true,
                                            nullptr);
        rc != MOSQ_ERR_SUCCESS) {
        link->fail_attempt(fmt::format("publishing the online status: {}", describe(rc, errno)));
        return;
    }
    link->attempting_ = false;
    link->subscribe_mid_ = -1;
    link->attempt_timer_.cancel();
    link->next_delay_ = link->options_.reconnect_min;
    link->connected_ = true;
    logger()->info("vin={} connected to {}", link->options_.vin, link->options_.broker_uri);
    if (link->handlers_.connected) {
        boost::asio::post(link->executor_, [alive = std::weak_ptr<MqttLink*>(link->alive_)] {
            auto current = alive.lock();
            if (current && (*current)->connected_) {
                (*current)->handlers_.connected();
            }
        });
    }
}

void MqttLink::on_message(mosquitto*,
                          void* self,
                          const mosquitto_message* message,
                          const mosquitto_property*) {
    auto* link = static_cast<MqttLink*>(self);
    if (link == nullptr || !link->handlers_.message) {
        return;
    }
    std::string topic(message->topic);
    std::string payload(static_cast<const char*>(message->payload),
                        static_cast<std::size_t>(message->payloadlen));
    boost::asio::post(link->executor_,
                      [alive = std::weak_ptr<MqttLink*>(link->alive_),
                       topic = std::move(topic),
                       payload = std::move(payload)] {
                          if (auto current = alive.lock()) {
                              (*current)->handlers_.message(topic, payload);
                          }
                      });
}

void MqttLink::on_disconnect(mosquitto*, void* self, int rc, const mosquitto_property*) {
    auto* link = static_cast<MqttLink*>(self);
    if (link == nullptr) {
        return;
    }
    link->on_lost(rc == 0 ? std::string("disconnected") : describe(rc, errno));
    link->unwatch_socket();
}

bool MqttLink::publish(const std::string& topic, const std::string& payload, bool retained) {
    if (!connected_) {
        return false;
    }
    const int rc = mosquitto_publish_v5(client_->handle,
                                        nullptr,
                                        topic.c_str(),
                                        static_cast<int>(payload.size()),
                                        payload.data(),
                                        kQos,
                                        retained,
                                        nullptr);
    if (rc != MOSQ_ERR_SUCCESS) {
        const auto cause = describe(rc, errno);
        logger()->warn("vin={} publish to {} failed: {}", options_.vin, topic, cause);
        if (rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_CONN_LOST || rc == MOSQ_ERR_ERRNO) {
            on_lost(cause);
        }
        return false;
    }
    if (mosquitto_want_write(client_->handle)) {
        wait_writable();
    }
    return true;
}

void MqttLink::stop(std::chrono::milliseconds timeout) {
    stopping_ = true;
    reconnect_timer_.cancel();
    attempt_timer_.cancel();
    if (!client_ || !connected_) {
        return;
    }
    connected_ = false;
    unwatch_socket();
    mosquitto* handle = client_->handle;
    const auto topic = protocol::topic_for(options_.vin, protocol::Channel::Status);
    const auto offline = status_payload(false);
    mosquitto_publish_v5(handle,
                         nullptr,
                         topic.c_str(),
                         static_cast<int>(offline.size()),
                         offline.data(),
                         kQos,
                         true,
                         nullptr);
    // A clean DISCONNECT after the status: the broker drops the Last Will and stores the status.
    mosquitto_disconnect_v5(handle, MQTT_RC_NORMAL_DISCONNECTION, nullptr);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (mosquitto_socket(handle) >= 0 && mosquitto_want_write(handle) &&
           std::chrono::steady_clock::now() < deadline) {
        if (mosquitto_loop_write(handle, 1) != MOSQ_ERR_SUCCESS) {
            break;
        }
        if (mosquitto_want_write(handle)) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
    logger()->info("vin={} disconnected", options_.vin);
}

}  // namespace drivelink::agent
