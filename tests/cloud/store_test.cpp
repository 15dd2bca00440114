// SqliteStore on real database files in a temporary directory.
#include "cloud/store/sqlite_store.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <thread>

#include "cloud/store/sqlite_schema.h"
#include "tests/cloud/cloud_test_support.h"
#include "tests/support/process.h"

namespace drivelink::cloud {
namespace {

using drivelink::testing::TempDir;
using protocol::Channel;
using testing::event_uplink;
using testing::execute_sql;
using testing::kVin;
using testing::query_int;
using testing::query_text;
using testing::telemetry_uplink;

constexpr const char* kOtherVin = "1HGCM82633A004352";

ReceivedUplink received(const v1::Uplink& uplink, Channel channel = Channel::Telemetry) {
    auto decoded = protocol::decode_uplink(protocol::topic_for(uplink.vin(), channel),
                                           protocol::encode(uplink),
                                           std::chrono::system_clock::now());
    EXPECT_TRUE(decoded.ok()) << decoded.rejection->detail;
    return ReceivedUplink{decoded.uplink, testing::now_ms()};
}

StoreBatch two_vehicle_batch() {
    StoreBatch batch;
    batch.uplinks.push_back(received(telemetry_uplink(kVin, 1, {{49.0, 12.0}, {49.1, 12.1}})));
    batch.uplinks.push_back(received(telemetry_uplink(kVin, 2, {{49.2, 12.2}})));
    batch.uplinks.push_back(received(telemetry_uplink(kOtherVin, 1, {{48.0, 11.0}, {48.1, 11.1}})));
    batch.uplinks.push_back(
        received(event_uplink(kVin, 3, v1::EVENT_TYPE_DTC_SET), Channel::Event));
    return batch;
}

std::unique_ptr<SqliteStore> open_store(const std::filesystem::path& path,
                                        SqliteStoreOptions options = {}) {
    auto store = SqliteStore::open(path, options);
    EXPECT_TRUE(store.ok()) << store.error();
    return store.ok() ? std::move(store).value() : nullptr;
}

TEST(SqliteStore, StoresEverySampleOnce) {
    TempDir dir;
    const auto db = dir / "cloud.db";
    auto store = open_store(db);
    ASSERT_NE(store, nullptr);

    auto outcomes = store->commit(two_vehicle_batch());

    ASSERT_TRUE(outcomes.ok()) << outcomes.error();
    ASSERT_EQ(outcomes->size(), 4u);
    for (const auto outcome : outcomes.value()) {
        EXPECT_EQ(outcome, CommitOutcome::Stored);
    }
    EXPECT_EQ(query_int(db, "SELECT count(*) FROM messages"), 4);
    EXPECT_EQ(query_int(db, "SELECT count(*) FROM samples"), 5);
    EXPECT_EQ(query_int(db, "SELECT count(*) FROM events"), 1);
    EXPECT_EQ(query_int(db, "SELECT count(*) FROM vehicles"), 2);
    EXPECT_EQ(query_text(db, "SELECT dtc FROM events"), "P0301");
    EXPECT_EQ(query_text(db, "SELECT type FROM events"), "dtc_set");
    EXPECT_EQ(query_text(db, "SELECT DISTINCT fix_type FROM samples"), "three_d");
}

TEST(SqliteStore, RepeatedSeqIsDuplicateWithoutRows) {
    TempDir dir;
    const auto db = dir / "cloud.db";
    auto store = open_store(db);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->commit(two_vehicle_batch()).ok());

    auto outcomes = store->commit(two_vehicle_batch());

    ASSERT_TRUE(outcomes.ok()) << outcomes.error();
    ASSERT_EQ(outcomes->size(), 4u);
    for (const auto outcome : outcomes.value()) {
        EXPECT_EQ(outcome, CommitOutcome::Duplicate);
    }
    EXPECT_EQ(query_int(db, "SELECT count(*) FROM messages"), 4);
    EXPECT_EQ(query_int(db, "SELECT count(*) FROM samples"), 5);
    EXPECT_EQ(query_int(db, "SELECT count(*) FROM events"), 1);
    EXPECT_EQ(query_int(db, fmt::format("SELECT duplicates FROM vehicles WHERE vin = '{}'", kVin)),
              3);
}

TEST(SqliteStore, DuplicateInsideOneBatch) {
    TempDir dir;
    const auto db = dir / "cloud.db";
    auto store = open_store(db);
    ASSERT_NE(store, nullptr);
    StoreBatch batch;
    batch.uplinks.push_back(received(telemetry_uplink(kVin, 5, {{49.0, 12.0}})));
    batch.uplinks.push_back(received(telemetry_uplink(kVin, 5, {{49.0, 12.0}})));

    auto outcomes = store->commit(batch);

    ASSERT_TRUE(outcomes.ok()) << outcomes.error();
    ASSERT_EQ(outcomes->size(), 2u);
    EXPECT_EQ(outcomes.value()[0], CommitOutcome::Stored);
    EXPECT_EQ(outcomes.value()[1], CommitOutcome::Duplicate);
    EXPECT_EQ(query_int(db, "SELECT count(*) FROM samples"), 1);
}

TEST(SqliteStore, FailedBatchStoresNothing) {
    TempDir dir;
    const auto db = dir / "cloud.db";
    auto store = open_store(db);
    ASSERT_NE(store, nullptr);
    // The third message of the batch fails after the first two were written.
    execute_sql(db,
                "CREATE TRIGGER fail_second_vehicle BEFORE INSERT ON samples "
                "WHEN NEW.vin = '1HGCM82633A004352' "
                "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");

    auto outcomes = store->commit(two_vehicle_batch());

    ASSERT_FALSE(outcomes.ok());
    EXPECT_NE(outcomes.error().find("injected failure"), std::string::npos) << outcomes.error();
    EXPECT_EQ(query_int(db, "SELECT count(*) FROM messages"), 0);
    EXPECT_EQ(query_int(db, "SELECT count(*) FROM samples"), 0);
    EXPECT_EQ(query_int(db, "SELECT count(*) FROM vehicles"), 0);
}

TEST(SqliteStore, StoresBatchAfterFailureCleared) {
    TempDir dir;
    const auto db = dir / "cloud.db";
    auto store = open_store(db);
    ASSERT_NE(store, nullptr);
    execute_sql(db,
                "CREATE TRIGGER fail_all BEFORE INSERT ON messages "
                "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
    ASSERT_FALSE(store->commit(two_vehicle_batch()).ok());
    execute_sql(db, "DROP TRIGGER fail_all");

    auto outcomes = store->commit(two_vehicle_batch());

    ASSERT_TRUE(outcomes.ok()) << outcomes.error();
    EXPECT_EQ(outcomes.value()[0], CommitOutcome::Stored);
    EXPECT_EQ(query_int(db, "SELECT count(*) FROM messages"), 4);
}

TEST(SqliteStore, LockedDatabaseReturnsError) {
    TempDir dir;
    const auto db = dir / "cloud.db";
    auto store = open_store(db, SqliteStoreOptions{.busy_timeout = std::chrono::milliseconds(50)});
    ASSERT_NE(store, nullptr);
    sqlite3* other = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &other), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);

    auto locked = store->commit(two_vehicle_batch());
    sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(other);
    auto unlocked = store->commit(two_vehicle_batch());

    ASSERT_FALSE(locked.ok());
    EXPECT_NE(locked.error().find("locked"), std::string::npos) << locked.error();
    ASSERT_TRUE(unlocked.ok()) << unlocked.error();
    EXPECT_EQ(query_int(db, "SELECT count(*) FROM messages"), 4);
}

TEST(SqliteStore, ReadOnlyStoreRejectsCommit) {
    TempDir dir;
    const auto db = dir / "cloud.db";
    ASSERT_NE(open_store(db), nullptr);
    auto store = open_store(db, SqliteStoreOptions{.read_only = true});
    ASSERT_NE(store, nullptr);

    auto outcomes = store->commit(two_vehicle_batch());

    ASSERT_FALSE(outcomes.ok());
    EXPECT_NE(outcomes.error().find("read-only"), std::string::npos) << outcomes.error();
    EXPECT_EQ(query_int(db, "SELECT count(*) FROM messages"), 0);
}

TEST(SqliteStore, OpenNamesMissingDirectory) {
    TempDir dir;
    const auto db = dir / "missing" / "cloud.db";

    auto store = SqliteStore::open(db);

    ASSERT_FALSE(store.ok());
    EXPECT_NE(store.error().find(db.string()), std::string::npos) << store.error();
}

TEST(SqliteStore, UsesWriteAheadLog) {
    TempDir dir;
    const auto db = dir / "cloud.db";
    ASSERT_NE(open_store(db), nullptr);

    EXPECT_EQ(query_text(db, "PRAGMA journal_mode"), "wal");
    EXPECT_EQ(query_int(db, "PRAGMA user_version"), latest_schema_version());
}

TEST(SqliteStore, CheckpointsLogWhileOpen) {
    TempDir dir;
    const auto db = dir / "cloud.db";
    auto store = open_store(db);
    ASSERT_NE(store, nullptr);
    const auto empty_size = std::filesystem::file_size(db);

    // About 2 MB of samples: the commits go to the write-ahead log, and only a checkpoint
    // moves them into the database file while the store stays open.
    std::vector<testing::Position> points;
    for (int i = 0; i < 100; ++i) {
        points.push_back({49.0 + i * 1e-4, 12.0 + i * 1e-4});
    }
    for (uint64_t seq = 1; seq <= 200; ++seq) {
        StoreBatch batch;
        batch.uplinks.push_back(received(telemetry_uplink(kVin, seq, points)));
        ASSERT_TRUE(store->commit(batch).ok());
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::filesystem::file_size(db) < empty_size + 500'000 &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const auto wal = std::filesystem::path(db.string() + "-wal");
    EXPECT_GE(std::filesystem::file_size(db), empty_size + 500'000)
        << "database file " << std::filesystem::file_size(db) << " bytes, empty " << empty_size
        << ", log " << std::filesystem::file_size(wal);
    EXPECT_EQ(query_int(db, "SELECT count(*) FROM samples"), 20'000);
}

TEST(SqliteStore, MigrationKeepsVersionOneData) {
    TempDir dir;
    const auto db = dir / "cloud.db";
    execute_sql(db, std::string(sqlite_migrations()[0]) + "PRAGMA user_version = 1;");
    execute_sql(db,
                fmt::format("INSERT INTO messages VALUES ('{}', 1, 'telemetry', 1, 2, 7);"
                            "INSERT INTO samples (vin, seq, batch_index, time_ms, latitude_deg, "
                            "longitude_deg, fix_type, satellites_used) "
                            "VALUES ('{}', 1, 0, 1, 49.0, 12.0, 'three_d', 8);",
                            kVin,
                            kVin));

    auto store = open_store(db);
    ASSERT_NE(store, nullptr);
    StoreBatch batch;
    batch.uplinks.push_back(received(telemetry_uplink(kVin, 1, {{49.0, 12.0}})));
    auto outcomes = store->commit(batch);

    EXPECT_EQ(query_int(db, "PRAGMA user_version"), latest_schema_version());
    EXPECT_EQ(query_int(db, "SELECT count(*) FROM samples"), 1);
    EXPECT_EQ(query_int(db, "SELECT dropped_samples FROM vehicles"), 7);
    ASSERT_TRUE(outcomes.ok()) << outcomes.error();
    EXPECT_EQ(outcomes.value()[0], CommitOutcome::Duplicate);
}

TEST(SqliteStore, RejectsNewerSchema) {
    TempDir dir;
    const auto db = dir / "cloud.db";
    execute_sql(db, "PRAGMA user_version = 99");

    auto store = SqliteStore::open(db);

    ASSERT_FALSE(store.ok());
    EXPECT_NE(store.error().find("schema version 99"), std::string::npos) << store.error();
}

TEST(SqliteStore, KeepsDeadLetterPayloadBytes) {
    TempDir dir;
    const auto db = dir / "cloud.db";
    auto store = open_store(db);
    ASSERT_NE(store, nullptr);
    const std::string payload("\x00\xff\x10 not protobuf\x00", 17);
    StoreBatch batch;
    batch.dead_letters.push_back(DeadLetter{"dl/v1/1M8GDM9AXKP042788/telemetry",
                                            kVin,
                                            payload,
                                            protocol::RejectReason::Undecodable,
                                            "payload of 17 bytes is not a drivelink.v1.Uplink",
                                            1234,
                                            std::nullopt});

    ASSERT_TRUE(store->commit(batch).ok());

    EXPECT_EQ(query_text(db, "SELECT payload FROM dead_letters"), payload);
    EXPECT_EQ(query_text(db, "SELECT reason FROM dead_letters"), "undecodable");
    EXPECT_EQ(query_text(db, "SELECT vin FROM dead_letters"), kVin);
    EXPECT_EQ(query_int(db, "SELECT received_time_ms FROM dead_letters"), 1234);
}

TEST(SqliteStore, LateWillDoesNotOverrideNewerStatus) {
    TempDir dir;
    const auto db = dir / "cloud.db";
    auto store = open_store(db);
    ASSERT_NE(store, nullptr);
    auto commit_status = [&store](bool online, std::int64_t status_time_ms) {
        StoreBatch batch;
        batch.statuses.push_back(StatusReport{kVin, online, status_time_ms, 5000});
        ASSERT_TRUE(store->commit(batch).ok());
    };
    const std::string online_sql = "SELECT online FROM vehicles";

    commit_status(true, 2000);
    EXPECT_EQ(query_int(db, online_sql), 1);
    commit_status(false, 1000);  // Last Will of the connection before
    EXPECT_EQ(query_int(db, online_sql), 1);
    commit_status(false, 2000);  // Last Will of the current connection
    EXPECT_EQ(query_int(db, online_sql), 0);
    EXPECT_EQ(query_int(db, "SELECT last_status_time_ms FROM vehicles"), 2000);
}

TEST(SqliteStore, SumsDroppedSamplesOfStoredMessages) {
    TempDir dir;
    const auto db = dir / "cloud.db";
    auto store = open_store(db);
    ASSERT_NE(store, nullptr);
    auto first = telemetry_uplink(kVin, 1, {{49.0, 12.0}});
    first.set_dropped_samples(4);
    auto second = telemetry_uplink(kVin, 2, {{49.0, 12.0}});
    second.set_dropped_samples(3);
    StoreBatch batch;
    batch.uplinks = {received(first), received(second), received(first)};

    ASSERT_TRUE(store->commit(batch).ok());

    EXPECT_EQ(query_int(db, "SELECT dropped_samples FROM vehicles"), 7);
}

}  // namespace
}  // namespace drivelink::cloud
