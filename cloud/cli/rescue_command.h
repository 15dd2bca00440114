// The 'drivelink-cloud rescue' subcommands: operators list, take and advance rescue cases and
// report truck positions on the database file. Each change is queued in the downlink outbox,
// and the running cloud ('drivelink-cloud run' on the same file) sends it to the car.
#pragma once

#include <CLI/CLI.hpp>

namespace drivelink::cloud::cli {

// Adds the subcommand to `app`; it sets `exit_code` when it runs.
void add_rescue_command(CLI::App& app, int& exit_code);

}  // namespace drivelink::cloud::cli
