#include "cloud/mqtt/mqtt_client.h"

#include <fmt/format.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <exception>
#include <future>
#include <limits>
#include <system_error>

#include "cloud/ingest/backoff.h"
#include "cloud/logging.h"
#include "protocol/topics.h"

namespace drivelink::cloud {
namespace {

using protocol::Channel;

constexpr int kQos = 1;
constexpr int kDefaultPort = 1883;
// The largest payload that fits the MQTT remaining-length field.
constexpr std::size_t kMaxPayloadSize = 268'435'455;

std::shared_ptr<spdlog::logger> logger() {
    return component_logger("mqtt");
}

std::vector<std::string> subscription_filters() {
    return {protocol::shared_subscription(Channel::Telemetry),
            protocol::shared_subscription(Channel::Event),
            protocol::shared_subscription(Channel::Status)};
}

// Initializes libmosquitto once per process, before the first client is created, and returns
// the result. It is never cleaned up, because clients may exist until the process ends.
int init_mosquitto_library() {
    static const int result = mosquitto_lib_init();
    return result;
}

// Describes a libmosquitto return code. For MOSQ_ERR_ERRNO, errno contains the cause.
std::string describe_error(int code) {
    if (code == MOSQ_ERR_ERRNO) {
        return std::error_code(errno, std::system_category()).message();
    }
    // mosquitto_strerror ends its sentences with a full stop, which log lines go on after.
    std::string description = mosquitto_strerror(code);
    if (description.ends_with('.')) {
        description.pop_back();
    }
    return description;
}

// Describes the code of a lost connection. A code of 0x80 or more is the MQTT 5 reason code of
// a DISCONNECT from the broker, because libmosquitto return codes are smaller.
std::string describe_disconnect(int code) {
    if (code >= 0x80) {
        return fmt::format(
            "broker sent reason code 0x{:02x} ({})", code, mosquitto_reason_string(code));
    }
    return describe_error(code);
}

struct BrokerAddress {
    std::string host;
    int port = kDefaultPort;
};

// Splits a URI that validate_broker_uri accepted.
BrokerAddress parse_broker_uri(std::string_view uri) {
    const std::string_view rest = uri.substr(uri.find("://") + 3);
    const std::size_t colon = rest.rfind(':');
    BrokerAddress address{std::string(rest.substr(0, colon))};
    if (colon != std::string_view::npos) {
        const std::string_view port_text = rest.substr(colon + 1);
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), address.port);
    }
    return address;
}

// Rounds up to whole seconds, at least one, as mosquitto_reconnect_delay_set counts them.
unsigned int whole_seconds(std::chrono::milliseconds delay) {
    const auto seconds = std::chrono::ceil<std::chrono::seconds>(delay).count();
    return static_cast<unsigned int>(std::max<std::int64_t>(seconds, 1));
}

}  // namespace

// Entry points that libmosquitto calls on its network thread, with the MqttClient as user data.
struct MqttClient::Callbacks {
    static void connected(
        mosquitto*, void* client, int reason_code, int flags, const mosquitto_property*) {
        static_cast<MqttClient*>(client)->on_connect(reason_code, flags);
    }

    static void disconnected(mosquitto*, void* client, int reason_code, const mosquitto_property*) {
        static_cast<MqttClient*>(client)->on_disconnect(reason_code);
    }

    static void subscribed(mosquitto*, void* client, int mid, int count, const int* granted_qos) {
        static_cast<MqttClient*>(client)->on_subscribed(mid, granted_qos, count);
    }

    static void published(
        mosquitto*, void* client, int mid, int reason_code, const mosquitto_property*) {
        static_cast<MqttClient*>(client)->on_published(mid, reason_code);
    }

    static void message(mosquitto*, void* client, const mosquitto_message* message) {
        static_cast<MqttClient*>(client)->on_message(*message);
    }
};

void MqttClient::MosquittoDeleter::operator()(mosquitto* client) const {
    mosquitto_destroy(client);
}

void MqttClient::PropertiesDeleter::operator()(mqtt5__property* properties) const {
    mosquitto_property_free_all(&properties);
}

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

MqttClient::MqttClient(MqttClientOptions options,
                       std::unique_ptr<mosquitto, MosquittoDeleter> client,
                       std::unique_ptr<mqtt5__property, PropertiesDeleter> connect_properties)
    : options_(std::move(options)),
      connect_properties_(std::move(connect_properties)),
      client_(std::move(client)) {
    BrokerAddress address = parse_broker_uri(options_.broker_uri);
    host_ = std::move(address.host);
    port_ = address.port;
    mosquitto_user_data_set(client_.get(), this);
    mosquitto_connect_v5_callback_set(client_.get(), &Callbacks::connected);
    mosquitto_disconnect_v5_callback_set(client_.get(), &Callbacks::disconnected);
    mosquitto_subscribe_callback_set(client_.get(), &Callbacks::subscribed);
    mosquitto_publish_v5_callback_set(client_.get(), &Callbacks::published);
    mosquitto_message_callback_set(client_.get(), &Callbacks::message);
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
    const auto keep_alive = options.keep_alive.count();
    if (keep_alive < 5 || keep_alive > 65535) {
        return Error{
            fmt::format("invalid MQTT keep-alive of {} s: libmosquitto accepts 5 to 65535 seconds",
                        keep_alive)};
    }
    const auto session_expiry = options.session_expiry.count();
    if (session_expiry < 0 || session_expiry > std::numeric_limits<std::uint32_t>::max()) {
        return Error{
            fmt::format("invalid MQTT session expiry of {} s: it must be 0 to 4294967295 seconds",
                        session_expiry)};
    }
    if (options.max_buffered_messages < 1) {
        return Error{fmt::format("invalid max_buffered_messages {}: it must be 1 or more",
                                 options.max_buffered_messages)};
    }

    if (const int initialized = init_mosquitto_library(); initialized != MOSQ_ERR_SUCCESS) {
        return Error{
            fmt::format("cannot initialize libmosquitto: {}", describe_error(initialized))};
    }
    // clean_session false is clean start off in MQTT 5. No client persistence: commit acks lost
    // with this process are sent again when the agents resend their messages.
    std::unique_ptr<mosquitto, MosquittoDeleter> client(
        mosquitto_new(options.client_id.c_str(), false, nullptr));
    if (!client) {
        return Error{fmt::format("cannot create MQTT client '{}' for '{}': {}",
                                 options.client_id,
                                 options.broker_uri,
                                 std::error_code(errno, std::system_category()).message())};
    }
    mosquitto_int_option(client.get(), MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    // Acks and rescue updates are small: Nagle's algorithm would hold one back until the TCP
    // ACK of the one before.
    mosquitto_int_option(client.get(), MOSQ_OPT_TCP_NODELAY, 1);
    // No mosquitto_threaded_set here: libmosquitto 2.0.11 then rejects mosquitto_loop_start with
    // MOSQ_ERR_INVAL, and mosquitto_loop_start sets the threaded mode itself.
    // libmosquitto 2.0 (lib/loop.c) waits reconnect_min * (n + 1)^2 seconds before the n-th
    // reconnect in a row, counting from 0, and at most reconnect_max seconds.
    const unsigned int reconnect_min = whole_seconds(options.reconnect_min);
    mosquitto_reconnect_delay_set(client.get(),
                                  reconnect_min,
                                  std::max(reconnect_min, whole_seconds(options.reconnect_max)),
                                  true);

    mosquitto_property* properties = nullptr;
    const int added = mosquitto_property_add_int32(
        &properties, MQTT_PROP_SESSION_EXPIRY_INTERVAL, static_cast<std::uint32_t>(session_expiry));
    std::unique_ptr<mqtt5__property, PropertiesDeleter> connect_properties(properties);
    if (added != MOSQ_ERR_SUCCESS) {
        return Error{
            fmt::format("cannot set the MQTT session expiry interval: {}", describe_error(added))};
    }
    return std::unique_ptr<MqttClient>(
        new MqttClient(std::move(options), std::move(client), std::move(connect_properties)));
}

void MqttClient::start(MessageHandler handler) {
    if (connector_.joinable()) {
        return;
    }
    handler_ = std::move(handler);
    connector_ = std::thread([this] { connect_until_stopped(); });
}

// Retries the first connection, then hands the connection to libmosquitto's network thread,
// which reconnects by itself with the CONNECT properties given here.
void MqttClient::connect_until_stopped() {
    Backoff backoff(options_.reconnect_min, options_.reconnect_max);
    while (true) {
        const bool connected = try_connect();
        std::unique_lock lock(stop_mutex_);
        if (stopping_) {
            return;  // stop() disconnects the socket, which no network thread reads yet
        }
        if (connected) {
            const int started = mosquitto_loop_start(client_.get());
            if (started != MOSQ_ERR_SUCCESS) {
                logger()->error("cannot start the MQTT network thread for {}: {}",
                                options_.broker_uri,
                                describe_error(started));
                return;
            }
            network_started_ = true;
            return;
        }
        const auto delay = backoff.next_delay();
        logger()->warn(
            "retrying the connection to {} in {} ms", options_.broker_uri, delay.count());
        if (stop_requested_.wait_for(lock, delay, [this] { return stopping_; })) {
            return;
        }
    }
}

// Opens the TCP connection and sends CONNECT. The CONNACK arrives in on_connect.
bool MqttClient::try_connect() {
    const int result = mosquitto_connect_bind_v5(client_.get(),
                                                 host_.c_str(),
                                                 port_,
                                                 static_cast<int>(options_.keep_alive.count()),
                                                 nullptr,
                                                 connect_properties_.get());
    if (result != MOSQ_ERR_SUCCESS) {
        logger()->warn("connection to {} failed: {}", options_.broker_uri, describe_error(result));
        return false;
    }
    return true;
}

void MqttClient::on_connect(int reason_code, int flags) {
    if (stopped_) {
        // A reconnect that raced with stop(): end it, so that the network thread ends.
        mosquitto_disconnect(client_.get());
        return;
    }
    if (reason_code != MQTT_RC_SUCCESS) {
        logger()->error(
            "connection to {} rejected by the broker: reason code 0x{:02x} ({}); reconnecting",
            options_.broker_uri,
            reason_code,
            mosquitto_reason_string(reason_code));
        return;
    }
    logger()->info("connected to {} as '{}'", options_.broker_uri, options_.client_id);
    // Bit 0 of the CONNACK flags is Session Present.
    const bool session_present = (flags & 0x01) != 0;
    logger()->info("session with {} {}",
                   options_.broker_uri,
                   session_present ? "resumed: the broker kept queued messages"
                                   : "is new: nothing was queued for this client");
    {
        std::lock_guard lock(publish_mutex_);
        connected_ = true;
        send_held_messages();
    }
    subscribe();
}

void MqttClient::on_disconnect(int reason_code) {
    if (stopped_) {
        connected_ = false;
        subscribed_ = false;
        return;  // the disconnect that stop() sent, or the end of a reconnect that raced with it
    }
    {
        // Waits for publish() calls inside libmosquitto, so that none of them is still running
        // when libmosquitto starts its reconnect.
        std::lock_guard lock(publish_mutex_);
        connected_ = false;
    }
    subscribed_ = false;
    {
        // Taken so that a wait_for_publishes() between its check and its wait cannot miss this.
        std::lock_guard lock(unacknowledged_mutex_);
    }
    unacknowledged_changed_.notify_all();
    logger()->warn("connection to {} lost: {}; reconnecting",
                   options_.broker_uri,
                   describe_disconnect(reason_code));
}

// Runs on the network thread after each connection. Subscribing on every connection, also when
// the session was resumed, is harmless: a SUBSCRIBE for an existing filter replaces the
// subscription and keeps its queued messages (MQTT 5.0, section 3.8.4).
void MqttClient::subscribe() {
    const auto filters = subscription_filters();
    std::vector<char*> filter_pointers;
    for (const auto& filter : filters) {
        filter_pointers.push_back(const_cast<char*>(filter.c_str()));
    }
    int mid = 0;
    const int result = mosquitto_subscribe_multiple(client_.get(),
                                                    &mid,
                                                    static_cast<int>(filter_pointers.size()),
                                                    filter_pointers.data(),
                                                    kQos,
                                                    0,
                                                    nullptr);
    if (result != MOSQ_ERR_SUCCESS) {
        logger()->error(
            "subscribing to {} failed: {}", fmt::join(filters, ", "), describe_error(result));
        return;
    }
    // The SUBACK is handled on this thread too, so it cannot arrive before this store.
    subscribe_mid_ = mid;
}

void MqttClient::on_subscribed(int mid, const int* granted_qos, int count) {
    if (stopped_ || mid != subscribe_mid_) {
        return;
    }
    const auto filters = subscription_filters();
    // MQTT 5 reports a rejected filter as a reason code of 0x80 or more in the SUBACK.
    for (int i = 0; i < count; ++i) {
        if (granted_qos[i] >= 0x80) {
            logger()->error("subscribing to {} failed: broker returned reason code 0x{:02x}",
                            fmt::join(filters, ", "),
                            granted_qos[i]);
            return;
        }
    }
    if (count != static_cast<int>(filters.size())) {
        logger()->error("subscribing to {} failed: broker returned {} reason codes for {} filters",
                        fmt::join(filters, ", "),
                        count,
                        filters.size());
        return;
    }
    subscribed_ = true;
    logger()->info("subscribed to {} at QoS {}", fmt::join(filters, ", "), kQos);
}

void MqttClient::on_published(int mid, int reason_code) {
    release_unacknowledged();
    if (reason_code >= 0x80) {
        logger()->warn("broker rejected message {} from '{}': reason code 0x{:02x} ({})",
                       mid,
                       options_.client_id,
                       reason_code,
                       mosquitto_reason_string(reason_code));
    }
}

void MqttClient::on_message(const mosquitto_message& message) {
    if (stopped_) {
        return;
    }
    std::string payload(static_cast<const char*>(message.payload),
                        static_cast<std::size_t>(message.payloadlen));
    // An exception must not unwind through libmosquitto, which is C.
    try {
        handler_(message.topic, std::move(payload));
    } catch (const std::exception& error) {
        logger()->error("message handler failed on '{}': {}", message.topic, error.what());
    }
}

Status MqttClient::publish(const std::string& topic, const std::string& payload) {
    if (payload.size() > kMaxPayloadSize) {
        return Error{fmt::format("publishing to '{}' failed: payload of {} bytes exceeds {}",
                                 topic,
                                 payload.size(),
                                 kMaxPayloadSize)};
    }
    {
        std::lock_guard lock(unacknowledged_mutex_);
        if (unacknowledged_ >= options_.max_buffered_messages) {
            return Error{
                fmt::format("publishing to '{}' failed: {} messages are waiting for the broker's "
                            "acknowledgement already (max_buffered_messages)",
                            topic,
                            unacknowledged_)};
        }
        // Counted before the call, because the PUBACK can arrive before it returns.
        ++unacknowledged_;
    }

    std::lock_guard lock(publish_mutex_);
    if (stopped_) {
        release_unacknowledged();
        return Error{fmt::format("publishing to '{}' failed: the MQTT client is stopped", topic)};
    }
    if (!connected_) {
        held_messages_.push_back({topic, payload});
        return ok_status();
    }
    const int result = send_to_library(topic, payload);
    if (result != MOSQ_ERR_SUCCESS) {
        release_unacknowledged();
        return Error{fmt::format("publishing to '{}' failed: {}", topic, describe_error(result))};
    }
    return ok_status();
}

int MqttClient::send_to_library(const std::string& topic, const std::string& payload) {
    const int result = mosquitto_publish_v5(client_.get(),
                                            nullptr,
                                            topic.c_str(),
                                            static_cast<int>(payload.size()),
                                            payload.data(),
                                            kQos,
                                            false,
                                            nullptr);
    // For QoS 1, libmosquitto 2.0.11 queues the message before it finds the socket closed and
    // returns MOSQ_ERR_NO_CONN, and it sends the message after reconnecting.
    return result == MOSQ_ERR_NO_CONN ? MOSQ_ERR_SUCCESS : result;
}

// Runs on the network thread after the CONNACK, with publish_mutex_ held.
void MqttClient::send_held_messages() {
    for (const auto& message : held_messages_) {
        const int result = send_to_library(message.topic, message.payload);
        if (result != MOSQ_ERR_SUCCESS) {
            release_unacknowledged();
            logger()->error("dropped the message to '{}' kept while disconnected: {}",
                            message.topic,
                            describe_error(result));
        }
    }
    held_messages_.clear();
}

void MqttClient::release_unacknowledged() {
    {
        std::lock_guard lock(unacknowledged_mutex_);
        --unacknowledged_;
    }
    unacknowledged_changed_.notify_all();
}

void MqttClient::wait_for_publishes(std::chrono::milliseconds timeout) {
    std::unique_lock lock(unacknowledged_mutex_);
    unacknowledged_changed_.wait_for(
        lock, timeout, [this] { return unacknowledged_ <= 0 || !connected_; });
    if (unacknowledged_ > 0) {
        logger()->warn("disconnecting from {} with {} messages not acknowledged by the broker",
                       options_.broker_uri,
                       unacknowledged_);
    }
}

// Joins libmosquitto's network thread. A reconnect that was under way when stop() disconnected
// can set the client's state back to connecting, and the thread then goes on reconnecting, so
// the disconnect is repeated until the thread ends.
void MqttClient::stop_network_thread() {
    auto joined =
        std::async(std::launch::async, [this] { mosquitto_loop_stop(client_.get(), false); });
    while (joined.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
        mosquitto_disconnect(client_.get());
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
    // network_started_ no longer changes once the connector has ended.
    const bool network_started = network_started_;
    if (network_started) {
        wait_for_publishes(timeout);
    }
    {
        std::lock_guard lock(publish_mutex_);
        stopped_ = true;
    }
    // Disconnecting also ends libmosquitto's reconnects, so it is done while disconnected too.
    // libmosquitto then returns MOSQ_ERR_NO_CONN.
    const bool was_connected = connected_;
    const int result =
        mosquitto_disconnect_v5(client_.get(), MQTT_RC_NORMAL_DISCONNECTION, nullptr);
    if (was_connected && result == MOSQ_ERR_SUCCESS) {
        logger()->info("disconnected from {}", options_.broker_uri);
    }
    if (network_started) {
        stop_network_thread();
    }
    connected_ = false;
    subscribed_ = false;
}

}  // namespace drivelink::cloud
