#include "protocol/broker_uri.h"

#include <fmt/format.h>

#include <charconv>
#include <string_view>

namespace drivelink::protocol {

Result<BrokerAddress> parse_broker_uri(const std::string& uri) {
    BrokerAddress address;
    std::string_view rest(uri);
    if (rest.starts_with("tcp://")) {
        rest.remove_prefix(6);
    } else if (rest.starts_with("ssl://")) {
        rest.remove_prefix(6);
        address.tls = true;
    } else {
        return Error{fmt::format("broker URI '{}' must start with tcp:// or ssl://", uri)};
    }
    std::string_view port_text;
    if (rest.starts_with('[')) {  // [IPv6]:port
        const auto close = rest.find(']');
        if (close == std::string_view::npos) {
            return Error{fmt::format("broker URI '{}' has an unclosed '['", uri)};
        }
        address.host = std::string(rest.substr(1, close - 1));
        rest.remove_prefix(close + 1);
        if (rest.starts_with(':')) {
            port_text = rest.substr(1);
        } else if (!rest.empty()) {
            return Error{fmt::format("broker URI '{}' has text after the address", uri)};
        }
    } else {
        const auto colon = rest.rfind(':');
        address.host = std::string(rest.substr(0, colon));
        if (colon != std::string_view::npos) {
            port_text = rest.substr(colon + 1);
        }
    }
    if (address.host.empty()) {
        return Error{fmt::format("broker URI '{}' names no host", uri)};
    }
    address.port = address.tls ? 8883 : 1883;
    if (!port_text.empty()) {
        int port = 0;
        const auto [end, error] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if (error != std::errc() || end != port_text.data() + port_text.size() || port < 1 ||
            port > 65535) {
            return Error{
                fmt::format("broker URI '{}' has port '{}', expected 1 to 65535", uri, port_text)};
        }
        address.port = port;
    }
    return address;
}

}  // namespace drivelink::protocol
