// MQTT broker URIs as the agent, the cloud and the simulator take them: tcp://HOST[:PORT] or
// ssl://HOST[:PORT], the host a name, an IPv4 address or a bracketed IPv6 address.
#pragma once

#include <string>

#include "protocol/result.h"

namespace drivelink::protocol {

struct BrokerAddress {
    std::string host;
    int port = 0;      // 1883 for tcp:// and 8883 for ssl:// when the URI names none
    bool tls = false;  // ssl://
};

// The error names the URI and what is wrong with it.
Result<BrokerAddress> parse_broker_uri(const std::string& uri);

}  // namespace drivelink::protocol
