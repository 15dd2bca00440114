// Rescue benchmark: the time from a crash event published by a car to the RescueUpdate that the
// car receives back. Background cars publish telemetry meanwhile. The plain QoS 1 publish round
// trip (until the PUBACK) is measured in the same run under the same load for comparison.
//
// Runs Mosquitto and drivelink-cloud (with the sample dealer network) on free 127.0.0.1 ports.
// Prints a Markdown table.
// Usage: rescue_bench [crashes, default 300] [background cars, default 300]
#include <fmt/format.h>
#include <mqtt/async_client.h>
#include <spdlog/spdlog.h>
#include <algorithm>
#include <atomic>
#include <future>
#include <iostream>
#include <mutex>
#include <thread>

#include "protocol/codec.h"
#include "protocol/topics.h"
#include "tests/support/mosquitto.h"
#include "tests/support/process.h"

namespace {

using Clock = std::chrono::steady_clock;
using drivelink::testing::MosquittoBroker;
using drivelink::testing::Process;
using drivelink::testing::TempDir;
namespace v1 = drivelink::v1;
namespace protocol = drivelink::protocol;

constexpr auto kTelemetryInterval = std::chrono::seconds(1);

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// 17 characters; the cloud runs with --no-vin-check-digit, so any serial is valid.
std::string vin_for(char series, int serial) {
    return fmt::format("1M8GDM9A{}KP{:06d}", series, serial);
}

std::string telemetry_payload(const std::string& vin, std::uint64_t seq) {
    v1::Uplink uplink;
    uplink.set_vin(vin);
    uplink.set_seq(seq);
    uplink.set_sent_time_ms(now_ms());
    auto* sample = uplink.mutable_batch()->add_samples();
    sample->set_time_ms(now_ms());
    sample->set_speed_kph(50.0);
    sample->mutable_location()->set_latitude_deg(49.0);
    sample->mutable_location()->set_longitude_deg(12.1);
    sample->mutable_location()->set_fix_type(v1::FIX_TYPE_THREE_D);
    return protocol::encode(uplink);
}

std::string crash_payload(const std::string& vin) {
    v1::Uplink uplink;
    uplink.set_vin(vin);
    uplink.set_seq(1);
    uplink.set_sent_time_ms(now_ms());
    auto* event = uplink.mutable_event();
    event->set_time_ms(now_ms());
    event->set_type(v1::EVENT_TYPE_CRASH);
    event->mutable_location()->set_latitude_deg(49.0134);
    event->mutable_location()->set_longitude_deg(12.1016);
    return protocol::encode(uplink);
}

std::unique_ptr<mqtt::async_client> connect(const std::string& uri, const std::string& id) {
    auto client =
        std::make_unique<mqtt::async_client>(uri, id, mqtt::create_options(MQTTVERSION_5), nullptr);
    client->connect(mqtt::connect_options_builder().mqtt_version(MQTTVERSION_5).finalize())->wait();
    return client;
}

// Background cars, each with its own connection, publishing one sample a second.
class BackgroundLoad {
  public:
    // Connects all cars at once: Paho C can take about a second per connect, so connecting
    // one after the other would take minutes.
    BackgroundLoad(const std::string& uri, int cars) {
        std::vector<mqtt::token_ptr> connecting;
        for (int i = 0; i < cars; ++i) {
            clients_.push_back(
                std::make_unique<mqtt::async_client>(uri,
                                                     fmt::format("bench-load-{}", i),
                                                     mqtt::create_options(MQTTVERSION_5),
                                                     nullptr));
            connecting.push_back(clients_.back()->connect(
                mqtt::connect_options_builder().mqtt_version(MQTTVERSION_5).finalize()));
        }
        for (auto& token : connecting) {
            token->wait();
        }
        thread_ = std::thread([this] { run(); });
    }
    ~BackgroundLoad() {
        stopping_ = true;
        thread_.join();
        for (auto& client : clients_) {
            client->disconnect()->wait();
        }
    }
    std::uint64_t published() const { return published_; }

  private:
    void run() {
        for (std::uint64_t seq = 1; !stopping_; ++seq) {
            const auto next = Clock::now() + kTelemetryInterval;
            for (std::size_t i = 0; i < clients_.size() && !stopping_; ++i) {
                const auto vin = vin_for('L', static_cast<int>(i));
                const auto topic = protocol::topic_for(vin, protocol::Channel::Telemetry);
                clients_[i]->publish(topic, telemetry_payload(vin, seq), 1, false);
                ++published_;
            }
            std::this_thread::sleep_until(next);
        }
    }

    std::vector<std::unique_ptr<mqtt::async_client>> clients_;
    std::thread thread_;
    std::atomic<bool> stopping_ = false;
    std::atomic<std::uint64_t> published_ = 0;
};

// The crashing car: publishes a crash for a new VIN each time and waits for its RescueUpdate.
std::vector<double> crash_round_trips_ms(const std::string& uri, int count) {
    auto client = connect(uri, "bench-crash");
    std::mutex mutex;
    std::string expected_vin;
    std::promise<void> received;
    client->set_message_callback([&](mqtt::const_message_ptr message) {
        auto topic = protocol::parse_topic(message->get_topic());
        v1::Downlink downlink;
        if (!topic || !downlink.ParseFromString(message->get_payload_str()) ||
            !downlink.has_rescue_update()) {
            return;
        }
        std::lock_guard lock(mutex);
        if (topic->vin == expected_vin) {
            expected_vin.clear();
            received.set_value();
        }
    });
    client->subscribe("dl/v1/+/cmd", 1)->wait();
    std::vector<double> times;
    for (int i = 0; i < count; ++i) {
        const auto vin = vin_for('C', i);
        std::future<void> done;
        {
            std::lock_guard lock(mutex);
            received = std::promise<void>();
            done = received.get_future();
            expected_vin = vin;
        }
        const auto start = Clock::now();
        client->publish(
            protocol::topic_for(vin, protocol::Channel::Event), crash_payload(vin), 1, false);
        if (done.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
            throw std::runtime_error(fmt::format("no RescueUpdate for vin={} within 10 s", vin));
        }
        times.push_back(ms_since(start));
    }
    client->disconnect()->wait();
    return times;
}

std::vector<double> plain_round_trips_ms(const std::string& uri, int count) {
    auto client = connect(uri, "bench-plain");
    const auto payload = crash_payload(vin_for('P', 0));
    std::vector<double> times;
    for (int i = 0; i < count; ++i) {
        const auto start = Clock::now();
        client->publish("bench/plain/event", payload.data(), payload.size(), 1, false)->wait();
        times.push_back(ms_since(start));
    }
    client->disconnect()->wait();
    return times;
}

double percentile(std::vector<double> values, double fraction) {
    std::sort(values.begin(), values.end());
    const auto index = static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1));
    return values[index];
}

}  // namespace

int main(int argc, char** argv) {
    const int crashes = argc > 1 ? std::stoi(argv[1]) : 300;
    const int cars = argc > 2 ? std::stoi(argv[2]) : 300;
    spdlog::set_level(spdlog::level::warn);
    TempDir dir;
    MosquittoBroker broker(dir / "broker");
    const auto dealers = std::filesystem::path(DRIVELINK_SOURCE_DIR) / "data/dealers_sample.csv";
    Process cloud(std::filesystem::path(DRIVELINK_BINARY_DIR) / "cloud/drivelink-cloud",
                  {"run",
                   "--broker",
                   broker.uri(),
                   "--db",
                   (dir / "cloud.db").string(),
                   "--dealers",
                   dealers.string(),
                   "--no-vin-check-digit",
                   "--escalation-timeout-s",
                   "3600",
                   "--log-level",
                   "error"},
                  dir / "cloud.log");
    std::this_thread::sleep_for(std::chrono::seconds(2));

    BackgroundLoad load(broker.uri(), cars);
    std::this_thread::sleep_for(std::chrono::seconds(2));
    const auto plain = plain_round_trips_ms(broker.uri(), crashes);
    const auto rescue = crash_round_trips_ms(broker.uri(), crashes);
    const auto background = load.published();

    std::cout << fmt::format(
        "Background: {} cars publishing one sample a second ({} telemetry messages during the "
        "run).\n\n",
        cars,
        background);
    std::cout << "| measurement | crash to RescueUpdate | plain QoS 1 PUBACK | ratio |\n";
    std::cout << "|---|---|---|---|\n";
    for (const double fraction : {0.5, 0.99}) {
        const double crash_ms = percentile(rescue, fraction);
        const double plain_ms = percentile(plain, fraction);
        std::cout << fmt::format("| p{:.0f} over {} crashes | {:.2f} ms | {:.2f} ms | {:.1f} |\n",
                                 fraction * 100,
                                 crashes,
                                 crash_ms,
                                 plain_ms,
                                 crash_ms / plain_ms);
    }
    cloud.stop();
    return 0;
}
