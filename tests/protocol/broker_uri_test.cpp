#include "protocol/broker_uri.h"

#include <gtest/gtest.h>

namespace drivelink::protocol {
namespace {

TEST(BrokerUri, TcpWithPort) {
    const auto address = parse_broker_uri("tcp://127.0.0.1:18830");
    ASSERT_TRUE(address) << address.error();
    EXPECT_EQ(address->host, "127.0.0.1");
    EXPECT_EQ(address->port, 18830);
    EXPECT_FALSE(address->tls);
}

TEST(BrokerUri, DefaultPortsFollowTheScheme) {
    const auto plain = parse_broker_uri("tcp://broker.example");
    ASSERT_TRUE(plain) << plain.error();
    EXPECT_EQ(plain->port, 1883);
    const auto secure = parse_broker_uri("ssl://localhost");
    ASSERT_TRUE(secure) << secure.error();
    EXPECT_EQ(secure->host, "localhost");
    EXPECT_EQ(secure->port, 8883);
    EXPECT_TRUE(secure->tls);
}

TEST(BrokerUri, BracketedIpv6) {
    const auto address = parse_broker_uri("tcp://[::1]:1884");
    ASSERT_TRUE(address) << address.error();
    EXPECT_EQ(address->host, "::1");
    EXPECT_EQ(address->port, 1884);
}

TEST(BrokerUri, ErrorsNameTheUri) {
    for (const std::string uri : {"ws://127.0.0.1:80",
                                  "127.0.0.1:1883",
                                  "tcp://",
                                  "tcp://:1883",
                                  "tcp://host:0",
                                  "tcp://host:65536",
                                  "tcp://host:12ab",
                                  "tcp://[::1:1883",
                                  "tcp://[::1]x"}) {
        const auto address = parse_broker_uri(uri);
        ASSERT_FALSE(address) << uri;
        EXPECT_NE(address.error().find("'" + uri + "'"), std::string::npos) << address.error();
    }
}

}  // namespace
}  // namespace drivelink::protocol
