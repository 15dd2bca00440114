#include "protocol/topics.h"

#include <fmt/format.h>
#include <array>

namespace drivelink::protocol {
namespace {

constexpr std::array kChannels = {
    Channel::Telemetry, Channel::Event, Channel::Status, Channel::Command};

}  // namespace

std::string_view to_string(Channel channel) {
    switch (channel) {
        case Channel::Telemetry:
            return "telemetry";
        case Channel::Event:
            return "event";
        case Channel::Status:
            return "status";
        case Channel::Command:
            return "cmd";
    }
    return "unknown";
}

std::string topic_for(std::string_view vin, Channel channel) {
    return fmt::format("{}{}/{}", kTopicPrefix, vin, to_string(channel));
}

std::string shared_subscription(Channel channel) {
    return fmt::format("$share/{}/{}+/{}", kSharedGroup, kTopicPrefix, to_string(channel));
}

Result<ParsedTopic> parse_topic(std::string_view topic) {
    if (!topic.starts_with(kTopicPrefix)) {
        return Error{
            fmt::format("invalid topic '{}': does not start with '{}'", topic, kTopicPrefix)};
    }
    const std::string_view rest = topic.substr(kTopicPrefix.size());
    const std::size_t slash = rest.find('/');
    if (slash == std::string_view::npos) {
        return Error{fmt::format("invalid topic '{}': missing channel after the VIN", topic)};
    }
    const std::string_view vin = rest.substr(0, slash);
    const std::string_view channel_name = rest.substr(slash + 1);
    if (vin.size() != 17) {
        return Error{fmt::format("invalid topic '{}': VIN part '{}' has {} characters, expected 17",
                                 topic,
                                 vin,
                                 vin.size())};
    }
    for (const Channel channel : kChannels) {
        if (channel_name == to_string(channel)) {
            return ParsedTopic{std::string(vin), channel};
        }
    }
    return Error{fmt::format("invalid topic '{}': unknown channel '{}'", topic, channel_name)};
}

}  // namespace drivelink::protocol
