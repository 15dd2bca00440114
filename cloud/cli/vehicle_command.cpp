#include "cloud/cli/vehicle_command.h"

#include <fmt/format.h>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "cloud/maintenance/maintenance_service.h"
#include "cloud/store/sqlite_store.h"
#include "protocol/vin.h"

namespace drivelink::cloud::cli {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitBadInput = 2;

struct VehicleArguments {
    std::string db_path;
    std::string vin;
    std::string model;
    std::string owner;
    std::string file;
};

Status register_one(SqliteDatabase& db,
                    const std::string& vin,
                    const std::string& model,
                    const std::string& owner) {
    if (auto valid = protocol::validate_vin(vin); !valid) {
        return valid;
    }
    if (model.empty()) {
        return Error{fmt::format("vin={}: the model is missing", vin)};
    }
    return maintenance::register_vehicle(db, vin, model, owner);
}

// Reads "vin,model,owner" lines after a header line; the whole file is one transaction.
Status import_file(SqliteDatabase& db, const std::string& path) {
    std::ifstream input(path);
    if (!input) {
        return Error{fmt::format("cannot open vehicle file '{}'", path)};
    }
    if (auto begun = db.exec("BEGIN IMMEDIATE"); !begun) {
        return begun;
    }
    std::string line;
    std::getline(input, line);  // header
    Status imported = ok_status();
    for (int line_number = 2; imported && std::getline(input, line); ++line_number) {
        if (line.empty() || line.starts_with('#')) {
            continue;
        }
        std::istringstream fields(line);
        std::string vin, model, owner;
        std::getline(fields, vin, ',');
        std::getline(fields, model, ',');
        std::getline(fields, owner);
        imported = register_one(db, vin, model, owner);
        if (!imported) {
            imported = Error{fmt::format("'{}' line {}: {}", path, line_number, imported.error())};
        }
    }
    const Status ended = imported ? db.exec("COMMIT") : db.exec("ROLLBACK");
    return imported ? ended : imported;
}

int with_database(const VehicleArguments& args,
                  const std::function<Status(SqliteDatabase&)>& action,
                  const std::string& done) {
    auto db = open_service_database(args.db_path, std::chrono::seconds(5));
    if (!db) {
        fmt::print(stderr, "drivelink-cloud vehicle: {}\n", db.error());
        return kExitBadInput;
    }
    if (auto result = action(*db.value()); !result) {
        fmt::print(stderr, "drivelink-cloud vehicle: {}\n", result.error());
        return kExitFailure;
    }
    fmt::print("{}\n", done);
    return 0;
}

}  // namespace

void add_vehicle_command(CLI::App& app, int& exit_code) {
    auto args = std::make_shared<VehicleArguments>();
    auto* vehicle = app.add_subcommand("vehicle", "register vehicles with their model and owner");
    vehicle->require_subcommand(1);

    auto* add = vehicle->add_subcommand("register", "register or update one vehicle");
    add->add_option("--db", args->db_path, "SQLite database file of the cloud")->required();
    add->add_option("--vin", args->vin, "17-character VIN")->required();
    add->add_option("--model", args->model, "model key of the schedule file, e.g. leaf-ze0")
        ->required();
    add->add_option("--owner", args->owner, "owner name");
    add->callback([args, &exit_code] {
        exit_code = with_database(
            *args,
            [&](SqliteDatabase& db) {
                return register_one(db, args->vin, args->model, args->owner);
            },
            fmt::format("registered vin={} model={}", args->vin, args->model));
    });

    auto* import = vehicle->add_subcommand("import", "register the vehicles of a CSV file");
    import->add_option("--db", args->db_path, "SQLite database file of the cloud")->required();
    import->add_option("--file", args->file, "CSV file with the header vin,model,owner")
        ->required();
    import->callback([args, &exit_code] {
        exit_code = with_database(
            *args,
            [&](SqliteDatabase& db) { return import_file(db, args->file);
},
            fmt::format("imported '{}'", args->file));
}  // namespace drivelink::cloud::cli
);
}

}  // namespace drivelink::cloud::cli
