// Decoding of the retained VehicleStatus messages on dl/v1/{vin}/status.
#pragma once

#include <chrono>
#include <string_view>
#include <variant>

#include "cloud/store/store.h"
#include "protocol/codec.h"

namespace drivelink::cloud {

// Returns the status report, or the reason the message was rejected: a topic that is not a
// status topic, an invalid VIN, a payload that is not a VehicleStatus, or a payload VIN that
// differs from the topic's.
std::variant<StatusReport, protocol::Rejection> decode_status(
    std::string_view topic,
    std::string_view payload,
    std::int64_t received_time_ms,
    const protocol::ValidationOptions& options = {});

}  // namespace drivelink::cloud
