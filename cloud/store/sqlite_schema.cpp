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

// Version 3: the downlink outbox and rescue cases. A case lists the events that belong to it,
// its ranked dealers and every step with its time. escalation_due_ms is set while the case
// waits for an operator.
constexpr std::string_view kVersion3 = R"sql(
CREATE TABLE downlink_outbox (
    id INTEGER PRIMARY KEY,
    vin TEXT NOT NULL,
    command_id TEXT NOT NULL UNIQUE,
    payload BLOB NOT NULL,
    created_time_ms INTEGER NOT NULL,
    sent_time_ms INTEGER
);
CREATE INDEX downlink_outbox_pending ON downlink_outbox (created_time_ms)
    WHERE sent_time_ms IS NULL;

CREATE TABLE rescue_cases (
    id INTEGER PRIMARY KEY,
    vin TEXT NOT NULL,
    state TEXT NOT NULL,
    trigger TEXT NOT NULL,
    event_seq INTEGER NOT NULL,
    event_time_ms INTEGER NOT NULL,
    latitude_deg REAL,
    longitude_deg REAL,
    opened_time_ms INTEGER NOT NULL,
    updated_time_ms INTEGER NOT NULL,
    escalation_level INTEGER NOT NULL DEFAULT 0,
    escalation_due_ms INTEGER,
    operator_name TEXT,
    dealer_id TEXT,
    truck_latitude_deg REAL,
    truck_longitude_deg REAL,
    truck_eta_time_ms INTEGER
);
CREATE INDEX rescue_cases_by_vin ON rescue_cases (vin, opened_time_ms);
CREATE INDEX rescue_cases_escalation ON rescue_cases (escalation_due_ms)
    WHERE escalation_due_ms IS NOT NULL;

CREATE TABLE rescue_case_events (
    vin TEXT NOT NULL,
    seq INTEGER NOT NULL,
    case_id INTEGER NOT NULL REFERENCES rescue_cases (id),
    PRIMARY KEY (vin, seq)
) WITHOUT ROWID;

CREATE TABLE rescue_case_dealers (
    case_id INTEGER NOT NULL REFERENCES rescue_cases (id),
    rank INTEGER NOT NULL,
    dealer_id TEXT NOT NULL,
    name TEXT NOT NULL,
    city TEXT NOT NULL,
    distance_km REAL NOT NULL,
    eta_time_ms INTEGER NOT NULL,
    PRIMARY KEY (case_id, rank)
) WITHOUT ROWID;

CREATE TABLE rescue_case_history (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES rescue_cases (id),
    step TEXT NOT NULL,
    time_ms INTEGER NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX rescue_case_history_by_case ON rescue_case_history (case_id, time_ms);
)sql";

// Version 4: the vehicle registry and maintenance. A recommendation is unique per service cycle
// (the time of the item's last service) and level, so it reaches the car once.
constexpr std::string_view kVersion4 = R"sql(
CREATE TABLE vehicle_registry (
    vin TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    owner TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;

CREATE TABLE vehicle_usage (
    vin TEXT PRIMARY KEY,
    odometer_km REAL NOT NULL,
    first_odometer_km REAL NOT NULL,
    first_time_ms INTEGER NOT NULL,
    last_time_ms INTEGER NOT NULL,
    last_latitude_deg REAL,
    last_longitude_deg REAL
) WITHOUT ROWID;

CREATE TABLE maintenance_services (
    vin TEXT NOT NULL,
    item TEXT NOT NULL,
    odometer_km REAL NOT NULL,
    time_ms INTEGER NOT NULL,
    PRIMARY KEY (vin, item)
) WITHOUT ROWID;

CREATE TABLE maintenance_recommendations (
    id INTEGER PRIMARY KEY,
    vin TEXT NOT NULL,
    item TEXT NOT NULL,
    detail TEXT NOT NULL,
    title TEXT NOT NULL,
    reason TEXT NOT NULL,
    cycle_time_ms INTEGER NOT NULL,
    level TEXT NOT NULL,
    due_odometer_km REAL,
    due_time_ms INTEGER,
    created_time_ms INTEGER NOT NULL,
    UNIQUE (vin, item, detail, cycle_time_ms, level)
);
)sql";

// Version 5: service bookings and work orders with their state history.
constexpr std::string_view kVersion5 = R"sql(
CREATE TABLE work_orders (
    id INTEGER PRIMARY KEY,
    vin TEXT NOT NULL,
    dealer_id TEXT NOT NULL,
    slot_time_ms INTEGER NOT NULL,
    items TEXT NOT NULL,
    pick_up INTEGER NOT NULL,
    delivery INTEGER NOT NULL,
    rescue_case_id INTEGER REFERENCES rescue_cases (id),
    state TEXT NOT NULL,
    created_time_ms INTEGER NOT NULL,
    updated_time_ms INTEGER NOT NULL
);
CREATE INDEX work_orders_by_vin ON work_orders (vin);

CREATE TABLE work_order_history (
    id INTEGER PRIMARY KEY,
    work_order_id INTEGER NOT NULL REFERENCES work_orders (id),
    state TEXT NOT NULL,
    time_ms INTEGER NOT NULL
);
)sql";

// Version 6: the rescue truck as a vehicle. truck_vin is the truck's own VIN, and its telemetry
// moves the case's truck position. truck_position_time_ms is the measurement time of that
// position. The partial index serves the lookup that runs for every stored telemetry message,
// and it leaves out the cases without a truck VIN.
constexpr std::string_view kVersion6 = R"sql(
ALTER TABLE rescue_cases ADD COLUMN truck_vin TEXT;
ALTER TABLE rescue_cases ADD COLUMN truck_position_time_ms INTEGER;
CREATE INDEX rescue_cases_by_truck_vin ON rescue_cases (truck_vin, state)
    WHERE truck_vin IS NOT NULL;
)sql";

constexpr std::array<std::string_view, 6> kMigrations = {
    kVersion1, kVersion2, kVersion3, kVersion4, kVersion5, kVersion6};

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
