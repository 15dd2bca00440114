#include "cloud/ingest/status_decoder.h"

#include <fmt/format.h>

namespace drivelink::cloud {

using protocol::Rejection;
using protocol::RejectReason;

std::variant<StatusReport, Rejection> decode_status(std::string_view topic,
                                                    std::string_view payload,
                                                    std::int64_t received_time_ms,
                                                    const protocol::ValidationOptions& options) {
    auto parsed = protocol::parse_topic(topic);
    if (!parsed) {
        return Rejection{RejectReason::BadTopic, parsed.error()};
    }
    if (parsed->channel != protocol::Channel::Status) {
        return Rejection{RejectReason::BadTopic,
                         fmt::format("topic '{}' does not carry status messages", topic)};
    }
    if (auto valid = protocol::validate_vin(parsed->vin, options.vin); !valid) {
        return Rejection{RejectReason::BadVin, valid.error()};
    }

    v1::VehicleStatus status;
    if (!status.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
        return Rejection{
            RejectReason::Undecodable,
            fmt::format("payload of {} bytes is not a drivelink.v1.VehicleStatus", payload.size())};
    }
    // An empty payload parses as a status with an empty VIN, so a cleared retained message
    // ends up here too.
    if (status.vin() != parsed->vin) {
        return Rejection{
            RejectReason::VinMismatch,
            fmt::format("payload VIN '{}' differs from topic VIN '{}'", status.vin(), parsed->vin)};
    }
    return StatusReport{parsed->vin, status.online(), status.time_ms(), received_time_ms};
}

}  // namespace drivelink::cloud
