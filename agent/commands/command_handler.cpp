#include "agent/commands/command_handler.h"

#include <fmt/format.h>

#include <utility>

#include "agent/signals/logger.h"

namespace drivelink::agent::commands {
namespace {

std::shared_ptr<spdlog::logger> logger() {
    static const auto instance = signals::component_logger("commands");
    return instance;
}

}  // namespace

std::string_view to_string(CommandOutcome outcome) {
    switch (outcome) {
        case CommandOutcome::Handled:
            return "handled";
        case CommandOutcome::Duplicate:
            return "duplicate";
    }
    return "unknown";
}

CommandHandler::CommandHandler(HeadUnitScreen& screen,
                               CommandIdStore& store,
                               ConfigApplier apply_config)
    : screen_(screen), store_(store), apply_config_(std::move(apply_config)) {}

Result<CommandOutcome> CommandHandler::handle(const v1::Downlink& downlink) {
    if (downlink.has_commit_ack()) {
        return Error{"commit acks go to the agent core, not to the command handler"};
    }
    const auto& command_id = downlink.command_id();
    if (auto valid = validate_command_id(command_id); !valid) {
        ++counters_.rejected;
        return Error{valid.error()};
    }
    if (store_.contains(command_id)) {
        ++counters_.duplicates;
        logger()->debug("command {} handled before, ignored", command_id);
        return CommandOutcome::Duplicate;
    }

    auto dispatched = dispatch(downlink);
    remember(command_id);
    if (!dispatched) {
        ++counters_.rejected;
        logger()->warn("command {} rejected: {}", command_id, dispatched.error());
        return Error{fmt::format("command {} rejected: {}", command_id, dispatched.error())};
    }
    ++counters_.handled;
    return CommandOutcome::Handled;
}

Status CommandHandler::dispatch(const v1::Downlink& downlink) {
    switch (downlink.body_case()) {
        case v1::Downlink::kRescueUpdate:
            screen_.show_rescue_update(downlink.rescue_update());
            return ok_status();
        case v1::Downlink::kMaintenanceRecommendation:
            screen_.show_maintenance_recommendation(downlink.maintenance_recommendation());
            return ok_status();
        case v1::Downlink::kCampaignMessage:
            screen_.show_campaign_message(downlink.campaign_message());
            return ok_status();
        case v1::Downlink::kPointsNotice:
            screen_.show_points_notice(downlink.points_notice());
            return ok_status();
        case v1::Downlink::kConfigUpdate:
            if (!apply_config_) {
                return Error{"this agent does not accept configuration updates"};
            }
            return apply_config_(downlink.config_update().settings());
        case v1::Downlink::kCommitAck:
        case v1::Downlink::BODY_NOT_SET:
            break;
    }
    return Error{
        "the downlink carries no command this agent supports; the cloud may use a newer "
        "protocol version than this agent"};
}

void CommandHandler::remember(const std::string& command_id) {
    if (auto added = store_.add(command_id); !added) {
        // The command was handled, but a second delivery may now be handled again.
        logger()->error("cannot remember command {}: {}", command_id, added.error());
    }
}

}  // namespace drivelink::agent::commands
