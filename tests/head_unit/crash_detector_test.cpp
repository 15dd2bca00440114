#include "agent/events/crash_detector.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

namespace drivelink::agent::events {
namespace {

using signals::kStandardGravityMps2;
using std::chrono::milliseconds;
using std::chrono::seconds;

const TimePoint kStart{std::chrono::sys_days{std::chrono::year{2024} / 5 / 1}};

struct AccelerationSample {
    TimePoint time;
    double longitudinal_mps2;
    double lateral_mps2;
};

using Recording = std::vector<AccelerationSample>;

// A frontal collision into a barrier at about 50 km/h as a 10 ms crash recorder logs it, in g:
// a 120 ms pulse peaking near 21 g.
Recording frontal_collision(TimePoint start) {
    const double pulse_g[] = {
        0.1, -0.5, -3.2, -8.5, -14.1, -19.0, -21.3, -20.2, -16.4, -10.8, -5.1, -1.2, 0.3, 0.0};
    Recording recording;
    for (std::size_t i = 0; i < std::size(pulse_g); ++i) {
        recording.push_back({start + milliseconds(10 * i), pulse_g[i] * kStandardGravityMps2, 0.0});
    }
    return recording;
}

// A half-sine pulse sampled every millisecond.
Recording half_sine(TimePoint start,
                    double peak_longitudinal_g,
                    double peak_lateral_g,
                    milliseconds duration) {
    Recording recording;
    for (auto t = milliseconds(0); t <= duration + milliseconds(5); t += milliseconds(1)) {
        const double phase = std::min(1.0, static_cast<double>(t.count()) / duration.count());
        const double shape = std::sin(std::numbers::pi * phase);
        recording.push_back({start + t,
                             peak_longitudinal_g * shape * kStandardGravityMps2,
                             peak_lateral_g * shape * kStandardGravityMps2});
    }
    return recording;
}

// An emergency stop from 100 km/h: deceleration builds to 0.9 g within 300 ms and holds for
// 2.5 s, sampled every 10 ms, with 0.3 g of road roughness on top.
Recording hard_brake(TimePoint start) {
    Recording recording;
    for (int i = 0; i <= 280; ++i) {
        const double build_up = std::min(1.0, i / 30.0);
        const double roughness_g = 0.3 * std::sin(i * 1.7);
        recording.push_back({start + milliseconds(10 * i),
                             (-0.9 * build_up + roughness_g) * kStandardGravityMps2,
                             0.1 * std::sin(i * 0.9) * kStandardGravityMps2});
    }
    return recording;
}

// Feeds a recording and returns every detection.
std::vector<EmergencyDetection> replay(CrashDetector& detector, const Recording& recording) {
    std::vector<EmergencyDetection> detections;
    for (const auto& sample : recording) {
        if (auto detection = detector.on_acceleration(
                sample.time, sample.longitudinal_mps2, sample.lateral_mps2)) {
            detections.push_back(*detection);
        }
    }
    return detections;
}

TEST(CrashDetector, HardBrakingIsNoCrash) {
    CrashDetector detector;

    EXPECT_TRUE(replay(detector, hard_brake(kStart)).empty());
}

TEST(CrashDetector, FrontalCollisionIsCrash) {
    CrashDetector detector;

    auto detections = replay(detector, frontal_collision(kStart));

    ASSERT_EQ(detections.size(), 1u);
    EXPECT_EQ(detections[0].trigger, v1::EMERGENCY_TRIGGER_ACCELERATION_PULSE);
    // Over 4 g from 30 ms, so the pulse qualifies 20 ms later.
    EXPECT_EQ(detections[0].time, kStart + milliseconds(50));
    ASSERT_TRUE(detections[0].peak_acceleration_mps2.has_value());
    EXPECT_NEAR(*detections[0].peak_acceleration_mps2, 19.0 * kStandardGravityMps2, 1e-9);
    ASSERT_TRUE(detections[0].pulse_duration.has_value());
    EXPECT_EQ(*detections[0].pulse_duration, milliseconds(20));
}

TEST(CrashDetector, TwentyGPulseIsCrash) {
    CrashDetector detector;

    auto detections = replay(detector, half_sine(kStart, -20.0, 0.0, milliseconds(100)));

    ASSERT_EQ(detections.size(), 1u);
    EXPECT_GE(*detections[0].pulse_duration, milliseconds(20));
}

TEST(CrashDetector, SideImpactIsCrash) {
    CrashDetector detector;

    auto detections = replay(detector, half_sine(kStart, 0.0, 15.0, milliseconds(80)));

    EXPECT_EQ(detections.size(), 1u);
}

TEST(CrashDetector, ShortSpikeIsNoCrash) {
    CrashDetector detector;

    // A kerb strike: 8 g for about 8 ms.
    auto detections = replay(detector, half_sine(kStart, -8.0, 0.0, milliseconds(12)));

    EXPECT_TRUE(detections.empty());
}

TEST(CrashDetector, SecondPulseWithinRearmIgnored) {
    CrashDetector detector;

    auto first = replay(detector, frontal_collision(kStart));
    auto secondary_impact = replay(detector, frontal_collision(kStart + seconds(5)));
    auto next_incident = replay(detector, frontal_collision(kStart + seconds(61)));

    EXPECT_EQ(first.size(), 1u);
    EXPECT_TRUE(secondary_impact.empty());
    EXPECT_EQ(next_incident.size(), 1u);
}

TEST(CrashDetector, AirbagDeploymentIsCrash) {
    CrashDetector detector;

    auto stowed = detector.on_airbag(kStart, false);
    auto deployed = detector.on_airbag(kStart + milliseconds(30), true);
    auto still_deployed = detector.on_airbag(kStart + seconds(120), true);

    EXPECT_FALSE(stowed.has_value());
    ASSERT_TRUE(deployed.has_value());
    EXPECT_EQ(deployed->trigger, v1::EMERGENCY_TRIGGER_AIRBAG);
    EXPECT_FALSE(still_deployed.has_value());
}

TEST(CrashDetector, AirbagAfterPulseIsSameIncident) {
    CrashDetector detector;

    auto pulse = replay(detector, frontal_collision(kStart));
    (void)detector.on_airbag(kStart, false);
    auto airbag = detector.on_airbag(kStart + milliseconds(60), true);

    EXPECT_EQ(pulse.size(), 1u);
    EXPECT_FALSE(airbag.has_value());
}

TEST(CrashDetector, FirstReadingDeployedIsCrash) {
    CrashDetector detector;

    EXPECT_TRUE(detector.on_airbag(kStart, true).has_value());
}

TEST(CrashDetector, ThresholdBelowBrakingRejected) {
    CrashDetector detector;
    CrashSettings settings;
    settings.threshold_mps2 = 9.8;

    auto applied = detector.apply(settings);

    ASSERT_FALSE(applied.ok());
    EXPECT_NE(applied.error().find("threshold_mps2 = 9.8 is out of range"), std::string::npos)
        << applied.error();
    EXPECT_DOUBLE_EQ(detector.settings().threshold_mps2, 4.0 * kStandardGravityMps2);
}

TEST(CrashDetector, LowerThresholdDetectsSmallerPulse) {
    CrashDetector detector;
    CrashSettings settings;
    settings.threshold_mps2 = 2.0 * kStandardGravityMps2;
    ASSERT_TRUE(detector.apply(settings).ok());

    auto detections = replay(detector, half_sine(kStart, -3.0, 0.0, milliseconds(100)));

    EXPECT_EQ(detections.size(), 1u);
}

}  // namespace
}  // namespace drivelink::agent::events
