// MQTT topic names of the drivelink protocol, built and parsed here and nowhere else.
//
// Each vehicle has one tree, dl/v1/{vin}/{channel}. The cloud reads with shared subscriptions
// so that several cloud instances split the vehicles between them.
#pragma once

#include <string>
#include <string_view>

#include "protocol/result.h"

namespace drivelink::protocol {

enum class Channel {
    Telemetry,  // car to cloud: Uplink with a SampleBatch, QoS 1
    Event,      // car to cloud: Uplink with one VehicleEvent, QoS 1
    Status,     // car to cloud: VehicleStatus, QoS 1, retained, offline one is the Last Will
    Command,    // cloud to car: Downlink, QoS 1
};

std::string_view to_string(Channel channel);

inline constexpr std::string_view kTopicPrefix = "dl/v1/";
inline constexpr std::string_view kSharedGroup = "drivelink-ingest";

// dl/v1/{vin}/{channel}
std::string topic_for(std::string_view vin, Channel channel);

// $share/drivelink-ingest/dl/v1/+/{channel}, what the cloud subscribes to.
std::string shared_subscription(Channel channel);

struct ParsedTopic {
    std::string vin;
    Channel channel;
};

// Splits a topic of the tree into VIN and channel. The VIN is only checked for its length;
// callers validate it with validate_vin.
Result<ParsedTopic> parse_topic(std::string_view topic);

}  // namespace drivelink::protocol
