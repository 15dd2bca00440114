#include "agent/sampling/sampler.h"

#include <gtest/gtest.h>

namespace drivelink::agent::sampling {
namespace {

using signals::IgnitionState;
using signals::VehicleSignals;
using std::chrono::minutes;
using std::chrono::seconds;

const TimePoint kStart{std::chrono::sys_days{std::chrono::year{2024} / 5 / 1}};
constexpr double kStartLatitudeDeg = 47.3769;
constexpr double kStartLongitudeDeg = 8.5417;
// One degree of latitude on the sampler's sphere, in metres.
constexpr double kMetresPerDegree = 111'195.08;

gnss::Fix fix_at(TimePoint time, double north_m, double speed_kph, double course_deg) {
    gnss::Fix fix;
    fix.time = time;
    fix.latitude_deg = kStartLatitudeDeg + north_m / kMetresPerDegree;
    fix.longitude_deg = kStartLongitudeDeg;
    fix.speed_mps = speed_kph / 3.6;
    fix.course_deg = course_deg;
    return fix;
}

VehicleSignals with_ignition(IgnitionState state) {
    VehicleSignals signals;
    signals.ignition = state;
    return signals;
}

const VehicleSignals kDriving = with_ignition(IgnitionState::On);
const VehicleSignals kParked = with_ignition(IgnitionState::Off);

TEST(Sampler, FirstFixIsRecorded) {
    Sampler sampler;

    auto decision = sampler.evaluate(fix_at(kStart, 0, 0, 0), kDriving);

    EXPECT_TRUE(decision.record());
    EXPECT_TRUE(decision.has(v1::SAMPLE_TRIGGER_FIRST));
}

TEST(Sampler, RecordsEveryDrivingInterval) {
    Sampler sampler;
    (void)sampler.evaluate(fix_at(kStart, 0, 0, 0), kDriving);

    auto at_9s = sampler.evaluate(fix_at(kStart + seconds(9), 0, 0, 0), kDriving);
    auto at_10s = sampler.evaluate(fix_at(kStart + seconds(10), 0, 0, 0), kDriving);
    auto at_19s = sampler.evaluate(fix_at(kStart + seconds(19), 0, 0, 0), kDriving);
    auto at_20s = sampler.evaluate(fix_at(kStart + seconds(20), 0, 0, 0), kDriving);

    EXPECT_FALSE(at_9s.record());
    EXPECT_TRUE(at_10s.has(v1::SAMPLE_TRIGGER_TIME));
    EXPECT_FALSE(at_19s.record());
    EXPECT_TRUE(at_20s.has(v1::SAMPLE_TRIGGER_TIME));
}

TEST(Sampler, RecordsAfterDistance) {
    Sampler sampler;
    (void)sampler.evaluate(fix_at(kStart, 0, 180, 0), kDriving);

    auto at_50m = sampler.evaluate(fix_at(kStart + seconds(1), 50, 180, 0), kDriving);
    auto at_99m = sampler.evaluate(fix_at(kStart + seconds(2), 99, 180, 0), kDriving);
    auto at_101m = sampler.evaluate(fix_at(kStart + seconds(3), 101, 180, 0), kDriving);
    auto at_150m = sampler.evaluate(fix_at(kStart + seconds(4), 150, 180, 0), kDriving);

    EXPECT_FALSE(at_50m.record());
    EXPECT_FALSE(at_99m.record());
    EXPECT_TRUE(at_101m.has(v1::SAMPLE_TRIGGER_DISTANCE));
    EXPECT_FALSE(at_150m.record());
}

TEST(Sampler, RecordsAfterHeadingChange) {
    Sampler sampler;
    (void)sampler.evaluate(fix_at(kStart, 0, 50, 350), kDriving);

    auto turned_10 = sampler.evaluate(fix_at(kStart + seconds(1), 1, 50, 0), kDriving);
    auto turned_16 = sampler.evaluate(fix_at(kStart + seconds(2), 2, 50, 6), kDriving);
    auto turned_5_more = sampler.evaluate(fix_at(kStart + seconds(3), 3, 50, 11), kDriving);

    EXPECT_FALSE(turned_10.record());
    EXPECT_TRUE(turned_16.has(v1::SAMPLE_TRIGGER_HEADING));
    EXPECT_FALSE(turned_5_more.record());
}

TEST(Sampler, IgnoresHeadingChangeWhenSlow) {
    Sampler sampler;
    (void)sampler.evaluate(fix_at(kStart, 0, 50, 0), kDriving);

    auto slow_turn = sampler.evaluate(fix_at(kStart + seconds(1), 1, 3, 90), kDriving);

    EXPECT_FALSE(slow_turn.record());
}

TEST(Sampler, ParkedUsesParkedInterval) {
    Sampler sampler;
    (void)sampler.evaluate(fix_at(kStart, 0, 0, 0), kParked);

    auto at_10s = sampler.evaluate(fix_at(kStart + seconds(10), 0, 0, 0), kParked);
    auto at_29min = sampler.evaluate(fix_at(kStart + minutes(29), 0, 0, 0), kParked);
    auto at_30min = sampler.evaluate(fix_at(kStart + minutes(30), 0, 0, 0), kParked);

    EXPECT_FALSE(at_10s.record());
    EXPECT_FALSE(at_29min.record());
    EXPECT_TRUE(at_30min.has(v1::SAMPLE_TRIGGER_TIME));
}

TEST(Sampler, ParkedIgnoresDistanceAndHeading) {
    Sampler sampler;
    (void)sampler.evaluate(fix_at(kStart, 0, 20, 0), kParked);

    auto jumped = sampler.evaluate(fix_at(kStart + seconds(1), 300, 20, 90), kParked);

    EXPECT_FALSE(jumped.record());
}

TEST(Sampler, RecordsTroubleCodeChange) {
    Sampler sampler;
    auto signals = kDriving;
    signals.dtcs = std::vector<std::string>{};
    (void)sampler.evaluate(fix_at(kStart, 0, 0, 0), signals);
    signals.dtcs = std::vector<std::string>{"P0301"};

    auto code_set = sampler.evaluate(fix_at(kStart + seconds(1), 0, 0, 0), signals);
    auto unchanged = sampler.evaluate(fix_at(kStart + seconds(2), 0, 0, 0), signals);
    signals.dtcs = std::vector<std::string>{};
    auto code_cleared = sampler.evaluate(fix_at(kStart + seconds(3), 0, 0, 0), signals);

    EXPECT_TRUE(code_set.has(v1::SAMPLE_TRIGGER_TROUBLE_CODES));
    EXPECT_FALSE(unchanged.record());
    EXPECT_TRUE(code_cleared.has(v1::SAMPLE_TRIGGER_TROUBLE_CODES));
}

TEST(Sampler, RecordsIgnitionChange) {
    Sampler sampler;
    (void)sampler.evaluate(fix_at(kStart, 0, 0, 0), kParked);

    auto accessories =
        sampler.evaluate(fix_at(kStart + seconds(1), 0, 0, 0), with_ignition(IgnitionState::Acc));
    auto switched_on = sampler.evaluate(fix_at(kStart + seconds(2), 0, 0, 0), kDriving);
    auto cranking =
        sampler.evaluate(fix_at(kStart + seconds(3), 0, 0, 0), with_ignition(IgnitionState::Start));
    auto switched_off = sampler.evaluate(fix_at(kStart + seconds(4), 0, 0, 0), kParked);

    EXPECT_FALSE(accessories.record());
    EXPECT_TRUE(switched_on.has(v1::SAMPLE_TRIGGER_IGNITION));
    EXPECT_FALSE(cranking.record());
    EXPECT_TRUE(switched_off.has(v1::SAMPLE_TRIGGER_IGNITION));
}

TEST(Sampler, UnknownIgnitionSamplesAsDriving) {
    Sampler sampler;
    (void)sampler.evaluate(fix_at(kStart, 0, 0, 0), VehicleSignals{});

    auto at_10s = sampler.evaluate(fix_at(kStart + seconds(10), 0, 0, 0), VehicleSignals{});

    EXPECT_TRUE(at_10s.has(v1::SAMPLE_TRIGGER_TIME));
}

TEST(Sampler, EvaluatesWithoutFix) {
    Sampler sampler;
    (void)sampler.evaluate(kStart, std::nullopt, kParked);

    auto early = sampler.evaluate(kStart + minutes(10), std::nullopt, kParked);
    auto due = sampler.evaluate(kStart + minutes(30), std::nullopt, kParked);

    EXPECT_FALSE(early.record());
    EXPECT_TRUE(due.has(v1::SAMPLE_TRIGGER_TIME));
}

TEST(Sampler, ClockStepBackRestartsInterval) {
    Sampler sampler;
    (void)sampler.evaluate(fix_at(kStart + minutes(5), 0, 0, 0), kDriving);

    auto stepped_back = sampler.evaluate(fix_at(kStart, 0, 0, 0), kDriving);
    auto after_interval = sampler.evaluate(fix_at(kStart + seconds(10), 0, 0, 0), kDriving);

    EXPECT_FALSE(stepped_back.record());
    EXPECT_TRUE(after_interval.has(v1::SAMPLE_TRIGGER_TIME));
}

TEST(Sampler, AppliedSettingsTakeEffect) {
    Sampler sampler;
    (void)sampler.evaluate(fix_at(kStart, 0, 0, 0), kDriving);
    SamplerSettings slower;
    slower.driving_interval = seconds(30);

    ASSERT_TRUE(sampler.apply(slower).ok());
    auto at_10s = sampler.evaluate(fix_at(kStart + seconds(10), 0, 0, 0), kDriving);
    auto at_30s = sampler.evaluate(fix_at(kStart + seconds(30), 0, 0, 0), kDriving);

    EXPECT_FALSE(at_10s.record());
    EXPECT_TRUE(at_30s.has(v1::SAMPLE_TRIGGER_TIME));
}

TEST(Sampler, InvalidSettingsRejected) {
    Sampler sampler;
    SamplerSettings invalid;
    invalid.distance_m = -5.0;

    auto applied = sampler.apply(invalid);

    ASSERT_FALSE(applied.ok());
    EXPECT_NE(applied.error().find("distance_m = -5 is out of range"), std::string::npos)
        << applied.error();
    EXPECT_DOUBLE_EQ(sampler.settings().distance_m, 100.0);
}

TEST(Sampler, ZeroDistanceTurnsTriggerOff) {
    SamplerSettings settings;
    settings.distance_m = 0.0;
    Sampler sampler(settings);
    (void)sampler.evaluate(fix_at(kStart, 0, 100, 0), kDriving);

    auto far_away = sampler.evaluate(fix_at(kStart + seconds(1), 5000, 100, 0), kDriving);

    EXPECT_FALSE(far_away.record());
}

TEST(SamplerGeometry, DistanceOfOneDegreeLatitude) {
    EXPECT_NEAR(distance_m(0.0, 0.0, 1.0, 0.0), kMetresPerDegree, 0.01);
    EXPECT_NEAR(distance_m(47.0, 8.0, 47.0, 8.0), 0.0, 1e-9);
}

TEST(SamplerGeometry, HeadingDifferenceWrapsAtNorth) {
    EXPECT_DOUBLE_EQ(heading_difference_deg(350.0, 10.0), 20.0);
    EXPECT_DOUBLE_EQ(heading_difference_deg(10.0, 350.0), 20.0);
    EXPECT_DOUBLE_EQ(heading_difference_deg(90.0, 270.0), 180.0);
}

}  // namespace
}  // namespace drivelink::agent::sampling
