#include "tests/e2e/fleet.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <thread>

#include "protocol/vin.h"

namespace drivelink::testing {
namespace {

const std::filesystem::path kBinaryDir(DRIVELINK_BINARY_DIR);

// Runs a query that returns one row of integers.
std::vector<uint64_t> query_row(const std::filesystem::path& db_path,
                                const std::string& sql,
                                const std::string& vin) {
    sqlite3* db = nullptr;
    std::vector<uint64_t> row;
    if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        ADD_FAILURE() << "cannot open " << db_path << ": " << sqlite3_errmsg(db);
        sqlite3_close(db);
        return row;
    }
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
        ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
        sqlite3_close(db);
        return row;
    }
    if (!vin.empty()) {
        sqlite3_bind_text(stmt, 1, vin.c_str(), -1, SQLITE_TRANSIENT);
    }
    if (sqlite3_step(stmt) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
            row.push_back(static_cast<uint64_t>(sqlite3_column_int64(stmt, i)));
        }
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return row;
}

}  // namespace

std::string test_vin(int n) {
    std::string vin = fmt::format("SJNFAAJ10U{:07d}", n);
    vin[8] = protocol::vin_check_digit(vin);
    return vin;
}

bool wait_for_text(const std::filesystem::path& log,
                   const std::string& text,
                   std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (read_file(log).find(text) != std::string::npos) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

Fleet::Fleet(const std::filesystem::path& directory, int cars, std::filesystem::path nmea)
    : directory_(directory), nmea_(std::move(nmea)) {
    broker_ = std::make_unique<MosquittoBroker>(directory_ / "broker");
    for (int car = 0; car < cars; ++car) {
        vins_.push_back(test_vin(car + 1));
        proxies_.push_back(std::make_unique<TcpProxy>(broker_->port()));
    }
    start_cloud();
}

Fleet::~Fleet() {
    agents_.clear();
    cloud_.reset();
}

void Fleet::start_cloud() {
    cloud_ = std::make_unique<Process>(kBinaryDir / "cloud/drivelink-cloud",
                                       std::vector<std::string>{"run",
                                                                "--broker",
                                                                broker_->uri(),
                                                                "--db",
                                                                cloud_db().string(),
                                                                "--client-id",
                                                                "cloud-1"},
                                       directory_ / "cloud.log",
                                       /*through_pipe=*/true);
    // Each start appends to the log, so count the subscriptions made so far.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    const int expected = ++cloud_starts_;
    while (std::chrono::steady_clock::now() < deadline) {
        const std::string log = read_file(directory_ / "cloud.log");
        int found = 0;
        for (std::size_t at = log.find("subscribed"); at != std::string::npos;
             at = log.find("subscribed", at + 1)) {
            ++found;
        }
        if (found >= expected) {
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "cloud did not subscribe: " << cloud_log();
}

void Fleet::kill_cloud() {
    cloud_->signal(SIGKILL);
    cloud_->wait(std::chrono::seconds(10));
}

int Fleet::stop_cloud() {
    return cloud_->stop();
}

void Fleet::start_agent(int car, double speed, std::vector<std::string> extra) {
    std::vector<std::string> args{"run",
                                  "--vin",
                                  vin(car),
                                  "--broker",
                                  fmt::format("tcp://127.0.0.1:{}", proxy(car).port()),
                                  "--nmea",
                                  nmea_.string(),
                                  "--replay-speed",
                                  fmt::format("{}", speed),
                                  "--outbox",
                                  (directory_ / fmt::format("outbox-{}.db", car)).string(),
                                  "--exit-when-drained",
                                  "--ack-timeout-ms",
                                  "3000",
                                  "--reconnect-max-ms",
                                  "1000",
                                  "--batch-samples",
                                  "5",
                                  "--record-every-fix"};
    args.insert(args.end(), extra.begin(), extra.end());
    agents_[car] = std::make_unique<Process>(
        kBinaryDir / "agent/drivelink-agent", args, directory_ / fmt::format("agent-{}.log", car));
}

void Fleet::start_agents(double speed) {
    for (int car = 0; car < static_cast<int>(vins_.size()); ++car) {
        start_agent(car, speed);
    }
}

bool Fleet::wait_for_agents(std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (auto& [car, agent] : agents_) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        auto status = agent->wait(std::max(left, std::chrono::milliseconds(0)));
        if (!status) {
            ADD_FAILURE() << "agent " << car << " still running: " << agent_log(car);
            return false;
        }
        EXPECT_EQ(*status, 0) << agent_log(car);
    }
    return true;
}

std::string Fleet::agent_log(int car) const {
    return read_file(directory_ / fmt::format("agent-{}.log", car));
}

bool Fleet::agent_log_contains(int car, const std::string& text) const {
    return agent_log(car).find(text) != std::string::npos;
}

std::string Fleet::cloud_log() const {
    return read_file(directory_ / "cloud.log");
}

OutboxState Fleet::outbox_state(int car) const {
    const auto path = directory_ / fmt::format("outbox-{}.db", car);
    const auto row = query_row(
        path,
        "SELECT (SELECT value FROM meta WHERE key = 'next_seq'), (SELECT COUNT(*) FROM entries), "
        "(SELECT value FROM meta WHERE key = 'dropped_total'), "
        "(SELECT value FROM meta WHERE key = 'entries_dropped')",
        {});
    if (row.size() != 4) {
        return {};
    }
    return OutboxState{row[0], row[1], row[2], row[3]};
}

CloudState Fleet::cloud_state(int car) const {
    CloudState state;
    const auto messages = query_row(cloud_db(),
                                    "SELECT COUNT(*), MIN(seq), MAX(seq), "
                                    "COALESCE(SUM(dropped_samples), 0) FROM messages WHERE vin = ?",
                                    vin(car));
    const auto samples =
        query_row(cloud_db(),
                  "SELECT COUNT(*), COUNT(DISTINCT time_ms) FROM samples WHERE vin = ?",
                  vin(car));
    const auto copies = query_row(cloud_db(),
                                  "SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM "
                                  "samples WHERE vin = ? GROUP BY time_ms)",
                                  vin(car));
    const auto events =
        query_row(cloud_db(), "SELECT COUNT(*) FROM events WHERE vin = ?", vin(car));
    if (messages.size() != 4 || samples.size() != 2 || copies.size() != 1 || events.size() != 1) {
        ADD_FAILURE() << "cloud database queries failed";
        return state;
    }
    state.messages = messages[0];
    state.min_seq = messages[1];
    state.max_seq = messages[2];
    state.dropped_samples = messages[3];
    state.samples = samples[0];
    state.distinct_sample_times = samples[1];
    state.max_copies_of_a_time = copies[0];
    state.events = events[0];
    return state;
}

}  // namespace drivelink::testing
