// Maintenance on a real SQLite file: recommendations written in the commit that stores the
// telemetry or event, once per due item and service cycle.
#include <gtest/gtest.h>

#include "cloud/maintenance/maintenance_service.h"
#include "tests/cloud/cloud_test_support.h"
#include "tests/support/process.h"

namespace drivelink::cloud::maintenance {
namespace {

using drivelink::testing::TempDir;
using protocol::Channel;
using testing::event_uplink;
using testing::kVin;
using testing::query_int;
using testing::query_text;
using testing::telemetry_uplink;

const std::filesystem::path kData = std::filesystem::path(DRIVELINK_SOURCE_DIR) / "data";

ReceivedUplink received(const v1::Uplink& uplink, Channel channel) {
    auto decoded = protocol::decode_uplink(protocol::topic_for(uplink.vin(), channel),
                                           protocol::encode(uplink),
                                           std::chrono::system_clock::now());
    EXPECT_TRUE(decoded.ok()) << decoded.rejection->detail;
    return ReceivedUplink{decoded.uplink, testing::now_ms()};
}

v1::Uplink odometer_uplink(std::uint64_t seq, double odometer_km) {
    auto uplink = telemetry_uplink(kVin, seq, {{49.0, 12.1}});
    uplink.mutable_batch()->mutable_samples(0)->set_traveled_distance_km(odometer_km);
    return uplink;
}

class MaintenanceServiceTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto schedules = MaintenanceSchedules::load_csv(kData / "maintenance_schedules.csv");
        ASSERT_TRUE(schedules.ok()) << schedules.error();
        schedules_ = std::move(schedules).value();
        auto catalog = DtcCatalog::load_csv(kData / "dtc_generic_codes.csv");
        ASSERT_TRUE(catalog.ok()) << catalog.error();
        catalog_ = std::move(catalog).value();
        service_ = std::make_unique<MaintenanceService>(schedules_, catalog_, MaintenanceOptions{});
        auto store = SqliteStore::open(db());
        ASSERT_TRUE(store.ok()) << store.error();
        store_ = std::move(store).value();
        store_->add_handler(*service_);
    }

    std::vector<v1::MaintenanceRecommendation> commit(const v1::Uplink& uplink, Channel channel) {
        StoreBatch batch;
        batch.uplinks.push_back(received(uplink, channel));
        auto outcomes = store_->commit(batch);
        EXPECT_TRUE(outcomes.ok()) << outcomes.error();
        std::vector<v1::MaintenanceRecommendation> recommendations;
        for (const auto& command : store_->take_commands()) {
            v1::Downlink downlink;
            EXPECT_TRUE(downlink.ParseFromString(command.payload));
            recommendations.push_back(downlink.maintenance_recommendation());
        }
        return recommendations;
    }

    std::filesystem::path db() const { return dir_ / "cloud.db"; }

    TempDir dir_;
    MaintenanceSchedules schedules_;
    DtcCatalog catalog_;
    std::unique_ptr<MaintenanceService> service_;
    std::unique_ptr<SqliteStore> store_;
};

TEST_F(MaintenanceServiceTest, OdometerCrossingRecommendsOnce) {
    // Default model x-trail-t33: tyre rotation every 8000 km, due soon 1000 km before.
    EXPECT_TRUE(commit(odometer_uplink(1, 5000.0), Channel::Telemetry).empty());
    EXPECT_TRUE(commit(odometer_uplink(2, 11900.0), Channel::Telemetry).empty());

    const auto crossing = commit(odometer_uplink(3, 12100.0), Channel::Telemetry);
    const auto after = commit(odometer_uplink(4, 12500.0), Channel::Telemetry);

    ASSERT_EQ(crossing.size(), 1u);
    EXPECT_EQ(crossing[0].item(), "Tyre rotation");
    EXPECT_DOUBLE_EQ(crossing[0].due_traveled_distance_km(), 13000.0);
    EXPECT_TRUE(after.empty());
    EXPECT_EQ(query_int(db(), "SELECT count(*) FROM maintenance_recommendations"), 1);
}

TEST_F(MaintenanceServiceTest, OverdueItemEscalatedOnce) {
    commit(odometer_uplink(1, 5000.0), Channel::Telemetry);
    commit(odometer_uplink(2, 12100.0), Channel::Telemetry);

    const auto overdue = commit(odometer_uplink(3, 13100.0), Channel::Telemetry);
    const auto again = commit(odometer_uplink(4, 13200.0), Channel::Telemetry);

    ASSERT_EQ(overdue.size(), 1u);
    EXPECT_EQ(overdue[0].item(), "Tyre rotation (overdue)");
    EXPECT_TRUE(again.empty());
}

TEST_F(MaintenanceServiceTest, ServiceStartsNewCycle) {
    commit(odometer_uplink(1, 5000.0), Channel::Telemetry);
    commit(odometer_uplink(2, 12100.0), Channel::Telemetry);
    auto connection = open_service_database(db(), std::chrono::seconds(5));
    ASSERT_TRUE(connection.ok()) << connection.error();
    ASSERT_TRUE(record_service(**connection, kVin, "tyre_rotation", 12100.0, testing::now_ms()));

    const auto next = commit(odometer_uplink(3, 13100.0), Channel::Telemetry);
    const auto due_again = commit(odometer_uplink(4, 19200.0), Channel::Telemetry);

    EXPECT_TRUE(next.empty());
    ASSERT_EQ(due_again.size(), 1u);
    EXPECT_DOUBLE_EQ(due_again[0].due_traveled_distance_km(), 20100.0);
}

TEST_F(MaintenanceServiceTest, MisfireCodeCallsForInspection) {
    const auto recommendations =
        commit(event_uplink(kVin, 1, v1::EVENT_TYPE_DTC_SET), Channel::Event);

    ASSERT_EQ(recommendations.size(), 1u);
    EXPECT_EQ(recommendations[0].item(), "Inspection");
    EXPECT_NE(recommendations[0].reason().find("Cylinder 1 Misfire Detected"), std::string::npos)
        << recommendations[0].reason();
    EXPECT_NE(recommendations[0].reason().find("severity high"), std::string::npos);
    ASSERT_EQ(recommendations[0].dtcs_size(), 1);
    EXPECT_EQ(recommendations[0].dtcs(0), "P0301");
}

TEST_F(MaintenanceServiceTest, RepeatedCodeRecommendsOnce) {
    commit(event_uplink(kVin, 1, v1::EVENT_TYPE_DTC_SET), Channel::Event);

    const auto repeated = commit(event_uplink(kVin, 2, v1::EVENT_TYPE_DTC_SET), Channel::Event);

    EXPECT_TRUE(repeated.empty());
}

TEST_F(MaintenanceServiceTest, LowOilLifeRecommendsChange) {
    auto uplink = telemetry_uplink(kVin, 1, {{49.0, 12.1}});
    uplink.mutable_batch()->mutable_samples(0)->set_engine_oil_life_percent(8.0);

    const auto recommendations = commit(uplink, Channel::Telemetry);

    ASSERT_EQ(recommendations.size(), 1u);
    EXPECT_EQ(recommendations[0].item(), "Engine oil change");
    EXPECT_EQ(recommendations[0].reason(), "oil life 8 %");
}

TEST_F(MaintenanceServiceTest, LowBatteryRecommendsCheck) {
    auto uplink = event_uplink(kVin, 1, v1::EVENT_TYPE_LOW_BATTERY_VOLTAGE);
    uplink.mutable_event()->set_low_voltage_battery_v(11.4);

    const auto recommendations = commit(uplink, Channel::Event);

    ASSERT_EQ(recommendations.size(), 1u);
    EXPECT_EQ(recommendations[0].item(), "12 V battery check");
    EXPECT_EQ(recommendations[0].reason(), "12 V battery at 11.4 V");
}

TEST_F(MaintenanceServiceTest, GnssDistanceWithoutOdometer) {
    // 0.1 degrees of latitude is 11.1 km.
    commit(telemetry_uplink(kVin, 1, {{49.0, 12.1}, {49.1, 12.1}}), Channel::Telemetry);

    const double odometer_km = std::stod(query_text(db(), "SELECT odometer_km FROM vehicle_usage"));

    EXPECT_NEAR(odometer_km, 11.12, 0.01);
}

TEST_F(MaintenanceServiceTest, RegisteredModelSelectsSchedule) {
    auto connection = open_service_database(db(), std::chrono::seconds(5));
    ASSERT_TRUE(connection.ok()) << connection.error();
    ASSERT_TRUE(register_vehicle(**connection, kVin, "leaf-ze0", "Sample Owner"));
    commit(odometer_uplink(1, 5000.0), Channel::Telemetry);

    // The LEAF rotates tyres every 12000 km, so 12100 km is not yet due soon.
    const auto recommendations = commit(odometer_uplink(2, 12100.0), Channel::Telemetry);

    EXPECT_TRUE(recommendations.empty());
}

}  // namespace
}  // namespace drivelink::cloud::maintenance
