#include "cloud/cli/maintenance_command.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "cloud/maintenance/work_orders.h"
#include "cloud/rescue/rescue_cases.h"
#include "cloud/store/sqlite_store.h"

namespace drivelink::cloud::cli {
namespace {

using maintenance::WorkOrder;
using maintenance::WorkOrders;

constexpr int kExitFailure = 1;
constexpr int kExitBadInput = 2;

struct MaintenanceArguments {
    std::string db_path;
    std::string dealers_path;
    maintenance::Booking booking;
    std::optional<std::int64_t> rescue_case_id;
    std::int64_t order_id = 0;
    std::string to_state;
};

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string describe(const WorkOrder& order) {
    const auto& booking = order.booking;
    return fmt::format(
        "work order {} vin={} dealer={} state={} slot_time_ms={} items={} pick_up={} "
        "delivery={}",
        order.id,
        booking.vin,
        booking.dealer_id,
        maintenance::to_string(order.state),
        booking.slot_time_ms,
        fmt::join(booking.items, ","),
        booking.pick_up ? "yes" : "no",
        booking.delivery ? "yes" : "no");
}

// Fills the VIN and dealer of a booking from the rescue case it follows, where not given.
Status apply_rescue_case(SqliteDatabase& db,
                         const dealers::DealerNetwork& network,
                         MaintenanceArguments& args) {
    if (!args.rescue_case_id) {
        return ok_status();
    }
    rescue::RescueCases cases(network, {});
    auto found = cases.find(db, *args.rescue_case_id);
    if (!found) {
        return Error{found.error()};
    }
    args.booking.rescue_case_id = args.rescue_case_id;
    if (args.booking.vin.empty()) {
        args.booking.vin = found->vin;
    }
    if (args.booking.dealer_id.empty()) {
        args.booking.dealer_id = found->dealer_id;
    }
    return ok_status();
}

int with_orders(MaintenanceArguments& args,
                const std::function<Result<WorkOrder>(SqliteDatabase&, WorkOrders&)>& action) {
    auto network = dealers::DealerNetwork::load_csv(args.dealers_path);
    if (!network) {
        fmt::print(stderr, "drivelink-cloud maintenance: {}\n", network.error());
        return kExitBadInput;
    }
    auto db = open_service_database(args.db_path, std::chrono::seconds(5));
    if (!db) {
        fmt::print(stderr, "drivelink-cloud maintenance: {}\n", db.error());
        return kExitBadInput;
    }
    if (auto applied = apply_rescue_case(*db.value(), network.value(), args); !applied) {
        fmt::print(stderr, "drivelink-cloud maintenance: {}\n", applied.error());
        return kExitFailure;
    }
    WorkOrders orders(network.value());
    auto order = action(*db.value(), orders);
    if (!order) {
        fmt::print(stderr, "drivelink-cloud maintenance: {}\n", order.error());
        return kExitFailure;
    }
    fmt::print("{}\n", describe(order.value()));
    return 0;
}

void add_common_options(CLI::App& command, MaintenanceArguments& args) {
    command.add_option("--db", args.db_path, "SQLite database file of the cloud")->required();
    command.add_option("--dealers", args.dealers_path, "dealer network CSV file")->required();
}

}  // namespace

void add_maintenance_command(CLI::App& app, int& exit_code) {
    auto args = std::make_shared<MaintenanceArguments>();
    auto* maintenance =
        app.add_subcommand("maintenance", "book service slots and advance work orders");
    maintenance->require_subcommand(1);

    auto* book = maintenance->add_subcommand("book", "book a slot and open a work order");
    add_common_options(*book, *args);
    book->add_option("--vin", args->booking.vin, "VIN (default: the rescue case's)");
    book->add_option("--dealer", args->booking.dealer_id, "dealer id (default: the case's)");
    book->add_option("--slot-time-ms", args->booking.slot_time_ms, "slot start, ms since epoch")
        ->required();
    book->add_option("--items", args->booking.items, "schedule item keys, e.g. oil_filter")
        ->delimiter(',')
        ->required();
    book->add_flag("--pick-up", args->booking.pick_up, "the dealer collects the car");
    book->add_flag("--delivery", args->booking.delivery, "the dealer returns the car");
    book->add_option("--rescue-case", args->rescue_case_id, "the rescue case this repair follows");
    book->callback([args, &exit_code] {
        exit_code = with_orders(*args, [&](SqliteDatabase& db, WorkOrders& orders) {
            return orders.book(db, args->booking, now_ms());
        });
    });

    auto* advance = maintenance->add_subcommand("advance", "move a work order to its next state");
    add_common_options(*advance, *args);
    advance->add_option("--order", args->order_id, "work order id")->required();
    advance
        ->add_option(
            "--to", args->to_state, "new state: checked_in, in_progress, completed or paid")
        ->required();
    advance->callback([args, &exit_code] {
        const auto to = maintenance::parse_work_order_state(args->to_state);
        if (!to) {
            fmt::print(stderr, "drivelink-cloud maintenance: unknown state '{}'\n", args->to_state);
            exit_code = kExitBadInput;
            return;
        }
        exit_code = with_orders(*args, [&](SqliteDatabase& db, WorkOrders& orders) {
            return orders.advance(db, args->order_id, *to, now_ms());
        });
    });
}

}  // namespace drivelink::cloud::cli
