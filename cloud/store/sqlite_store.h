// The Store on one SQLite file, for a single cloud instance.
//
// The file runs in WAL mode with synchronous=FULL. In WAL mode, NORMAL skips the fsync at each
// commit, so a power loss or OS crash can undo transactions that had already committed. The
// cloud acknowledges a message right after its commit and the car then deletes its copy, so a
// commit undone after the acknowledgement would lose that message for good. FULL costs one
// fsync per commit, and batching spreads that over up to hundreds of messages.
//
// One SqliteStore is one connection and is not thread-safe: the ingest worker owns it. Other
// processes (the report, sqlite3) may read the file at the same time.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>

#include "cloud/store/sqlite_database.h"
#include "cloud/store/store.h"

namespace drivelink::cloud {

// A service that reacts to stored uplinks inside the transaction that stores them, so its own
// rows (a rescue case, a recommendation) are written exactly when the uplink is.
class StoredUplinkHandler {
  public:
    virtual ~StoredUplinkHandler() = default;
    // Called on the ingest worker thread, inside the commit transaction, once for each uplink
    // whose (vin, seq) is new. Appends to `commands` the outbox rows to publish after the commit.
    // An error rolls the whole batch back.
    virtual Status on_stored(SqliteDatabase& db,
                             const ReceivedUplink& received,
                             std::vector<OutboundCommand>& commands) = 0;
};

struct SqliteStoreOptions {
    // How long a write waits for another connection's lock before it fails with SQLITE_BUSY.
    std::chrono::milliseconds busy_timeout{5000};
    // Opens an existing file without writing to it. The schema must already be at the latest
    // version, and commit() fails.
    bool read_only = false;
};

class SqliteStore final : public Store {
  public:
    // Opens or creates the database file, sets WAL mode and applies the schema migrations.
    // The error names the path and the SQLite message.
    static Result<std::unique_ptr<SqliteStore>> open(const std::filesystem::path& path,
                                                     SqliteStoreOptions options = {});
    ~SqliteStore() override;

    Result<std::vector<CommitOutcome>> commit(const StoreBatch& batch) override;
    Result<std::vector<VehicleSummary>> vehicle_summaries() override;
    Status visit_track(std::string_view vin,
                       const std::function<void(const TrackPoint&)>& visit) override;
    Result<std::vector<DeadLetterCount>> dead_letter_counts() override;
    std::vector<OutboundCommand> take_commands() override;
    Status mark_commands_sent(const std::vector<std::int64_t>& outbox_ids) override;

    // Adds a handler called for every newly stored uplink. `handler` must outlive the store.
    void add_handler(StoredUplinkHandler& handler) { handlers_.push_back(&handler); }

  private:
    struct Statements;

    explicit SqliteStore(std::unique_ptr<SqliteDatabase> db);
    Status prepare_for_writing(const std::filesystem::path& path);
    Status prepare_statements();
    Status write_batch(const StoreBatch& batch, std::vector<CommitOutcome>& outcomes);
    Result<CommitOutcome> write_uplink(const ReceivedUplink& received);
    Status write_samples(const protocol::DecodedUplink& uplink);
    Status write_event(const protocol::DecodedUplink& uplink);
    Status write_status(const StatusReport& status);
    Status write_dead_letter(const DeadLetter& letter);
    Status touch_vehicle(const std::string& vin,
                         std::int64_t seen_ms,
                         std::int64_t dropped_samples,
                         std::int64_t duplicates);

    class Checkpointer;

    std::unique_ptr<SqliteDatabase> db_;
    std::unique_ptr<Statements> statements_;
    // Declared after db_, so that it stops before the ingest's connection closes.
    std::unique_ptr<Checkpointer> checkpointer_;
    std::vector<StoredUplinkHandler*> handlers_;
    std::vector<OutboundCommand> pending_commands_;  // queued by the current or last commit
};

// Opens a read-write connection on `path` for a service other than the ingest (the rescue
// monitor, the command-line program), in WAL mode and migrated to the latest schema.
Result<std::unique_ptr<SqliteDatabase>> open_service_database(
    const std::filesystem::path& path, std::chrono::milliseconds busy_timeout);

}  // namespace drivelink::cloud
