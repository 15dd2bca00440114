#include "protocol/codec.h"

#include <cmath>

#include <gtest/gtest.h>

namespace drivelink::protocol {
namespace {

constexpr const char* kVin = "1M8GDM9AXKP042788";
const auto kNow =
    std::chrono::system_clock::time_point(std::chrono::milliseconds(1'700'000'000'000));

v1::Uplink valid_batch() {
    v1::Uplink uplink;
    uplink.set_vin(kVin);
    uplink.set_seq(7);
    uplink.set_sent_time_ms(1'700'000'000'000);
    auto* sample = uplink.mutable_batch()->add_samples();
    sample->set_time_ms(1'699'999'999'000);
    sample->mutable_location()->set_latitude_deg(49.0265);
    sample->mutable_location()->set_longitude_deg(12.0652);
    sample->mutable_location()->set_fix_type(v1::FIX_TYPE_THREE_D);
    sample->set_speed_kph(50.0);
    return uplink;
}

DecodeResult decode(const v1::Uplink& uplink, Channel channel = Channel::Telemetry) {
    return decode_uplink(topic_for(kVin, channel), encode(uplink), kNow);
}

TEST(Codec, AcceptsValidBatch) {
    auto result = decode(valid_batch());
    ASSERT_TRUE(result.ok()) << result.rejection->detail;
    EXPECT_EQ(result.uplink.vin, kVin);
    EXPECT_EQ(result.uplink.message.seq(), 7u);
    EXPECT_EQ(result.uplink.message.batch().samples_size(), 1);
}

TEST(Codec, RejectsVinMismatch) {
    auto uplink = valid_batch();
    uplink.set_vin("1HGCM82633A004352");
    auto result = decode(uplink);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.rejection->reason, RejectReason::VinMismatch);
    EXPECT_NE(result.rejection->detail.find("1HGCM82633A004352"), std::string::npos);
}

TEST(Codec, RejectsBadTopicVin) {
    auto result = decode_uplink("dl/v1/1M8GDM9A1KP042788/telemetry", encode(valid_batch()), kNow);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.rejection->reason, RejectReason::BadVin);
}

TEST(Codec, RejectsGarbage) {
    auto result =
        decode_uplink(topic_for(kVin, Channel::Telemetry), "\xff\xff\xff not protobuf", kNow);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.rejection->reason, RejectReason::Undecodable);
}

TEST(Codec, RejectsSequenceZero) {
    auto uplink = valid_batch();
    uplink.set_seq(0);
    auto result = decode(uplink);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.rejection->reason, RejectReason::BadSequence);
}

TEST(Codec, RejectsOutOfRangeLatitude) {
    auto uplink = valid_batch();
    uplink.mutable_batch()->mutable_samples(0)->mutable_location()->set_latitude_deg(91.0);
    auto result = decode(uplink);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.rejection->reason, RejectReason::OutOfRange);
    EXPECT_NE(result.rejection->detail.find("latitude_deg = 91"), std::string::npos)
        << result.rejection->detail;
}

TEST(Codec, RejectsNanSpeed) {
    auto uplink = valid_batch();
    uplink.mutable_batch()->mutable_samples(0)->set_speed_kph(std::nan(""));
    EXPECT_EQ(decode(uplink).rejection->reason, RejectReason::OutOfRange);
}

TEST(Codec, RejectsFutureAndAncientTimes) {
    auto future = valid_batch();
    future.mutable_batch()->mutable_samples(0)->set_time_ms(1'700'000'000'000 + 25LL * 3600 * 1000);
    EXPECT_EQ(decode(future).rejection->reason, RejectReason::BadTime);

    auto ancient = valid_batch();
    ancient.mutable_batch()->mutable_samples(0)->set_time_ms(0);
    EXPECT_EQ(decode(ancient).rejection->reason, RejectReason::BadTime);
}

TEST(Codec, RejectsBodyOnWrongChannel) {
    auto result = decode(valid_batch(), Channel::Event);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.rejection->reason, RejectReason::WrongBody);

    auto empty = valid_batch();
    empty.mutable_batch()->clear_samples();
    EXPECT_EQ(decode(empty).rejection->reason, RejectReason::WrongBody);
}

TEST(Codec, AcceptsEventOnEventChannel) {
    v1::Uplink uplink;
    uplink.set_vin(kVin);
    uplink.set_seq(1);
    uplink.set_sent_time_ms(1'700'000'000'000);
    uplink.mutable_event()->set_type(v1::EVENT_TYPE_SOS);
    uplink.mutable_event()->set_time_ms(1'700'000'000'000);
    auto result = decode(uplink, Channel::Event);
    EXPECT_TRUE(result.ok()) << result.rejection->detail;

    uplink.mutable_event()->set_type(v1::EVENT_TYPE_UNSPECIFIED);
    EXPECT_EQ(decode(uplink, Channel::Event).rejection->reason, RejectReason::WrongBody);
}

TEST(Codec, RejectsStatusTopicAsUplink) {
    auto result = decode(valid_batch(), Channel::Status);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.rejection->reason, RejectReason::BadTopic);
}

}  // namespace
}  // namespace drivelink::protocol
