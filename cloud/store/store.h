// Durable storage of what the cloud receives: uplink messages with their samples and events,
// vehicle state, and dead letters.
//
// The store is where the delivery contract is kept. commit() writes a whole batch in one
// transaction and reports, per uplink, whether its (vin, seq) was new or a duplicate. The
// ingest acknowledges to the car only after commit() succeeded, so an acknowledged message is
// always on disk, and a duplicate adds no rows. SqliteStore is the implementation for one
// machine. The interface leaves room for a PostgreSQL store that several cloud instances share.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cloud/store/downlink_outbox.h"
#include "protocol/codec.h"
#include "protocol/result.h"

namespace drivelink::cloud {

// A validated uplink and when the cloud received it.
struct ReceivedUplink {
    protocol::DecodedUplink uplink;  // seq must be at most INT64_MAX, the store's integer range
    std::int64_t received_time_ms = 0;
};

// A VehicleStatus message: the car came online, or its Last Will reports it offline.
struct StatusReport {
    std::string vin;
    bool online = false;
    std::int64_t status_time_ms = 0;  // agent clock when that connection was made
    std::int64_t received_time_ms = 0;
};

// A message that failed validation, kept byte for byte with the reason.
struct DeadLetter {
    std::string topic;
    std::string vin;      // VIN part of the topic when the topic parses, else empty
    std::string payload;  // raw bytes as received
    protocol::RejectReason reason = protocol::RejectReason::Undecodable;
    std::string detail;
    std::int64_t received_time_ms = 0;
    // Set when the message came from the vehicle its topic names (VIN and sequence number
    // decoded and consistent) but its content is invalid. The ingest acknowledges it once the
    // dead letter is stored, so the agent stops sending a message that would never pass.
    std::optional<std::uint64_t> acknowledge_seq;
};

// Everything one transaction writes.
struct StoreBatch {
    std::vector<ReceivedUplink> uplinks;
    std::vector<StatusReport> statuses;
    std::vector<DeadLetter> dead_letters;

    std::size_t size() const { return uplinks.size() + statuses.size() + dead_letters.size(); }
    bool empty() const { return size() == 0; }
    void clear();
};

enum class CommitOutcome {
    Stored,     // first time this (vin, seq) arrived: its rows were written
    Duplicate,  // (vin, seq) was stored before: nothing written, acknowledge again
};

// Per-vehicle totals, for the report.
struct VehicleSummary {
    std::string vin;
    std::optional<bool> online;  // empty until a status message arrived
    std::optional<std::int64_t> last_status_time_ms;
    std::optional<std::int64_t> last_seen_ms;  // receive time of the latest message of any kind
    std::uint64_t messages = 0;                // stored uplinks, telemetry and events
    std::uint64_t events = 0;
    std::uint64_t duplicates = 0;       // uplinks that arrived again and were not stored
    std::uint64_t dropped_samples = 0;  // sum of Uplink.dropped_samples
    std::uint64_t samples = 0;
    std::optional<double> top_speed_kph;
    std::optional<std::int64_t> first_sample_time_ms;
    std::optional<std::int64_t> last_sample_time_ms;
};

// One stored sample position, as the report walks a vehicle's track.
struct TrackPoint {
    std::int64_t time_ms = 0;
    double latitude_deg = 0.0;
    double longitude_deg = 0.0;
    bool has_fix = true;  // false for samples with fix_type "none"
};

struct DeadLetterCount {
    std::string vin;  // empty when the topic named no VIN
    std::string reason;
    std::uint64_t count = 0;
};

class Store {
  public:
    virtual ~Store() = default;

    // Writes the batch in one transaction. On success returns one outcome per entry of
    // batch.uplinks, in order. On any failure (disk full, read-only file, database locked ...)
    // rolls the whole batch back and returns the error, so the caller must not acknowledge any
    // of it and should retry later.
    virtual Result<std::vector<CommitOutcome>> commit(const StoreBatch& batch) = 0;

    // Returns one summary per known vehicle, ordered by VIN.
    virtual Result<std::vector<VehicleSummary>> vehicle_summaries() = 0;

    // Calls `visit` for each sample of `vin` in measurement-time order.
    virtual Status visit_track(std::string_view vin,
                               const std::function<void(const TrackPoint&)>& visit) = 0;

    // Returns the number of dead letters per (vin, reason).
    virtual Result<std::vector<DeadLetterCount>> dead_letter_counts() = 0;

    // Returns and forgets the commands for cars that the last successful commit() queued in
    // its transaction, such as rescue updates. The caller publishes them and then calls
    // mark_commands_sent().
    virtual std::vector<OutboundCommand> take_commands() { return {}; }
    virtual Status mark_commands_sent(const std::vector<std::int64_t>& outbox_ids) {
        (void)outbox_ids;
        return ok_status();
    }
};

}  // namespace drivelink::cloud
