// Durable store of the messages an agent has created and the cloud has not yet acknowledged.
//
// Every sample batch and event is written here before it is published, and deleted only when
// the cloud's CommitAck names its sequence number. Sequence numbers are assigned here, in the
// same transaction that stores the message, so a number is never reused: not after a crash,
// and not after power loss, because the database runs in WAL mode with synchronous=FULL.
//
// Not thread-safe: one thread (the agent's) owns an Outbox.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "drivelink/v1/drivelink.pb.h"
#include "protocol/result.h"
#include "protocol/topics.h"

struct sqlite3;

namespace drivelink::agent {

// Lower values are sent first. Events go ahead of any telemetry backlog.
enum class Priority : int {
    Event = 0,
    Telemetry = 1,
};

struct OutboxLimits {
    std::size_t max_entries = 100'000;
    std::size_t max_bytes = 64 * 1024 * 1024;
    // False trades power-loss safety for speed (synchronous=NORMAL): a process crash still
    // loses nothing, but power loss may roll back the last adds and so reuse their sequence
    // numbers. Only for simulated cars, which have no power to lose.
    bool survive_power_loss = true;
};

struct OutboxEntry {
    uint64_t seq = 0;
    Priority priority = Priority::Telemetry;
    protocol::Channel channel = protocol::Channel::Telemetry;
    std::string payload;  // the encoded Uplink, seq included
    std::chrono::system_clock::time_point created;
    std::chrono::system_clock::time_point last_sent;  // epoch when never sent
    uint32_t attempts = 0;
};

struct OutboxStats {
    std::size_t entries = 0;
    std::size_t bytes = 0;
    std::size_t events = 0;
    uint64_t next_seq = 1;
    uint64_t dropped_samples_total = 0;  // thinned since the outbox was created
    uint64_t dropped_samples_unreported = 0;
    uint64_t entries_dropped_total =
        0;  // whole entries deleted, whose seq never arrives  // not yet carried in an Uplink
};

class Outbox {
  public:
    // Opens or creates the outbox database at `path`.
    static Result<std::unique_ptr<Outbox>> open(const std::filesystem::path& path,
                                                OutboxLimits limits = {});
    ~Outbox();
    Outbox(const Outbox&) = delete;
    Outbox& operator=(const Outbox&) = delete;

    // Assigns the next sequence number to `uplink`, encodes it and stores it, in one
    // transaction. The body decides channel and priority. Telemetry past the size bound thins
    // the oldest telemetry first; events are stored even past the bound.
    Result<uint64_t> add(v1::Uplink& uplink);

    // Entries to publish now: never sent, or sent before `now - resend_after`, ordered by
    // priority and then sequence number. At most `max_count`.
    Result<std::vector<OutboxEntry>> due(std::chrono::system_clock::time_point now,
                                         std::chrono::milliseconds resend_after,
                                         std::size_t max_count);

    // Records that `seqs` went out at `when`.
    Status mark_sent(const std::vector<uint64_t>& seqs, std::chrono::system_clock::time_point when);

    // Makes every entry due again, for example after the connection came back.
    Status mark_all_unsent();

    // Deletes acknowledged entries; unknown sequence numbers are ignored. Returns how many
    // entries were deleted.
    Result<std::size_t> acknowledge(const std::vector<uint64_t>& seqs);

    Result<OutboxStats> stats();

    const std::filesystem::path& path() const { return path_; }

  private:
    class RelaxedSync;
    Outbox(sqlite3* db, std::filesystem::path path, OutboxLimits limits);
    Status migrate();
    Status thin_telemetry(std::size_t incoming_bytes);
    Result<uint64_t> thin_pass(std::size_t telemetry_entries);
    Status exec(const char* sql);
    const char* full_sync_pragma() const;

    sqlite3* db_;
    std::filesystem::path path_;
    OutboxLimits limits_;
};

}  // namespace drivelink::agent
