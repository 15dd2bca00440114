// The 'drivelink-cloud vehicle' subcommands: register a vehicle's model and owner, one at a
// time or from a CSV file, so maintenance uses the model's schedule.
#pragma once

#include <CLI/CLI.hpp>

namespace drivelink::cloud::cli {

// Adds the subcommand to `app`; it sets `exit_code` when it runs.
void add_vehicle_command(CLI::App& app, int& exit_code);

}  // namespace drivelink::cloud::cli
