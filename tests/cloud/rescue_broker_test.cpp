// Rescue cases end to end against a real Mosquitto. A crash event published by a car opens one
// case, and the car receives a RescueUpdate naming the nearest rescue dealer. An untaken case is
// escalated, and an operator's step reaches the car through the outbox. A truck dispatched with
// its VIN publishes ordinary telemetry, and the car receives the truck's position from it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

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
using testing::kTruckVin;
using testing::kVin;
using testing::MqttTestClient;
using testing::query_int;
using testing::telemetry_uplink;
using testing::wait_until;

const std::filesystem::path kSampleNetwork =
    std::filesystem::path(DRIVELINK_SOURCE_DIR) / "data" / "dealers_sample.csv";

class RescueBroker : public ::testing::Test {
  protected:
    void SetUp() override {
        broker_ = std::make_unique<MosquittoBroker>(dir_ / "broker");
        car_ = std::make_unique<MqttTestClient>(broker_->uri(), "test-car");
    }

    std::unique_ptr<CloudService> start_cloud(milliseconds escalation_timeout) {
        CloudServiceOptions options;
        options.db_path = db();
        options.dealers_path = kSampleNetwork;
        options.mqtt.broker_uri = broker_->uri();
        options.mqtt.client_id = "cloud-under-test";
        options.rescue.escalation_timeout = escalation_timeout;
        options.worker.poll_interval = milliseconds(50);
        options.worker.dispatch_grace = milliseconds(200);
        auto service = CloudService::start(std::move(options));
        EXPECT_TRUE(service.ok()) << service.error();
        if (!service) {
            return nullptr;
        }
        const auto& mqtt = service.value()->mqtt();
        EXPECT_TRUE(wait_until([&mqtt] { return mqtt.subscribed(); })) << "cloud not subscribed";
        return std::move(service).value();
    }

    void publish_event(const v1::Uplink& uplink) {
        car_->publish(protocol::topic_for(uplink.vin(), Channel::Event), protocol::encode(uplink));
    }

    std::vector<v1::RescueUpdate> rescue_updates() const {
        std::vector<v1::RescueUpdate> updates;
        for (const auto& downlink : car_->commands(kVin)) {
            if (downlink.has_rescue_update()) {
                updates.push_back(downlink.rescue_update());
            }
        }
        return updates;
    }

    std::filesystem::path db() const { return dir_ / "cloud.db"; }

    TempDir dir_;
    std::unique_ptr<MosquittoBroker> broker_;
    std::unique_ptr<MqttTestClient> car_;
};

TEST_F(RescueBroker, CrashPublishedTwiceOpensOneCase) {
    auto cloud = start_cloud(std::chrono::seconds(30));
    ASSERT_NE(cloud, nullptr);
    const auto crash = event_uplink(kVin, 1, v1::EVENT_TYPE_CRASH);

    publish_event(crash);
    ASSERT_TRUE(car_->wait_for_acks(kVin, {1}));
    publish_event(crash);

    ASSERT_TRUE(wait_until([&cloud] { return cloud->counters().duplicates == 1; }));
    ASSERT_TRUE(car_->wait_for_acks(kVin, {1}, 1));
    ASSERT_TRUE(wait_until([this] { return !rescue_updates().empty(); }));
    // Longer than the dispatch grace, so a second send by the service worker would show.
    std::this_thread::sleep_for(milliseconds(500));
    EXPECT_EQ(query_int(db(), "SELECT count(*) FROM rescue_cases"), 1);
    EXPECT_EQ(query_int(db(), "SELECT count(*) FROM events"), 1);
    const auto updates = rescue_updates();
    ASSERT_EQ(updates.size(), 1u);
    EXPECT_EQ(updates[0].status(), v1::RESCUE_STATUS_OPENED);
    EXPECT_EQ(updates[0].case_id(), std::to_string(query_int(db(), "SELECT id FROM rescue_cases")));
    ASSERT_GE(updates[0].dealers_size(), 1);
    EXPECT_EQ(updates[0].dealers(0).name(), "Sample Autohaus Donaupark");
}

TEST_F(RescueBroker, UntakenCaseIsEscalated) {
    auto cloud = start_cloud(milliseconds(300));
    ASSERT_NE(cloud, nullptr);

    publish_event(event_uplink(kVin, 1, v1::EVENT_TYPE_SOS));

    ASSERT_TRUE(wait_until([&cloud] { return cloud->worker_counters().escalations >= 1; }));
    EXPECT_GE(query_int(db(), "SELECT escalation_level FROM rescue_cases"), 1);
    EXPECT_GE(query_int(db(), "SELECT count(*) FROM rescue_case_history WHERE step = 'escalated'"),
              1);
    EXPECT_EQ(query_int(db(), "SELECT state = 'open' FROM rescue_cases"), 1);
}

TEST_F(RescueBroker, OperatorStepReachesCar) {
    auto cloud = start_cloud(std::chrono::seconds(30));
    ASSERT_NE(cloud, nullptr);
    publish_event(event_uplink(kVin, 1, v1::EVENT_TYPE_CRASH));
    ASSERT_TRUE(wait_until([this] { return !rescue_updates().empty(); }));

    // An operator tool on its own connection, as 'drivelink-cloud rescue take' runs.
    auto network = dealers::DealerNetwork::load_csv(kSampleNetwork);
    ASSERT_TRUE(network.ok()) << network.error();
    rescue::RescueCases cases(network.value(), {});
    auto operator_db = open_service_database(db(), std::chrono::seconds(5));
    ASSERT_TRUE(operator_db.ok()) << operator_db.error();
    const auto id = query_int(db(), "SELECT id FROM rescue_cases");
    auto taken = cases.take(*operator_db.value(), id, "Alex", testing::now_ms());
    ASSERT_TRUE(taken.ok()) << taken.error();

    ASSERT_TRUE(wait_until([this] { return rescue_updates().size() >= 2; }));
    const auto updates = rescue_updates();
    EXPECT_EQ(updates[1].status(), v1::RESCUE_STATUS_ASSIGNED);
    EXPECT_EQ(updates[1].operator_name(), "Alex");
}

TEST_F(RescueBroker, TruckTelemetryReachesCar) {
    auto cloud = start_cloud(std::chrono::seconds(30));
    ASSERT_NE(cloud, nullptr);
    publish_event(event_uplink(kVin, 1, v1::EVENT_TYPE_CRASH));
    ASSERT_TRUE(wait_until([this] { return !rescue_updates().empty(); }));

    // The operator takes the case and dispatches it with the truck's VIN, on a connection of
    // its own as 'drivelink-cloud rescue advance --truck-vin' runs.
    auto network = dealers::DealerNetwork::load_csv(kSampleNetwork);
    ASSERT_TRUE(network.ok()) << network.error();
    rescue::RescueCases cases(network.value(), {});
    auto operator_db = open_service_database(db(), std::chrono::seconds(5));
    ASSERT_TRUE(operator_db.ok()) << operator_db.error();
    const auto id = query_int(db(), "SELECT id FROM rescue_cases");
    ASSERT_TRUE(cases.take(*operator_db.value(), id, "Alex", testing::now_ms()).ok());
    auto dispatched = cases.advance(*operator_db.value(),
                                    id,
                                    rescue::RescueState::Dispatched,
                                    "de-rgb-03",
                                    testing::now_ms(),
                                    kTruckVin);
    ASSERT_TRUE(dispatched.ok()) << dispatched.error();
    ASSERT_TRUE(wait_until([this] { return rescue_updates().size() >= 3; }));

    // The truck is a vehicle of its own and publishes telemetry on its own topic. The last
    // sample is about 10 km south of the car.
    MqttTestClient truck(broker_->uri(), "test-truck");
    const auto telemetry = telemetry_uplink(kTruckVin, 1, {{48.95, 12.2}, {48.9234, 12.1016}});
    truck.publish(protocol::topic_for(kTruckVin, Channel::Telemetry), protocol::encode(telemetry));
    ASSERT_TRUE(truck.wait_for_acks(kTruckVin, {1}));

    const auto at_truck = [](const v1::RescueUpdate& update) {
        return update.has_truck_location() &&
               std::abs(update.truck_location().latitude_deg() - 48.9234) < 1e-9;
    };
    ASSERT_TRUE(wait_until([&] {
        const auto updates = rescue_updates();
        return std::any_of(updates.begin(), updates.end(), at_truck);
    })) << "no RescueUpdate with the truck's reported position";
    const auto updates = rescue_updates();
    const auto tracked = std::find_if(updates.begin(), updates.end(), at_truck);
    ASSERT_NE(tracked, updates.end());
    EXPECT_EQ(tracked->case_id(), std::to_string(id));
    EXPECT_EQ(tracked->status(), v1::RESCUE_STATUS_DISPATCHED);
    EXPECT_NEAR(tracked->truck_location().longitude_deg(), 12.1016, 1e-9);
    EXPECT_GT(tracked->truck_eta_time_ms(), 0);
    EXPECT_EQ(tracked->truck_eta_time_ms(),
              query_int(db(), "SELECT truck_eta_time_ms FROM rescue_cases"));
    // The update goes to the car, and the truck itself receives no rescue update.
    for (const auto& downlink : truck.commands(kTruckVin)) {
        EXPECT_FALSE(downlink.has_rescue_update());
    }
}

}  // namespace
}  // namespace drivelink::cloud
