// Rescue cases on a real SQLite file: opened in the commit that stores the crash or SOS event,
// one per incident, advanced by operators, escalated and tracked.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "cloud/rescue/rescue_cases.h"
#include "cloud/store/sqlite_store.h"
#include "tests/cloud/cloud_test_support.h"
#include "tests/support/process.h"

namespace drivelink::cloud::rescue {
namespace {

using drivelink::testing::TempDir;
using protocol::Channel;
using testing::event_uplink;
using testing::kTruckVin;
using testing::kVin;
using testing::query_int;
using testing::query_text;
using testing::telemetry_uplink;

const std::filesystem::path kSampleNetwork =
    std::filesystem::path(DRIVELINK_SOURCE_DIR) / "data" / "dealers_sample.csv";

ReceivedUplink received(const v1::Uplink& uplink, Channel channel) {
    auto decoded = protocol::decode_uplink(protocol::topic_for(uplink.vin(), channel),
                                           protocol::encode(uplink),
                                           std::chrono::system_clock::now());
    EXPECT_TRUE(decoded.ok()) << decoded.rejection->detail;
    return ReceivedUplink{decoded.uplink, testing::now_ms()};
}

class RescueCasesTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto network = dealers::DealerNetwork::load_csv(kSampleNetwork);
        ASSERT_TRUE(network.ok()) << network.error();
        network_ = std::make_unique<dealers::DealerNetwork>(std::move(network).value());
        cases_ = std::make_unique<RescueCases>(*network_, options_);
        auto store = SqliteStore::open(db());
        ASSERT_TRUE(store.ok()) << store.error();
        store_ = std::move(store).value();
        store_->add_handler(*cases_);
        auto connection = open_service_database(db(), std::chrono::seconds(5));
        ASSERT_TRUE(connection.ok()) << connection.error();
        connection_ = std::move(connection).value();
    }

    std::vector<OutboundCommand> commit_event(const v1::Uplink& uplink) {
        StoreBatch batch;
        batch.uplinks.push_back(received(uplink, Channel::Event));
        auto outcomes = store_->commit(batch);
        EXPECT_TRUE(outcomes.ok()) << outcomes.error();
        return store_->take_commands();
    }

    std::vector<OutboundCommand> commit_telemetry(const v1::Uplink& uplink) {
        StoreBatch batch;
        batch.uplinks.push_back(received(uplink, Channel::Telemetry));
        auto outcomes = store_->commit(batch);
        EXPECT_TRUE(outcomes.ok()) << outcomes.error();
        return store_->take_commands();
    }

    // Opens a case for a crash of kVin at 49.0134N 12.1016E, takes it and dispatches
    // de-rgb-03 with kTruckVin as its truck. Returns the case id.
    std::int64_t dispatch_with_truck() {
        commit_event(event_uplink(kVin, 1, v1::EVENT_TYPE_CRASH));
        const std::int64_t id = count("SELECT id FROM rescue_cases");
        EXPECT_TRUE(cases_->take(*connection_, id, "Alex", testing::now_ms()).ok());
        auto dispatched = cases_->advance(
            *connection_, id, RescueState::Dispatched, "de-rgb-03", testing::now_ms(), kTruckVin);
        EXPECT_TRUE(dispatched.ok()) << dispatched.error();
        return id;
    }

    std::int64_t count(const std::string& sql) const { return query_int(db(), sql); }
    double query_double(const std::string& sql) const { return std::stod(query_text(db(), sql)); }
    std::filesystem::path db() const { return dir_ / "cloud.db"; }

    TempDir dir_;
    RescueOptions options_;
    std::unique_ptr<dealers::DealerNetwork> network_;
    std::unique_ptr<RescueCases> cases_;
    std::unique_ptr<SqliteStore> store_;
    std::unique_ptr<SqliteDatabase> connection_;
};

v1::RescueUpdate decode_update(const OutboundCommand& command) {
    v1::Downlink downlink;
    EXPECT_TRUE(downlink.ParseFromString(command.payload));
    EXPECT_TRUE(downlink.has_rescue_update());
    EXPECT_FALSE(downlink.command_id().empty());
    return downlink.rescue_update();
}

TEST_F(RescueCasesTest, CrashOpensCaseInSameCommit) {
    const auto commands = commit_event(event_uplink(kVin, 1, v1::EVENT_TYPE_CRASH));

    EXPECT_EQ(count("SELECT count(*) FROM rescue_cases"), 1);
    EXPECT_EQ(query_text(db(), "SELECT state FROM rescue_cases"), "open");
    EXPECT_EQ(query_text(db(), "SELECT trigger FROM rescue_cases"), "crash");
    EXPECT_EQ(count("SELECT count(*) FROM rescue_case_dealers"), 3);
    EXPECT_EQ(count("SELECT count(*) FROM downlink_outbox WHERE sent_time_ms IS NULL"), 1);
    ASSERT_EQ(commands.size(), 1u);
    const auto update = decode_update(commands[0]);
    EXPECT_EQ(update.status(), v1::RESCUE_STATUS_OPENED);
    ASSERT_GE(update.dealers_size(), 1);
    EXPECT_EQ(update.dealers(0).dealer_id(), "de-rgb-01");
    EXPECT_GT(update.dealers(0).eta_time_ms(), testing::now_ms());
}

TEST_F(RescueCasesTest, OtherEventsOpenNoCase) {
    const auto commands = commit_event(event_uplink(kVin, 1, v1::EVENT_TYPE_DTC_SET));

    EXPECT_TRUE(commands.empty());
    EXPECT_EQ(count("SELECT count(*) FROM rescue_cases"), 0);
}

TEST_F(RescueCasesTest, SecondEventJoinsOpenCase) {
    commit_event(event_uplink(kVin, 1, v1::EVENT_TYPE_CRASH));
    const auto commands = commit_event(event_uplink(kVin, 2, v1::EVENT_TYPE_SOS));

    EXPECT_EQ(count("SELECT count(*) FROM rescue_cases"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM rescue_case_events"), 2);
    ASSERT_EQ(commands.size(), 1u);
    EXPECT_EQ(decode_update(commands[0]).case_id(),
              query_text(db(), "SELECT id FROM rescue_cases"));
}

TEST_F(RescueCasesTest, RedeliveredEventOpensNoSecondCase) {
    const auto crash = event_uplink(kVin, 1, v1::EVENT_TYPE_CRASH);
    commit_event(crash);
    const auto commands = commit_event(crash);

    EXPECT_TRUE(commands.empty());
    EXPECT_EQ(count("SELECT count(*) FROM rescue_cases"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM downlink_outbox"), 1);
}

TEST_F(RescueCasesTest, EventAfterWindowOpensNewCase) {
    auto first = event_uplink(kVin, 1, v1::EVENT_TYPE_CRASH);
    first.mutable_event()->set_time_ms(testing::now_ms() - 10 * 60 * 1000);
    commit_event(first);
    commit_event(event_uplink(kVin, 2, v1::EVENT_TYPE_SOS));

    EXPECT_EQ(count("SELECT count(*) FROM rescue_cases"), 2);
}

TEST_F(RescueCasesTest, OperatorWalksCaseToClosed) {
    commit_event(event_uplink(kVin, 1, v1::EVENT_TYPE_CRASH));
    const std::int64_t id = count("SELECT id FROM rescue_cases");
    const std::int64_t now = testing::now_ms();
    auto& db = *connection_;

    ASSERT_TRUE(cases_->take(db, id, "Alex", now).ok());
    auto dispatched = cases_->advance(db, id, RescueState::Dispatched, "", now);
    ASSERT_TRUE(dispatched.ok()) << dispatched.error();
    ASSERT_TRUE(cases_->advance(db, id, RescueState::OnScene, "", now).ok());
    ASSERT_TRUE(cases_->advance(db, id, RescueState::Towing, "", now).ok());
    auto closed = cases_->advance(db, id, RescueState::Closed, "", now);

    ASSERT_TRUE(closed.ok()) << closed.error();
    EXPECT_EQ(closed->state, RescueState::Closed);
    EXPECT_EQ(closed->operator_name, "Alex");
    EXPECT_TRUE(dispatched->truck_eta_time_ms.has_value());
    EXPECT_EQ(count("SELECT count(*) FROM rescue_case_history"), 6);
    EXPECT_EQ(count("SELECT count(*) FROM downlink_outbox"), 6);
    EXPECT_EQ(count("SELECT escalation_due_ms IS NULL FROM rescue_cases"), 1);
}

TEST_F(RescueCasesTest, InvalidTransitionRejectedAndKept) {
    commit_event(event_uplink(kVin, 1, v1::EVENT_TYPE_CRASH));
    const std::int64_t id = count("SELECT id FROM rescue_cases");

    auto advanced = cases_->advance(*connection_, id, RescueState::OnScene, "", 0);

    ASSERT_FALSE(advanced.ok());
    EXPECT_NE(advanced.error().find(fmt::format("rescue case {}", id)), std::string::npos);
    EXPECT_NE(advanced.error().find("'open'"), std::string::npos) << advanced.error();
    EXPECT_NE(advanced.error().find("'on_scene'"), std::string::npos) << advanced.error();
    EXPECT_EQ(query_text(db(), "SELECT state FROM rescue_cases"), "open");
    EXPECT_EQ(count("SELECT count(*) FROM rescue_case_history"), 1);
}

TEST_F(RescueCasesTest, UnknownCaseReportedNotFound) {
    auto taken = cases_->take(*connection_, 999, "Alex", 0);

    ASSERT_FALSE(taken.ok());
    EXPECT_NE(taken.error().find("rescue case 999 not found"), std::string::npos);
}

TEST_F(RescueCasesTest, UntakenCaseEscalatesOncePerTimeout) {
    commit_event(event_uplink(kVin, 1, v1::EVENT_TYPE_CRASH));
    const std::int64_t due = count("SELECT escalation_due_ms FROM rescue_cases");

    auto early = cases_->escalate_due(*connection_, due - 1);
    auto first = cases_->escalate_due(*connection_, due);
    auto again = cases_->escalate_due(*connection_, due + 1);

    ASSERT_TRUE(early.ok()) << early.error();
    EXPECT_TRUE(early->empty());
    ASSERT_TRUE(first.ok()) << first.error();
    ASSERT_EQ(first->size(), 1u);
    EXPECT_EQ(first->front().level, 1);
    EXPECT_TRUE(again->empty());
    EXPECT_EQ(count("SELECT escalation_level FROM rescue_cases"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM rescue_case_history WHERE step = 'escalated'"), 1);
}

TEST_F(RescueCasesTest, TakenCaseNeverEscalates) {
    commit_event(event_uplink(kVin, 1, v1::EVENT_TYPE_CRASH));
    const std::int64_t id = count("SELECT id FROM rescue_cases");
    const std::int64_t due = count("SELECT escalation_due_ms FROM rescue_cases");
    ASSERT_TRUE(cases_->take(*connection_, id, "Alex", due - 1).ok());

    auto escalated = cases_->escalate_due(*connection_, due + 60'000);

    ASSERT_TRUE(escalated.ok()) << escalated.error();
    EXPECT_TRUE(escalated->empty());
}

TEST_F(RescueCasesTest, TruckPositionUpdatesEta) {
    commit_event(event_uplink(kVin, 1, v1::EVENT_TYPE_CRASH));
    const std::int64_t id = count("SELECT id FROM rescue_cases");
    auto& db = *connection_;
    ASSERT_TRUE(cases_->take(db, id, "Alex", 0).ok());
    ASSERT_TRUE(cases_->advance(db, id, RescueState::Dispatched, "de-rgb-03", 0).ok());

    // 0.09 degrees of latitude south of the car is about 10 km: 13 km of road at 60 km/h.
    auto tracked = cases_->report_truck_position(db, id, {48.9234, 12.1016}, 1'000'000);

    ASSERT_TRUE(tracked.ok()) << tracked.error();
    EXPECT_EQ(tracked->dealer_id, "de-rgb-03");
    ASSERT_TRUE(tracked->truck_eta_time_ms.has_value());
    EXPECT_NEAR(
        static_cast<double>(*tracked->truck_eta_time_ms - 1'000'000), 13.0 * 60'000, 60'000);
}

TEST_F(RescueCasesTest, TruckPositionNeedsDispatchedCase) {
    commit_event(event_uplink(kVin, 1, v1::EVENT_TYPE_CRASH));
    const std::int64_t id = count("SELECT id FROM rescue_cases");

    auto tracked = cases_->report_truck_position(*connection_, id, {49.0, 12.0}, 0);

    ASSERT_FALSE(tracked.ok());
    EXPECT_NE(tracked.error().find("'open'"), std::string::npos) << tracked.error();
}

TEST_F(RescueCasesTest, TruckTelemetryMovesDispatchedCase) {
    const std::int64_t id = dispatch_with_truck();
    EXPECT_EQ(query_text(db(), "SELECT truck_vin FROM rescue_cases"), kTruckVin);
    const std::int64_t outbox_before = count("SELECT count(*) FROM downlink_outbox");

    // The latest sample is 0.09 degrees of latitude south of the car, about 10 km: 13 km of
    // road at 60 km/h.
    const auto telemetry = telemetry_uplink(kTruckVin, 1, {{48.95, 12.2}, {48.9234, 12.1016}});
    const auto commands = commit_telemetry(telemetry);

    EXPECT_NEAR(query_double("SELECT truck_latitude_deg FROM rescue_cases"), 48.9234, 1e-9);
    EXPECT_NEAR(query_double("SELECT truck_longitude_deg FROM rescue_cases"), 12.1016, 1e-9);
    EXPECT_EQ(count("SELECT truck_position_time_ms FROM rescue_cases"),
              telemetry.batch().samples(1).time_ms());
    const std::int64_t eta_ms = count("SELECT truck_eta_time_ms FROM rescue_cases");
    const std::int64_t updated_ms = count("SELECT updated_time_ms FROM rescue_cases");
    EXPECT_NEAR(static_cast<double>(eta_ms - updated_ms), 13.0 * 60'000, 60'000);
    EXPECT_EQ(count("SELECT count(*) FROM rescue_case_history WHERE step = 'truck_position'"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM downlink_outbox"), outbox_before + 1);
    EXPECT_EQ(count(fmt::format("SELECT count(*) FROM downlink_outbox WHERE vin = '{}'", kVin)),
              outbox_before + 1);
    EXPECT_EQ(query_text(db(), "SELECT state FROM rescue_cases"), "dispatched");

    ASSERT_EQ(commands.size(), 1u);
    EXPECT_EQ(commands[0].vin, kVin);
    const auto update = decode_update(commands[0]);
    EXPECT_EQ(update.case_id(), std::to_string(id));
    EXPECT_EQ(update.status(), v1::RESCUE_STATUS_DISPATCHED);
    ASSERT_TRUE(update.has_truck_location());
    EXPECT_NEAR(update.truck_location().latitude_deg(), 48.9234, 1e-9);
    EXPECT_NEAR(update.truck_location().longitude_deg(), 12.1016, 1e-9);
    EXPECT_EQ(update.truck_eta_time_ms(), eta_ms);
}

TEST_F(RescueCasesTest, OlderTruckTelemetryIgnored) {
    dispatch_with_truck();
    const std::int64_t start_ms = testing::now_ms() - 120'000;
    commit_telemetry(telemetry_uplink(kTruckVin, 2, {{48.9234, 12.1016}}, start_ms + 10'000));

    // A message measured before the stored position, such as one the truck sends again late.
    const auto commands =
        commit_telemetry(telemetry_uplink(kTruckVin, 1, {{48.5, 12.5}}, start_ms));

    EXPECT_TRUE(commands.empty());
    EXPECT_NEAR(query_double("SELECT truck_latitude_deg FROM rescue_cases"), 48.9234, 1e-9);
    EXPECT_EQ(count("SELECT count(*) FROM rescue_case_history WHERE step = 'truck_position'"), 1);
}

TEST_F(RescueCasesTest, TruckTelemetryWithoutDispatchChangesNothing) {
    commit_event(event_uplink(kVin, 1, v1::EVENT_TYPE_CRASH));
    // An open case cannot get a truck VIN through advance(), so the row is set directly to show
    // that the state, not only the VIN, decides.
    testing::execute_sql(db(), fmt::format("UPDATE rescue_cases SET truck_vin = '{}'", kTruckVin));
    const std::int64_t updated_before = count("SELECT updated_time_ms FROM rescue_cases");

    const auto commands = commit_telemetry(telemetry_uplink(kTruckVin, 1, {{48.9234, 12.1016}}));

    EXPECT_TRUE(commands.empty());
    EXPECT_EQ(query_text(db(), "SELECT state FROM rescue_cases"), "open");
    EXPECT_EQ(count("SELECT truck_latitude_deg IS NULL FROM rescue_cases"), 1);
    EXPECT_EQ(count("SELECT truck_eta_time_ms IS NULL FROM rescue_cases"), 1);
    EXPECT_EQ(count("SELECT updated_time_ms FROM rescue_cases"), updated_before);
    EXPECT_EQ(count("SELECT count(*) FROM rescue_case_history"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM downlink_outbox"), 1);
}

TEST_F(RescueCasesTest, TruckTelemetryOnSceneChangesNothing) {
    const std::int64_t id = dispatch_with_truck();
    ASSERT_TRUE(
        cases_->advance(*connection_, id, RescueState::OnScene, "", testing::now_ms()).ok());
    const double latitude_before = query_double("SELECT truck_latitude_deg FROM rescue_cases");
    const std::int64_t history_before = count("SELECT count(*) FROM rescue_case_history");
    const std::int64_t outbox_before = count("SELECT count(*) FROM downlink_outbox");

    const auto commands = commit_telemetry(telemetry_uplink(kTruckVin, 1, {{48.9234, 12.1016}}));

    EXPECT_TRUE(commands.empty());
    EXPECT_EQ(query_text(db(), "SELECT state FROM rescue_cases"), "on_scene");
    EXPECT_EQ(query_double("SELECT truck_latitude_deg FROM rescue_cases"), latitude_before);
    EXPECT_EQ(count("SELECT truck_position_time_ms IS NULL FROM rescue_cases"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM rescue_case_history"), history_before);
    EXPECT_EQ(count("SELECT count(*) FROM downlink_outbox"), outbox_before);
}

TEST_F(RescueCasesTest, CarTelemetryChangesNoCase) {
    dispatch_with_truck();
    const std::int64_t updated_before = count("SELECT updated_time_ms FROM rescue_cases");
    const double latitude_before = query_double("SELECT truck_latitude_deg FROM rescue_cases");
    const std::int64_t history_before = count("SELECT count(*) FROM rescue_case_history");

    // The car of the case, then a car that has no case.
    const auto own = commit_telemetry(telemetry_uplink(kVin, 2, {{48.9234, 12.1016}}));
    const auto other =
        commit_telemetry(telemetry_uplink("1HGCM82633A004352", 1, {{48.9234, 12.1016}}));

    EXPECT_TRUE(own.empty());
    EXPECT_TRUE(other.empty());
    EXPECT_EQ(count("SELECT count(*) FROM samples"), 2);
    EXPECT_EQ(count("SELECT updated_time_ms FROM rescue_cases"), updated_before);
    EXPECT_EQ(query_double("SELECT truck_latitude_deg FROM rescue_cases"), latitude_before);
    EXPECT_EQ(count("SELECT count(*) FROM rescue_case_history"), history_before);
}

TEST_F(RescueCasesTest, InvalidTruckVinRejected) {
    commit_event(event_uplink(kVin, 1, v1::EVENT_TYPE_CRASH));
    const std::int64_t id = count("SELECT id FROM rescue_cases");
    ASSERT_TRUE(cases_->take(*connection_, id, "Alex", 0).ok());

    // The check digit of this VIN is wrong: '4' where '3' belongs.
    const std::string bad_vin = "5TRUCK0X4RS000001";
    auto dispatched = cases_->advance(*connection_, id, RescueState::Dispatched, "", 0, bad_vin);

    ASSERT_FALSE(dispatched.ok());
    EXPECT_NE(dispatched.error().find(bad_vin), std::string::npos) << dispatched.error();
    EXPECT_NE(dispatched.error().find("check digit"), std::string::npos) << dispatched.error();
    EXPECT_EQ(query_text(db(), "SELECT state FROM rescue_cases"), "taken");
    EXPECT_EQ(count("SELECT truck_vin IS NULL FROM rescue_cases"), 1);
}

TEST_F(RescueCasesTest, TruckVinRejectedOutsideDispatch) {
    commit_event(event_uplink(kVin, 1, v1::EVENT_TYPE_CRASH));
    const std::int64_t id = count("SELECT id FROM rescue_cases");
    ASSERT_TRUE(cases_->take(*connection_, id, "Alex", 0).ok());

    auto closed = cases_->advance(*connection_, id, RescueState::Closed, "", 0, kTruckVin);

    ASSERT_FALSE(closed.ok());
    EXPECT_NE(closed.error().find(kTruckVin), std::string::npos) << closed.error();
    EXPECT_NE(closed.error().find("'dispatched'"), std::string::npos) << closed.error();
    EXPECT_EQ(query_text(db(), "SELECT state FROM rescue_cases"), "taken");
    EXPECT_EQ(count("SELECT truck_vin IS NULL FROM rescue_cases"), 1);
}

TEST_F(RescueCasesTest, CarVinRejectedAsTruck) {
    commit_event(event_uplink(kVin, 1, v1::EVENT_TYPE_CRASH));
    const std::int64_t id = count("SELECT id FROM rescue_cases");
    ASSERT_TRUE(cases_->take(*connection_, id, "Alex", 0).ok());

    auto dispatched = cases_->advance(*connection_, id, RescueState::Dispatched, "", 0, kVin);

    ASSERT_FALSE(dispatched.ok());
    EXPECT_NE(dispatched.error().find(kVin), std::string::npos) << dispatched.error();
    EXPECT_NE(dispatched.error().find("VIN of the car"), std::string::npos) << dispatched.error();
    EXPECT_EQ(query_text(db(), "SELECT state FROM rescue_cases"), "taken");
}

TEST_F(RescueCasesTest, TruckOfDispatchedCaseNotDispatchedTwice) {
    const std::int64_t first = dispatch_with_truck();
    const std::string other_car = "1HGCM82633A004352";
    commit_event(event_uplink(other_car, 1, v1::EVENT_TYPE_CRASH));
    const std::int64_t second = count("SELECT max(id) FROM rescue_cases");
    ASSERT_TRUE(cases_->take(*connection_, second, "Kim", 0).ok());

    auto dispatched =
        cases_->advance(*connection_, second, RescueState::Dispatched, "", 0, kTruckVin);

    ASSERT_FALSE(dispatched.ok());
    EXPECT_NE(dispatched.error().find(fmt::format("rescue case {}", first)), std::string::npos)
        << dispatched.error();
    EXPECT_EQ(query_text(db(), fmt::format("SELECT state FROM rescue_cases WHERE id = {}", second)),
              "taken");
}

TEST_F(RescueCasesTest, TruckLookupUsesIndex) {
    auto explain = connection_->prepare(
        "EXPLAIN QUERY PLAN SELECT id FROM rescue_cases WHERE truck_vin = ?1 AND "
        "state = 'dispatched' ORDER BY id DESC LIMIT 1");
    ASSERT_TRUE(explain.ok()) << explain.error();
    explain.value().bind(1, std::string_view(kTruckVin));
    std::string plan;
    auto read = explain.value().for_each_row(
        [&plan](const SqliteStatement& row) { plan += row.column_text(3) + "; "; });

    ASSERT_TRUE(read.ok()) << read.error();
    EXPECT_NE(plan.find("rescue_cases_by_truck_vin"), std::string::npos) << plan;
    EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
}

TEST(EstimateArrival, AddsPreparationAndRoadFactor) {
    RescueOptions options;

    // 60 km of great-circle distance is 78 km of road, 78 minutes at 60 km/h.
    EXPECT_EQ(estimate_arrival_ms(60.0, 0, false, options), 78 * 60'000);
    EXPECT_EQ(estimate_arrival_ms(60.0, 0, true, options), 88 * 60'000);
}

}  // namespace
}  // namespace drivelink::cloud::rescue
