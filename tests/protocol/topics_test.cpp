#include "protocol/topics.h"

#include <gtest/gtest.h>

namespace drivelink::protocol {
namespace {

TEST(Topics, BuildsPerVehicleTopics) {
    EXPECT_EQ(topic_for("1M8GDM9AXKP042788", Channel::Telemetry),
              "dl/v1/1M8GDM9AXKP042788/telemetry");
    EXPECT_EQ(topic_for("1M8GDM9AXKP042788", Channel::Event), "dl/v1/1M8GDM9AXKP042788/event");
    EXPECT_EQ(topic_for("1M8GDM9AXKP042788", Channel::Status), "dl/v1/1M8GDM9AXKP042788/status");
    EXPECT_EQ(topic_for("1M8GDM9AXKP042788", Channel::Command), "dl/v1/1M8GDM9AXKP042788/cmd");
}

TEST(Topics, BuildsSharedSubscriptions) {
    EXPECT_EQ(shared_subscription(Channel::Telemetry), "$share/drivelink-ingest/dl/v1/+/telemetry");
    EXPECT_EQ(shared_subscription(Channel::Status), "$share/drivelink-ingest/dl/v1/+/status");
}

TEST(Topics, ParsesWhatItBuilds) {
    for (Channel channel :
         {Channel::Telemetry, Channel::Event, Channel::Status, Channel::Command}) {
        auto parsed = parse_topic(topic_for("1M8GDM9AXKP042788", channel));
        ASSERT_TRUE(parsed.ok()) << parsed.error();
        EXPECT_EQ(parsed->vin, "1M8GDM9AXKP042788");
        EXPECT_EQ(parsed->channel, channel);
    }
}

TEST(Topics, RejectsForeignAndMalformedTopics) {
    EXPECT_FALSE(parse_topic("dl/v2/1M8GDM9AXKP042788/telemetry").ok());
    EXPECT_FALSE(parse_topic("dl/v1/1M8GDM9AXKP042788").ok());
    EXPECT_FALSE(parse_topic("dl/v1/SHORT/telemetry").ok());
    auto unknown = parse_topic("dl/v1/1M8GDM9AXKP042788/location");
    ASSERT_FALSE(unknown.ok());
    EXPECT_NE(unknown.error().find("'location'"), std::string::npos) << unknown.error();
    EXPECT_FALSE(parse_topic("dl/v1/1M8GDM9AXKP042788/telemetry/extra").ok());
}

}  // namespace
}  // namespace drivelink::protocol
