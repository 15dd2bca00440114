#include "tests/cloud/cloud_test_support.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <thread>

namespace drivelink::cloud::testing {
namespace {

constexpr std::int64_t kSampleIntervalMs = 1000;

// An open connection, closed when it goes out of scope.
class Connection {
  public:
    Connection(const std::filesystem::path& path, int flags) {
        if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
            ADD_FAILURE() << "cannot open " << path << ": " << sqlite3_errmsg(db_);
        }
        sqlite3_busy_timeout(db_, 5000);
    }
    ~Connection() { sqlite3_close_v2(db_); }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    sqlite3* get() const { return db_; }

  private:
    sqlite3* db_ = nullptr;
};

// Steps `sql` to its first row and calls `read` with the statement; returns false on an error.
bool read_first_row(const std::filesystem::path& db,
                    const std::string& sql,
                    const std::function<void(sqlite3_stmt*)>& read) {
    Connection connection(db, SQLITE_OPEN_READONLY);
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(connection.get(), sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
        ADD_FAILURE() << "preparing '" << sql << "': " << sqlite3_errmsg(connection.get());
        return false;
    }
    const int rc = sqlite3_step(statement);
    if (rc == SQLITE_ROW) {
        read(statement);
    } else {
        ADD_FAILURE() << "'" << sql << "' returned no row: " << sqlite3_errmsg(connection.get());
    }
    sqlite3_finalize(statement);
    return rc == SQLITE_ROW;
}

}  // namespace

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

v1::Uplink telemetry_uplink(const std::string& vin,
                            std::uint64_t seq,
                            const std::vector<Position>& positions,
                            std::int64_t first_time_ms) {
    if (first_time_ms == 0) {
        first_time_ms =
            now_ms() - 60'000 - static_cast<std::int64_t>(positions.size()) * kSampleIntervalMs;
    }
    v1::Uplink uplink;
    uplink.set_vin(vin);
    uplink.set_seq(seq);
    uplink.set_sent_time_ms(now_ms() - 1000);
    for (std::size_t i = 0; i < positions.size(); ++i) {
        auto* sample = uplink.mutable_batch()->add_samples();
        sample->set_time_ms(first_time_ms + static_cast<std::int64_t>(i) * kSampleIntervalMs);
        sample->mutable_location()->set_latitude_deg(positions[i].latitude_deg);
        sample->mutable_location()->set_longitude_deg(positions[i].longitude_deg);
        sample->mutable_location()->set_fix_type(v1::FIX_TYPE_THREE_D);
        sample->mutable_location()->set_satellites_used(9);
        sample->set_speed_kph(30.0 + static_cast<double>(i));
    }
    return uplink;
}

v1::Uplink event_uplink(const std::string& vin, std::uint64_t seq, v1::EventType type) {
    v1::Uplink uplink;
    uplink.set_vin(vin);
    uplink.set_seq(seq);
    uplink.set_sent_time_ms(now_ms() - 1000);
    auto* event = uplink.mutable_event();
    event->set_time_ms(now_ms() - 2000);
    event->set_type(type);
    event->mutable_location()->set_latitude_deg(49.0134);
    event->mutable_location()->set_longitude_deg(12.1016);
    if (type == v1::EVENT_TYPE_DTC_SET) {
        event->set_dtc("P0301");
    }
    return uplink;
}

std::string status_payload(const std::string& vin, bool online, std::int64_t time_ms) {
    v1::VehicleStatus status;
    status.set_vin(vin);
    status.set_online(online);
    status.set_time_ms(time_ms);
    return status.SerializeAsString();
}

std::int64_t query_int(const std::filesystem::path& db, const std::string& sql) {
    std::int64_t value = -1;
    read_first_row(db, sql, [&value](sqlite3_stmt* row) { value = sqlite3_column_int64(row, 0); });
    return value;
}

std::string query_text(const std::filesystem::path& db, const std::string& sql) {
    std::string value;
    read_first_row(db, sql, [&value](sqlite3_stmt* row) {
        const void* bytes = sqlite3_column_blob(row, 0);
        const int size = sqlite3_column_bytes(row, 0);
        if (bytes != nullptr) {
            value.assign(static_cast<const char*>(bytes), static_cast<std::size_t>(size));
        }
    });
    return value;
}

void execute_sql(const std::filesystem::path& db, const std::string& sql) {
    Connection connection(db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    char* error = nullptr;
    if (sqlite3_exec(connection.get(), sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
        ADD_FAILURE() << "'" << sql << "' failed: " << (error != nullptr ? error : "?");
    }
    sqlite3_free(error);
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            return condition();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

}  // namespace drivelink::cloud::testing
