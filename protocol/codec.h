// Decoding and validation of drivelink messages.
//
// The cloud calls decode_uplink on every message it receives; a message that fails is not
// stored as data but kept with the returned reason. The agent uses the same checks in its
// tests, so both ends agree on what is valid.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "drivelink/v1/drivelink.pb.h"
#include "protocol/result.h"
#include "protocol/topics.h"
#include "protocol/vin.h"

namespace drivelink::protocol {

struct ValidationOptions {
    VinOptions vin;
    // Measurement times before this are rejected (GNSS week roll-over and unset clocks).
    std::chrono::sys_time<std::chrono::milliseconds> earliest_time{
        std::chrono::sys_days{std::chrono::year{2000} / 1 / 1}};
    // Measurement and send times may be ahead of the receiver's clock by at most this much.
    std::chrono::milliseconds max_clock_skew{std::chrono::hours{24}};
    std::size_t max_samples_per_batch = 10'000;
};

// Why a message was rejected, as stored in the dead-letter table and counted in metrics.
enum class RejectReason {
    BadTopic,
    BadVin,
    VinMismatch,
    Undecodable,
    BadSequence,
    WrongBody,
    BadTime,
    OutOfRange,
};

std::string_view to_string(RejectReason reason);

struct Rejection {
    RejectReason reason;
    std::string detail;
};

struct DecodedUplink {
    std::string vin;
    Channel channel;
    v1::Uplink message;
};

// Either a valid uplink or the reason it was rejected.
struct DecodeResult {
    bool ok() const { return !rejection.has_value(); }
    DecodedUplink uplink;
    std::optional<Rejection> rejection;
};

// Decodes and validates an Uplink received on a telemetry or event topic. `now` is the
// receiver's clock, for the future-time check.
DecodeResult decode_uplink(std::string_view topic,
                           std::string_view payload,
                           std::chrono::system_clock::time_point now,
                           const ValidationOptions& options = {});

// Checks a Sample's ranges and time; used by decode_uplink and by the agent before it stores.
std::optional<Rejection> validate_sample(const v1::Sample& sample,
                                         std::chrono::system_clock::time_point now,
                                         const ValidationOptions& options = {});

std::string encode(const google::protobuf::MessageLite& message);

}  // namespace drivelink::protocol
