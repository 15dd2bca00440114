#include "cloud/store/sqlite_store.h"

#include <fmt/format.h>
#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <utility>

#include "cloud/logging.h"
#include "cloud/store/sqlite_schema.h"

namespace drivelink::cloud {
namespace {

using protocol::Channel;
namespace v1 = drivelink::v1;

constexpr std::string_view kInsertMessage = R"sql(
INSERT INTO messages (vin, seq, channel, sent_time_ms, received_time_ms, dropped_samples)
VALUES (?1, ?2, ?3, ?4, ?5, ?6)
ON CONFLICT (vin, seq) DO NOTHING)sql";

constexpr std::string_view kInsertSample = R"sql(
INSERT INTO samples (vin, seq, batch_index, time_ms, latitude_deg, longitude_deg, altitude_m,
                     speed_kph, heading_deg, fix_type, satellites_used, hdop,
                     horizontal_accuracy_m, traveled_distance_km)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14))sql";

constexpr std::string_view kInsertEvent = R"sql(
INSERT INTO events (vin, seq, time_ms, type, latitude_deg, longitude_deg, dtc)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7))sql";

constexpr std::string_view kTouchVehicle = R"sql(
INSERT INTO vehicles (vin, last_seen_ms, dropped_samples, duplicates) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (vin) DO UPDATE SET
    last_seen_ms = max(coalesce(last_seen_ms, excluded.last_seen_ms), excluded.last_seen_ms),
    dropped_samples = dropped_samples + excluded.dropped_samples,
    duplicates = duplicates + excluded.duplicates)sql";

// A status replaces the stored one unless it belongs to an older connection: a Last Will that
// the broker sends late must not mark offline a car that has connected again since.
constexpr std::string_view kUpdateStatus = R"sql(
INSERT INTO vehicles (vin, online, last_status_time_ms, last_seen_ms) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (vin) DO UPDATE SET
    online = CASE
        WHEN last_status_time_ms IS NULL OR excluded.last_status_time_ms >= last_status_time_ms
        THEN excluded.online ELSE online END,
    last_status_time_ms = max(coalesce(last_status_time_ms, excluded.last_status_time_ms),
                              excluded.last_status_time_ms),
    last_seen_ms = max(coalesce(last_seen_ms, excluded.last_seen_ms), excluded.last_seen_ms))sql";

constexpr std::string_view kInsertDeadLetter = R"sql(
INSERT INTO dead_letters (topic, vin, payload, reason, detail, received_time_ms)
VALUES (?1, ?2, ?3, ?4, ?5, ?6))sql";

constexpr std::string_view kVehicleSummaries = R"sql(
SELECT v.vin, v.online, v.last_status_time_ms, v.last_seen_ms, v.duplicates, v.dropped_samples,
       coalesce(m.messages, 0), coalesce(m.events, 0), coalesce(s.samples, 0),
       s.top_speed_kph, s.first_time_ms, s.last_time_ms
FROM vehicles AS v
LEFT JOIN (SELECT vin, count(*) AS messages, sum(channel = 'event') AS events
           FROM messages GROUP BY vin) AS m USING (vin)
LEFT JOIN (SELECT vin, count(*) AS samples, max(speed_kph) AS top_speed_kph,
                  min(time_ms) AS first_time_ms, max(time_ms) AS last_time_ms
           FROM samples GROUP BY vin) AS s USING (vin)
ORDER BY v.vin)sql";

constexpr std::string_view kTrack = R"sql(
SELECT time_ms, latitude_deg, longitude_deg, fix_type FROM samples
WHERE vin = ?1 ORDER BY time_ms, seq, batch_index)sql";

constexpr std::string_view kDeadLetterCounts = R"sql(
SELECT coalesce(vin, ''), reason, count(*) FROM dead_letters GROUP BY 1, 2 ORDER BY 1, 2)sql";

// "FIX_TYPE_TWO_D" -> "two_d": enum names without their prefix, so new values need no code.
std::string enum_label(const std::string& name, std::string_view prefix) {
    std::string label = name.starts_with(prefix) ? name.substr(prefix.size()) : name;
    std::transform(label.begin(), label.end(), label.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    return label;
}

// SQLite integers are signed 64-bit. Counters beyond that range saturate.
std::int64_t to_sql_integer(std::uint64_t value) {
    constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    return static_cast<std::int64_t>(std::min(value, kMax));
}

template <typename T>
std::optional<double> optional_field(bool present, T value) {
    if (!present) {
        return std::nullopt;
    }
    return static_cast<double>(value);
}

std::uint64_t column_count(const SqliteStatement& row, int column) {
    return static_cast<std::uint64_t>(row.column_int64(column));
}

VehicleSummary read_summary(const SqliteStatement& row) {
    VehicleSummary summary;
    summary.vin = row.column_text(0);
    if (auto online = row.column_optional_int64(1)) {
        summary.online = *online != 0;
    }
    summary.last_status_time_ms = row.column_optional_int64(2);
    summary.last_seen_ms = row.column_optional_int64(3);
    summary.duplicates = column_count(row, 4);
    summary.dropped_samples = column_count(row, 5);
    summary.messages = column_count(row, 6);
    summary.events = column_count(row, 7);
    summary.samples = column_count(row, 8);
    summary.top_speed_kph = row.column_optional_double(9);
    summary.first_sample_time_ms = row.column_optional_int64(10);
    summary.last_sample_time_ms = row.column_optional_int64(11);
    return summary;
}

// The report reads without migrating, so it needs a file that is already at the latest version.
Status check_schema_is_latest(SqliteDatabase& db) {
    auto version = db.query_int64("PRAGMA user_version");
    if (!version) {
        return Error{version.error()};
    }
    if (version.value() != latest_schema_version()) {
        return Error{fmt::format(
            "schema version is {}, expected {}; run 'drivelink-cloud run' on it once to migrate",
            version.value(),
            latest_schema_version())};
    }
    return ok_status();
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Status set_wal_mode(SqliteDatabase& db) {
    auto journal = db.query_text("PRAGMA journal_mode = WAL");
    if (!journal) {
        return Error{journal.error()};
    }
    if (journal.value() != "wal") {
        return Error{fmt::format("journal mode is '{}', WAL is not available", journal.value())};
    }
    return db.exec("PRAGMA synchronous = FULL");
}

}  // namespace

Result<std::unique_ptr<SqliteDatabase>> open_service_database(
    const std::filesystem::path& path, std::chrono::milliseconds busy_timeout) {
    auto db = SqliteDatabase::open(path, SqliteDatabase::Mode::ReadWriteCreate);
    if (!db) {
        return Error{db.error()};
    }
    db.value()->set_busy_timeout(static_cast<int>(busy_timeout.count()));
    Status ready = set_wal_mode(*db.value());
    if (ready) {
        ready = migrate_schema(*db.value());
    }
    if (!ready) {
        return Error{fmt::format("cannot use database '{}': {}", path.string(), ready.error())};
    }
    return db;
}

struct SqliteStore::Statements {
    SqliteStatement insert_message;
    SqliteStatement insert_sample;
    SqliteStatement insert_event;
    SqliteStatement touch_vehicle;
    SqliteStatement update_status;
    SqliteStatement insert_dead_letter;
};

void StoreBatch::clear() {
    uplinks.clear();
    statuses.clear();
    dead_letters.clear();
}

// Copies the write-ahead log into the database file once a second on a connection and thread
// of its own. SQLite's automatic checkpoint would otherwise run inside a commit every few
// thousand pages and hold that commit, and every ack and rescue update behind it, for the
// copy and its fsync. A passive checkpoint does not wait for writers (SQLite's documentation of
// sqlite3_wal_checkpoint_v2).
class SqliteStore::Checkpointer {
  public:
    explicit Checkpointer(std::unique_ptr<SqliteDatabase> db)
        : db_(std::move(db)), thread_([this](std::stop_token stop) { run(stop); }) {}
    ~Checkpointer() {
        thread_.request_stop();
        thread_.join();
    }
    Checkpointer(const Checkpointer&) = delete;
    Checkpointer& operator=(const Checkpointer&) = delete;

  private:
    void run(std::stop_token stop) {
        std::mutex mutex;
        std::condition_variable_any wake;
        while (!stop.stop_requested()) {
            {
                std::unique_lock lock(mutex);
                wake.wait_for(lock, stop, std::chrono::seconds(1), [] { return false; });
            }
            if (stop.stop_requested()) {
                break;
            }
            if (auto done = db_->exec("PRAGMA wal_checkpoint(PASSIVE)"); !done) {
                component_logger("store")->warn("checkpoint of the write-ahead log failed: {}",
                                                done.error());
            }
        }
    }

    std::unique_ptr<SqliteDatabase> db_;
    std::jthread thread_;
};

SqliteStore::SqliteStore(std::unique_ptr<SqliteDatabase> db) : db_(std::move(db)) {}

SqliteStore::~SqliteStore() = default;

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::filesystem::path& path,
                                                       SqliteStoreOptions options) {
    const auto mode =
        options.read_only ? SqliteDatabase::Mode::ReadOnly : SqliteDatabase::Mode::ReadWriteCreate;
    auto db = SqliteDatabase::open(path, mode);
    if (!db) {
        return Error{db.error()};
    }
    db.value()->set_busy_timeout(static_cast<int>(options.busy_timeout.count()));
    std::unique_ptr<SqliteStore> store(new SqliteStore(std::move(db).value()));

    Status ready =
        options.read_only ? check_schema_is_latest(*store->db_) : store->prepare_for_writing(path);
    if (!ready) {
        return Error{fmt::format("cannot use database '{}': {}", path.string(), ready.error())};
    }
    return store;
}

Status SqliteStore::prepare_for_writing(const std::filesystem::path& path) {
    if (auto set = set_wal_mode(*db_); !set) {
        return set;
    }
    if (auto migrated = migrate_schema(*db_); !migrated) {
        return migrated;
    }
    if (auto prepared = prepare_statements(); !prepared) {
        return prepared;
    }
    auto checkpoint_db = SqliteDatabase::open(path, SqliteDatabase::Mode::ReadWriteCreate);
    if (!checkpoint_db) {
        return Error{checkpoint_db.error()};
    }
    if (auto manual = db_->exec("PRAGMA wal_autocheckpoint = 0"); !manual) {
        return manual;
    }
    checkpointer_ = std::make_unique<Checkpointer>(std::move(checkpoint_db).value());
    return ok_status();
}

Status SqliteStore::prepare_statements() {
    std::vector<SqliteStatement> prepared;
    for (const auto sql : {kInsertMessage,
                           kInsertSample,
                           kInsertEvent,
                           kTouchVehicle,
                           kUpdateStatus,
                           kInsertDeadLetter}) {
        auto statement = db_->prepare(sql);
        if (!statement) {
            return Error{statement.error()};
        }
        prepared.push_back(std::move(statement).value());
    }
    statements_.reset(new Statements{std::move(prepared[0]),
                                     std::move(prepared[1]),
                                     std::move(prepared[2]),
                                     std::move(prepared[3]),
                                     std::move(prepared[4]),
                                     std::move(prepared[5])});
    return ok_status();
}

Result<std::vector<CommitOutcome>> SqliteStore::commit(const StoreBatch& batch) {
    if (!statements_) {
        return Error{fmt::format("database '{}' is open read-only", db_->path().string())};
    }
    // BEGIN IMMEDIATE takes the write lock up front, so a busy database fails here, before any
    // row is written, and waits for busy_timeout first.
    if (auto begun = db_->exec("BEGIN IMMEDIATE"); !begun) {
        return Error{begun.error()};
    }
    std::vector<CommitOutcome> outcomes;
    outcomes.reserve(batch.uplinks.size());
    pending_commands_.clear();

    Status written = write_batch(batch, outcomes);
    if (written) {
        written = db_->exec("COMMIT");
    }
    // SQLite ends the transaction by itself after some errors, such as SQLITE_FULL.
    if (!written && db_->in_transaction()) {
        if (auto rolled_back = db_->exec("ROLLBACK"); !rolled_back) {
            component_logger("store")->error("rollback after a failed commit: {}",
                                             rolled_back.error());
        }
    }
    if (!written) {
        pending_commands_.clear();
        return Error{written.error()};
    }
    return outcomes;
}

std::vector<OutboundCommand> SqliteStore::take_commands() {
    return std::exchange(pending_commands_, {});
}

Status SqliteStore::mark_commands_sent(const std::vector<std::int64_t>& outbox_ids) {
    if (outbox_ids.empty()) {
        return ok_status();
    }
    return mark_downlinks_sent(*db_, outbox_ids, now_ms());
}

Status SqliteStore::write_batch(const StoreBatch& batch, std::vector<CommitOutcome>& outcomes) {
    for (const auto& received : batch.uplinks) {
        auto outcome = write_uplink(received);
        if (!outcome) {
            return Error{outcome.error()};
        }
        outcomes.push_back(outcome.value());
    }
    for (const auto& status : batch.statuses) {
        if (auto written = write_status(status); !written) {
            return written;
        }
    }
    for (const auto& letter : batch.dead_letters) {
        if (auto written = write_dead_letter(letter); !written) {
            return written;
        }
    }
    return ok_status();
}

Result<CommitOutcome> SqliteStore::write_uplink(const ReceivedUplink& received) {
    const auto& uplink = received.uplink;
    const auto& message = uplink.message;
    auto& insert = statements_->insert_message;
    insert.bind(1, uplink.vin);
    insert.bind(2, to_sql_integer(message.seq()));
    insert.bind(3, protocol::to_string(uplink.channel));
    insert.bind(4, std::int64_t{message.sent_time_ms()});
    insert.bind(5, received.received_time_ms);
    insert.bind(6, to_sql_integer(message.dropped_samples()));
    if (auto inserted = insert.execute(); !inserted) {
        return Error{inserted.error()};
    }

    if (db_->changes() == 0) {
        if (auto touched = touch_vehicle(uplink.vin, received.received_time_ms, 0, 1); !touched) {
            return Error{touched.error()};
        }
        return CommitOutcome::Duplicate;
    }
    Status body =
        uplink.channel == Channel::Telemetry ? write_samples(uplink) : write_event(uplink);
    if (!body) {
        return Error{body.error()};
    }
    auto touched = touch_vehicle(
        uplink.vin, received.received_time_ms, to_sql_integer(message.dropped_samples()), 0);
    if (!touched) {
        return Error{touched.error()};
    }
    for (auto* handler : handlers_) {
        if (auto handled = handler->on_stored(*db_, received, pending_commands_); !handled) {
            return Error{handled.error()};
        }
    }
    return CommitOutcome::Stored;
}

Status SqliteStore::write_samples(const protocol::DecodedUplink& uplink) {
    auto& insert = statements_->insert_sample;
    const auto& samples = uplink.message.batch().samples();
    for (int i = 0; i < samples.size(); ++i) {
        const auto& sample = samples[i];
        const auto& location = sample.location();
        insert.bind(1, uplink.vin);
        insert.bind(2, to_sql_integer(uplink.message.seq()));
        insert.bind(3, std::int64_t{i});
        insert.bind(4, std::int64_t{sample.time_ms()});
        insert.bind(5, location.latitude_deg());
        insert.bind(6, location.longitude_deg());
        insert.bind(7, optional_field(location.has_altitude_m(), location.altitude_m()));
        insert.bind(8, optional_field(sample.has_speed_kph(), sample.speed_kph()));
        insert.bind(9, optional_field(location.has_heading_deg(), location.heading_deg()));
        insert.bind(10, enum_label(v1::FixType_Name(location.fix_type()), "FIX_TYPE_"));
        insert.bind(11, std::int64_t{location.satellites_used()});
        insert.bind(12, optional_field(location.has_hdop(), location.hdop()));
        insert.bind(
            13,
            optional_field(location.has_horizontal_accuracy_m(), location.horizontal_accuracy_m()));
        insert.bind(
            14, optional_field(sample.has_traveled_distance_km(), sample.traveled_distance_km()));
        if (auto inserted = insert.execute(); !inserted) {
            return inserted;
        }
    }
    return ok_status();
}

Status SqliteStore::write_event(const protocol::DecodedUplink& uplink) {
    const auto& event = uplink.message.event();
    auto& insert = statements_->insert_event;
    insert.bind(1, uplink.vin);
    insert.bind(2, to_sql_integer(uplink.message.seq()));
    insert.bind(3, std::int64_t{event.time_ms()});
    insert.bind(4, enum_label(v1::EventType_Name(event.type()), "EVENT_TYPE_"));
    if (event.has_location()) {
        insert.bind(5, event.location().latitude_deg());
        insert.bind(6, event.location().longitude_deg());
    }
    if (!event.dtc().empty()) {
        insert.bind(7, std::string_view(event.dtc()));
    }
    return insert.execute();
}

Status SqliteStore::write_status(const StatusReport& status) {
    auto& update = statements_->update_status;
    update.bind(1, status.vin);
    update.bind(2, std::int64_t{status.online ? 1 : 0});
    update.bind(3, status.status_time_ms);
    update.bind(4, status.received_time_ms);
    return update.execute();
}

Status SqliteStore::write_dead_letter(const DeadLetter& letter) {
    auto& insert = statements_->insert_dead_letter;
    insert.bind(1, letter.topic);
    if (!letter.vin.empty()) {
        insert.bind(2, letter.vin);
    }
    insert.bind_blob(3, letter.payload);
    insert.bind(4, protocol::to_string(letter.reason));
    insert.bind(5, letter.detail);
    insert.bind(6, letter.received_time_ms);
    return insert.execute();
}

Status SqliteStore::touch_vehicle(const std::string& vin,
                                  std::int64_t seen_ms,
                                  std::int64_t dropped_samples,
                                  std::int64_t duplicates) {
    auto& touch = statements_->touch_vehicle;
    touch.bind(1, vin);
    touch.bind(2, seen_ms);
    touch.bind(3, dropped_samples);
    touch.bind(4, duplicates);
    return touch.execute();
}

Result<std::vector<VehicleSummary>> SqliteStore::vehicle_summaries() {
    auto query = db_->prepare(kVehicleSummaries);
    if (!query) {
        return Error{query.error()};
    }
    std::vector<VehicleSummary> summaries;
    auto read = query.value().for_each_row(
        [&summaries](const SqliteStatement& row) { summaries.push_back(read_summary(row)); });
    if (!read) {
        return Error{read.error()};
    }
    return summaries;
}

Status SqliteStore::visit_track(std::string_view vin,
                                const std::function<void(const TrackPoint&)>& visit) {
    auto query = db_->prepare(kTrack);
    if (!query) {
        return Error{query.error()};
    }
    query.value().bind(1, vin);
    return query.value().for_each_row([&visit](const SqliteStatement& row) {
        visit(TrackPoint{row.column_int64(0),
                         row.column_double(1),
                         row.column_double(2),
                         row.column_text(3) != "none"});
    });
}

Result<std::vector<DeadLetterCount>> SqliteStore::dead_letter_counts() {
    auto query = db_->prepare(kDeadLetterCounts);
    if (!query) {
        return Error{query.error()};
    }
    std::vector<DeadLetterCount> counts;
    auto read = query.value().for_each_row([&counts](const SqliteStatement& row) {
        counts.push_back(DeadLetterCount{row.column_text(0),
                                         row.column_text(1),
                                         static_cast<std::uint64_t>(row.column_int64(2))});
    });
    if (!read) {
        return Error{read.error()};
    }
    return counts;
}

}  // namespace drivelink::cloud
