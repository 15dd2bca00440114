#include "agent/signals/simulated_vehicle.h"

#include <gtest/gtest.h>

namespace drivelink::agent::signals {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

const TimePoint kStart{std::chrono::sys_days{std::chrono::year{2024} / 5 / 1}};

std::string snapshot(SimulatedVehicle& vehicle, TimePoint time) {
    v1::Sample sample;
    add_to_sample(vehicle.signals_at(time), sample);
    return sample.SerializeAsString();
}

// A morning commute: start, drive 12 km in 20 minutes, park for the day.
std::vector<std::string> commute(uint64_t seed) {
    SimulatedVehicle vehicle(VehicleProfile{}, seed, kStart);
    std::vector<std::string> snapshots;
    vehicle.set_ignition(IgnitionState::On);
    for (int minute = 1; minute <= 20; ++minute) {
        EXPECT_TRUE(vehicle.advance(kStart + minutes(minute), 0.6).ok());
        snapshots.push_back(snapshot(vehicle, kStart + minutes(minute)));
    }
    vehicle.set_ignition(IgnitionState::Off);
    EXPECT_TRUE(vehicle.advance(kStart + hours(9), 0.0).ok());
    snapshots.push_back(snapshot(vehicle, kStart + hours(9)));
    return snapshots;
}

TEST(SimulatedVehicle, SameSeedGivesSameSignals) {
    EXPECT_EQ(commute(42), commute(42));
}

TEST(SimulatedVehicle, DifferentSeedsGiveDifferentCars) {
    EXPECT_NE(commute(42), commute(43));
}

TEST(SimulatedVehicle, DrivingUsesFuelAndOilLife) {
    SimulatedVehicle vehicle(VehicleProfile{}, 7, kStart);
    vehicle.set_energy_level_percent(80.0);
    vehicle.reset_oil_life();
    vehicle.set_ignition(IgnitionState::On);

    ASSERT_TRUE(vehicle.advance(kStart + hours(1), 100.0).ok());
    auto signals = vehicle.signals_at(kStart + hours(1));

    // 100 km at 6.5 L/100 km from a 50 L tank is 13 points. Oil life lasts 15,000 km.
    ASSERT_TRUE(signals.fuel_level_percent.has_value());
    EXPECT_NEAR(*signals.fuel_level_percent, 67.0, 1e-9);
    ASSERT_TRUE(signals.engine_oil_life_percent.has_value());
    EXPECT_NEAR(*signals.engine_oil_life_percent, 100.0 - 100.0 / 150.0, 1e-9);
    ASSERT_TRUE(signals.fuel_range_km.has_value());
    EXPECT_NEAR(*signals.fuel_range_km, 0.67 * 50.0 / 6.5 * 100.0, 1e-6);
    ASSERT_TRUE(signals.speed_kph.has_value());
    EXPECT_NEAR(*signals.speed_kph, 100.0, 1e-9);
}

TEST(SimulatedVehicle, OdometerAndEngineHoursGrow) {
    SimulatedVehicle vehicle(VehicleProfile{}, 7, kStart);
    vehicle.set_traveled_distance_km(1000.0);
    const double hours_before = *vehicle.signals_at(kStart).engine_hours;
    vehicle.set_ignition(IgnitionState::On);

    ASSERT_TRUE(vehicle.advance(kStart + minutes(30), 25.0).ok());
    auto signals = vehicle.signals_at(kStart + minutes(30));

    ASSERT_TRUE(signals.traveled_distance_km.has_value());
    EXPECT_DOUBLE_EQ(*signals.traveled_distance_km, 1025.0);
    ASSERT_TRUE(signals.engine_hours.has_value());
    EXPECT_NEAR(*signals.engine_hours - hours_before, 0.5, 1e-9);
}

TEST(SimulatedVehicle, ElectricCarReportsChargeOnly) {
    VehicleProfile profile;
    profile.powertrain = Powertrain::Electric;
    SimulatedVehicle vehicle(profile, 7, kStart);
    vehicle.set_energy_level_percent(50.0);
    vehicle.set_ignition(IgnitionState::On);

    ASSERT_TRUE(vehicle.advance(kStart + hours(1), 60.0).ok());
    auto signals = vehicle.signals_at(kStart + hours(1));

    // 60 km at 17 kWh/100 km from 60 kWh is 17 points.
    ASSERT_TRUE(signals.traction_battery_soc_percent.has_value());
    EXPECT_NEAR(*signals.traction_battery_soc_percent, 33.0, 1e-9);
    EXPECT_FALSE(signals.fuel_level_percent.has_value());
    EXPECT_FALSE(signals.engine_oil_life_percent.has_value());
    EXPECT_FALSE(signals.engine_hours.has_value());
    EXPECT_EQ(vehicle.propulsion_storages(),
              std::vector<v1::PropulsionStorage>{v1::PROPULSION_STORAGE_ELECTRIC});
}

TEST(SimulatedVehicle, ChargesBatteryWhileIgnitionOn) {
    SimulatedVehicle vehicle(VehicleProfile{}, 7, kStart);
    vehicle.set_ignition(IgnitionState::On);

    ASSERT_TRUE(vehicle.advance(kStart + seconds(10), 0.1).ok());
    auto signals = vehicle.signals_at(kStart + seconds(10));

    ASSERT_TRUE(signals.low_voltage_battery_v.has_value());
    EXPECT_NEAR(*signals.low_voltage_battery_v, 14.2, 0.1);
}

TEST(SimulatedVehicle, ParkedBatteryDrains) {
    VehicleProfile profile;
    profile.parked_drain_v_per_h = 0.01;
    SimulatedVehicle vehicle(profile, 7, kStart);

    ASSERT_TRUE(vehicle.advance(kStart + hours(100), 0.0).ok());
    auto signals = vehicle.signals_at(kStart + hours(100));

    ASSERT_TRUE(signals.low_voltage_battery_v.has_value());
    EXPECT_NEAR(*signals.low_voltage_battery_v, 11.6, 0.025);
}

TEST(SimulatedVehicle, CannotDriveWithIgnitionOff) {
    SimulatedVehicle vehicle(VehicleProfile{}, 7, kStart);

    auto moved = vehicle.advance(kStart + minutes(1), 1.0);

    ASSERT_FALSE(moved.ok());
    EXPECT_NE(moved.error().find("ignition OFF"), std::string::npos) << moved.error();
}

TEST(SimulatedVehicle, TimeGoingBackRejected) {
    SimulatedVehicle vehicle(VehicleProfile{}, 7, kStart);

    EXPECT_FALSE(vehicle.advance(kStart - seconds(1), 0.0).ok());
}

TEST(SimulatedVehicle, TroubleCodesSetAndClear) {
    SimulatedVehicle vehicle(VehicleProfile{}, 7, kStart);

    ASSERT_TRUE(vehicle.inject_dtc("P0420").ok());
    ASSERT_TRUE(vehicle.inject_dtc("P0301").ok());
    auto with_codes = vehicle.signals_at(kStart);
    EXPECT_TRUE(vehicle.clear_dtc("P0301"));
    EXPECT_FALSE(vehicle.clear_dtc("P0301"));
    auto after_clear = vehicle.signals_at(kStart);

    ASSERT_TRUE(with_codes.dtcs.has_value());
    EXPECT_EQ(*with_codes.dtcs, (std::vector<std::string>{"P0301", "P0420"}));
    ASSERT_TRUE(after_clear.dtcs.has_value());
    EXPECT_EQ(*after_clear.dtcs, (std::vector<std::string>{"P0420"}));
}

TEST(SimulatedVehicle, InvalidTroubleCodeRejected) {
    SimulatedVehicle vehicle(VehicleProfile{}, 7, kStart);

    EXPECT_FALSE(vehicle.inject_dtc("P301").ok());
}

TEST(SimulatedVehicle, CrashPulsePeaksMidway) {
    SimulatedVehicle vehicle(VehicleProfile{}, 7, kStart);
    const double peak_mps2 = 20.0 * kStandardGravityMps2;
    vehicle.trigger_crash_pulse(kStart + seconds(1), peak_mps2, milliseconds(100));

    auto before = vehicle.signals_at(kStart + milliseconds(999));
    auto middle = vehicle.signals_at(kStart + milliseconds(1050));
    auto after = vehicle.signals_at(kStart + milliseconds(1101));

    EXPECT_NEAR(*before.longitudinal_acceleration_mps2, 0.0, 0.5);
    EXPECT_NEAR(*middle.longitudinal_acceleration_mps2, -peak_mps2, 1e-6);
    EXPECT_NEAR(*after.longitudinal_acceleration_mps2, 0.0, 0.5);
}

TEST(SimulatedVehicle, AirbagAndSosAppearInSignals) {
    SimulatedVehicle vehicle(VehicleProfile{}, 7, kStart);
    vehicle.deploy_airbag();
    vehicle.press_sos();

    auto signals = vehicle.signals_at(kStart);

    EXPECT_EQ(signals.airbag_deployed, true);
    EXPECT_EQ(signals.sos_button_pressed, true);
    EXPECT_EQ(signals.occupants, 1u);
}

}  // namespace
}  // namespace drivelink::agent::signals
