#include "agent/outbox/outbox.h"

#include <gtest/gtest.h>

#include "tests/support/process.h"

namespace drivelink::agent {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;

constexpr const char* kVin = "1M8GDM9AXKP042788";

v1::Uplink telemetry(int samples, int64_t first_time_ms = 1'600'000'000'000) {
    v1::Uplink uplink;
    uplink.set_vin(kVin);
    for (int i = 0; i < samples; ++i) {
        auto* sample = uplink.mutable_batch()->add_samples();
        sample->set_time_ms(first_time_ms + i * 1000);
        sample->mutable_location()->set_latitude_deg(49.0 + i * 1e-4);
        sample->mutable_location()->set_longitude_deg(12.0);
    }
    return uplink;
}

v1::Uplink event(v1::EventType type) {
    v1::Uplink uplink;
    uplink.set_vin(kVin);
    uplink.mutable_event()->set_type(type);
    uplink.mutable_event()->set_time_ms(1'600'000'000'000);
    return uplink;
}

std::unique_ptr<Outbox> open_outbox(const std::filesystem::path& path, OutboxLimits limits = {}) {
    auto outbox = Outbox::open(path, limits);
    EXPECT_TRUE(outbox.ok()) << outbox.error();
    return std::move(outbox).value();
}

TEST(Outbox, AssignsGrowingSequenceNumbers) {
    testing::TempDir dir;
    auto outbox = open_outbox(dir / "outbox.db");
    for (uint64_t expected = 1; expected <= 3; ++expected) {
        auto uplink = telemetry(2);
        auto seq = outbox->add(uplink);
        ASSERT_TRUE(seq.ok()) << seq.error();
        EXPECT_EQ(*seq, expected);
        EXPECT_EQ(uplink.seq(), expected);
    }
}

TEST(Outbox, SequenceSurvivesReopenAfterAck) {
    testing::TempDir dir;
    {
        auto outbox = open_outbox(dir / "outbox.db");
        auto first = telemetry(1);
        auto second = telemetry(1);
        ASSERT_TRUE(outbox->add(first).ok());
        ASSERT_TRUE(outbox->add(second).ok());
        auto deleted = outbox->acknowledge({1, 2});
        ASSERT_TRUE(deleted.ok());
        EXPECT_EQ(*deleted, 2u);
    }
    auto outbox = open_outbox(dir / "outbox.db");
    auto third = telemetry(1);
    auto seq = outbox->add(third);
    ASSERT_TRUE(seq.ok());
    EXPECT_EQ(*seq, 3u);  // numbers of acknowledged, deleted entries are not reused
}

TEST(Outbox, StoredPayloadDecodesWithSeq) {
    testing::TempDir dir;
    auto outbox = open_outbox(dir / "outbox.db");
    auto uplink = telemetry(3);
    ASSERT_TRUE(outbox->add(uplink).ok());
    auto due = outbox->due(system_clock::now(), milliseconds(1000), 10);
    ASSERT_TRUE(due.ok());
    ASSERT_EQ(due->size(), 1u);
    v1::Uplink decoded;
    ASSERT_TRUE(decoded.ParseFromString(due->front().payload));
    EXPECT_EQ(decoded.seq(), 1u);
    EXPECT_EQ(decoded.vin(), kVin);
    EXPECT_EQ(decoded.batch().samples_size(), 3);
    EXPECT_EQ(due->front().channel, protocol::Channel::Telemetry);
}

TEST(Outbox, EventsComeBeforeTelemetry) {
    testing::TempDir dir;
    auto outbox = open_outbox(dir / "outbox.db");
    for (int i = 0; i < 5; ++i) {
        auto uplink = telemetry(1);
        ASSERT_TRUE(outbox->add(uplink).ok());
    }
    auto crash = event(v1::EVENT_TYPE_CRASH);
    ASSERT_TRUE(outbox->add(crash).ok());
    auto due = outbox->due(system_clock::now(), milliseconds(1000), 3);
    ASSERT_TRUE(due.ok());
    ASSERT_EQ(due->size(), 3u);
    EXPECT_EQ((*due)[0].seq, 6u);
    EXPECT_EQ((*due)[0].priority, Priority::Event);
    EXPECT_EQ((*due)[0].channel, protocol::Channel::Event);
    EXPECT_EQ((*due)[1].seq, 1u);
    EXPECT_EQ((*due)[2].seq, 2u);
}

TEST(Outbox, SentEntriesWaitForResendTimeout) {
    testing::TempDir dir;
    auto outbox = open_outbox(dir / "outbox.db");
    auto uplink = telemetry(1);
    ASSERT_TRUE(outbox->add(uplink).ok());
    const auto sent_at = system_clock::now();
    ASSERT_TRUE(outbox->mark_sent({1}, sent_at).ok());

    auto soon = outbox->due(sent_at + milliseconds(500), milliseconds(1000), 10);
    ASSERT_TRUE(soon.ok());
    EXPECT_TRUE(soon->empty());

    auto later = outbox->due(sent_at + milliseconds(1500), milliseconds(1000), 10);
    ASSERT_TRUE(later.ok());
    ASSERT_EQ(later->size(), 1u);
    EXPECT_EQ(later->front().attempts, 1u);

    ASSERT_TRUE(outbox->mark_all_unsent().ok());
    auto reset = outbox->due(sent_at, milliseconds(1000), 10);
    ASSERT_TRUE(reset.ok());
    EXPECT_EQ(reset->size(), 1u);
}

TEST(Outbox, AcknowledgeIgnoresUnknownSeqs) {
    testing::TempDir dir;
    auto outbox = open_outbox(dir / "outbox.db");
    auto uplink = telemetry(1);
    ASSERT_TRUE(outbox->add(uplink).ok());
    auto deleted = outbox->acknowledge({1, 1, 42});
    ASSERT_TRUE(deleted.ok());
    EXPECT_EQ(*deleted, 1u);
    auto stats = outbox->stats();
    ASSERT_TRUE(stats.ok());
    EXPECT_EQ(stats->entries, 0u);
}

TEST(Outbox, ThinsOldTelemetryWhenFull) {
    testing::TempDir dir;
    auto outbox =
        open_outbox(dir / "outbox.db", OutboxLimits{.max_entries = 8, .max_bytes = 1 << 20});
    constexpr int kBatches = 40;
    constexpr int kSamplesPerBatch = 10;
    for (int i = 0; i < kBatches; ++i) {
        auto uplink = telemetry(kSamplesPerBatch, 1'600'000'000'000 + i * 10'000);
        ASSERT_TRUE(outbox->add(uplink).ok());
    }
    auto crash = event(v1::EVENT_TYPE_CRASH);
    ASSERT_TRUE(outbox->add(crash).ok());

    auto stats = outbox->stats();
    ASSERT_TRUE(stats.ok());
    EXPECT_LE(stats->entries, 9u);  // the bound, plus the event that is never dropped
    EXPECT_EQ(stats->events, 1u);

    // Every sample is either still in the outbox or counted as dropped.
    auto due = outbox->due(system_clock::now(), milliseconds(0), 1000);
    ASSERT_TRUE(due.ok());
    uint64_t kept = 0;
    uint64_t reported = 0;
    for (const auto& entry : *due) {
        v1::Uplink uplink;
        ASSERT_TRUE(uplink.ParseFromString(entry.payload));
        kept += static_cast<uint64_t>(uplink.batch().samples_size());
        reported += uplink.dropped_samples();
    }
    EXPECT_EQ(kept + stats->dropped_samples_total, uint64_t{kBatches * kSamplesPerBatch});
    // Every sequence number handed out is either still here or counted as dropped whole.
    EXPECT_EQ(due->size() + stats->entries_dropped_total, std::size_t{kBatches + 1});
    EXPECT_GT(stats->dropped_samples_total, 0u);
    // What was dropped is either carried in a stored Uplink or waits for the next one.
    EXPECT_EQ(reported + stats->dropped_samples_unreported, stats->dropped_samples_total);
}

TEST(Outbox, NeverDropsEvents) {
    testing::TempDir dir;
    auto outbox =
        open_outbox(dir / "outbox.db", OutboxLimits{.max_entries = 4, .max_bytes = 1 << 20});
    for (int i = 0; i < 10; ++i) {
        auto sos = event(v1::EVENT_TYPE_SOS);
        ASSERT_TRUE(outbox->add(sos).ok());
    }
    auto stats = outbox->stats();
    ASSERT_TRUE(stats.ok());
    EXPECT_EQ(stats->events, 10u);
    EXPECT_EQ(stats->dropped_samples_total, 0u);
}

TEST(Outbox, OpenFailsOnBadPath) {
    auto outbox = Outbox::open("/nonexistent-directory/outbox.db");
    ASSERT_FALSE(outbox.ok());
    EXPECT_NE(outbox.error().find("/nonexistent-directory/outbox.db"), std::string::npos)
        << outbox.error();
}

}  // namespace
}  // namespace drivelink::agent
