#include "agent/uplink/mqtt_link.h"

#include <mqtt/async_client.h>
#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "drivelink/v1/drivelink.pb.h"
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

}  // namespace

// Paho's action listener for connect attempts; runs on a Paho thread and only posts.
class MqttLink::Listener : public mqtt::iaction_listener {
  public:
    explicit Listener(MqttLink& link) : link_(link) {}

    void on_success(const mqtt::token&) override { post(true, {}); }

    void on_failure(const mqtt::token& token) override {
        post(false,
             fmt::format("reason code {} ({})", token.get_reason_code(), token.get_return_code()));
    }

  private:
    void post(bool success, std::string detail) {
        std::weak_ptr<MqttLink*> alive = link_.alive_;
        boost::asio::post(link_.executor_, [alive, success, detail = std::move(detail)] {
            if (auto link = alive.lock()) {
                (*link)->on_connect_result(success, detail);
            }
        });
    }

    MqttLink& link_;
};

MqttLink::MqttLink(boost::asio::any_io_executor executor,
                   MqttLinkOptions options,
                   MqttLinkHandlers handlers)
    : executor_(executor),
      options_(std::move(options)),
      handlers_(std::move(handlers)),
      reconnect_timer_(executor),
      random_(std::random_device{}()),
      next_delay_(options_.reconnect_min),
      alive_(std::make_shared<MqttLink*>(this)) {
    if (options_.client_id.empty()) {
        options_.client_id = "drivelink-agent-" + options_.vin;
    }
}

MqttLink::~MqttLink() {
    alive_.reset();
    if (client_) {
        client_->disable_callbacks();
        try {
            if (client_->is_connected()) {
                client_->disconnect(std::chrono::milliseconds(0))
                    ->wait_for(std::chrono::seconds(1));
            }
        } catch (const mqtt::exception&) {
            // Nothing to do: the broker publishes our Last Will.
        }
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
    try {
        client_ = std::make_unique<mqtt::async_client>(
            options_.broker_uri, options_.client_id, mqtt::create_options(MQTTVERSION_5));
    } catch (const mqtt::exception& e) {
        return Error{fmt::format("invalid broker URI '{}': {}", options_.broker_uri, e.what())};
    }

    auto builder =
        mqtt::connect_options_builder()
            .mqtt_version(MQTTVERSION_5)
            .clean_start(false)
            .keep_alive_interval(options_.keep_alive)
            .will(mqtt::message(protocol::topic_for(options_.vin, protocol::Channel::Status),
                                status_payload(false),
                                kQos,
                                true));
    if (options_.tls) {
        builder.ssl(mqtt::ssl_options_builder()
                        .trust_store(options_.tls->ca_file)
                        .key_store(options_.tls->certificate_file)
                        .private_key(options_.tls->private_key_file)
                        .enable_server_cert_auth(true)
                        .verify(true)  // the certificate must name the host we dialled
                        .finalize());
    }
    connect_options_ = std::make_unique<mqtt::connect_options>(builder.finalize());
    // Paho C++ 1.2 loses properties given to the builder when the options are copied. Without
    // the session expiry the broker drops the session and its queued acks at every disconnect,
    // so the properties are set on the final object.
    connect_options_->set_properties({{mqtt::property::SESSION_EXPIRY_INTERVAL,
                                       static_cast<int>(options_.session_expiry.count())}});
    listener_ = std::make_unique<Listener>(*this);

    std::weak_ptr<MqttLink*> alive = alive_;
    client_->set_connection_lost_handler([this, alive](const std::string& cause) {
        boost::asio::post(executor_, [alive, cause] {
            if (auto link = alive.lock()) {
                auto& self = **link;
                self.connected_ = false;
                logger()->warn("vin={} connection lost: {}",
                               self.options_.vin,
                               cause.empty() ? "no reason given" : cause);
                if (self.handlers_.lost) {
                    self.handlers_.lost(cause);
                }
                self.schedule_reconnect();
            }
        });
    });
    client_->set_message_callback([this, alive](mqtt::const_message_ptr message) {
        boost::asio::post(executor_,
                          [alive, topic = message->get_topic(), payload = message->to_string()] {
                              if (auto link = alive.lock()) {
                                  if ((*link)->handlers_.message) {
                                      (*link)->handlers_.message(topic, payload);
                                  }
                              }
                          });
    });
    connect();
    return ok_status();
}

void MqttLink::connect() {
    if (stopping_ || connecting_) {
        return;
    }
    connecting_ = true;
    logger()->info("vin={} connecting to {}", options_.vin, options_.broker_uri);
    try {
        client_->connect(*connect_options_, nullptr, *listener_);
    } catch (const mqtt::exception& e) {
        connecting_ = false;
        logger()->warn(
            "vin={} connect to {} failed: {}", options_.vin, options_.broker_uri, e.what());
        schedule_reconnect();
    }
}

void MqttLink::on_connect_result(bool success, const std::string& detail) {
    connecting_ = false;
    if (stopping_) {
        return;
    }
    if (!success) {
        logger()->warn(
            "vin={} connect to {} failed: {}", options_.vin, options_.broker_uri, detail);
        schedule_reconnect();
        return;
    }
    next_delay_ = options_.reconnect_min;
    try {
        // Waits for the SUBACK, so that commands sent once the car reports itself connected
        // are not lost on a session that is new to the broker.
        auto subscribed =
            client_->subscribe(protocol::topic_for(options_.vin, protocol::Channel::Command), kQos);
        if (!subscribed->wait_for(std::chrono::seconds(5))) {
            throw mqtt::exception(MQTTASYNC_FAILURE, "subscribe to the command topic timed out");
        }
        client_->publish(protocol::topic_for(options_.vin, protocol::Channel::Status),
                         status_payload(true),
                         kQos,
                         true);
    } catch (const mqtt::exception& e) {
        // The connection dropped again before we could use it, and Paho reports no loss for a
        // connection it has not fully handed over: count it as a failed connect.
        logger()->warn("vin={} connection to {} lost right after connect: {}",
                       options_.vin,
                       options_.broker_uri,
                       e.what());
        schedule_reconnect();
        return;
    }
    connected_ = true;
    logger()->info("vin={} connected to {}", options_.vin, options_.broker_uri);
    if (handlers_.connected) {
        handlers_.connected();
    }
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
    std::weak_ptr<MqttLink*> alive = alive_;
    reconnect_timer_.async_wait([alive](const boost::system::error_code& error) {
        auto link = alive.lock();
        if (!error && link) {
            (*link)->connect();
        }
    });
}

bool MqttLink::publish(const std::string& topic, const std::string& payload, bool retained) {
    if (!connected_) {
        return false;
    }
    try {
        client_->publish(topic, payload.data(), payload.size(), kQos, retained);
        return true;
    } catch (const mqtt::exception& e) {
        logger()->warn("vin={} publish to {} failed: {}", options_.vin, topic, e.what());
        if (e.get_return_code() == MQTTASYNC_DISCONNECTED || !client_->is_connected()) {
            // A loss Paho did not report through the connection-lost callback.
            connected_ = false;
            schedule_reconnect();
        }
        return false;
    }
}

void MqttLink::stop(std::chrono::milliseconds timeout) {
    stopping_ = true;
    reconnect_timer_.cancel();
    if (!client_ || !connected_) {
        return;
    }
    try {
        client_
            ->publish(protocol::topic_for(options_.vin, protocol::Channel::Status),
                      status_payload(false),
                      kQos,
                      true)
            ->wait_for(timeout);
        client_->disconnect()->wait_for(timeout);
    } catch (const mqtt::exception& e) {
        logger()->warn("vin={} clean disconnect failed: {}", options_.vin, e.what());
    }
    connected_ = false;
    logger()->info("vin={} disconnected", options_.vin);
}

}  // namespace drivelink::agent
