#include "agent/signals/replay_signal_source.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

namespace drivelink::agent::signals {
namespace {

using std::chrono::milliseconds;

TimePoint at_ms(int64_t ms) {
    return TimePoint{milliseconds(ms)};
}

Result<ReplaySignalSource> parse(const std::string& text) {
    std::istringstream input(text);
    return ReplaySignalSource::parse(input, "drive.jsonl");
}

constexpr const char* kDrive =
    "# a short drive\n"
    R"({"time_ms": 1000, "Vehicle.Speed": 0.0, "Vehicle.LowVoltageSystemState": "ON", )"
    R"("Vehicle.TraveledDistance": 12034.5})"
    "\n\n"
    R"({"time_ms": 2000, "Vehicle.Speed": 31.5, )"
    R"("Vehicle.Powertrain.FuelSystem.RelativeLevel": 41.0})"
    "\n"
    R"({"time_ms": 3000, "Vehicle.Speed": 48.0, "Vehicle.Diagnostics.DTCList": ["P0420", "P0301"]})"
    "\n"
    R"({"time_ms": 4000, "Vehicle.Powertrain.FuelSystem.RelativeLevel": null})"
    "\n";

TEST(ReplaySignalSource, ReturnsLatestValuesAtOrBeforeTime) {
    auto source = parse(kDrive);
    ASSERT_TRUE(source.ok()) << source.error();

    auto signals = source.value().signals_at(at_ms(2500));

    ASSERT_TRUE(signals.speed_kph.has_value());
    EXPECT_DOUBLE_EQ(*signals.speed_kph, 31.5);
    ASSERT_TRUE(signals.fuel_level_percent.has_value());
    EXPECT_DOUBLE_EQ(*signals.fuel_level_percent, 41.0);
    EXPECT_FALSE(signals.dtcs.has_value());
}

TEST(ReplaySignalSource, KeepsSignalsLaterLinesOmit) {
    auto source = parse(kDrive);
    ASSERT_TRUE(source.ok()) << source.error();

    auto signals = source.value().signals_at(at_ms(3000));

    ASSERT_TRUE(signals.traveled_distance_km.has_value());
    EXPECT_DOUBLE_EQ(*signals.traveled_distance_km, 12034.5);
    ASSERT_TRUE(signals.ignition.has_value());
    EXPECT_EQ(*signals.ignition, IgnitionState::On);
}

TEST(ReplaySignalSource, SortsTroubleCodes) {
    auto source = parse(kDrive);
    ASSERT_TRUE(source.ok()) << source.error();

    auto signals = source.value().signals_at(at_ms(3000));

    ASSERT_TRUE(signals.dtcs.has_value());
    ASSERT_EQ(signals.dtcs->size(), 2u);
    EXPECT_EQ((*signals.dtcs)[0], "P0301");
    EXPECT_EQ((*signals.dtcs)[1], "P0420");
}

TEST(ReplaySignalSource, NullMakesSignalUnavailable) {
    auto source = parse(kDrive);
    ASSERT_TRUE(source.ok()) << source.error();

    auto signals = source.value().signals_at(at_ms(5000));

    EXPECT_FALSE(signals.fuel_level_percent.has_value());
    ASSERT_TRUE(signals.speed_kph.has_value());
    EXPECT_DOUBLE_EQ(*signals.speed_kph, 48.0);
}

TEST(ReplaySignalSource, EmptyBeforeFirstLine) {
    auto source = parse(kDrive);
    ASSERT_TRUE(source.ok()) << source.error();

    auto signals = source.value().signals_at(at_ms(999));

    EXPECT_FALSE(signals.speed_kph.has_value());
    EXPECT_FALSE(signals.ignition.has_value());
}

TEST(ReplaySignalSource, SkipsBlankAndCommentLines) {
    auto source = parse(kDrive);
    ASSERT_TRUE(source.ok()) << source.error();

    EXPECT_EQ(source.value().size(), 4u);
    EXPECT_EQ(source.value().first_time(), at_ms(1000));
    EXPECT_EQ(source.value().last_time(), at_ms(4000));
}

TEST(ReplaySignalSource, ConvertsFuelRangeFromMetres) {
    auto source = parse(R"({"time_ms": 1, "Vehicle.Powertrain.FuelSystem.Range": 412500})");
    ASSERT_TRUE(source.ok()) << source.error();

    auto signals = source.value().signals_at(at_ms(1));

    ASSERT_TRUE(signals.fuel_range_km.has_value());
    EXPECT_DOUBLE_EQ(*signals.fuel_range_km, 412.5);
}

TEST(ReplaySignalSource, SummarizesSeatsAndAirbags) {
    auto source =
        parse(R"({"time_ms": 1, "Vehicle.Cabin.Seat.Row1.DriverSide.IsOccupied": true, )"
              R"("Vehicle.Cabin.Seat.Row1.PassengerSide.IsOccupied": true, )"
              R"("Vehicle.Cabin.Seat.Row2.Middle.IsOccupied": false, )"
              R"("Vehicle.Cabin.Seat.Row1.DriverSide.Airbag.IsDeployed": false})"
              "\n"
              R"({"time_ms": 2, "Vehicle.Cabin.Seat.Row1.PassengerSide.Airbag.IsDeployed": true})");
    ASSERT_TRUE(source.ok()) << source.error();

    auto before = source.value().signals_at(at_ms(1));
    auto after = source.value().signals_at(at_ms(2));

    ASSERT_TRUE(before.occupants.has_value());
    EXPECT_EQ(*before.occupants, 2u);
    ASSERT_TRUE(before.airbag_deployed.has_value());
    EXPECT_FALSE(*before.airbag_deployed);
    ASSERT_TRUE(after.airbag_deployed.has_value());
    EXPECT_TRUE(*after.airbag_deployed);
}

TEST(ReplaySignalSource, ReadsSosButtonAndAcceleration) {
    auto source = parse(
        R"({"time_ms": 1, "sos_button_pressed": true, "Vehicle.Acceleration.Longitudinal": -8.5, )"
        R"("Vehicle.Acceleration.Lateral": 1.25})");
    ASSERT_TRUE(source.ok()) << source.error();

    auto signals = source.value().signals_at(at_ms(1));

    ASSERT_TRUE(signals.sos_button_pressed.has_value());
    EXPECT_TRUE(*signals.sos_button_pressed);
    ASSERT_TRUE(signals.longitudinal_acceleration_mps2.has_value());
    EXPECT_DOUBLE_EQ(*signals.longitudinal_acceleration_mps2, -8.5);
    ASSERT_TRUE(signals.lateral_acceleration_mps2.has_value());
    EXPECT_DOUBLE_EQ(*signals.lateral_acceleration_mps2, 1.25);
}

TEST(ReplaySignalSource, WrongTypeNamesLineAndValue) {
    auto source = parse(
        "{\"time_ms\": 1, \"Vehicle.Speed\": 10}\n"
        "{\"time_ms\": 2, \"Vehicle.Speed\": \"fast\"}\n");

    ASSERT_FALSE(source.ok());
    EXPECT_NE(source.error().find("drive.jsonl:2:"), std::string::npos) << source.error();
    EXPECT_NE(source.error().find("Vehicle.Speed = \"fast\""), std::string::npos) << source.error();
}

TEST(ReplaySignalSource, OutOfRangeNamesValue) {
    auto source = parse(R"({"time_ms": 1, "Vehicle.OBD.FuelLevel": 130})");

    ASSERT_FALSE(source.ok());
    EXPECT_NE(source.error().find("drive.jsonl:1:"), std::string::npos) << source.error();
    EXPECT_NE(source.error().find("Vehicle.OBD.FuelLevel = 130 is out of range"), std::string::npos)
        << source.error();
}

TEST(ReplaySignalSource, InvalidTroubleCodeRejected) {
    auto source = parse(R"({"time_ms": 1, "Vehicle.Diagnostics.DTCList": ["p0301"]})");

    ASSERT_FALSE(source.ok());
    EXPECT_NE(source.error().find("\"p0301\""), std::string::npos) << source.error();
}

TEST(ReplaySignalSource, UnknownSignalRejected) {
    auto source = parse(R"({"time_ms": 1, "Vehicle.Sped": 10})");

    ASSERT_FALSE(source.ok());
    EXPECT_NE(source.error().find("unknown signal \"Vehicle.Sped\""), std::string::npos)
        << source.error();
}

TEST(ReplaySignalSource, UnknownIgnitionStateRejected) {
    auto source = parse(R"({"time_ms": 1, "Vehicle.LowVoltageSystemState": "RUN"})");

    ASSERT_FALSE(source.ok());
    EXPECT_NE(source.error().find("Vehicle.LowVoltageSystemState = \"RUN\""), std::string::npos)
        << source.error();
}

TEST(ReplaySignalSource, InvalidJsonNamesLine) {
    auto source = parse("{\"time_ms\": 1}\n\n{\"time_ms\": 2, \"Vehicle.Speed\": }\n");

    ASSERT_FALSE(source.ok());
    EXPECT_NE(source.error().find("drive.jsonl:3: invalid JSON"), std::string::npos)
        << source.error();
}

TEST(ReplaySignalSource, MissingTimeRejected) {
    auto source = parse(R"({"Vehicle.Speed": 10})");

    ASSERT_FALSE(source.ok());
    EXPECT_NE(source.error().find("drive.jsonl:1: missing time_ms"), std::string::npos)
        << source.error();
}

TEST(ReplaySignalSource, TimeGoingBackRejected) {
    auto source = parse("{\"time_ms\": 2000}\n{\"time_ms\": 1000}\n");

    ASSERT_FALSE(source.ok());
    EXPECT_NE(source.error().find("drive.jsonl:2: time_ms = 1000 is earlier"), std::string::npos)
        << source.error();
}

TEST(ReplaySignalSource, MissingFileReported) {
    auto source = ReplaySignalSource::load("/nonexistent/drive.jsonl");

    ASSERT_FALSE(source.ok());
    EXPECT_NE(source.error().find("/nonexistent/drive.jsonl"), std::string::npos);
}

TEST(TroubleCode, AcceptsJ2012Codes) {
    EXPECT_TRUE(validate_dtc("P0301").ok());
    EXPECT_TRUE(validate_dtc("U0A1F").ok());
    EXPECT_TRUE(validate_dtc("C1234").ok());
    EXPECT_TRUE(validate_dtc("B0001").ok());
}

TEST(TroubleCode, RejectsMalformedCodes) {
    EXPECT_FALSE(validate_dtc("p0301").ok());
    EXPECT_FALSE(validate_dtc("P030").ok());
    EXPECT_FALSE(validate_dtc("P03011").ok());
    EXPECT_FALSE(validate_dtc("X0301").ok());
    EXPECT_FALSE(validate_dtc("P03G1").ok());
    EXPECT_FALSE(validate_dtc("P0a1f").ok());
}

}  // namespace
}  // namespace drivelink::agent::signals
