// The report on a small known track, stored through a real SqliteStore.
#include "cloud/report/report.h"

#include <gtest/gtest.h>

#include "cloud/store/sqlite_store.h"
#include "tests/cloud/cloud_test_support.h"
#include "tests/support/process.h"

namespace drivelink::cloud {
namespace {

using drivelink::testing::TempDir;
using testing::kVin;
using testing::telemetry_uplink;

// One degree of a great circle on the mean Earth sphere: 6371.0088 km * pi / 180.
constexpr double kOneDegreeKm = 111.195080;
constexpr std::int64_t kStartMs = 1'700'000'000'000;  // 2023-11-14T22:13:20Z

ReceivedUplink received(const v1::Uplink& uplink) {
    auto decoded =
        protocol::decode_uplink(protocol::topic_for(uplink.vin(), protocol::Channel::Telemetry),
                                protocol::encode(uplink),
                                std::chrono::system_clock::now());
    EXPECT_TRUE(decoded.ok()) << decoded.rejection->detail;
    return ReceivedUplink{decoded.uplink, kStartMs + 60'000};
}

// The track (0, 0) -> (0, 1) -> (1, 1), one degree east along the equator and one degree north
// along a meridian, 222.390 km. Message 1 carries the last point, so seq order is not time
// order. A sample without a fix at 0/0 sits between the first two points.
StoreBatch known_track() {
    auto late = telemetry_uplink(kVin, 1, {{1.0, 1.0}}, kStartMs + 120'000);
    late.mutable_batch()->mutable_samples(0)->set_speed_kph(88.0);
    auto early = telemetry_uplink(kVin, 2, {{0.0, 0.0}, {0.0, 0.0}, {0.0, 1.0}}, kStartMs);
    early.mutable_batch()->mutable_samples(1)->mutable_location()->set_fix_type(v1::FIX_TYPE_NONE);
    early.mutable_batch()->mutable_samples(1)->mutable_location()->set_latitude_deg(0.0);
    early.mutable_batch()->mutable_samples(1)->mutable_location()->set_longitude_deg(0.0);
    StoreBatch batch;
    batch.uplinks = {received(late), received(early), received(late)};
    batch.dead_letters.push_back(DeadLetter{"dl/v1/1M8GDM9AXKP042788/telemetry",
                                            kVin,
                                            "x",
                                            protocol::RejectReason::Undecodable,
                                            "test",
                                            kStartMs,
                                            std::nullopt});
    batch.dead_letters.push_back(DeadLetter{"dl/v1/short/telemetry",
                                            "",
                                            "y",
                                            protocol::RejectReason::BadTopic,
                                            "test",
                                            kStartMs,
                                            std::nullopt});
    return batch;
}

Report report_of_known_track(const TempDir& dir) {
    auto store = SqliteStore::open(dir / "cloud.db");
    EXPECT_TRUE(store.ok()) << store.error();
    EXPECT_TRUE(store.value()->commit(known_track()).ok());
    auto report = build_report(*store.value());
    EXPECT_TRUE(report.ok()) << report.error();
    return report.value();
}

TEST(Haversine, OneDegreeAlongEquator) {
    EXPECT_NEAR(haversine_km(0.0, 0.0, 0.0, 1.0), kOneDegreeKm, 1e-6);
}

TEST(Haversine, OneDegreeAlongMeridian) {
    EXPECT_NEAR(haversine_km(0.0, 1.0, 1.0, 1.0), kOneDegreeKm, 1e-6);
}

TEST(Haversine, QuarterOfGreatCircle) {
    EXPECT_NEAR(haversine_km(0.0, 0.0, 90.0, 0.0), 90 * kOneDegreeKm, 1e-4);
}

TEST(Report, DistanceFollowsTimeOrder) {
    TempDir dir;
    const auto report = report_of_known_track(dir);

    ASSERT_EQ(report.vehicles.size(), 1u);
    EXPECT_NEAR(report.vehicles[0].distance_km, 2 * kOneDegreeKm, 1e-5);
    EXPECT_NEAR(report.distance_km, 2 * kOneDegreeKm, 1e-5);
}

TEST(Report, CountsFixesAndMessages) {
    TempDir dir;
    const auto report = report_of_known_track(dir);

    ASSERT_EQ(report.vehicles.size(), 1u);
    const auto& summary = report.vehicles[0].summary;
    EXPECT_EQ(summary.vin, kVin);
    EXPECT_EQ(summary.samples, 4u);
    EXPECT_EQ(summary.messages, 2u);
    EXPECT_EQ(summary.duplicates, 1u);
    EXPECT_EQ(report.samples, 4u);
    EXPECT_EQ(report.duplicates, 1u);
}

TEST(Report, TopSpeedAndTimeSpan) {
    TempDir dir;
    const auto report = report_of_known_track(dir);

    ASSERT_EQ(report.vehicles.size(), 1u);
    const auto& summary = report.vehicles[0].summary;
    ASSERT_TRUE(summary.top_speed_kph.has_value());
    EXPECT_DOUBLE_EQ(*summary.top_speed_kph, 88.0);
    ASSERT_TRUE(summary.first_sample_time_ms.has_value());
    EXPECT_EQ(*summary.first_sample_time_ms, kStartMs);
    ASSERT_TRUE(summary.last_sample_time_ms.has_value());
    EXPECT_EQ(*summary.last_sample_time_ms, kStartMs + 120'000);
}

TEST(Report, DeadLettersByReason) {
    TempDir dir;
    const auto report = report_of_known_track(dir);

    ASSERT_EQ(report.vehicles.size(), 1u);
    const std::map<std::string, std::uint64_t> vehicle_expected{{"undecodable", 1}};
    const std::map<std::string, std::uint64_t> total_expected{{"bad_topic", 1}, {"undecodable", 1}};
    EXPECT_EQ(report.vehicles[0].dead_letters_by_reason, vehicle_expected);
    EXPECT_EQ(report.dead_letters_by_reason, total_expected);
}

TEST(Report, TextNamesEveryFigure) {
    TempDir dir;
    const auto text = format_text(report_of_known_track(dir));

    EXPECT_NE(text.find("vehicle 1M8GDM9AXKP042788"), std::string::npos) << text;
    EXPECT_NE(text.find("222.390 km"), std::string::npos) << text;
    EXPECT_NE(text.find("88.0 km/h"), std::string::npos) << text;
    EXPECT_NE(text.find("2023-11-14T22:13:20.000Z"), std::string::npos) << text;
    EXPECT_NE(text.find("2023-11-14T22:15:20.000Z"), std::string::npos) << text;
    EXPECT_NE(text.find("0h 02m 00s"), std::string::npos) << text;
    EXPECT_NE(text.find("bad_topic 1, undecodable 1"), std::string::npos) << text;
}

TEST(Report, JsonCarriesTotals) {
    TempDir dir;
    const auto json = to_json(report_of_known_track(dir));

    EXPECT_EQ(json["total"]["vehicles"], 1);
    EXPECT_EQ(json["total"]["fixes"], 4);
    EXPECT_NEAR(json["total"]["distance_km"].get<double>(), 2 * kOneDegreeKm, 1e-5);
    EXPECT_EQ(json["total"]["time_span_s"], 120.0);
    EXPECT_EQ(json["vehicles"][0]["vin"], kVin);
    EXPECT_EQ(json["vehicles"][0]["first_sample"], "2023-11-14T22:13:20.000Z");
    EXPECT_TRUE(json["vehicles"][0]["online"].is_null());
}

TEST(Report, EmptyDatabaseHasZeroTotals) {
    TempDir dir;
    auto store = SqliteStore::open(dir / "cloud.db");
    ASSERT_TRUE(store.ok()) << store.error();

    auto report = build_report(*store.value());

    ASSERT_TRUE(report.ok()) << report.error();
    EXPECT_TRUE(report->vehicles.empty());
    EXPECT_EQ(report->distance_km, 0.0);
    EXPECT_FALSE(report->top_speed_kph.has_value());
}

TEST(FormatUtc, MillisecondsSinceEpoch) {
    EXPECT_EQ(format_utc(kStartMs + 5), "2023-11-14T22:13:20.005Z");
    EXPECT_EQ(format_utc(0), "1970-01-01T00:00:00.000Z");
}

TEST(FormatSpan, HoursMinutesSeconds) {
    EXPECT_EQ(format_span((27 * 3600 + 3 * 60 + 4) * 1000LL), "27h 03m 04s");
    EXPECT_EQ(format_span(0), "0s");
}

}  // namespace
}  // namespace drivelink::cloud
