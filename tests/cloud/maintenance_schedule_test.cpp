// Maintenance schedules and trouble codes: due-date forecasts, the data files and severities.
#include <gtest/gtest.h>

#include "cloud/maintenance/dtc_catalog.h"
#include "cloud/maintenance/schedule.h"

namespace drivelink::cloud::maintenance {
namespace {

constexpr std::int64_t kDayMs = 86'400'000;
const std::filesystem::path kData = std::filesystem::path(DRIVELINK_SOURCE_DIR) / "data";

ScheduleItem oil_item() {
    return ScheduleItem{"oil_filter", "Engine oil and filter", 15000.0, 12.0, "test"};
}

TEST(ForecastItem, NotDueFarFromLimits) {
    const auto forecast = forecast_item(oil_item(), {10000.0, 0}, 12000.0, 50.0, kDayMs, {});

    EXPECT_EQ(forecast.state, DueState::NotDue);
    EXPECT_DOUBLE_EQ(*forecast.due_odometer_km, 25000.0);
}

TEST(ForecastItem, DueSoonByDistance) {
    const auto forecast = forecast_item(oil_item(), {10000.0, 0}, 24100.0, 50.0, kDayMs, {});

    EXPECT_EQ(forecast.state, DueState::DueSoon);
}

TEST(ForecastItem, DueSoonByTime) {
    const std::int64_t now_ms = 350 * kDayMs;  // 365 days is 12 months of 30.44 days

    const auto forecast = forecast_item(oil_item(), {10000.0, 0}, 11000.0, 3.0, now_ms, {});

    EXPECT_EQ(forecast.state, DueState::DueSoon);
}

TEST(ForecastItem, OverdueByDistance) {
    const auto forecast = forecast_item(oil_item(), {10000.0, 0}, 25000.0, 50.0, kDayMs, {});

    EXPECT_EQ(forecast.state, DueState::Overdue);
}

TEST(ForecastItem, ForecastUsesDailyDistance) {
    // 10000 km left at 100 km a day: 100 days, before the 12-month limit.
    const auto forecast = forecast_item(oil_item(), {10000.0, 0}, 15000.0, 100.0, 0, {});

    ASSERT_TRUE(forecast.forecast_time_ms.has_value());
    EXPECT_EQ(*forecast.forecast_time_ms, 100 * kDayMs);
}

TEST(ForecastItem, CalendarLimitWinsForLowMileage) {
    const auto forecast = forecast_item(oil_item(), {10000.0, 0}, 10000.0, 1.0, 0, {});

    ASSERT_TRUE(forecast.due_time_ms.has_value());
    EXPECT_EQ(forecast.forecast_time_ms, forecast.due_time_ms);
}

TEST(ForecastItem, TimeOnlyItemHasNoDistance) {
    const ScheduleItem brake{"brake_fluid", "Brake fluid", std::nullopt, 24.0, "test"};

    const auto forecast = forecast_item(brake, {0.0, 0}, 90000.0, 100.0, kDayMs, {});

    EXPECT_FALSE(forecast.due_odometer_km.has_value());
    EXPECT_EQ(forecast.state, DueState::NotDue);
}

TEST(MaintenanceSchedules, SampleFileNamesSources) {
    auto schedules = MaintenanceSchedules::load_csv(kData / "maintenance_schedules.csv");
    ASSERT_TRUE(schedules.ok()) << schedules.error();

    const auto& leaf = schedules->items_for("leaf-ze0");
    ASSERT_FALSE(leaf.empty());
    for (const auto& item : leaf) {
        EXPECT_NE(item.item, "oil_filter") << "an EV has no engine oil";
        EXPECT_FALSE(item.source.empty()) << item.item;
    }
}

TEST(MaintenanceSchedules, UnknownModelUsesDefault) {
    auto schedules = MaintenanceSchedules::load_csv(kData / "maintenance_schedules.csv");
    ASSERT_TRUE(schedules.ok()) << schedules.error();

    EXPECT_EQ(&schedules->items_for("no-such-model"), &schedules->items_for("x-trail-t33"));
}

TEST(DtcCatalog, DescribesMisfireCode) {
    auto catalog = DtcCatalog::load_csv(kData / "dtc_generic_codes.csv");
    ASSERT_TRUE(catalog.ok()) << catalog.error();

    EXPECT_EQ(catalog->describe("P0301"), "Cylinder 1 Misfire Detected");
    EXPECT_EQ(catalog->describe("p0420"), "Catalyst System Efficiency Below Threshold Bank 1");
}

TEST(DtcCatalog, DropsCodeInPlaceOfDescription) {
    auto catalog = DtcCatalog::load_csv(kData / "dtc_generic_codes.csv");
    ASSERT_TRUE(catalog.ok()) << catalog.error();

    EXPECT_EQ(catalog->describe("P1682"), "no description");
    EXPECT_EQ(catalog->describe("P3400"), "no description");
}

TEST(DtcSeverity, MisfireAndCatalystNeedInspection) {
    EXPECT_TRUE(dtc_needs_inspection("P0301"));
    EXPECT_TRUE(dtc_needs_inspection("P0420"));
    EXPECT_FALSE(dtc_needs_inspection("P0171"));
    EXPECT_EQ(dtc_severity("P0304"), DtcSeverity::High);
    EXPECT_EQ(dtc_severity("P0171"), DtcSeverity::Medium);
    EXPECT_EQ(dtc_severity("B0001"), DtcSeverity::Low);
}

}  // namespace
}  // namespace drivelink::cloud::maintenance
