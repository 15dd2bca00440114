#include "cloud/maintenance/work_orders.h"

#include "cloud/dealers/opening_hours.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <array>
#include <sstream>
#include <utility>

#include "cloud/logging.h"
#include "cloud/maintenance/maintenance_service.h"
#include "cloud/store/downlink_outbox.h"

namespace drivelink::cloud::maintenance {
namespace {

constexpr std::array<std::pair<WorkOrderState, std::string_view>, 5> kNames = {{
    {WorkOrderState::Booked, "booked"},
    {WorkOrderState::CheckedIn, "checked_in"},
    {WorkOrderState::InProgress, "in_progress"},
    {WorkOrderState::Completed, "completed"},
    {WorkOrderState::Paid, "paid"},
}};

constexpr std::string_view kInsertOrder = R"sql(
INSERT INTO work_orders (vin, dealer_id, slot_time_ms, items, pick_up, delivery, rescue_case_id,
                         state, created_time_ms, updated_time_ms)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'booked', ?8, ?8))sql";

// Counts the orders at the dealer that occupy a bay within one slot length of ?2.
constexpr std::string_view kCountBusyBays = R"sql(
SELECT count(*) FROM work_orders
WHERE dealer_id = ?1 AND state IN ('booked', 'checked_in', 'in_progress')
    AND abs(slot_time_ms - ?2) < ?3)sql";

// A booking occupies a service bay for this long from its slot time.
constexpr std::chrono::milliseconds kSlotLength = std::chrono::hours(1);

std::string format_utc(std::int64_t time_ms) {
    return fmt::format(
        "{:%Y-%m-%d %H:%M} UTC",
        std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(time_ms)));
}

constexpr std::string_view kSelectOrder = R"sql(
SELECT id, vin, dealer_id, slot_time_ms, items, pick_up, delivery, rescue_case_id, state,
       updated_time_ms
FROM work_orders WHERE id = ?1)sql";

std::vector<std::string> split_items(const std::string& text) {
    std::vector<std::string> items;
    std::istringstream stream(text);
    for (std::string item; std::getline(stream, item, ',');) {
        items.push_back(item);
    }
    return items;
}

Status run_transaction(SqliteDatabase& db, const std::function<Status()>& body) {
    if (auto begun = db.exec("BEGIN IMMEDIATE"); !begun) {
        return begun;
    }
    Status done = body();
    if (done) {
        done = db.exec("COMMIT");
    }
    if (!done && db.in_transaction()) {
        (void)db.exec("ROLLBACK");
    }
    return done;
}

Status insert_history(SqliteDatabase& db,
                      std::int64_t order_id,
                      WorkOrderState state,
                      std::int64_t now_ms) {
    auto insert = db.prepare(
        "INSERT INTO work_order_history (work_order_id, state, time_ms) VALUES (?1, ?2, ?3)");
    if (!insert) {
        return Error{insert.error()};
    }
    insert.value().bind(1, order_id);
    insert.value().bind(2, to_string(state));
    insert.value().bind(3, now_ms);
    return insert.value().execute();
}

Result<double> current_odometer_km(SqliteDatabase& db, const std::string& vin) {
    auto query = db.prepare("SELECT odometer_km FROM vehicle_usage WHERE vin = ?1");
    if (!query) {
        return Error{query.error()};
    }
    query.value().bind(1, vin);
    double odometer_km = 0.0;
    auto read = query.value().for_each_row(
        [&odometer_km](const SqliteStatement& row) { odometer_km = row.column_double(0); });
    if (!read) {
        return Error{read.error()};
    }
    return odometer_km;
}

}  // namespace

std::string_view to_string(WorkOrderState state) {
    for (const auto& [value, name] : kNames) {
        if (value == state) {
            return name;
        }
    }
    return "unknown";
}

std::optional<WorkOrderState> parse_work_order_state(std::string_view name) {
    for (const auto& [value, known] : kNames) {
        if (known == name) {
            return value;
        }
    }
    return std::nullopt;
}

bool is_valid_transition(WorkOrderState from, WorkOrderState to) {
    return static_cast<int>(to) == static_cast<int>(from) + 1;
}

Result<WorkOrder> WorkOrders::book(SqliteDatabase& db,
                                   const Booking& booking,
                                   std::int64_t now_ms) const {
    const auto* dealer = network_.find(booking.dealer_id);
    if (dealer == nullptr) {
        return Error{fmt::format("vin={}: dealer '{}' not found", booking.vin, booking.dealer_id)};
    }
    if (booking.items.empty()) {
        return Error{fmt::format("vin={}: a work order needs at least one item", booking.vin)};
    }
    if (!dealer->opening_hours.empty()) {
        auto hours = dealers::parse_opening_hours(dealer->opening_hours);
        if (!hours) {
            return Error{fmt::format("dealer '{}': {}", dealer->id, hours.error())};
        }
        if (!dealers::is_open(*hours, booking.slot_time_ms)) {
            return Error{
                fmt::format("vin={}: dealer '{}' is closed at {} (opening hours '{}', UTC)",
                            booking.vin,
                            dealer->id,
                            format_utc(booking.slot_time_ms),
                            dealer->opening_hours)};
        }
    }
    WorkOrder order{0, booking, WorkOrderState::Booked, now_ms};
    auto booked = run_transaction(db, [&]() -> Status {
        if (dealer->service_bays > 0) {
            auto busy = db.prepare(kCountBusyBays);
            if (!busy) {
                return Error{busy.error()};
            }
            auto& query = busy.value();
            query.bind(1, booking.dealer_id);
            query.bind(2, booking.slot_time_ms);
            query.bind(3, static_cast<std::int64_t>(kSlotLength.count()));
            auto row = query.step();
            if (!row) {
                return Error{row.error()};
            }
            if (row.value() && query.column_int64(0) >= dealer->service_bays) {
                return Error{fmt::format(
                    "vin={}: all {} service bays of dealer '{}' are booked within an hour of {}",
                    booking.vin,
                    dealer->service_bays,
                    dealer->id,
                    format_utc(booking.slot_time_ms))};
            }
        }
        auto insert = db.prepare(kInsertOrder);
        if (!insert) {
            return Error{insert.error()};
        }
        auto& statement = insert.value();
        statement.bind(1, booking.vin);
        statement.bind(2, booking.dealer_id);
        statement.bind(3, booking.slot_time_ms);
        statement.bind(4, fmt::format("{}", fmt::join(booking.items, ",")));
        statement.bind(5, std::int64_t{booking.pick_up ? 1 : 0});
        statement.bind(6, std::int64_t{booking.delivery ? 1 : 0});
        statement.bind(7, booking.rescue_case_id);
        statement.bind(8, now_ms);
        if (auto inserted = statement.execute(); !inserted) {
            return inserted;
        }
        order.id = db.last_insert_rowid();
        return insert_history(db, order.id, WorkOrderState::Booked, now_ms);
    });
    if (!booked) {
        return Error{booked.error()};
    }
    return order;
}

Result<WorkOrder> WorkOrders::find(SqliteDatabase& db, std::int64_t order_id) const {
    auto query = db.prepare(kSelectOrder);
    if (!query) {
        return Error{query.error()};
    }
    query.value().bind(1, order_id);
    std::optional<WorkOrder> found;
    auto read = query.value().for_each_row([&found](const SqliteStatement& row) {
        Booking booking{row.column_text(1),
                        row.column_text(2),
                        row.column_int64(3),
                        split_items(row.column_text(4)),
                        row.column_int64(5) != 0,
                        row.column_int64(6) != 0,
                        row.column_optional_int64(7)};
        const auto state = parse_work_order_state(row.column_text(8));
        found = WorkOrder{row.column_int64(0),
                          std::move(booking),
                          state.value_or(WorkOrderState::Booked),
                          row.column_int64(9)};
    });
    if (!read) {
        return Error{read.error()};
    }
    if (!found) {
        return Error{fmt::format("work order {} not found", order_id)};
    }
    return *found;
}

Result<WorkOrder> WorkOrders::advance(SqliteDatabase& db,
                                      std::int64_t order_id,
                                      WorkOrderState to,
                                      std::int64_t now_ms) const {
    std::optional<WorkOrder> result;
    auto advanced = run_transaction(db, [&]() -> Status {
        auto found = find(db, order_id);
        if (!found) {
            return Error{found.error()};
        }
        WorkOrder order = std::move(found).value();
        if (!is_valid_transition(order.state, to)) {
            return Error{fmt::format("work order {} is '{}' and cannot change to '{}'",
                                     order_id,
                                     to_string(order.state),
                                     to_string(to))};
        }
        order.state = to;
        order.updated_time_ms = now_ms;
        auto update =
            db.prepare("UPDATE work_orders SET state = ?2, updated_time_ms = ?3 WHERE id = ?1");
        if (!update) {
            return Error{update.error()};
        }
        update.value().bind(1, order_id);
        update.value().bind(2, to_string(to));
        update.value().bind(3, now_ms);
        if (auto updated = update.value().execute(); !updated) {
            return updated;
        }
        if (auto logged = insert_history(db, order_id, to, now_ms); !logged) {
            return logged;
        }
        if (to == WorkOrderState::Completed) {
            if (auto completed = complete(db, order, now_ms); !completed) {
                return completed;
            }
        }
        result = std::move(order);
        return ok_status();
    });
    if (!advanced) {
        return Error{advanced.error()};
    }
    return *result;
}

Status WorkOrders::complete(SqliteDatabase& db, const WorkOrder& order, std::int64_t now_ms) const {
    const auto& booking = order.booking;
    auto odometer_km = current_odometer_km(db, booking.vin);
    if (!odometer_km) {
        return Error{odometer_km.error()};
    }
    for (const auto& item : booking.items) {
        if (auto recorded = record_service(db, booking.vin, item, *odometer_km, now_ms);
            !recorded) {
            return recorded;
        }
    }
    const auto* dealer = network_.find(booking.dealer_id);
    v1::Downlink downlink;
    downlink.set_sent_time_ms(now_ms);
    downlink.set_command_id(fmt::format("work-order-{}-completed", order.id));
    auto* body = downlink.mutable_maintenance_recommendation();
    body->set_item("Service completed");
    body->set_reason(fmt::format("work order {} completed: {} at {:.0f} km",
                                 order.id,
                                 fmt::join(booking.items, ", "),
                                 *odometer_km));
    body->set_dealer_name(dealer != nullptr ? dealer->name : booking.dealer_id);
    auto queued = enqueue_downlink(db, booking.vin, downlink, now_ms);
    if (!queued) {
        return Error{queued.error()};
    }
    component_logger("maintenance")
        ->info("vin={} work order {} completed at {:.0f} km", booking.vin, order.id, *odometer_km);
    return ok_status();
}

}  // namespace drivelink::cloud::maintenance
