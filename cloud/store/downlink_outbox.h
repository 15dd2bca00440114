// The downlink outbox: commands for cars (rescue updates, recommendations) written in the same
// transaction as the change that caused them, and published after that transaction committed.
//
// A row whose sent_time_ms is NULL is still to be published. The ingest publishes the rows of
// its own commits at once and marks them sent. The rescue monitor publishes every other pending
// row, such as those the command-line program wrote, once it is older than a grace period.
// A command can thus reach a car twice, for example when the cloud stops between the publish and
// the mark. The agent handles each command_id once, so that is harmless.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cloud/store/sqlite_database.h"
#include "drivelink/v1/drivelink.pb.h"

namespace drivelink::cloud {

// A command waiting in the outbox.
struct OutboundCommand {
    std::int64_t outbox_id = 0;
    std::string vin;
    std::string payload;  // an encoded Downlink
};

// Inserts `downlink` for `vin` unless a row with its command_id exists. Returns the stored
// command, or an OutboundCommand with outbox_id 0 when the command_id was there before.
Result<OutboundCommand> enqueue_downlink(SqliteDatabase& db,
                                         const std::string& vin,
                                         const v1::Downlink& downlink,
                                         std::int64_t created_time_ms);

// Returns the unsent commands created at or before `created_before_ms`, oldest first.
Result<std::vector<OutboundCommand>> pending_downlinks(SqliteDatabase& db,
                                                       std::int64_t created_before_ms,
                                                       std::size_t max_count);

Status mark_downlinks_sent(SqliteDatabase& db,
                           const std::vector<std::int64_t>& outbox_ids,
                           std::int64_t sent_time_ms);

}  // namespace drivelink::cloud
