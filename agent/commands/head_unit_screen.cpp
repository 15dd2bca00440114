#include "agent/commands/head_unit_screen.h"

#include <utility>

#include "agent/signals/logger.h"

namespace drivelink::agent::commands {
namespace {

std::shared_ptr<spdlog::logger> logger() {
    static const auto instance = signals::component_logger("commands");
    return instance;
}

}  // namespace

LoggingScreen::LoggingScreen(std::string vin) : vin_(std::move(vin)) {}

void LoggingScreen::show_rescue_update(const v1::RescueUpdate& update) {
    logger()->info(
        "screen vin={} rescue case={} status={} operator=\"{}\" eta_time_ms={} message=\"{}\"",
        vin_,
        update.case_id(),
        v1::RescueStatus_Name(update.status()),
        update.operator_name(),
        update.has_truck_eta_time_ms() ? update.truck_eta_time_ms() : 0,
        update.message());
}

void LoggingScreen::show_maintenance_recommendation(
    const v1::MaintenanceRecommendation& recommendation) {
    logger()->info("screen vin={} maintenance item=\"{}\" reason=\"{}\" dealer=\"{}\"",
                   vin_,
                   recommendation.item(),
                   recommendation.reason(),
                   recommendation.dealer_name());
}

void LoggingScreen::show_campaign_message(const v1::CampaignMessage& message) {
    logger()->info("screen vin={} campaign={} title=\"{}\" body=\"{}\"",
                   vin_,
                   message.campaign_id(),
                   message.title(),
                   message.body());
}

void LoggingScreen::show_points_notice(const v1::PointsNotice& notice) {
    logger()->info("screen vin={} points delta={} balance={} reason=\"{}\"",
                   vin_,
                   notice.points_delta(),
                   notice.balance_points(),
                   notice.reason());
}

}  // namespace drivelink::agent::commands
