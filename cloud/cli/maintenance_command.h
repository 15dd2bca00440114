// The 'drivelink-cloud maintenance' subcommands: book a service slot at a dealer (also for a
// car a rescue truck brought in) and advance the work order through its states.
#pragma once

#include <CLI/CLI.hpp>

namespace drivelink::cloud::cli {

// Adds the subcommand to `app`; it sets `exit_code` when it runs.
void add_maintenance_command(CLI::App& app, int& exit_code);

}  // namespace drivelink::cloud::cli
