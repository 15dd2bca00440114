// Maintenance end to end against a real Mosquitto: a trouble code event yields an inspection
// recommendation, and a car whose odometer crosses a due threshold receives one recommendation
// per due item, however many samples follow.
#include <gtest/gtest.h>

#include <set>

#include "cloud/service/cloud_service.h"
#include "tests/cloud/cloud_test_support.h"
#include "tests/cloud/mqtt_test_client.h"
#include "tests/support/mosquitto.h"
#include "tests/support/process.h"

namespace drivelink::cloud {
namespace {

using drivelink::testing::MosquittoBroker;
using drivelink::testing::TempDir;
using protocol::Channel;
using std::chrono::milliseconds;
using testing::event_uplink;
using testing::kVin;
using testing::MqttTestClient;
using testing::telemetry_uplink;
using testing::wait_until;

const std::filesystem::path kData = std::filesystem::path(DRIVELINK_SOURCE_DIR) / "data";

class MaintenanceBroker : public ::testing::Test {
  protected:
    void SetUp() override {
        broker_ = std::make_unique<MosquittoBroker>(dir_ / "broker");
        car_ = std::make_unique<MqttTestClient>(broker_->uri(), "test-car");
        CloudServiceOptions options;
        options.db_path = dir_ / "cloud.db";
        options.schedules_path = kData / "maintenance_schedules.csv";
        options.dtc_codes_path = kData / "dtc_generic_codes.csv";
        options.mqtt.broker_uri = broker_->uri();
        options.mqtt.client_id = "cloud-under-test";
        options.worker.poll_interval = milliseconds(50);
        auto service = CloudService::start(std::move(options));
        ASSERT_TRUE(service.ok()) << service.error();
        cloud_ = std::move(service).value();
        const auto& mqtt = cloud_->mqtt();
        ASSERT_TRUE(wait_until([&mqtt] { return mqtt.subscribed(); })) << "cloud not subscribed";
    }

    void publish(const v1::Uplink& uplink, Channel channel) {
        car_->publish(protocol::topic_for(uplink.vin(), channel), protocol::encode(uplink));
        ASSERT_TRUE(car_->wait_for_acks(kVin, {uplink.seq()}));
    }

    void publish_odometer(std::uint64_t seq, double odometer_km) {
        auto uplink = telemetry_uplink(kVin, seq, {{49.0, 12.1}});
        uplink.mutable_batch()->mutable_samples(0)->set_traveled_distance_km(odometer_km);
        publish(uplink, Channel::Telemetry);
    }

    std::vector<v1::MaintenanceRecommendation> recommendations() const {
        std::vector<v1::MaintenanceRecommendation> found;
        for (const auto& downlink : car_->commands(kVin)) {
            if (downlink.has_maintenance_recommendation()) {
                found.push_back(downlink.maintenance_recommendation());
            }
        }
        return found;
    }

    TempDir dir_;
    std::unique_ptr<MosquittoBroker> broker_;
    std::unique_ptr<MqttTestClient> car_;
    std::unique_ptr<CloudService> cloud_;
};

TEST_F(MaintenanceBroker, MisfireEventYieldsInspection) {
    publish(event_uplink(kVin, 1, v1::EVENT_TYPE_DTC_SET), Channel::Event);

    ASSERT_TRUE(wait_until([this] { return !recommendations().empty(); }));
    const auto received = recommendations();
    EXPECT_EQ(received[0].item(), "Inspection");
    EXPECT_NE(received[0].reason().find("P0301: Cylinder 1 Misfire Detected"), std::string::npos)
        << received[0].reason();
}

TEST_F(MaintenanceBroker, OdometerCrossingYieldsOnePerItem) {
    publish_odometer(1, 5000.0);
    // Tyre rotation (8000 km) becomes due soon at 12000 km, the oil change (16000 km) at 20000.
    publish_odometer(2, 12100.0);
    publish_odometer(3, 12200.0);
    publish_odometer(4, 20050.0);
    publish_odometer(5, 20100.0);

    ASSERT_TRUE(wait_until([this] { return recommendations().size() >= 3; }));
    std::this_thread::sleep_for(milliseconds(300));
    const auto received = recommendations();
    ASSERT_EQ(received.size(), 3u);
    EXPECT_EQ(received[0].item(), "Tyre rotation");
    std::multiset<std::string> later{received[1].item(), received[2].item()};
    EXPECT_EQ(later.count("Tyre rotation (overdue)"), 1u);
    EXPECT_EQ(later.count("Engine oil and filter"), 1u);
}

}  // namespace
}  // namespace drivelink::cloud
