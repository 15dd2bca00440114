// Delivery benchmark: how fast an agent drains a one-hour outage backlog once its link
// returns, and the round trip from publish to the cloud's CommitAck, each against a plain
// Paho QoS 1 publisher on the same broker in the same run.
//
// Runs Mosquitto and drivelink-cloud on free 127.0.0.1 ports. Prints a Markdown table.
// Usage: delivery_bench [round trips, default 300]
#include <utility>  // Boost 1.74's Asio needs this before it under C++20 on g++ 12.

#include <fmt/format.h>
#include <mqtt/async_client.h>
#include <spdlog/spdlog.h>
#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <deque>
#include <future>
#include <iostream>
#include <thread>

#include "agent/agent.h"
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

constexpr const char* kVin = "1M8GDM9AXKP042788";
constexpr int kBacklogSamples = 3600;  // one hour at one sample a second
constexpr int kSamplesPerMessage = 10;
constexpr std::size_t kMaxInFlight = drivelink::agent::AgentOptions{}.max_in_flight;

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

v1::Sample sample_at(int second) {
    v1::Sample sample;
    sample.set_time_ms(1'600'000'000'000 + second * 1000LL);
    sample.set_speed_kph(50.0);
    auto* location = sample.mutable_location();
    location->set_latitude_deg(49.0 + second * 1e-5);
    location->set_longitude_deg(12.0);
    location->set_altitude_m(340.0);
    location->set_heading_deg(90.0);
    location->set_fix_type(v1::FIX_TYPE_THREE_D);
    location->set_satellites_used(9);
    location->set_hdop(0.9);
    return sample;
}

// An agent on its own io_context thread, with helpers that wait for it.
class AgentHarness {
  public:
    AgentHarness(const std::string& uri, const std::filesystem::path& outbox_path) {
        auto outbox = drivelink::agent::Outbox::open(outbox_path);
        if (!outbox) {
            throw std::runtime_error(outbox.error());
        }
        drivelink::agent::AgentOptions options{.vin = kVin,
                                               .batch_max_samples = kSamplesPerMessage};
        drivelink::agent::MqttLinkOptions link;
        link.broker_uri = uri;
        link.vin = kVin;
        agent_ = std::make_unique<drivelink::agent::Agent>(
            io_.get_executor(), options, link, std::move(outbox).value());
    }

    ~AgentHarness() {
        run([this] {
            agent_->stop();
            io_.stop();
        });
        if (thread_.joinable()) {
            thread_.join();
        }
    }

    void start() {
        if (auto started = agent_->start(); !started) {
            throw std::runtime_error(started.error());
        }
        thread_ = std::thread([this] { io_.run(); });
    }

    void run(std::function<void()> work) { boost::asio::post(io_, std::move(work)); }

    void wait_connected() {
        while (true) {
            std::promise<bool> connected;
            run([&] { connected.set_value(agent_->connected()); });
            if (connected.get_future().get()) {
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }

    // Blocks until the outbox is empty.
    void wait_drained() {
        std::promise<void> drained;
        run([&] { agent_->when_drained([&] { drained.set_value(); }); });
        drained.get_future().wait();
    }

    drivelink::agent::Agent& agent() { return *agent_; }

  private:
    boost::asio::io_context io_;
    std::unique_ptr<drivelink::agent::Agent> agent_;
    std::thread thread_;
};

// Fills an outbox with one hour of samples while no broker is reachable.
void fill_backlog(const std::filesystem::path& outbox_path) {
    auto outbox = drivelink::agent::Outbox::open(outbox_path);
    for (int first = 0; first < kBacklogSamples; first += kSamplesPerMessage) {
        v1::Uplink uplink;
        uplink.set_vin(kVin);
        uplink.set_sent_time_ms(1'600'000'000'000 + first * 1000LL);
        for (int i = first; i < first + kSamplesPerMessage; ++i) {
            *uplink.mutable_batch()->add_samples() = sample_at(i);
        }
        if (auto added = outbox.value()->add(uplink); !added) {
            throw std::runtime_error(added.error());
        }
    }
}

// The same messages as the backlog, encoded once, for the plain publisher.
std::vector<std::string> backlog_payloads() {
    std::vector<std::string> payloads;
    for (int first = 0, seq = 1; first < kBacklogSamples; first += kSamplesPerMessage, ++seq) {
        v1::Uplink uplink;
        uplink.set_vin(kVin);
        uplink.set_seq(static_cast<uint64_t>(seq));
        for (int i = first; i < first + kSamplesPerMessage; ++i) {
            *uplink.mutable_batch()->add_samples() = sample_at(i);
        }
        payloads.push_back(drivelink::protocol::encode(uplink));
    }
    return payloads;
}

// Plain QoS 1 publisher: publishes everything and waits for every PUBACK.
double plain_publish_all_ms(const std::string& uri, const std::vector<std::string>& payloads) {
    mqtt::async_client client(uri, "bench-plain", mqtt::create_options(MQTTVERSION_5));
    client.connect(mqtt::connect_options_builder().mqtt_version(MQTTVERSION_5).finalize())->wait();
    const std::string topic = "bench/plain/telemetry";
    const auto start = Clock::now();
    // The same window as the agent's: at most kMaxInFlight publishes await their PUBACK.
    std::deque<mqtt::delivery_token_ptr> in_flight;
    for (const auto& payload : payloads) {
        if (in_flight.size() >= kMaxInFlight) {
            in_flight.front()->wait();
            in_flight.pop_front();
        }
        in_flight.push_back(client.publish(topic, payload.data(), payload.size(), 1, false));
    }
    for (auto& token : in_flight) {
        token->wait();
    }
    const double elapsed = ms_since(start);
    client.disconnect()->wait();
    return elapsed;
}

std::vector<double> plain_round_trips_ms(const std::string& uri,
                                         const std::string& payload,
                                         int count) {
    mqtt::async_client client(uri, "bench-plain-rtt", mqtt::create_options(MQTTVERSION_5));
    client.connect(mqtt::connect_options_builder().mqtt_version(MQTTVERSION_5).finalize())->wait();
    std::vector<double> times;
    for (int i = 0; i < count; ++i) {
        const auto start = Clock::now();
        client.publish("bench/plain/telemetry", payload.data(), payload.size(), 1, false)->wait();
        times.push_back(ms_since(start));
    }
    client.disconnect()->wait();
    return times;
}

std::vector<double> agent_round_trips_ms(AgentHarness& harness, int count) {
    std::vector<double> times;
    for (int i = 0; i < count; ++i) {
        const auto start = Clock::now();
        harness.run([&harness, i] {
            for (int s = 0; s < kSamplesPerMessage; ++s) {
                harness.agent().add_sample(sample_at(kBacklogSamples + i * kSamplesPerMessage + s));
            }
        });
        harness.wait_drained();
        times.push_back(ms_since(start));
    }
    return times;
}

double percentile(std::vector<double> values, double fraction) {
    std::sort(values.begin(), values.end());
    const auto index = static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1));
    return values[index];
}

}  // namespace

int main(int argc, char** argv) {
    const int round_trips = argc > 1 ? std::stoi(argv[1]) : 300;
    spdlog::set_level(spdlog::level::warn);
    TempDir dir;
    MosquittoBroker broker(dir / "broker");
    Process cloud(std::filesystem::path(DRIVELINK_BINARY_DIR) / "cloud/drivelink-cloud",
                  {"run",
                   "--broker",
                   broker.uri(),
                   "--db",
                   (dir / "cloud.db").string(),
                   "--log-level",
                   "warn"},
                  dir / "cloud.log");
    std::this_thread::sleep_for(std::chrono::seconds(1));

    const auto payloads = backlog_payloads();
    const double plain_ms = plain_publish_all_ms(broker.uri(), payloads);

    fill_backlog(dir / "outbox.db");
    AgentHarness harness(broker.uri(), dir / "outbox.db");
    const auto start = Clock::now();
    harness.start();
    harness.wait_connected();
    const double connect_ms = ms_since(start);
    harness.wait_drained();
    const double drain_ms = ms_since(start);

    const auto plain_rtt = plain_round_trips_ms(broker.uri(), payloads.front(), round_trips);
    const auto agent_rtt = agent_round_trips_ms(harness, round_trips);

    std::cout << fmt::format("| measurement | drivelink agent | plain QoS 1 publisher | ratio |\n");
    std::cout << "|---|---|---|---|\n";
    std::cout << fmt::format(
        "| one-hour backlog ({} samples in {} messages), until all acknowledged | {:.0f} ms "
        "(connect {:.0f} ms) | {:.0f} ms until all PUBACKs | {:.1f} |\n",
        kBacklogSamples,
        payloads.size(),
        drain_ms,
        connect_ms,
        plain_ms,
        drain_ms / plain_ms);
    std::cout << fmt::format("| backlog throughput | {:.0f} samples/s | {:.0f} samples/s | |\n",
                             kBacklogSamples * 1000.0 / drain_ms,
                             kBacklogSamples * 1000.0 / plain_ms);
    for (const double fraction : {0.5, 0.99}) {
        const double agent = percentile(agent_rtt, fraction);
        const double plain = percentile(plain_rtt, fraction);
        std::cout << fmt::format(
            "| round trip p{:.0f} ({} messages): CommitAck vs PUBACK | {:.2f} ms | {:.2f} ms | "
            "{:.1f} |\n",
            fraction * 100,
            round_trips,
            agent,
            plain,
            agent / plain);
    }
    cloud.stop();
    return 0;
}
