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
using testing::kVin;
using testing::query_int;
using testing::query_text;

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

    std::int64_t count(const std::string& sql) const { return query_int(db(), sql); }
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

TEST(EstimateArrival, AddsPreparationAndRoadFactor) {
    RescueOptions options;

    // 60 km of great-circle distance is 78 km of road, 78 minutes at 60 km/h.
    EXPECT_EQ(estimate_arrival_ms(60.0, 0, false, options), 78 * 60'000);
    EXPECT_EQ(estimate_arrival_ms(60.0, 0, true, options), 88 * 60'000);
}

}  // namespace
}  // namespace drivelink::cloud::rescue
