#include "cloud/store/sqlite_schema.h"

#include <fmt/format.h>
#include <array>

#include "cloud/logging.h"
#include "cloud/store/sqlite_database.h"

namespace drivelink::cloud {
namespace {

// Version 1: the tables of the delivery contract. A message and its samples or event share the
// primary key (vin, seq), which is what makes a redelivered message a duplicate.
constexpr std::string_view kVersion1 = R"sql(
CREATE TABLE messages (
    vin TEXT NOT NULL,
    seq INTEGER NOT NULL,
    channel TEXT NOT NULL,
    sent_time_ms INTEGER NOT NULL,
    received_time_ms INTEGER NOT NULL,
    dropped_samples INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (vin, seq)
) WITHOUT ROWID;

CREATE TABLE samples (
    vin TEXT NOT NULL,
    seq INTEGER NOT NULL,
    batch_index INTEGER NOT NULL,
    time_ms INTEGER NOT NULL,
    latitude_deg REAL NOT NULL,
    longitude_deg REAL NOT NULL,
    altitude_m REAL,
    speed_kph REAL,
    heading_deg REAL,
    fix_type TEXT NOT NULL,
    satellites_used INTEGER NOT NULL,
    hdop REAL,
    horizontal_accuracy_m REAL,
    traveled_distance_km REAL,
    PRIMARY KEY (vin, seq, batch_index)
) WITHOUT ROWID;

CREATE TABLE events (
    vin TEXT NOT NULL,
    seq INTEGER NOT NULL,
    time_ms INTEGER NOT NULL,
    type TEXT NOT NULL,
    latitude_deg REAL,
    longitude_deg REAL,
    dtc TEXT,
    PRIMARY KEY (vin, seq)
) WITHOUT ROWID;

CREATE TABLE dead_letters (
    id INTEGER PRIMARY KEY,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    received_time_ms INTEGER NOT NULL
);
)sql";

// Version 2: vehicle state and counters, filled from the messages already stored, the VIN of
// dead letters for per-vehicle counts, and an index for walking a track in time order.
constexpr std::string_view kVersion2 = R"sql(
CREATE TABLE vehicles (
    vin TEXT PRIMARY KEY,
    online INTEGER,
    last_status_time_ms INTEGER,
    last_seen_ms INTEGER,
    dropped_samples INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

INSERT INTO vehicles (vin, last_seen_ms, dropped_samples)
    SELECT vin, max(received_time_ms), sum(dropped_samples) FROM messages GROUP BY vin;

ALTER TABLE dead_letters ADD COLUMN vin TEXT;

CREATE INDEX samples_by_time ON samples (vin, time_ms);
)sql";

constexpr std::array<std::string_view, 2> kMigrations = {kVersion1, kVersion2};

Status check_version(const SqliteDatabase& db, std::int64_t version) {
    if (version <= latest_schema_version()) {
        return ok_status();
    }
    return Error{
        fmt::format("database '{}' has schema version {}, newer than version {} of this program; "
                    "use a newer drivelink-cloud",
                    db.path().string(),
                    version,
                    latest_schema_version())};
}

// Applies the migrations after `version`. The caller has begun the write transaction.
Status apply_migrations(SqliteDatabase& db, std::int64_t version) {
    for (auto from = static_cast<std::size_t>(version); from < kMigrations.size(); ++from) {
        const std::size_t to = from + 1;
        if (auto applied = db.exec(kMigrations[from]); !applied) {
            return Error{fmt::format("migrating to schema version {}: {}", to, applied.error())};
        }
        if (auto set = db.exec(fmt::format("PRAGMA user_version = {}", to)); !set) {
            return set;
        }
        component_logger("store")->info(
            "migrated '{}' to schema version {}", db.path().string(), to);
    }
    return ok_status();
}

}  // namespace

std::span<const std::string_view> sqlite_migrations() {
    return kMigrations;
}

int latest_schema_version() {
    return static_cast<int>(kMigrations.size());
}

Status migrate_schema(SqliteDatabase& db) {
    // The version is read inside the write transaction, so two processes opening a new file at
    // once do not both apply the same migration.
    if (auto begun = db.exec("BEGIN IMMEDIATE"); !begun) {
        return begun;
    }
    Status migrated = ok_status();
    auto version = db.query_int64("PRAGMA user_version");
    if (!version) {
        migrated = Error{version.error()};
    }
    if (migrated) {
        migrated = check_version(db, version.value());
    }
    if (migrated) {
        migrated = apply_migrations(db, version.value());
    }
    if (migrated) {
        migrated = db.exec("COMMIT");
    }
    if (!migrated) {
        (void)db.exec("ROLLBACK");
    }
    return migrated;
}

}  // namespace drivelink::cloud
