#include "protocol/codec.h"

#include <fmt/format.h>
#include <cmath>

namespace drivelink::protocol {
namespace {

using std::chrono::milliseconds;

constexpr double kMaxSpeedKph = 500.0;

std::optional<Rejection> reject(RejectReason reason, std::string detail) {
    return Rejection{reason, std::move(detail)};
}

std::optional<Rejection> check_time(std::string_view what,
                                    int64_t time_ms,
                                    std::chrono::system_clock::time_point now,
                                    const ValidationOptions& options) {
    const auto time = std::chrono::sys_time<milliseconds>(milliseconds(time_ms));
    if (time < options.earliest_time) {
        return reject(RejectReason::BadTime,
                      fmt::format("{} {} ms is before the earliest accepted time {} ms",
                                  what,
                                  time_ms,
                                  options.earliest_time.time_since_epoch().count()));
    }
    const auto latest = std::chrono::time_point_cast<milliseconds>(now) + options.max_clock_skew;
    if (time > latest) {
        return reject(RejectReason::BadTime,
                      fmt::format("{} {} ms is more than {} ms ahead of the receiver's clock",
                                  what,
                                  time_ms,
                                  options.max_clock_skew.count()));
    }
    return std::nullopt;
}

std::optional<Rejection> check_range(std::string_view field,
                                     double value,
                                     double low,
                                     double high) {
    if (std::isfinite(value) && value >= low && value <= high) {
        return std::nullopt;
    }
    return reject(RejectReason::OutOfRange,
                  fmt::format("{} = {} is outside [{}, {}]", field, value, low, high));
}

std::optional<Rejection> validate_location(const v1::Location& location) {
    if (auto r = check_range("latitude_deg", location.latitude_deg(), -90.0, 90.0)) {
        return r;
    }
    if (auto r = check_range("longitude_deg", location.longitude_deg(), -180.0, 180.0)) {
        return r;
    }
    if (location.has_altitude_m()) {
        if (auto r = check_range("altitude_m", location.altitude_m(), -1000.0, 20000.0)) {
            return r;
        }
    }
    if (location.has_heading_deg()) {
        if (auto r = check_range("heading_deg", location.heading_deg(), 0.0, 360.0)) {
            return r;
        }
    }
    if (location.has_hdop()) {
        if (auto r = check_range("hdop", location.hdop(), 0.0, 100.0)) {
            return r;
        }
    }
    return std::nullopt;
}

std::optional<Rejection> validate_body(const v1::Uplink& uplink,
                                       Channel channel,
                                       std::chrono::system_clock::time_point now,
                                       const ValidationOptions& options) {
    if (channel == Channel::Telemetry) {
        if (!uplink.has_batch()) {
            return reject(RejectReason::WrongBody, "telemetry message carries no sample batch");
        }
        const auto& samples = uplink.batch().samples();
        if (samples.empty() ||
            static_cast<std::size_t>(samples.size()) > options.max_samples_per_batch) {
            return reject(RejectReason::WrongBody,
                          fmt::format("sample batch has {} samples, expected 1 to {}",
                                      samples.size(),
                                      options.max_samples_per_batch));
        }
        for (int i = 0; i < samples.size(); ++i) {
            if (auto r = validate_sample(samples[i], now, options)) {
                r->detail = fmt::format("sample {}: {}", i, r->detail);
                return r;
            }
        }
        return std::nullopt;
    }
    if (!uplink.has_event()) {
        return reject(RejectReason::WrongBody, "event message carries no event");
    }
    const auto& event = uplink.event();
    if (event.type() == v1::EVENT_TYPE_UNSPECIFIED || !v1::EventType_IsValid(event.type())) {
        return reject(
            RejectReason::WrongBody,
            fmt::format("event type {} is not a known type", static_cast<int>(event.type())));
    }
    if (auto r = check_time("event time_ms", event.time_ms(), now, options)) {
        return r;
    }
    if (event.has_location()) {
        return validate_location(event.location());
    }
    return std::nullopt;
}

}  // namespace

std::string_view to_string(RejectReason reason) {
    switch (reason) {
        case RejectReason::BadTopic:
            return "bad_topic";
        case RejectReason::BadVin:
            return "bad_vin";
        case RejectReason::VinMismatch:
            return "vin_mismatch";
        case RejectReason::Undecodable:
            return "undecodable";
        case RejectReason::BadSequence:
            return "bad_sequence";
        case RejectReason::WrongBody:
            return "wrong_body";
        case RejectReason::BadTime:
            return "bad_time";
        case RejectReason::OutOfRange:
            return "out_of_range";
    }
    return "unknown";
}

std::optional<Rejection> validate_sample(const v1::Sample& sample,
                                         std::chrono::system_clock::time_point now,
                                         const ValidationOptions& options) {
    if (auto r = check_time("time_ms", sample.time_ms(), now, options)) {
        return r;
    }
    if (!sample.has_location()) {
        return reject(RejectReason::WrongBody, "sample has no location");
    }
    if (auto r = validate_location(sample.location())) {
        return r;
    }
    if (sample.has_speed_kph()) {
        if (auto r = check_range("speed_kph", sample.speed_kph(), 0.0, kMaxSpeedKph)) {
            return r;
        }
    }
    if (sample.has_traveled_distance_km()) {
        if (auto r = check_range("traveled_distance_km", sample.traveled_distance_km(), 0.0, 1e7)) {
            return r;
        }
    }
    return std::nullopt;
}

DecodeResult decode_uplink(std::string_view topic,
                           std::string_view payload,
                           std::chrono::system_clock::time_point now,
                           const ValidationOptions& options) {
    DecodeResult result;
    auto fail = [&result](RejectReason reason, std::string detail) {
        result.rejection = Rejection{reason, std::move(detail)};
        return result;
    };

    auto parsed = parse_topic(topic);
    if (!parsed) {
        return fail(RejectReason::BadTopic, parsed.error());
    }
    if (parsed->channel != Channel::Telemetry && parsed->channel != Channel::Event) {
        return fail(RejectReason::BadTopic,
                    fmt::format("topic '{}' does not carry uplink messages", topic));
    }
    result.uplink.vin = parsed->vin;
    result.uplink.channel = parsed->channel;

    if (auto vin_ok = validate_vin(parsed->vin, options.vin); !vin_ok) {
        return fail(RejectReason::BadVin, vin_ok.error());
    }
    auto& message = result.uplink.message;
    if (!message.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
        return fail(
            RejectReason::Undecodable,
            fmt::format("payload of {} bytes is not a drivelink.v1.Uplink", payload.size()));
    }
    if (message.vin() != parsed->vin) {
        return fail(
            RejectReason::VinMismatch,
            fmt::format(
                "payload VIN '{}' differs from topic VIN '{}'", message.vin(), parsed->vin));
    }
    if (message.seq() == 0) {
        return fail(RejectReason::BadSequence,
                    "sequence number 0 is invalid, numbering starts at 1");
    }
    if (auto r = check_time("sent_time_ms", message.sent_time_ms(), now, options)) {
        return fail(r->reason, r->detail);
    }
    if (auto r = validate_body(message, parsed->channel, now, options)) {
        return fail(r->reason, r->detail);
    }
    return result;
}

std::string encode(const google::protobuf::MessageLite& message) {
    std::string bytes;
    message.SerializeToString(&bytes);
    return bytes;
}

}  // namespace drivelink::protocol
