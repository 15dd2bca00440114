#include "cloud/store/downlink_outbox.h"

#include <fmt/format.h>

namespace drivelink::cloud {
namespace {

constexpr std::string_view kInsert = R"sql(
INSERT INTO downlink_outbox (vin, command_id, payload, created_time_ms) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (command_id) DO NOTHING)sql";

constexpr std::string_view kPending = R"sql(
SELECT id, vin, payload FROM downlink_outbox
WHERE sent_time_ms IS NULL AND created_time_ms <= ?1 ORDER BY id LIMIT ?2)sql";

constexpr std::string_view kMarkSent = R"sql(
UPDATE downlink_outbox SET sent_time_ms = ?2 WHERE id = ?1 AND sent_time_ms IS NULL)sql";

}  // namespace

Result<OutboundCommand> enqueue_downlink(SqliteDatabase& db,
                                         const std::string& vin,
                                         const v1::Downlink& downlink,
                                         std::int64_t created_time_ms) {
    auto insert = db.prepare(kInsert);
    if (!insert) {
        return Error{insert.error()};
    }
    OutboundCommand command{0, vin, downlink.SerializeAsString()};
    insert.value().bind(1, vin);
    insert.value().bind(2, std::string_view(downlink.command_id()));
    insert.value().bind_blob(3, command.payload);
    insert.value().bind(4, created_time_ms);
    if (auto inserted = insert.value().execute(); !inserted) {
        return Error{fmt::format(
            "vin={} queuing command '{}': {}", vin, downlink.command_id(), inserted.error())};
    }
    if (db.changes() > 0) {
        command.outbox_id = db.last_insert_rowid();
    }
    return command;
}

Result<std::vector<OutboundCommand>> pending_downlinks(SqliteDatabase& db,
                                                       std::int64_t created_before_ms,
                                                       std::size_t max_count) {
    auto query = db.prepare(kPending);
    if (!query) {
        return Error{query.error()};
    }
    query.value().bind(1, created_before_ms);
    query.value().bind(2, static_cast<std::int64_t>(max_count));
    std::vector<OutboundCommand> commands;
    auto read = query.value().for_each_row([&commands](const SqliteStatement& row) {
        commands.push_back(
            OutboundCommand{row.column_int64(0), row.column_text(1), row.column_blob(2)});
    });
    if (!read) {
        return Error{read.error()};
    }
    return commands;
}

Status mark_downlinks_sent(SqliteDatabase& db,
                           const std::vector<std::int64_t>& outbox_ids,
                           std::int64_t sent_time_ms) {
    auto update = db.prepare(kMarkSent);
    if (!update) {
        return Error{update.error()};
    }
    for (const auto id : outbox_ids) {
        update.value().bind(1, id);
        update.value().bind(2, sent_time_ms);
        if (auto updated = update.value().execute(); !updated) {
            return updated;
        }
    }
    return ok_status();
}

}  // namespace drivelink::cloud
