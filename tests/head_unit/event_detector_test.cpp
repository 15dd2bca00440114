#include "agent/events/event_detector.h"

#include <gtest/gtest.h>

namespace drivelink::agent::events {
namespace {

using signals::IgnitionState;
using signals::VehicleSignals;
using std::chrono::milliseconds;
using std::chrono::seconds;

const TimePoint kStart{std::chrono::sys_days{std::chrono::year{2024} / 5 / 1}};
constexpr const char* kVin = "1HGCM82633A004352";

VehicleIdentity hybrid_identity() {
    return VehicleIdentity{kVin,
                           {v1::PROPULSION_STORAGE_GASOLINE, v1::PROPULSION_STORAGE_ELECTRIC}};
}

v1::Location location(double latitude_deg, double heading_deg) {
    v1::Location location;
    location.set_latitude_deg(latitude_deg);
    location.set_longitude_deg(8.5417);
    location.set_heading_deg(heading_deg);
    location.set_fix_type(v1::FIX_TYPE_THREE_D);
    return location;
}

// Three positions one second apart heading north, the last at kStart.
void drive_north(EventDetector& detector) {
    detector.on_location(kStart - seconds(2), location(47.3000, 0.0));
    detector.on_location(kStart - seconds(1), location(47.3002, 0.0));
    detector.on_location(kStart, location(47.3004, 1.0));
}

VehicleSignals driving(double speed_kph) {
    VehicleSignals signals;
    signals.speed_kph = speed_kph;
    signals.ignition = IgnitionState::On;
    signals.occupants = 2;
    signals.traveled_distance_km = 48'210.0;
    signals.airbag_deployed = false;
    signals.sos_button_pressed = false;
    return signals;
}

std::vector<v1::EventType> types(const std::vector<v1::VehicleEvent>& events) {
    std::vector<v1::EventType> result;
    for (const auto& event : events) {
        result.push_back(event.type());
    }
    return result;
}

TEST(EventDetector, SosPressRaisesManualEvent) {
    EventDetector detector(hybrid_identity());
    drive_north(detector);
    (void)detector.on_signals(kStart, driving(50.0));
    auto pressed = driving(50.0);
    pressed.sos_button_pressed = true;

    auto events = detector.on_signals(kStart + seconds(1), pressed);

    ASSERT_EQ(events.size(), 1u);
    const auto& event = events[0];
    EXPECT_EQ(event.type(), v1::EVENT_TYPE_SOS);
    EXPECT_EQ(event.emergency().activation(), v1::ACTIVATION_MANUAL);
    EXPECT_EQ(event.emergency().trigger(), v1::EMERGENCY_TRIGGER_SOS_BUTTON);
    EXPECT_EQ(event.time_ms(), (kStart + seconds(1)).time_since_epoch().count());
}

TEST(EventDetector, EmergencyCarriesMinimumSetOfData) {
    EventDetector detector(hybrid_identity());
    drive_north(detector);
    (void)detector.on_signals(kStart, driving(50.0));

    auto event = detector.on_sos_button(kStart + seconds(1));

    ASSERT_TRUE(event.has_value());
    const auto& emergency = event->emergency();
    EXPECT_EQ(emergency.vin(), kVin);
    ASSERT_EQ(emergency.propulsion_storages_size(), 2);
    EXPECT_EQ(emergency.propulsion_storages(0), v1::PROPULSION_STORAGE_GASOLINE);
    EXPECT_EQ(emergency.propulsion_storages(1), v1::PROPULSION_STORAGE_ELECTRIC);
    EXPECT_DOUBLE_EQ(event->location().latitude_deg(), 47.3004);
    EXPECT_DOUBLE_EQ(event->location().heading_deg(), 1.0);
    ASSERT_EQ(emergency.recent_locations_size(), 2);
    EXPECT_DOUBLE_EQ(emergency.recent_locations(0).latitude_deg(), 47.3002);
    EXPECT_DOUBLE_EQ(emergency.recent_locations(1).latitude_deg(), 47.3000);
    EXPECT_TRUE(emergency.position_can_be_trusted());
    ASSERT_TRUE(emergency.has_occupants());
    EXPECT_EQ(emergency.occupants(), 2u);
    EXPECT_DOUBLE_EQ(event->traveled_distance_km(), 48'210.0);
}

TEST(EventDetector, HeldSosButtonRaisesOneEvent) {
    EventDetector detector(hybrid_identity());
    auto pressed = driving(0.0);
    pressed.sos_button_pressed = true;

    auto first = detector.on_signals(kStart, pressed);
    auto still_pressed = detector.on_signals(kStart + seconds(3), pressed);

    EXPECT_EQ(types(first), std::vector<v1::EventType>{v1::EVENT_TYPE_SOS});
    EXPECT_TRUE(still_pressed.empty());
}

TEST(EventDetector, SosWithinRearmIgnored) {
    EventDetector detector(hybrid_identity());

    auto first = detector.on_sos_button(kStart);
    auto again = detector.on_sos_button(kStart + seconds(5));
    auto later = detector.on_sos_button(kStart + seconds(10));

    EXPECT_TRUE(first.has_value());
    EXPECT_FALSE(again.has_value());
    EXPECT_TRUE(later.has_value());
}

TEST(EventDetector, AirbagRaisesAutomaticCrash) {
    EventDetector detector(hybrid_identity());
    drive_north(detector);
    (void)detector.on_signals(kStart, driving(62.0));
    auto crashed = driving(0.0);
    crashed.airbag_deployed = true;

    auto events = detector.on_signals(kStart + milliseconds(100), crashed);

    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].type(), v1::EVENT_TYPE_CRASH);
    EXPECT_EQ(events[0].emergency().activation(), v1::ACTIVATION_AUTOMATIC);
    EXPECT_EQ(events[0].emergency().trigger(), v1::EMERGENCY_TRIGGER_AIRBAG);
    EXPECT_DOUBLE_EQ(events[0].emergency().speed_kph(), 62.0);
}

TEST(EventDetector, AccelerationPulseRaisesCrash) {
    EventDetector detector(hybrid_identity());
    drive_north(detector);
    std::vector<v1::VehicleEvent> crashes;

    for (int ms = 0; ms <= 100; ms += 2) {
        const double g = ms >= 20 && ms <= 80 ? -18.0 : -0.2;
        auto event = detector.on_acceleration(
            kStart + milliseconds(ms), g * signals::kStandardGravityMps2, 0.0);
        if (event) {
            crashes.push_back(*event);
        }
    }

    ASSERT_EQ(crashes.size(), 1u);
    EXPECT_EQ(crashes[0].emergency().trigger(), v1::EMERGENCY_TRIGGER_ACCELERATION_PULSE);
    EXPECT_EQ(crashes[0].emergency().pulse_duration_ms(), 20);
    EXPECT_NEAR(crashes[0].emergency().peak_acceleration_mps2(), 176.5, 0.1);
}

TEST(EventDetector, StalePositionNotTrusted) {
    EventDetector detector(hybrid_identity());
    detector.on_location(kStart, location(47.3, 0.0));

    auto event = detector.on_sos_button(kStart + seconds(11));

    ASSERT_TRUE(event.has_value());
    EXPECT_FALSE(event->emergency().position_can_be_trusted());
    EXPECT_TRUE(event->has_location());
}

TEST(EventDetector, EmergencyWithoutPositionHasNoLocation) {
    EventDetector detector(hybrid_identity());

    auto event = detector.on_sos_button(kStart);

    ASSERT_TRUE(event.has_value());
    EXPECT_FALSE(event->has_location());
    EXPECT_FALSE(event->emergency().position_can_be_trusted());
    EXPECT_EQ(event->emergency().recent_locations_size(), 0);
}

TEST(EventDetector, TroubleCodeSetAndCleared) {
    EventDetector detector(hybrid_identity());
    auto signals = driving(30.0);
    signals.dtcs = std::vector<std::string>{"P0301"};
    auto first = detector.on_signals(kStart, signals);

    signals.dtcs = std::vector<std::string>{"P0301", "P0420", "U0100"};
    auto two_set = detector.on_signals(kStart + seconds(1), signals);
    signals.dtcs = std::vector<std::string>{"P0420", "U0100"};
    auto one_cleared = detector.on_signals(kStart + seconds(2), signals);

    EXPECT_TRUE(first.empty());
    ASSERT_EQ(two_set.size(), 2u);
    EXPECT_EQ(two_set[0].type(), v1::EVENT_TYPE_DTC_SET);
    EXPECT_EQ(two_set[0].dtc(), "P0420");
    EXPECT_EQ(two_set[1].type(), v1::EVENT_TYPE_DTC_SET);
    EXPECT_EQ(two_set[1].dtc(), "U0100");
    ASSERT_EQ(one_cleared.size(), 1u);
    EXPECT_EQ(one_cleared[0].type(), v1::EVENT_TYPE_DTC_CLEARED);
    EXPECT_EQ(one_cleared[0].dtc(), "P0301");
}

TEST(EventDetector, MissingCodeListKeepsCodes) {
    EventDetector detector(hybrid_identity());
    auto signals = driving(30.0);
    signals.dtcs = std::vector<std::string>{"P0301"};
    (void)detector.on_signals(kStart, signals);

    signals.dtcs = std::nullopt;
    auto unknown = detector.on_signals(kStart + seconds(1), signals);
    signals.dtcs = std::vector<std::string>{"P0301"};
    auto same_again = detector.on_signals(kStart + seconds(2), signals);

    EXPECT_TRUE(unknown.empty());
    EXPECT_TRUE(same_again.empty());
}

TEST(EventDetector, EventsCarryLocationAndOdometer) {
    EventDetector detector(hybrid_identity());
    drive_north(detector);
    auto signals = driving(30.0);
    signals.dtcs = std::vector<std::string>{};
    (void)detector.on_signals(kStart, signals);
    signals.dtcs = std::vector<std::string>{"P0171"};

    auto events = detector.on_signals(kStart + seconds(1), signals);

    ASSERT_EQ(events.size(), 1u);
    EXPECT_DOUBLE_EQ(events[0].location().latitude_deg(), 47.3004);
    EXPECT_DOUBLE_EQ(events[0].traveled_distance_km(), 48'210.0);
    EXPECT_EQ(events[0].time_ms(), (kStart + seconds(1)).time_since_epoch().count());
}

TEST(EventDetector, IgnitionOnAndOff) {
    EventDetector detector(hybrid_identity());
    auto signals = driving(0.0);
    signals.ignition = IgnitionState::Lock;
    auto first = detector.on_signals(kStart, signals);

    signals.ignition = IgnitionState::Start;
    auto cranking = detector.on_signals(kStart + seconds(1), signals);
    signals.ignition = IgnitionState::On;
    auto running = detector.on_signals(kStart + seconds(2), signals);
    signals.ignition = IgnitionState::Off;
    auto parked = detector.on_signals(kStart + seconds(3), signals);

    EXPECT_TRUE(first.empty());
    EXPECT_EQ(types(cranking), std::vector<v1::EventType>{v1::EVENT_TYPE_IGNITION_ON});
    EXPECT_TRUE(running.empty());
    EXPECT_EQ(types(parked), std::vector<v1::EventType>{v1::EVENT_TYPE_IGNITION_OFF});
}

TEST(EventDetector, LowFuelFiresOnceWithHysteresis) {
    EventDetector detector(hybrid_identity());
    const double levels[] = {12.0, 9.9, 9.5, 10.5, 9.8, 14.9, 9.0, 15.0, 9.7};
    std::vector<std::size_t> fired_at;

    for (std::size_t i = 0; i < std::size(levels); ++i) {
        auto signals = driving(80.0);
        signals.fuel_level_percent = levels[i];
        auto events = detector.on_signals(kStart + seconds(static_cast<int>(i)), signals);
        if (!events.empty()) {
            EXPECT_EQ(events[0].type(), v1::EVENT_TYPE_LOW_FUEL);
            EXPECT_DOUBLE_EQ(events[0].fuel_level_percent(), levels[i]);
            fired_at.push_back(i);
        }
    }

    // Fires at 9.9 %, re-arms only at 15 % (10 % plus 5 points), fires again at 9.7 %.
    EXPECT_EQ(fired_at, (std::vector<std::size_t>{1, 8}));
}

TEST(EventDetector, LowChargeForElectricCar) {
    EventDetector detector(VehicleIdentity{kVin, {v1::PROPULSION_STORAGE_ELECTRIC}});
    auto signals = driving(80.0);
    signals.traction_battery_soc_percent = 11.0;
    auto above = detector.on_signals(kStart, signals);

    signals.traction_battery_soc_percent = 8.0;
    auto below = detector.on_signals(kStart + seconds(60), signals);

    EXPECT_TRUE(above.empty());
    ASSERT_EQ(below.size(), 1u);
    EXPECT_EQ(below[0].type(), v1::EVENT_TYPE_LOW_CHARGE);
    EXPECT_DOUBLE_EQ(below[0].traction_battery_soc_percent(), 8.0);
}

TEST(EventDetector, LowBatteryNeedsThirtySeconds) {
    EventDetector detector(hybrid_identity());
    auto signals = driving(0.0);
    signals.ignition = IgnitionState::Off;
    std::vector<v1::VehicleEvent> events;
    const auto feed = [&](seconds at, double voltage_v) {
        signals.low_voltage_battery_v = voltage_v;
        for (auto& event : detector.on_signals(kStart + at, signals)) {
            events.push_back(event);
        }
    };

    feed(seconds(0), 11.6);
    feed(seconds(29), 11.6);
    EXPECT_TRUE(events.empty());
    feed(seconds(30), 11.5);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].type(), v1::EVENT_TYPE_LOW_BATTERY_VOLTAGE);
    EXPECT_DOUBLE_EQ(events[0].low_voltage_battery_v(), 11.5);
    feed(seconds(90), 11.4);
    EXPECT_EQ(events.size(), 1u);
}

TEST(EventDetector, CrankingDipIsNoLowBattery) {
    EventDetector detector(hybrid_identity());
    auto signals = driving(0.0);
    std::vector<v1::VehicleEvent> events;
    const double voltages_v[] = {12.5, 9.6, 10.2, 11.0, 14.1, 14.2};

    for (std::size_t i = 0; i < std::size(voltages_v); ++i) {
        signals.low_voltage_battery_v = voltages_v[i];
        auto raised = detector.on_signals(kStart + seconds(static_cast<int>(i)), signals);
        events.insert(events.end(), raised.begin(), raised.end());
    }

    EXPECT_TRUE(events.empty());
}

TEST(EventDetector, InvalidSettingsRejectedTogether) {
    EventDetector detector(hybrid_identity());
    CrashSettings crash;
    crash.threshold_mps2 = 50.0;
    EventSettings events;
    events.low_battery_v = 30.0;

    auto applied = detector.apply(crash, events);

    ASSERT_FALSE(applied.ok());
    EXPECT_NE(applied.error().find("low_battery_v = 30 is out of range"), std::string::npos)
        << applied.error();
}

}  // namespace
}  // namespace drivelink::agent::events
