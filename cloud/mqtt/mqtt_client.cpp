#include "cloud/mqtt/mqtt_client.h"

#include <fmt/format.h>
#include <mqtt/async_client.h>
#include <charconv>

#include "cloud/ingest/backoff.h"
#include "cloud/logging.h"
#include "protocol/topics.h"

namespace drivelink::cloud {
namespace {

using protocol::Channel;

constexpr int kQos = 1;

std::shared_ptr<spdlog::logger> logger() {
    return component_logger("mqtt");
}

std::vector<std::string> subscription_filters() {
    return {protocol::shared_subscription(Channel::Telemetry),
            protocol::shared_subscription(Channel::Event),
            protocol::shared_subscription(Channel::Status)};
}

mqtt::connect_options make_connect_options(const MqttClientOptions& options) {
    return mqtt::connect_options_builder()
        .mqtt_version(MQTTVERSION_5)
        .clean_start(false)
        .keep_alive_interval(options.keep_alive)
        .connect_timeout(options.connect_timeout)
        .automatic_reconnect(options.reconnect_min, options.reconnect_max)
        .finalize();
}

mqtt::properties session_properties(const MqttClientOptions& options) {
    mqtt::properties properties;
    properties.add(mqtt::property(mqtt::property::SESSION_EXPIRY_INTERVAL,
                                  static_cast<int>(options.session_expiry.count())));
    return properties;
}

}  // namespace

// Receives the SUBACK on Paho's callback thread.
class MqttClient::SubscribeListener final : public mqtt::iaction_listener {
  public:
    explicit SubscribeListener(MqttClient& client) : client_(client) {}

    void on_success(const mqtt::token& token) override {
        // MQTT 5 reports a rejected filter as a reason code of 0x80 or more in a SUBACK that
        // Paho still counts as a success.
        const auto response = token.get_subscribe_response();
        for (const auto code : response.get_reason_codes()) {
            if (code >= mqtt::ReasonCode::UNSPECIFIED_ERROR) {
                client_.on_subscribed(
                    false,
                    fmt::format("broker returned reason code 0x{:02x}", static_cast<int>(code)));
                return;
            }
        }
        client_.on_subscribed(true, {});
    }

    void on_failure(const mqtt::token& token) override {
        client_.on_subscribed(false,
                              fmt::format("Paho return code {}, reason code 0x{:02x}",
                                          token.get_return_code(),
                                          static_cast<int>(token.get_reason_code())));
    }

  private:
    MqttClient& client_;
};

Status validate_broker_uri(std::string_view uri) {
    auto invalid = [uri](std::string_view why) {
        return Error{fmt::format(
            "invalid broker URI '{}': {}; expected tcp://HOST:PORT or mqtt://HOST:PORT", uri, why)};
    };
    std::string_view rest;
    for (const std::string_view scheme : {"tcp://", "mqtt://"}) {
        if (uri.starts_with(scheme)) {
            rest = uri.substr(scheme.size());
        }
    }
    if (rest.empty()) {
        return invalid("unsupported scheme or missing host");
    }

    const std::size_t colon = rest.rfind(':');
    const std::string_view host = rest.substr(0, colon);
    if (host.empty() || host.find_first_of("/ ") != std::string_view::npos) {
        return invalid("invalid host");
    }
    if (colon == std::string_view::npos) {
        return ok_status();
    }

    const std::string_view port_text = rest.substr(colon + 1);
    int port = 0;
    const auto [end, error] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (error != std::errc() || end != port_text.data() + port_text.size() || port < 1 ||
        port > 65535) {
        return invalid(fmt::format("port '{}' is not a number from 1 to 65535", port_text));
    }
    return ok_status();
}

MqttClient::MqttClient(MqttClientOptions options, std::unique_ptr<mqtt::async_client> client)
    : options_(std::move(options)),
      connect_options_(std::make_unique<mqtt::connect_options>(make_connect_options(options_))),
      subscribe_listener_(std::make_unique<SubscribeListener>(*this)),
      client_(std::move(client)) {
    // Set on the final object: Paho C++ 1.2.0 drops properties given to connect_options_builder
    // when the options are copied or moved, and the session would then expire at disconnect.
    connect_options_->set_properties(session_properties(options_));
}

MqttClient::~MqttClient() {
    stop();
}

Result<std::unique_ptr<MqttClient>> MqttClient::create(MqttClientOptions options) {
    if (auto valid = validate_broker_uri(options.broker_uri); !valid) {
        return Error{valid.error()};
    }
    if (options.client_id.empty()) {
        return Error{"MQTT client ID is empty; a persistent session needs a stable client ID"};
    }
    mqtt::create_options create_options(MQTTVERSION_5, options.max_buffered_messages);
    create_options.set_send_while_disconnected(true);
    try {
        // No client persistence: commit acks lost with this process are sent again when the
        // agents resend their messages.
        auto client = std::make_unique<mqtt::async_client>(
            options.broker_uri, options.client_id, create_options, nullptr);
        return std::unique_ptr<MqttClient>(new MqttClient(std::move(options), std::move(client)));
    } catch (const mqtt::exception& error) {
        return Error{fmt::format(
            "cannot create MQTT client for '{}': {}", options.broker_uri, error.what())};
    }
}

void MqttClient::start(MessageHandler handler) {
    if (connector_.joinable()) {
        return;
    }
    handler_ = std::move(handler);
    install_callbacks();
    connector_ = std::thread([this] { connect_until_stopped(); });
}

void MqttClient::install_callbacks() {
    client_->set_message_callback([this](mqtt::const_message_ptr message) {
        if (!stopped_) {
            handler_(message->get_topic(), message->get_payload_str());
        }
    });
    client_->set_connected_handler([this](const std::string& cause) {
        if (stopped_) {
            return;
        }
        connected_ = true;
        logger()->info(
            "connected to {} as '{}' ({})", options_.broker_uri, options_.client_id, cause);
        connect_attempts_ = 0;
        subscribe();
    });
    client_->set_connection_lost_handler([this](const std::string& cause) {
        connected_ = false;
        subscribed_ = false;
        logger()->warn("connection to {} lost: {}; reconnecting",
                       options_.broker_uri,
                       cause.empty() ? "closed by the broker or the network" : cause);
    });
    // Paho calls this before each of its automatic reconnect attempts, which report no
    // failures of their own, so this is the only callback that runs for each retry.
    client_->set_update_connection_handler([this](mqtt::connect_data&) {
        const int attempt = ++connect_attempts_;
        logger()->info("connecting to {} (attempt {})", options_.broker_uri, attempt);
        return true;
    });
}

void MqttClient::connect_until_stopped() {
    Backoff backoff(options_.reconnect_min, options_.reconnect_max);
    while (!try_connect()) {
        const auto delay = backoff.next_delay();
        logger()->warn(
            "retrying the connection to {} in {} ms", options_.broker_uri, delay.count());
        std::unique_lock lock(stop_mutex_);
        if (stop_requested_.wait_for(lock, delay, [this] { return stopping_; })) {
            return;
        }
    }
}

bool MqttClient::try_connect() {
    try {
        auto token = client_->connect(*connect_options_);
        token->wait();
        const bool session_present = token->get_connect_response().is_session_present();
        logger()->info("session with {} {}",
                       options_.broker_uri,
                       session_present ? "resumed: the broker kept queued messages"
                                       : "is new: nothing was queued for this client");
        return true;
    } catch (const mqtt::exception& error) {
        logger()->warn("connection to {} failed: {}", options_.broker_uri, error.what());
        return false;
    }
}

// Runs on Paho's callback thread after each connection. Subscribing on every connection,
// also when the session was resumed, is harmless: a SUBSCRIBE for an existing filter replaces
// the subscription and keeps its queued messages (MQTT 5.0, section 3.8.4). Paho C++ 1.2 does
// not report for automatic reconnects whether the broker kept the session.
void MqttClient::subscribe() {
    const auto filters = subscription_filters();
    try {
        client_->subscribe(mqtt::string_collection::create(filters),
                           mqtt::iasync_client::qos_collection(filters.size(), kQos),
                           nullptr,
                           *subscribe_listener_);
    } catch (const mqtt::exception& error) {
        logger()->error("subscribing to {} failed: {}", fmt::join(filters, ", "), error.what());
    }
}

void MqttClient::on_subscribed(bool granted, const std::string& detail) {
    const auto filters = subscription_filters();
    if (!granted) {
        logger()->error("subscribing to {} failed: {}", fmt::join(filters, ", "), detail);
        return;
    }
    subscribed_ = true;
    logger()->info("subscribed to {} at QoS {}", fmt::join(filters, ", "), kQos);
}

Status MqttClient::publish(const std::string& topic, const std::string& payload) {
    try {
        client_->publish(topic, payload.data(), payload.size(), kQos, false);
        return ok_status();
    } catch (const mqtt::exception& error) {
        return Error{fmt::format("publishing to '{}' failed: {}", topic, error.what())};
    }
}

void MqttClient::stop(std::chrono::milliseconds timeout) {
    {
        std::lock_guard lock(stop_mutex_);
        if (stopping_) {
            return;
        }
        stopping_ = true;
    }
    stop_requested_.notify_all();
    if (connector_.joinable()) {
        connector_.join();
    }
    // Disconnecting also ends Paho's automatic reconnects, so it is attempted while
    // disconnected too; Paho then reports that there was no connection.
    try {
        const bool was_connected = client_->is_connected();
        client_->disconnect(static_cast<int>(timeout.count()))->wait();
        if (was_connected) {
            logger()->info("disconnected from {}", options_.broker_uri);
        }
    } catch (const mqtt::exception& error) {
        logger()->debug("disconnect from {}: {}", options_.broker_uri, error.what());
    }
    stopped_ = true;
    connected_ = false;
    subscribed_ = false;
}

}  // namespace drivelink::cloud
