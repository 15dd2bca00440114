// The ingest's building blocks: backoff, inbound queue, status decoding, log rate limit.
#include <gtest/gtest.h>

#include <thread>

#include "cloud/ingest/backoff.h"
#include "cloud/ingest/inbound_queue.h"
#include "cloud/ingest/rate_limiter.h"
#include "cloud/ingest/status_decoder.h"
#include "tests/cloud/cloud_test_support.h"

namespace drivelink::cloud {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using testing::kVin;
using testing::status_payload;

const std::string kStatusTopic = protocol::topic_for(kVin, protocol::Channel::Status);

TEST(Backoff, DoublesUpToMaximum) {
    Backoff backoff(milliseconds(100), milliseconds(350));

    EXPECT_EQ(backoff.next_delay(), milliseconds(100));
    EXPECT_EQ(backoff.next_delay(), milliseconds(200));
    EXPECT_EQ(backoff.next_delay(), milliseconds(350));
    EXPECT_EQ(backoff.next_delay(), milliseconds(350));
}

TEST(Backoff, ResetStartsAgain) {
    Backoff backoff(milliseconds(100), milliseconds(1000));
    backoff.next_delay();
    backoff.next_delay();

    backoff.reset();

    EXPECT_EQ(backoff.next_delay(), milliseconds(100));
}

TEST(InboundQueue, RejectsPushWhenFull) {
    InboundQueue queue(2);
    InboundMessage third{"t", "3", 0};

    EXPECT_TRUE(queue.push(InboundMessage{"t", "1", 0}));
    EXPECT_TRUE(queue.push(InboundMessage{"t", "2", 0}));
    EXPECT_FALSE(queue.push(std::move(third)));
    EXPECT_EQ(third.payload, "3");  // left unchanged for the caller's log line
    EXPECT_EQ(queue.size(), 2u);
}

TEST(InboundQueue, PopTakesAtMostRequested) {
    InboundQueue queue(10);
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(queue.push(InboundMessage{"t", std::to_string(i), 0}));
    }

    auto first = queue.pop(3, steady_clock::now());
    auto rest = queue.pop(3, steady_clock::now());

    ASSERT_EQ(first.size(), 3u);
    EXPECT_EQ(first[0].payload, "0");
    ASSERT_EQ(rest.size(), 2u);
    EXPECT_EQ(rest[1].payload, "4");
}

TEST(InboundQueue, PopWakesOnPushFromOtherThread) {
    InboundQueue queue(10);
    std::thread producer([&queue] {
        std::this_thread::sleep_for(milliseconds(50));
        queue.push(InboundMessage{"t", "late", 0});
    });

    const auto started = steady_clock::now();
    auto popped = queue.pop(10, started + std::chrono::seconds(10));
    producer.join();

    ASSERT_EQ(popped.size(), 1u);
    EXPECT_LT(steady_clock::now() - started, std::chrono::seconds(5));
}

TEST(InboundQueue, CloseRejectsPushKeepsQueued) {
    InboundQueue queue(10);
    ASSERT_TRUE(queue.push(InboundMessage{"t", "kept", 0}));

    queue.close();

    EXPECT_FALSE(queue.push(InboundMessage{"t", "late", 0}));
    auto popped = queue.pop(10, steady_clock::now());
    ASSERT_EQ(popped.size(), 1u);
    EXPECT_EQ(popped[0].payload, "kept");
}

TEST(InboundQueue, ClosedQueueStillWaitsForDeadline) {
    InboundQueue queue(10);
    queue.close();

    const auto started = steady_clock::now();
    auto popped = queue.pop(10, started + milliseconds(100));

    EXPECT_TRUE(popped.empty());
    EXPECT_GE(steady_clock::now() - started, milliseconds(100));
}

TEST(DecodeStatus, AcceptsOnlineStatus) {
    auto decoded = decode_status(kStatusTopic, status_payload(kVin, true, 1234), 5678);

    ASSERT_TRUE(std::holds_alternative<StatusReport>(decoded));
    const auto& status = std::get<StatusReport>(decoded);
    EXPECT_EQ(status.vin, kVin);
    EXPECT_TRUE(status.online);
    EXPECT_EQ(status.status_time_ms, 1234);
    EXPECT_EQ(status.received_time_ms, 5678);
}

TEST(DecodeStatus, RejectsVinMismatch) {
    auto decoded = decode_status(kStatusTopic, status_payload("1HGCM82633A004352", false, 1), 1);

    ASSERT_TRUE(std::holds_alternative<protocol::Rejection>(decoded));
    EXPECT_EQ(std::get<protocol::Rejection>(decoded).reason, protocol::RejectReason::VinMismatch);
}

TEST(DecodeStatus, RejectsGarbage) {
    auto decoded = decode_status(kStatusTopic, "\xff\xff\xff", 1);

    ASSERT_TRUE(std::holds_alternative<protocol::Rejection>(decoded));
    EXPECT_EQ(std::get<protocol::Rejection>(decoded).reason, protocol::RejectReason::Undecodable);
}

TEST(DecodeStatus, RejectsBadCheckDigit) {
    const std::string vin = "1M8GDM9A1KP042788";
    auto decoded = decode_status(
        protocol::topic_for(vin, protocol::Channel::Status), status_payload(vin, true, 1), 1);

    ASSERT_TRUE(std::holds_alternative<protocol::Rejection>(decoded));
    EXPECT_EQ(std::get<protocol::Rejection>(decoded).reason, protocol::RejectReason::BadVin);
}

TEST(DecodeStatus, AcceptsBadCheckDigitWhenDisabled) {
    const std::string vin = "1M8GDM9A1KP042788";
    protocol::ValidationOptions options;
    options.vin.verify_check_digit = false;

    auto decoded = decode_status(protocol::topic_for(vin, protocol::Channel::Status),
                                 status_payload(vin, true, 1),
                                 1,
                                 options);

    EXPECT_TRUE(std::holds_alternative<StatusReport>(decoded));
}

TEST(LogRateLimiter, SuppressesBeyondMaximumPerWindow) {
    LogRateLimiter limiter(2, std::chrono::seconds(10));
    const auto start = steady_clock::now();
    std::uint64_t suppressed = 0;

    EXPECT_TRUE(limiter.allow(start, suppressed));
    EXPECT_TRUE(limiter.allow(start, suppressed));
    EXPECT_FALSE(limiter.allow(start, suppressed));
    EXPECT_FALSE(limiter.allow(start, suppressed));
    EXPECT_TRUE(limiter.allow(start + std::chrono::seconds(11), suppressed));
    EXPECT_EQ(suppressed, 2u);
}

}  // namespace
}  // namespace drivelink::cloud
