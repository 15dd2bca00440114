// The ingest: turns received MQTT messages into store commits and commit acknowledgements.
//
// The MQTT client calls submit() from its callback thread. submit() only queues, so the
// callback returns at once and the client sends the PUBACK. The end-to-end CommitAck below covers
// what a PUBACK does not. One worker thread then
//   1. decodes and validates each message; a rejected one becomes a dead letter with its reason,
//   2. collects a batch until it contains batch_max_messages or batch_delay has passed since its
//      first message,
//   3. commits the batch in one store transaction,
//   4. after the commit, publishes the commands that services queued in the same transaction
//      (rescue updates, maintenance recommendations) and marks them sent in the outbox,
//   5. then publishes one Downlink{commit_ack} per vehicle to dl/v1/{vin}/cmd that names every
//      sequence number of the batch, stored or duplicate.
// When the commit fails, nothing is acknowledged. The batch stays in memory and is committed
// again with exponential backoff until the store accepts it. The agents also send unacknowledged
// messages again, so a message still queued when the process dies is not lost.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "cloud/ingest/backoff.h"
#include "cloud/ingest/inbound_queue.h"
#include "cloud/ingest/rate_limiter.h"
#include "cloud/store/store.h"
#include "protocol/codec.h"

namespace drivelink::cloud {

// Interface through which the ingest publishes its commit acknowledgements. The MQTT client
// implements it.
class CommandPublisher {
  public:
    virtual ~CommandPublisher() = default;
    // Publishes `payload` to `topic` at QoS 1 without waiting for the broker. Called on the
    // ingest worker thread.
    virtual Status publish(const std::string& topic, const std::string& payload) = 0;
};

struct IngestOptions {
    std::size_t batch_max_messages = 500;       // a batch is committed when it contains this many
    std::chrono::milliseconds batch_delay{20};  // or when its first message is this old
    std::size_t queue_capacity = 100'000;       // messages waiting for the worker at most
    std::chrono::milliseconds retry_initial{100};  // first delay after a failed commit
    std::chrono::milliseconds retry_max{std::chrono::seconds(10)};
    // On stop(), how long the worker keeps retrying a failing commit before it gives up.
    std::chrono::milliseconds drain_timeout{std::chrono::seconds(10)};
    protocol::ValidationOptions validation;
    // Wall clock for receive times and for the validation of message times.
    std::function<std::chrono::system_clock::time_point()> clock = [] {
        return std::chrono::system_clock::now();
    };
};

// Totals since start, for logs and metrics.
struct IngestCounters {
    std::uint64_t received = 0;  // messages passed to submit()
    // Messages not queued because the queue was full or stopped. They are not acknowledged,
    // so their agents send them again.
    std::uint64_t not_queued = 0;
    std::uint64_t stored = 0;
    std::uint64_t duplicates = 0;
    std::uint64_t rejected = 0;
    std::map<std::string, std::uint64_t> rejected_by_reason;  // by protocol::to_string(reason)
    std::uint64_t statuses = 0;
    std::uint64_t commits = 0;
    std::uint64_t commit_failures = 0;
    std::uint64_t acks_sent = 0;  // Downlink messages handed to the publisher
    std::uint64_t ack_failures = 0;
};

class Ingest {
  public:
    // `store` and `publisher` must outlive the Ingest. The store is used only by the worker.
    Ingest(Store& store, CommandPublisher& publisher, IngestOptions options = {});
    ~Ingest();  // calls stop()
    Ingest(const Ingest&) = delete;
    Ingest& operator=(const Ingest&) = delete;

    // Starts the worker thread.
    void start();

    // Queues a message for the worker. Thread-safe, and it waits only for the queue's lock, not
    // for the worker. Returns false when the queue is full or stopped, and the message is then
    // neither stored nor acknowledged.
    bool submit(std::string topic, std::string payload);

    // Stops taking messages, commits and acknowledges what is queued, and joins the worker.
    // A commit that still fails after drain_timeout is abandoned unacknowledged.
    void stop();

    IngestCounters counters() const;

    // Number of messages that stop() gave up on because the store kept failing, else 0.
    std::size_t abandoned_messages() const { return abandoned_messages_; }

  private:
    using SteadyTime = std::chrono::steady_clock::time_point;

    void run();
    SteadyTime wake_time(const StoreBatch& batch, SteadyTime now) const;
    void add_to_batch(InboundMessage message, StoreBatch& batch);
    void add_uplink(InboundMessage& message, StoreBatch& batch);
    void add_status(InboundMessage& message, StoreBatch& batch);
    void add_dead_letter(InboundMessage& message,
                         std::string vin,
                         protocol::Rejection rejection,
                         StoreBatch& batch);
    void try_commit(StoreBatch& batch, SteadyTime now);
    bool commit(const StoreBatch& batch);
    void count_outcomes(const StoreBatch& batch, const std::vector<CommitOutcome>& outcomes);
    void send_acks(const StoreBatch& batch);
    void send_commands();
    void log_counters();

    Store& store_;
    CommandPublisher& publisher_;
    const IngestOptions options_;
    InboundQueue queue_;
    std::thread worker_;

    // Worker state.
    Backoff backoff_;
    std::optional<SteadyTime> commit_due_;  // when the open batch reaches batch_delay
    std::optional<SteadyTime> retry_at_;    // set while the store is failing
    std::optional<SteadyTime> drain_deadline_;
    std::atomic<std::size_t> abandoned_messages_ = 0;
    SteadyTime next_counters_log_ = std::chrono::steady_clock::now() + std::chrono::minutes(1);
    LogRateLimiter reject_log_limit_;

    mutable std::mutex counters_mutex_;
    IngestCounters counters_;
    LogRateLimiter queue_log_limit_;  // guarded by counters_mutex_
};

}  // namespace drivelink::cloud
