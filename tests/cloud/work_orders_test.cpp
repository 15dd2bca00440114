// Work orders on a real SQLite file: the state machine and what completion changes.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "cloud/dealers/opening_hours.h"
#include "cloud/maintenance/maintenance_service.h"
#include "cloud/maintenance/work_orders.h"
#include "cloud/store/sqlite_store.h"
#include "tests/cloud/cloud_test_support.h"
#include "tests/support/process.h"

namespace drivelink::cloud::maintenance {
namespace {

using drivelink::testing::TempDir;
using testing::kVin;
using testing::query_int;
using testing::query_text;
using S = WorkOrderState;

const std::filesystem::path kSampleNetwork =
    std::filesystem::path(DRIVELINK_SOURCE_DIR) / "data" / "dealers_sample.csv";

// 2026-11-30 was a Monday. de-rgb-01 opens Mo-Fr 07:30-18:00 and Sa 08:00-12:00 with 8 bays.
constexpr std::int64_t kMonday10Utc = 1'796'032'800'000;
constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kDayMs = 24 * kHourMs;

class WorkOrdersTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto network = dealers::DealerNetwork::load_csv(kSampleNetwork);
        ASSERT_TRUE(network.ok()) << network.error();
        network_ = std::make_unique<dealers::DealerNetwork>(std::move(network).value());
        orders_ = std::make_unique<WorkOrders>(*network_);
        auto db = open_service_database(db_path(), std::chrono::seconds(5));
        ASSERT_TRUE(db.ok()) << db.error();
        db_ = std::move(db).value();
    }

    Booking booking() const {
        return Booking{
            kVin, "de-rgb-01", kMonday10Utc, {"oil_filter", "tyre_rotation"}, true, true, {}};
    }

    std::filesystem::path db_path() const { return dir_ / "cloud.db"; }

    TempDir dir_;
    std::unique_ptr<dealers::DealerNetwork> network_;
    std::unique_ptr<WorkOrders> orders_;
    std::unique_ptr<SqliteDatabase> db_;
};

TEST(WorkOrderState, OnlyNextStepIsValid) {
    EXPECT_TRUE(is_valid_transition(S::Booked, S::CheckedIn));
    EXPECT_TRUE(is_valid_transition(S::CheckedIn, S::InProgress));
    EXPECT_TRUE(is_valid_transition(S::InProgress, S::Completed));
    EXPECT_TRUE(is_valid_transition(S::Completed, S::Paid));
    EXPECT_FALSE(is_valid_transition(S::Booked, S::Completed));
    EXPECT_FALSE(is_valid_transition(S::Paid, S::Booked));
    EXPECT_FALSE(is_valid_transition(S::Completed, S::InProgress));
}

TEST_F(WorkOrdersTest, BookingStoresPickUpAndDelivery) {
    auto order = orders_->book(*db_, booking(), 500);

    ASSERT_TRUE(order.ok()) << order.error();
    EXPECT_EQ(order->state, S::Booked);
    EXPECT_EQ(query_int(db_path(), "SELECT pick_up + delivery FROM work_orders"), 2);
    EXPECT_EQ(query_text(db_path(), "SELECT items FROM work_orders"), "oil_filter,tyre_rotation");
}

TEST_F(WorkOrdersTest, BookingRejectsUnknownDealer) {
    auto bad = booking();
    bad.dealer_id = "nowhere";

    auto order = orders_->book(*db_, bad, 500);

    ASSERT_FALSE(order.ok());
    EXPECT_NE(order.error().find("dealer 'nowhere' not found"), std::string::npos);
}

TEST_F(WorkOrdersTest, BookingOutsideOpeningHoursRejected) {
    auto sunday = booking();
    sunday.slot_time_ms = kMonday10Utc - kDayMs;

    auto order = orders_->book(*db_, sunday, 500);

    ASSERT_FALSE(order.ok());
    EXPECT_NE(order.error().find("dealer 'de-rgb-01' is closed at 2026-11-29 10:00 UTC"),
              std::string::npos)
        << order.error();
    EXPECT_NE(order.error().find("Mo-Fr 07:30-18:00; Sa 08:00-12:00"), std::string::npos);
    EXPECT_EQ(query_int(db_path(), "SELECT count(*) FROM work_orders"), 0);
}

TEST_F(WorkOrdersTest, BookingRejectedWhenBaysFull) {
    for (int i = 0; i < 8; ++i) {
        auto order = orders_->book(*db_, booking(), 500);
        ASSERT_TRUE(order.ok()) << order.error();
    }
    auto ninth = booking();
    ninth.slot_time_ms += 30 * 60'000;

    auto full = orders_->book(*db_, ninth, 500);

    ASSERT_FALSE(full.ok());
    EXPECT_NE(full.error().find("all 8 service bays of dealer 'de-rgb-01' are booked"),
              std::string::npos)
        << full.error();
    auto later = booking();
    later.slot_time_ms += 2 * kHourMs;
    EXPECT_TRUE(orders_->book(*db_, later, 500).ok());
    EXPECT_EQ(query_int(db_path(), "SELECT count(*) FROM work_orders"), 9);
}

TEST(OpeningHours, OpenInsideRangesOnly) {
    auto hours = dealers::parse_opening_hours("Mo-Fr 07:30-18:00; Sa 08:00-12:00");
    ASSERT_TRUE(hours.ok()) << hours.error();

    EXPECT_TRUE(dealers::is_open(*hours, kMonday10Utc));
    EXPECT_FALSE(dealers::is_open(*hours, kMonday10Utc - 3 * kHourMs));          // Monday 07:00
    EXPECT_TRUE(dealers::is_open(*hours, kMonday10Utc + 5 * kDayMs + kHourMs));  // Sat 11:00
    EXPECT_FALSE(dealers::is_open(*hours, kMonday10Utc + 5 * kDayMs + 2 * kHourMs));  // Sat 12:00
    EXPECT_FALSE(dealers::is_open(*hours, kMonday10Utc + 6 * kDayMs));                // Sunday
}

TEST(OpeningHours, DayListsAndSeveralRanges) {
    auto hours = dealers::parse_opening_hours("Mo,We 08:00-12:00,13:00-17:00");
    ASSERT_TRUE(hours.ok()) << hours.error();

    EXPECT_TRUE(dealers::is_open(*hours, kMonday10Utc));
    EXPECT_FALSE(dealers::is_open(*hours, kMonday10Utc + 2 * kHourMs));              // Monday 12:00
    EXPECT_FALSE(dealers::is_open(*hours, kMonday10Utc + kDayMs));                   // Tuesday
    EXPECT_TRUE(dealers::is_open(*hours, kMonday10Utc + 2 * kDayMs + 4 * kHourMs));  // Wed 14:00
}

TEST(OpeningHours, ErrorsNameThePart) {
    for (const auto& [text, part] :
         std::vector<std::pair<std::string, std::string>>{{"Mo-Xx 08:00-17:00", "'Mo-Xx'"},
                                                          {"Fr-Mo 08:00-17:00", "'Fr-Mo'"},
                                                          {"Mo-Fr 17:00-08:00", "'17:00-08:00'"},
                                                          {"Mo-Fr 8-17", "'8-17'"},
                                                          {"Mo-Fr", "'Mo-Fr'"}}) {
        auto hours = dealers::parse_opening_hours(text);
        ASSERT_FALSE(hours.ok()) << text;
        EXPECT_NE(hours.error().find(part), std::string::npos) << hours.error();
    }
}

TEST_F(WorkOrdersTest, InvalidTransitionRejectedClearly) {
    auto order = orders_->book(*db_, booking(), 500);
    ASSERT_TRUE(order.ok()) << order.error();

    auto skipped = orders_->advance(*db_, order->id, S::Completed, 600);

    ASSERT_FALSE(skipped.ok());
    EXPECT_NE(skipped.error().find(fmt::format("work order {}", order->id)), std::string::npos);
    EXPECT_NE(skipped.error().find("'booked'"), std::string::npos) << skipped.error();
    EXPECT_NE(skipped.error().find("'completed'"), std::string::npos) << skipped.error();
    EXPECT_EQ(query_text(db_path(), "SELECT state FROM work_orders"), "booked");
}

TEST_F(WorkOrdersTest, CompletionResetsItemsAndNotifies) {
    testing::execute_sql(db_path(),
                         fmt::format("INSERT INTO vehicle_usage VALUES ('{}', 14321.0, 5000.0, 0, "
                                     "0, NULL, NULL)",
                                     kVin));
    auto order = orders_->book(*db_, booking(), 500);
    ASSERT_TRUE(order.ok()) << order.error();

    ASSERT_TRUE(orders_->advance(*db_, order->id, S::CheckedIn, 600).ok());
    ASSERT_TRUE(orders_->advance(*db_, order->id, S::InProgress, 700).ok());
    auto completed = orders_->advance(*db_, order->id, S::Completed, 800);
    auto paid = orders_->advance(*db_, order->id, S::Paid, 900);

    ASSERT_TRUE(completed.ok()) << completed.error();
    ASSERT_TRUE(paid.ok()) << paid.error();
    EXPECT_EQ(query_int(db_path(), "SELECT count(*) FROM maintenance_services WHERE time_ms = 800"),
              2);
    EXPECT_EQ(query_int(db_path(),
                        "SELECT odometer_km FROM maintenance_services WHERE item = 'oil_filter'"),
              14321);
    EXPECT_EQ(query_int(db_path(), "SELECT count(*) FROM downlink_outbox"), 1);
    EXPECT_EQ(query_int(db_path(), "SELECT count(*) FROM work_order_history"), 5);
}

}  // namespace
}  // namespace drivelink::cloud::maintenance
