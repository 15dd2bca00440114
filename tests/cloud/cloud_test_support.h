// Helpers of the cloud tests: uplink messages to send, and direct reads of the SQLite file.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "drivelink/v1/drivelink.pb.h"

namespace drivelink::cloud::testing {

// A VIN with a valid check digit.
inline constexpr const char* kVin = "1M8GDM9AXKP042788";
// A second valid VIN, for the rescue truck.
inline constexpr const char* kTruckVin = "5TRUCK0X3RS000001";

// Milliseconds since the Unix epoch, now.
std::int64_t now_ms();

struct Position {
    double latitude_deg;
    double longitude_deg;
};

// An Uplink with a sample batch: one sample per position, one second apart, ending a minute
// before now unless `first_time_ms` is set.
v1::Uplink telemetry_uplink(const std::string& vin,
                            std::uint64_t seq,
                            const std::vector<Position>& positions,
                            std::int64_t first_time_ms = 0);

// An Uplink with one event of `type`.
v1::Uplink event_uplink(const std::string& vin, std::uint64_t seq, v1::EventType type);

std::string status_payload(const std::string& vin, bool online, std::int64_t time_ms);

// Runs `sql` on a read-only connection of its own and returns the integer in the first column
// of the first row. On an error it fails the test and returns -1.
std::int64_t query_int(const std::filesystem::path& db, const std::string& sql);
std::string query_text(const std::filesystem::path& db, const std::string& sql);

// Runs statements on a read-write connection of their own; fails the test on an error.
void execute_sql(const std::filesystem::path& db, const std::string& sql);

// Polls `condition` every 10 ms until it is true or `timeout` passes, and returns its last
// value.
bool wait_until(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace drivelink::cloud::testing
