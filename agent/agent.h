// The agent's core: turns samples and events into outbox entries and keeps the outbox
// flowing to the cloud until every entry is acknowledged.
//
// Everything here runs on the executor given at construction, which must run one handler at
// a time: a single-threaded io_context, or a strand when several threads share one. Other
// threads (the GNSS reader, signal handlers) hand work over with boost::asio::post.
#pragma once

#include <utility>  // Boost 1.74's Asio needs this before it under C++20 on g++ 12.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "agent/outbox/outbox.h"
#include "agent/uplink/mqtt_link.h"
#include "drivelink/v1/drivelink.pb.h"

namespace drivelink::agent {

struct AgentOptions {
    std::string vin;
    // An entry published but not acknowledged within this time is published again.
    std::chrono::milliseconds ack_timeout{std::chrono::seconds(10)};
    // Entries published and not yet acknowledged, at most.
    std::size_t max_in_flight = 64;
    std::size_t batch_max_samples = 10;
    std::chrono::milliseconds batch_max_age{std::chrono::seconds(5)};
    // Messages kept in memory while the outbox cannot be written (disk full), at most.
    std::size_t max_unstored = 1000;
};

struct AgentCounters {
    uint64_t samples = 0;
    uint64_t events = 0;
    uint64_t messages_created = 0;
    uint64_t publishes = 0;
    uint64_t resends = 0;
    uint64_t acknowledged = 0;
    uint64_t store_errors = 0;           // failed outbox writes, each retried later
    uint64_t unstored_samples_lost = 0;  // dropped from memory while the outbox was unwritable
};

class Agent {
  public:
    Agent(boost::asio::any_io_executor executor,
          AgentOptions options,
          MqttLinkOptions link_options,
          std::unique_ptr<Outbox> outbox);
    ~Agent();

    Status start();
    // Adds a sample to the current batch; the batch goes to the outbox when full or old.
    void add_sample(v1::Sample sample);
    // Stores an event and sends it ahead of any telemetry. An event without a location gets
    // the latest sample's. Returns the event's sequence number, or nothing when the outbox
    // could not be written and the event waits in memory.
    std::optional<uint64_t> raise_event(v1::VehicleEvent event);
    // Moves a partly filled batch to the outbox now.
    void flush_batch();
    // Calls `done` once the outbox is empty and no batch is pending (at once if so now).
    void when_drained(std::function<void()> done);
    // Flushes the batch and disconnects cleanly; entries not yet acknowledged stay in the
    // outbox for the next start.
    void stop();

    // Receives every Downlink other than a CommitAck, on the agent's executor.
    void set_command_handler(std::function<void(const v1::Downlink&)> handler);
    void set_batch_limits(std::size_t max_samples, std::chrono::milliseconds max_age);
    // Called with each sequence number the cloud acknowledges, on the agent's executor.
    void set_ack_observer(std::function<void(uint64_t seq)> observer);

    bool connected() const { return link_.connected(); }
    const AgentCounters& counters() const { return counters_; }
    Outbox& outbox() { return *outbox_; }

  private:
    std::optional<uint64_t> store(v1::Uplink& uplink);
    std::optional<uint64_t> write_to_outbox(v1::Uplink& uplink);
    void keep_unstored(v1::Uplink uplink);
    void retry_unstored();
    void pump();
    void on_connected();
    void on_message(const std::string& topic, const std::string& payload);
    void on_tick();
    void check_drained();

    boost::asio::any_io_executor executor_;
    AgentOptions options_;
    std::unique_ptr<Outbox> outbox_;
    MqttLink link_;
    boost::asio::steady_timer tick_timer_;
    v1::SampleBatch batch_;
    std::chrono::steady_clock::time_point batch_started_;
    // Sequence number to when it was last published, for the in-flight window.
    std::map<uint64_t, std::chrono::steady_clock::time_point> in_flight_;
    std::optional<v1::Location> last_location_;
    std::deque<v1::Uplink> unstored_;  // created but not yet in the outbox, oldest first
    std::function<void()> drained_;
    std::function<void(const v1::Downlink&)> command_handler_;
    std::function<void(uint64_t)> ack_observer_;
    AgentCounters counters_;
    bool stopped_ = false;
    // The last outbox read found nothing due and nothing was added or reset since.
    bool nothing_due_ = false;
};

int64_t now_ms();

}  // namespace drivelink::agent
