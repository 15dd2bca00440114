#include "agent/sampling/batcher.h"

#include <gtest/gtest.h>

namespace drivelink::agent::sampling {
namespace {

using signals::TimePoint;
using std::chrono::milliseconds;
using std::chrono::seconds;

const TimePoint kStart{std::chrono::sys_days{std::chrono::year{2024} / 5 / 1}};

v1::Sample sample_at(TimePoint time) {
    v1::Sample sample;
    sample.set_time_ms(time.time_since_epoch().count());
    return sample;
}

TEST(Batcher, CompletesAtMaxSamples) {
    Batcher batcher(BatchLimits{3, seconds(60)});

    auto first = batcher.add(sample_at(kStart), kStart);
    auto second = batcher.add(sample_at(kStart + seconds(1)), kStart + seconds(1));
    auto third = batcher.add(sample_at(kStart + seconds(2)), kStart + seconds(2));

    EXPECT_FALSE(first.has_value());
    EXPECT_FALSE(second.has_value());
    ASSERT_TRUE(third.has_value());
    EXPECT_EQ(third->samples_size(), 3);
    EXPECT_EQ(batcher.pending(), 0u);
}

TEST(Batcher, KeepsSampleOrder) {
    Batcher batcher(BatchLimits{2, seconds(60)});

    (void)batcher.add(sample_at(kStart), kStart);
    auto batch = batcher.add(sample_at(kStart + seconds(1)), kStart + seconds(1));

    ASSERT_TRUE(batch.has_value());
    EXPECT_EQ(batch->samples(0).time_ms(), kStart.time_since_epoch().count());
    EXPECT_EQ(batch->samples(1).time_ms(), (kStart + seconds(1)).time_since_epoch().count());
}

TEST(Batcher, PollReturnsBatchAtMaxAge) {
    Batcher batcher(BatchLimits{10, seconds(5)});
    (void)batcher.add(sample_at(kStart), kStart);

    auto early = batcher.poll(kStart + milliseconds(4999));
    auto due = batcher.poll(kStart + seconds(5));

    EXPECT_FALSE(early.has_value());
    ASSERT_TRUE(due.has_value());
    EXPECT_EQ(due->samples_size(), 1);
}

TEST(Batcher, AgeCountsFromFirstSample) {
    Batcher batcher(BatchLimits{10, seconds(5)});
    (void)batcher.add(sample_at(kStart), kStart);
    (void)batcher.add(sample_at(kStart + seconds(3)), kStart + seconds(3));

    auto late_add = batcher.add(sample_at(kStart + seconds(5)), kStart + seconds(5));

    ASSERT_TRUE(late_add.has_value());
    EXPECT_EQ(late_add->samples_size(), 3);
}

TEST(Batcher, PollWithoutSamplesReturnsNothing) {
    Batcher batcher;

    EXPECT_FALSE(batcher.poll(kStart + std::chrono::hours(1)).has_value());
}

TEST(Batcher, FlushReturnsPartialBatch) {
    Batcher batcher;
    (void)batcher.add(sample_at(kStart), kStart);

    auto flushed = batcher.flush();
    auto again = batcher.flush();

    ASSERT_TRUE(flushed.has_value());
    EXPECT_EQ(flushed->samples_size(), 1);
    EXPECT_FALSE(again.has_value());
}

TEST(Batcher, SmallerLimitAppliesOnNextPoll) {
    Batcher batcher(BatchLimits{10, seconds(60)});
    for (int i = 0; i < 4; ++i) {
        (void)batcher.add(sample_at(kStart + seconds(i)), kStart + seconds(i));
    }

    ASSERT_TRUE(batcher.set_limits(BatchLimits{3, seconds(60)}).ok());
    auto batch = batcher.poll(kStart + seconds(4));

    ASSERT_TRUE(batch.has_value());
    EXPECT_EQ(batch->samples_size(), 4);
}

TEST(Batcher, InvalidLimitsRejected) {
    Batcher batcher;

    auto zero_samples = batcher.set_limits(BatchLimits{0, seconds(5)});
    auto zero_age = batcher.set_limits(BatchLimits{10, seconds(0)});

    ASSERT_FALSE(zero_samples.ok());
    EXPECT_NE(zero_samples.error().find("max_samples = 0"), std::string::npos);
    ASSERT_FALSE(zero_age.ok());
    EXPECT_NE(zero_age.error().find("max_age_s = 0"), std::string::npos);
    EXPECT_EQ(batcher.limits().max_samples, 10u);
}

}  // namespace
}  // namespace drivelink::agent::sampling
