#include "agent/outbox/outbox.h"

#include <fmt/format.h>
#include <sqlite3.h>
#include <algorithm>

#include "agent/outbox/sqlite_util.h"
#include "protocol/codec.h"

namespace drivelink::agent {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;

constexpr int kSchemaVersion = 1;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT OR IGNORE INTO meta (key, value) VALUES ('next_seq', 1);
INSERT OR IGNORE INTO meta (key, value) VALUES ('dropped_total', 0);
INSERT OR IGNORE INTO meta (key, value) VALUES ('entries_dropped', 0);
INSERT OR IGNORE INTO meta (key, value) VALUES ('dropped_unreported', 0);
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY,
    priority INTEGER NOT NULL,
    channel INTEGER NOT NULL,
    payload BLOB NOT NULL,
    created_ms INTEGER NOT NULL,
    last_sent_ms INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS entries_by_priority ON entries (priority, seq);
)sql";

int64_t to_ms(system_clock::time_point time) {
    return std::chrono::duration_cast<milliseconds>(time.time_since_epoch()).count();
}

system_clock::time_point from_ms(int64_t ms) {
    return system_clock::time_point(milliseconds(ms));
}

Result<int64_t> read_meta(sqlite3* db, const char* key) {
    sqlite::Statement select(db, "SELECT value FROM meta WHERE key = ?");
    select.bind(1, std::string_view(key));
    if (select.step() != SQLITE_ROW) {
        return sqlite::error(db, fmt::format("reading outbox meta '{}'", key));
    }
    return select.column_int(0);
}

Status write_meta(sqlite3* db, const char* key, int64_t value) {
    sqlite::Statement update(db, "UPDATE meta SET value = ? WHERE key = ?");
    update.bind(1, value);
    update.bind(2, std::string_view(key));
    if (update.step() != SQLITE_DONE) {
        return sqlite::error(db, fmt::format("writing outbox meta '{}'", key));
    }
    return ok_status();
}

Status add_meta(sqlite3* db, const char* key, int64_t delta) {
    auto value = read_meta(db, key);
    if (!value) {
        return Error{value.error()};
    }
    return write_meta(db, key, *value + delta);
}

// Removes every other sample (the second, fourth, ...) from an encoded telemetry Uplink.
// Returns the samples removed; a batch of one sample is left as it is.
uint64_t thin_batch(v1::Uplink& uplink) {
    auto* samples = uplink.mutable_batch()->mutable_samples();
    const int before = samples->size();
    if (before < 2) {
        return 0;
    }
    int kept = 0;
    for (int i = 0; i < before; i += 2) {
        samples->SwapElements(kept++, i);
    }
    samples->DeleteSubrange(kept, before - kept);
    return static_cast<uint64_t>(before - kept);
}

}  // namespace

Result<std::unique_ptr<Outbox>> Outbox::open(const std::filesystem::path& path,
                                             OutboxLimits limits) {
    sqlite3* db = nullptr;
    const int rc =
        sqlite3_open_v2(path.c_str(),
                        &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        nullptr);
    if (rc != SQLITE_OK) {
        Error failure{
            fmt::format("cannot open outbox '{}': {}", path.string(), sqlite3_errstr(rc))};
        sqlite3_close(db);
        return failure;
    }
    std::unique_ptr<Outbox> outbox(new Outbox(db, path, limits));
    if (auto migrated = outbox->migrate(); !migrated) {
        return Error{fmt::format("cannot open outbox '{}': {}", path.string(), migrated.error())};
    }
    return outbox;
}

Outbox::Outbox(sqlite3* db, std::filesystem::path path, OutboxLimits limits)
    : db_(db), path_(std::move(path)), limits_(limits) {}

const char* Outbox::full_sync_pragma() const {
    return limits_.survive_power_loss ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
}

Outbox::~Outbox() {
    sqlite3_close(db_);
}

Status Outbox::exec(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
        Error failure{fmt::format("'{}' failed: {}", sql, message == nullptr ? "?" : message)};
        sqlite3_free(message);
        return failure;
    }
    return ok_status();
}

Status Outbox::migrate() {
    sqlite3_busy_timeout(db_, 5000);
    // WAL with synchronous=FULL makes every committed add durable across power loss, which the
    // sequence counter needs: a number that was published must never be handed out again.
    for (const char* pragma : {"PRAGMA journal_mode=WAL", full_sync_pragma()}) {
        if (auto done = exec(pragma); !done) {
            return done;
        }
    }
    auto version = [this]() -> int64_t {
        sqlite::Statement select(db_, "PRAGMA user_version");
        return select.step() == SQLITE_ROW ? select.column_int(0) : -1;
    }();
    if (version > kSchemaVersion) {
        return Error{fmt::format(
            "outbox schema version {} is newer than this agent's {}", version, kSchemaVersion)};
    }
    if (auto done = exec(kSchema); !done) {
        return done;
    }
    return exec(fmt::format("PRAGMA user_version={}", kSchemaVersion).c_str());
}

Result<uint64_t> Outbox::add(v1::Uplink& uplink) {
    const bool is_event = uplink.has_event();
    const Priority priority = is_event ? Priority::Event : Priority::Telemetry;
    const auto channel = is_event ? protocol::Channel::Event : protocol::Channel::Telemetry;

    sqlite::Transaction transaction(db_);
    if (!transaction.begun()) {
        return sqlite::error(db_, "beginning outbox transaction");
    }
    if (!is_event) {
        if (auto thinned = thin_telemetry(uplink.ByteSizeLong()); !thinned) {
            return Error{thinned.error()};
        }
    }
    auto next_seq = read_meta(db_, "next_seq");
    if (!next_seq) {
        return Error{next_seq.error()};
    }
    uplink.set_seq(static_cast<uint64_t>(*next_seq));
    if (!is_event) {
        auto unreported = read_meta(db_, "dropped_unreported");
        if (!unreported) {
            return Error{unreported.error()};
        }
        uplink.set_dropped_samples(static_cast<uint64_t>(*unreported));
        if (auto reset = write_meta(db_, "dropped_unreported", 0); !reset) {
            return Error{reset.error()};
        }
    }

    sqlite::Statement insert(
        db_,
        "INSERT INTO entries (seq, priority, channel, payload, created_ms) VALUES (?, ?, ?, ?, ?)");
    insert.bind(1, *next_seq);
    insert.bind(2, static_cast<int64_t>(priority));
    insert.bind(3, static_cast<int64_t>(channel));
    insert.bind_blob(4, protocol::encode(uplink));
    insert.bind(5, to_ms(system_clock::now()));
    if (insert.step() != SQLITE_DONE) {
        return sqlite::error(db_, fmt::format("storing seq={} in the outbox", *next_seq));
    }
    if (auto bumped = write_meta(db_, "next_seq", *next_seq + 1); !bumped) {
        return Error{bumped.error()};
    }
    if (auto committed = transaction.commit(); !committed) {
        return Error{committed.error()};
    }
    return static_cast<uint64_t>(*next_seq);
}

// Thins telemetry until one more message of `incoming_bytes` fits the bound. Each pass takes
// the oldest quarter of the never-sent telemetry entries (all telemetry when none is unsent,
// because an entry already sent may or may not be stored in the cloud) and drops every other
// sample of each. Of the entries down to one sample, every second one is deleted whole, so its
// sequence number never arrives, and its samples are counted like the others. Events are
// never touched, so events alone may exceed the bound.
Status Outbox::thin_telemetry(std::size_t incoming_bytes) {
    for (;;) {
        auto current = stats();
        if (!current) {
            return Error{current.error()};
        }
        const bool fits = current->entries + 1 <= limits_.max_entries &&
                          current->bytes + incoming_bytes <= limits_.max_bytes;
        if (fits) {
            return ok_status();
        }
        auto removed = thin_pass(current->entries - current->events);
        if (!removed) {
            return Error{removed.error()};
        }
        if (*removed == 0) {
            return ok_status();  // nothing left to thin: the bound gives way
        }
    }
}

Result<uint64_t> Outbox::thin_pass(std::size_t telemetry_entries) {
    const int64_t take = std::max<int64_t>(1, static_cast<int64_t>(telemetry_entries / 4));
    sqlite::Statement select(db_,
                             "SELECT seq, payload FROM entries WHERE priority = 1 AND attempts = "
                             "(SELECT MIN(attempts) FROM entries WHERE priority = 1) "
                             "ORDER BY seq LIMIT ?");
    select.bind(1, take);
    sqlite::Statement update(db_, "UPDATE entries SET payload = ? WHERE seq = ?");
    sqlite::Statement remove(db_, "DELETE FROM entries WHERE seq = ?");

    uint64_t dropped = 0;
    bool delete_next_single = true;
    int rc = SQLITE_ROW;
    while ((rc = select.step()) == SQLITE_ROW) {
        const int64_t seq = select.column_int(0);
        v1::Uplink uplink;
        if (!uplink.ParseFromString(select.column_blob(1))) {
            return Error{fmt::format("outbox entry seq={} is corrupt", seq)};
        }
        const uint64_t removed = thin_batch(uplink);
        if (removed > 0) {
            update.bind_blob(1, protocol::encode(uplink));
            update.bind(2, seq);
            const int done = update.step();
            update.reset();
            if (done != SQLITE_DONE) {
                return sqlite::error(db_, fmt::format("thinning outbox entry seq={}", seq));
            }
            dropped += removed;
            continue;
        }
        if (delete_next_single) {
            remove.bind(1, seq);
            const int done = remove.step();
            remove.reset();
            if (done != SQLITE_DONE) {
                return sqlite::error(db_, fmt::format("dropping outbox entry seq={}", seq));
            }
            if (auto counted = add_meta(db_, "entries_dropped", 1); !counted) {
                return Error{counted.error()};
            }
            // The count this entry carried must still reach the cloud.
            dropped += static_cast<uint64_t>(uplink.batch().samples_size());
            if (auto moved = add_meta(
                    db_, "dropped_unreported", static_cast<int64_t>(uplink.dropped_samples()));
                !moved) {
                return Error{moved.error()};
            }
        }
        delete_next_single = !delete_next_single;
    }
    if (rc != SQLITE_DONE) {
        return sqlite::error(db_, "reading outbox entries to thin");
    }
    if (dropped > 0) {
        for (const char* key : {"dropped_total", "dropped_unreported"}) {
            if (auto counted = add_meta(db_, key, static_cast<int64_t>(dropped)); !counted) {
                return Error{counted.error()};
            }
        }
    }
    return dropped;
}

Result<std::vector<OutboxEntry>> Outbox::due(system_clock::time_point now,
                                             milliseconds resend_after,
                                             std::size_t max_count) {
    sqlite::Statement select(
        db_,
        "SELECT seq, priority, channel, payload, created_ms, last_sent_ms, attempts "
        "FROM entries WHERE last_sent_ms <= ? ORDER BY priority, seq LIMIT ?");
    select.bind(1, to_ms(now - resend_after));
    select.bind(2, static_cast<int64_t>(max_count));
    std::vector<OutboxEntry> entries;
    int rc = SQLITE_ROW;
    while ((rc = select.step()) == SQLITE_ROW) {
        OutboxEntry entry;
        entry.seq = static_cast<uint64_t>(select.column_int(0));
        entry.priority = static_cast<Priority>(select.column_int(1));
        entry.channel = static_cast<protocol::Channel>(select.column_int(2));
        entry.payload = select.column_blob(3);
        entry.created = from_ms(select.column_int(4));
        entry.last_sent = from_ms(select.column_int(5));
        entry.attempts = static_cast<uint32_t>(select.column_int(6));
        entries.push_back(std::move(entry));
    }
    if (rc != SQLITE_DONE) {
        return sqlite::error(db_, "reading due outbox entries");
    }
    return entries;
}

// Bookkeeping that may be lost on power loss without harm (a lost send time or deletion only
// makes the entry go out once more) commits without waiting for the disk: the next add, at
// synchronous=FULL, makes it durable together with its own write.
class Outbox::RelaxedSync {
  public:
    explicit RelaxedSync(Outbox& outbox) : outbox_(outbox) {
        (void)outbox_.exec("PRAGMA synchronous=NORMAL");
    }
    ~RelaxedSync() { (void)outbox_.exec(outbox_.full_sync_pragma()); }
    RelaxedSync(const RelaxedSync&) = delete;
    RelaxedSync& operator=(const RelaxedSync&) = delete;

  private:
    Outbox& outbox_;
};

Status Outbox::mark_sent(const std::vector<uint64_t>& seqs, system_clock::time_point when) {
    RelaxedSync relaxed(*this);
    sqlite::Transaction transaction(db_);
    if (!transaction.begun()) {
        return sqlite::error(db_, "beginning outbox transaction");
    }
    sqlite::Statement update(
        db_, "UPDATE entries SET last_sent_ms = ?, attempts = attempts + 1 WHERE seq = ?");
    for (const uint64_t seq : seqs) {
        update.bind(1, to_ms(when));
        update.bind(2, static_cast<int64_t>(seq));
        if (update.step() != SQLITE_DONE) {
            return sqlite::error(db_, fmt::format("marking seq={} sent", seq));
        }
        update.reset();
    }
    return transaction.commit();
}

Status Outbox::mark_all_unsent() {
    RelaxedSync relaxed(*this);
    return exec("UPDATE entries SET last_sent_ms = 0");
}

Result<std::size_t> Outbox::acknowledge(const std::vector<uint64_t>& seqs) {
    RelaxedSync relaxed(*this);
    sqlite::Transaction transaction(db_);
    if (!transaction.begun()) {
        return sqlite::error(db_, "beginning outbox transaction");
    }
    sqlite::Statement remove(db_, "DELETE FROM entries WHERE seq = ?");
    std::size_t deleted = 0;
    for (const uint64_t seq : seqs) {
        remove.bind(1, static_cast<int64_t>(seq));
        if (remove.step() != SQLITE_DONE) {
            return sqlite::error(db_, fmt::format("deleting acknowledged seq={}", seq));
        }
        deleted += static_cast<std::size_t>(sqlite3_changes(db_));
        remove.reset();
    }
    if (auto committed = transaction.commit(); !committed) {
        return Error{committed.error()};
    }
    return deleted;
}

Result<OutboxStats> Outbox::stats() {
    sqlite::Statement select(db_,
                             "SELECT COUNT(*), COALESCE(SUM(LENGTH(payload)), 0), "
                             "COALESCE(SUM(priority = 0), 0) FROM entries");
    if (select.step() != SQLITE_ROW) {
        return sqlite::error(db_, "counting outbox entries");
    }
    OutboxStats result;
    result.entries = static_cast<std::size_t>(select.column_int(0));
    result.bytes = static_cast<std::size_t>(select.column_int(1));
    result.events = static_cast<std::size_t>(select.column_int(2));
    auto next_seq = read_meta(db_, "next_seq");
    auto dropped_total = read_meta(db_, "dropped_total");
    auto dropped_unreported = read_meta(db_, "dropped_unreported");
    auto entries_dropped = read_meta(db_, "entries_dropped");
    if (!next_seq || !dropped_total || !dropped_unreported || !entries_dropped) {
        return sqlite::error(db_, "reading outbox counters");
    }
    result.next_seq = static_cast<uint64_t>(*next_seq);
    result.dropped_samples_total = static_cast<uint64_t>(*dropped_total);
    result.entries_dropped_total = static_cast<uint64_t>(*entries_dropped);
    result.dropped_samples_unreported = static_cast<uint64_t>(*dropped_unreported);
    return result;
}

}  // namespace drivelink::agent
