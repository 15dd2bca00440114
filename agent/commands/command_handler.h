// Handles the cloud's commands from dl/v1/{vin}/cmd other than commit acks: shows rescue
// updates, maintenance recommendations, campaign messages and points notices on the head
// unit's screen, and applies configuration updates.
//
// Each command is handled once per command_id, also when the broker delivers it twice. The id
// is stored after the command was handled, so a crash in between shows it again after the
// restart rather than never. Not thread-safe: the agent's thread calls it.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "agent/commands/command_id_store.h"
#include "agent/commands/head_unit_screen.h"
#include "drivelink/v1/drivelink.pb.h"
#include "protocol/result.h"

namespace drivelink::agent::commands {

enum class CommandOutcome {
    Handled,
    Duplicate,  // handled before: nothing done
};

std::string_view to_string(CommandOutcome outcome);

// Applies new settings. Returns an error naming the invalid value, changing nothing, when one
// is out of range.
using ConfigApplier = std::function<Status(const v1::AgentSettings& settings)>;

struct CommandCounters {
    uint64_t handled = 0;
    uint64_t duplicates = 0;
    uint64_t rejected = 0;
};

class CommandHandler {
  public:
    // `screen` and `store` must outlive the handler. Without `apply_config`, configuration
    // updates are rejected.
    CommandHandler(HeadUnitScreen& screen, CommandIdStore& store, ConfigApplier apply_config);

    // Handles one downlink. Fails on a commit ack or a downlink without a body this agent
    // supports, an invalid command_id, or a configuration update the applier rejected. A
    // rejected command counts as handled: a second delivery is a Duplicate.
    Result<CommandOutcome> handle(const v1::Downlink& downlink);

    const CommandCounters& counters() const { return counters_; }

  private:
    Status dispatch(const v1::Downlink& downlink);
    void remember(const std::string& command_id);

    HeadUnitScreen& screen_;
    CommandIdStore& store_;
    ConfigApplier apply_config_;
    CommandCounters counters_;
};

}  // namespace drivelink::agent::commands
