// The delivery contract under faults: each test runs a few cars, injects one fault, lets the
// system recover and checks that the cloud contains every message the agents created exactly
// once and that every outbox drained.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/resource.h>

#include <csignal>
#include <thread>

#include "tests/e2e/fleet.h"
#include "tests/e2e/nmea_reference.h"

namespace drivelink::testing {
namespace {

using std::chrono::seconds;

const std::filesystem::path kDrive = std::filesystem::path(DRIVELINK_SOURCE_DIR) /
                                     "tests/data/nmea/genivi/20100411_Geko_Regensburg.txt";
// The 26-minute drive takes about 16 s at this speed, long enough to inject a fault mid-way.
constexpr double kReplaySpeed = 100.0;
constexpr int kCars = 3;
constexpr auto kRecoveryTimeout = seconds(120);

uint64_t reference_fix_count() {
    static const uint64_t count = reference_fixes(kDrive).size();
    return count;
}

// The cloud contains sequence numbers 1..N once each, N being what the outbox handed out, and
// every fix of the drive exactly once.
void expect_exactly_once(Fleet& fleet, int car) {
    SCOPED_TRACE("car " + std::to_string(car) + " vin " + fleet.vin(car));
    const OutboxState outbox = fleet.outbox_state(car);
    const CloudState cloud = fleet.cloud_state(car);
    EXPECT_EQ(outbox.entries, 0u) << "outbox not drained";
    EXPECT_EQ(cloud.messages, outbox.next_seq - 1);
    EXPECT_EQ(cloud.min_seq, 1u);
    EXPECT_EQ(cloud.max_seq, outbox.next_seq - 1);
    EXPECT_EQ(cloud.samples, reference_fix_count());
    EXPECT_EQ(cloud.distinct_sample_times, reference_fix_count());
    EXPECT_EQ(cloud.max_copies_of_a_time, 1u);
}

class Faults : public ::testing::Test {
  protected:
    void finish_and_check() {
        ASSERT_TRUE(fleet_.wait_for_agents(kRecoveryTimeout));
        EXPECT_EQ(fleet_.stop_cloud(), 0) << fleet_.cloud_log();
        for (int car = 0; car < kCars; ++car) {
            expect_exactly_once(fleet_, car);
        }
    }

    TempDir dir_;
    Fleet fleet_{dir_.path(), kCars, kDrive};
};

TEST_F(Faults, BrokerRestart) {
    fleet_.start_agents(kReplaySpeed);
    std::this_thread::sleep_for(seconds(5));
    fleet_.broker().stop();
    std::this_thread::sleep_for(seconds(4));
    fleet_.broker().start();
    finish_and_check();
    EXPECT_TRUE(fleet_.agent_log_contains(0, "connection lost")) << fleet_.agent_log(0);
}

TEST_F(Faults, CloudKilledAndRestarted) {
    fleet_.start_agents(kReplaySpeed);
    std::this_thread::sleep_for(seconds(5));
    fleet_.kill_cloud();
    std::this_thread::sleep_for(seconds(3));
    fleet_.start_cloud();
    finish_and_check();
}

TEST_F(Faults, AgentKilledAndRestarted) {
    fleet_.start_agents(kReplaySpeed);
    std::this_thread::sleep_for(seconds(6));
    fleet_.agent(0).signal(SIGKILL);
    ASSERT_EQ(fleet_.agent(0).wait(seconds(10)), 128 + SIGKILL);
    const OutboxState before_restart = fleet_.outbox_state(0);
    ASSERT_GT(before_restart.next_seq, 1u);
    // The restarted agent replays the drive from its start: a second trip with new numbers.
    fleet_.start_agent(0, kReplaySpeed);
    ASSERT_TRUE(fleet_.wait_for_agents(kRecoveryTimeout));
    EXPECT_EQ(fleet_.stop_cloud(), 0) << fleet_.cloud_log();

    for (int car = 1; car < kCars; ++car) {
        expect_exactly_once(fleet_, car);
    }
    const OutboxState outbox = fleet_.outbox_state(0);
    const CloudState cloud = fleet_.cloud_state(0);
    EXPECT_EQ(outbox.entries, 0u);
    EXPECT_GT(outbox.next_seq, before_restart.next_seq) << "sequence numbers reused";
    EXPECT_EQ(cloud.messages, outbox.next_seq - 1) << "a message the killed agent stored was lost";
    EXPECT_EQ(cloud.max_seq, outbox.next_seq - 1);
    // Every fix of the second trip arrived; fixes of the first trip arrived at most once.
    EXPECT_EQ(cloud.distinct_sample_times, reference_fix_count());
    EXPECT_LE(cloud.max_copies_of_a_time, 2u);
    EXPECT_GT(cloud.samples, reference_fix_count());
}

TEST_F(Faults, OutboxBoundThinsTelemetryOnly) {
    fleet_.proxy(0).cut();
    fleet_.start_agent(0, kReplaySpeed, {"--outbox-max-entries", "20"});
    fleet_.start_agent(1, kReplaySpeed);
    fleet_.start_agent(2, kReplaySpeed);
    std::this_thread::sleep_for(seconds(3));
    for (int press = 0; press < 3; ++press) {
        fleet_.agent(0).signal(SIGUSR1);
        std::this_thread::sleep_for(seconds(1));
    }
    ASSERT_TRUE(wait_for_text(dir_ / "agent-0.log", "GNSS input ended", seconds(60)));
    fleet_.proxy(0).restore();
    ASSERT_TRUE(fleet_.wait_for_agents(kRecoveryTimeout));
    EXPECT_EQ(fleet_.stop_cloud(), 0) << fleet_.cloud_log();

    expect_exactly_once(fleet_, 1);
    expect_exactly_once(fleet_, 2);
    const OutboxState outbox = fleet_.outbox_state(0);
    const CloudState cloud = fleet_.cloud_state(0);
    EXPECT_EQ(outbox.entries, 0u);
    EXPECT_EQ(cloud.events, 3u) << "an event was dropped";
    EXPECT_GT(outbox.samples_thinned, 0u) << "the bound was never reached";
    // Thinning is counted exactly: what is stored plus what was reported dropped is the drive.
    EXPECT_EQ(cloud.samples + cloud.dropped_samples, reference_fix_count());
    EXPECT_EQ(cloud.dropped_samples, outbox.samples_thinned);
    EXPECT_EQ(cloud.max_copies_of_a_time, 1u);
    // Every sequence number arrived, except those of entries the outbox deleted whole.
    EXPECT_EQ(cloud.messages + outbox.entries_dropped, outbox.next_seq - 1);
}

TEST_F(Faults, EventOvertakesBacklog) {
    fleet_.proxy(0).cut();
    const auto cut_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    fleet_.start_agents(kReplaySpeed);
    std::this_thread::sleep_for(seconds(6));  // a backlog of several minutes of driving
    fleet_.agent(0).signal(SIGUSR1);
    ASSERT_TRUE(wait_for_text(dir_ / "agent-0.log", "EVENT_TYPE_SOS raised", seconds(10)));
    fleet_.proxy(0).restore();
    finish_and_check();

    // The SOS was created after the backlog but stored no later than any of it.
    const std::string sql =
        "SELECT (SELECT received_time_ms FROM messages WHERE vin = ?1 AND channel = 'event'), "
        "(SELECT MIN(received_time_ms) FROM messages WHERE vin = ?1 AND channel = 'telemetry' "
        "AND sent_time_ms >= " +
        std::to_string(cut_ms) +
        "), (SELECT COUNT(*) FROM messages WHERE vin = ?1 AND channel = 'telemetry' AND seq < "
        "(SELECT seq FROM events WHERE vin = ?1))";
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2(fleet_.cloud_db().c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_bind_text(stmt, 1, fleet_.vin(0).c_str(), -1, SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    const int64_t event_received_ms = sqlite3_column_int64(stmt, 0);
    const int64_t first_backlog_received_ms = sqlite3_column_int64(stmt, 1);
    const int64_t backlog_messages = sqlite3_column_int64(stmt, 2);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    EXPECT_GT(backlog_messages, 20) << "no backlog was queued before the event";
    EXPECT_LE(event_received_ms, first_backlog_received_ms);
}

TEST_F(Faults, CloudDiskFullThenWritable) {
    fleet_.start_agents(kReplaySpeed);
    std::this_thread::sleep_for(seconds(4));
    // A soft file size limit of one byte makes every database write fail as on a full disk.
    // The hard limit stays, so the soft one can be raised again without privileges.
    rlimit full{1, RLIM_INFINITY};
    ASSERT_EQ(prlimit(fleet_.cloud().pid(), RLIMIT_FSIZE, &full, nullptr), 0);
    ASSERT_TRUE(wait_for_text(dir_ / "cloud.log", "store unavailable", seconds(20)))
        << fleet_.cloud_log();
    std::this_thread::sleep_for(seconds(4));
    EXPECT_TRUE(fleet_.cloud().running()) << fleet_.cloud_log();
    EXPECT_GT(fleet_.outbox_state(0).entries, 0u) << "acknowledged while the store was failing";
    rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
    ASSERT_EQ(prlimit(fleet_.cloud().pid(), RLIMIT_FSIZE, &unlimited, nullptr), 0);
    finish_and_check();
}

}  // namespace
}  // namespace drivelink::testing
