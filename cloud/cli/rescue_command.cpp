#include "cloud/cli/rescue_command.h"

#include <fmt/format.h>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "cloud/rescue/rescue_cases.h"
#include "cloud/store/sqlite_store.h"
#include "protocol/vin.h"

namespace drivelink::cloud::cli {
namespace {

using rescue::RescueCase;
using rescue::RescueCases;

constexpr int kExitFailure = 1;
constexpr int kExitBadInput = 2;

struct RescueArguments {
    std::string db_path;
    std::string dealers_path;
    std::int64_t case_id = 0;
    std::string operator_name;
    std::string to_state;
    std::string dealer_id;
    std::string truck_vin;
    double latitude_deg = 0.0;
    double longitude_deg = 0.0;
    std::optional<int> level;
};

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string describe(const RescueCase& c) {
    return fmt::format(
        "case {} vin={} state={} trigger={} level={} operator='{}' dealer='{}'{}{}",
        c.id,
        c.vin,
        rescue::to_string(c.state),
        c.trigger,
        c.escalation_level,
        c.operator_name,
        c.dealer_id,
        c.truck_vin.empty() ? std::string() : fmt::format(" truck_vin={}", c.truck_vin),
        c.truck_eta_time_ms ? fmt::format(" truck_eta_ms={}", *c.truck_eta_time_ms)
                            : std::string());
}

// Opens the database and the dealer network, then runs `action` and prints its output or error.
int with_cases(const RescueArguments& args,
               const std::function<Result<std::string>(SqliteDatabase&, RescueCases&)>& action) {
    dealers::DealerNetwork network({});
    if (!args.dealers_path.empty()) {
        auto loaded = dealers::DealerNetwork::load_csv(args.dealers_path);
        if (!loaded) {
            fmt::print(stderr, "drivelink-cloud rescue: {}\n", loaded.error());
            return kExitBadInput;
        }
        network = std::move(loaded).value();
    }
    auto db = open_service_database(args.db_path, std::chrono::seconds(5));
    if (!db) {
        fmt::print(stderr, "drivelink-cloud rescue: {}\n", db.error());
        return kExitBadInput;
    }
    RescueCases cases(network, {});
    auto output = action(*db.value(), cases);
    if (!output) {
        fmt::print(stderr, "drivelink-cloud rescue: {}\n", output.error());
        return kExitFailure;
    }
    fmt::print("{}\n", output.value());
    return 0;
}

Result<std::string> describe_result(const Result<RescueCase>& result) {
    if (!result) {
        return Error{result.error()};
    }
    return describe(result.value());
}

Result<std::string> list_cases(SqliteDatabase& db, RescueCases& cases, std::optional<int> level) {
    auto listed = cases.list_active(db, level);
    if (!listed) {
        return Error{listed.error()};
    }
    std::string text = fmt::format("{} active rescue cases", listed.value().size());
    for (const auto& c : listed.value()) {
        text += "\n" + describe(c);
    }
    return text;
}

void add_common_options(CLI::App& command, RescueArguments& args, bool with_case) {
    command.add_option("--db", args.db_path, "SQLite database file of the cloud")->required();
    command.add_option("--dealers", args.dealers_path, "dealer network CSV file");
    if (with_case) {
        command.add_option("--case", args.case_id, "rescue case id")->required();
    }
}

}  // namespace

void add_rescue_command(CLI::App& app, int& exit_code) {
    auto args = std::make_shared<RescueArguments>();
    auto* rescue = app.add_subcommand("rescue", "list, take and advance rescue cases");
    rescue->require_subcommand(1);

    auto* list = rescue->add_subcommand("list", "print the cases not closed, oldest first");
    add_common_options(*list, *args, false);
    list->add_option("--level", args->level, "only cases at this escalation level");
    list->callback([args, &exit_code] {
        exit_code = with_cases(*args, [&](SqliteDatabase& db, RescueCases& cases) {
            return list_cases(db, cases, args->level);
        });
    });

    auto* take = rescue->add_subcommand("take", "assign an open case to an operator");
    add_common_options(*take, *args, true);
    take->add_option("--operator", args->operator_name, "operator name")->required();
    take->callback([args, &exit_code] {
        exit_code = with_cases(*args, [&](SqliteDatabase& db, RescueCases& cases) {
            return describe_result(cases.take(db, args->case_id, args->operator_name, now_ms()));
        });
    });

    auto* advance = rescue->add_subcommand("advance", "move a case to its next state");
    add_common_options(*advance, *args, true);
    advance
        ->add_option("--to",
                     args->to_state,
                     "new state: dispatched, on_scene, towing, repaired_on_site or closed")
        ->required();
    advance->add_option("--dealer", args->dealer_id, "dispatched dealer id (needs --dealers)");
    advance->add_option("--truck-vin",
                        args->truck_vin,
                        "VIN of the dispatched rescue truck, whose telemetry then updates the "
                        "truck position (only with --to dispatched)");
    advance->callback([args, &exit_code] {
        const auto to = rescue::parse_rescue_state(args->to_state);
        if (!to) {
            fmt::print(stderr, "drivelink-cloud rescue: unknown state '{}'\n", args->to_state);
            exit_code = kExitBadInput;
            return;
        }
        if (!args->truck_vin.empty()) {
            if (auto valid = protocol::validate_vin(args->truck_vin); !valid) {
                fmt::print(stderr, "drivelink-cloud rescue: --truck-vin: {}\n", valid.error());
                exit_code = kExitBadInput;
                return;
            }
        }
        exit_code = with_cases(*args, [&](SqliteDatabase& db, RescueCases& cases) {
            return describe_result(
                cases.advance(db, args->case_id, *to, args->dealer_id, now_ms(), args->truck_vin));
        });
    });

    auto* truck = rescue->add_subcommand("truck", "report the rescue truck's position");
    add_common_options(*truck, *args, true);
    truck->add_option("--lat", args->latitude_deg, "truck latitude in degrees")->required();
    truck->add_option("--lon", args->longitude_deg, "truck longitude in degrees")->required();
    truck->callback([args, &exit_code] {
        exit_code = with_cases(*args, [&](SqliteDatabase& db, RescueCases& cases) {
            const dealers::GeoPosition at{args->latitude_deg, args->longitude_deg};
            return describe_result(cases.report_truck_position(db, args->case_id, at, now_ms()));
        });
    });
}

}  // namespace drivelink::cloud::cli
