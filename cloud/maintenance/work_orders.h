// Service bookings and work orders at a dealer:
//
//   booked -> checked_in -> in_progress -> completed -> paid
//
// Every other transition is invalid. Completing an order records a service of each of its items
// at the car's current odometer reading, so the items' next due dates count from there. It also
// sends the car a MaintenanceRecommendation titled "Service completed" that names the dealer
// and the items. An order may follow a rescue case (a car towed to the dealer).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cloud/dealers/dealer_network.h"
#include "cloud/store/sqlite_database.h"
#include "protocol/result.h"

namespace drivelink::cloud::maintenance {

enum class WorkOrderState { Booked, CheckedIn, InProgress, Completed, Paid };

std::string_view to_string(WorkOrderState state);
std::optional<WorkOrderState> parse_work_order_state(std::string_view name);
bool is_valid_transition(WorkOrderState from, WorkOrderState to);

struct Booking {
    std::string vin;
    std::string dealer_id;
    std::int64_t slot_time_ms = 0;
    std::vector<std::string> items;  // schedule item keys, such as "oil_filter"
    bool pick_up = false;            // the dealer collects the car
    bool delivery = false;           // the dealer returns the car
    std::optional<std::int64_t> rescue_case_id;
};

struct WorkOrder {
    std::int64_t id = 0;
    Booking booking;
    WorkOrderState state = WorkOrderState::Booked;
    std::int64_t updated_time_ms = 0;
};

class WorkOrders {
  public:
    // `network` must outlive this object.
    explicit WorkOrders(const dealers::DealerNetwork& network) : network_(network) {}

    // Books a slot; the dealer must be in the network and the order name at least one item.
    Result<WorkOrder> book(SqliteDatabase& db, const Booking& booking, std::int64_t now_ms) const;
    // Moves the order to `to`; an invalid transition is an error naming the order and both
    // states.
    Result<WorkOrder> advance(SqliteDatabase& db,
                              std::int64_t order_id,
                              WorkOrderState to,
                              std::int64_t now_ms) const;
    Result<WorkOrder> find(SqliteDatabase& db, std::int64_t order_id) const;

  private:
    Status complete(SqliteDatabase& db, const WorkOrder& order, std::int64_t now_ms) const;

    const dealers::DealerNetwork& network_;
};

}  // namespace drivelink::cloud::maintenance
