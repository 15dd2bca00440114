// The head unit's screen as the cloud's messages reach it: rescue progress, maintenance
// advice, campaign messages and loyalty points. The agent calls these on its own thread, so an
// implementation that draws on a UI thread hands the message over and returns at once.
#pragma once

#include <string>

#include "drivelink/v1/drivelink.pb.h"

namespace drivelink::agent::commands {

class HeadUnitScreen {
  public:
    virtual ~HeadUnitScreen() = default;

    virtual void show_rescue_update(const v1::RescueUpdate& update) = 0;
    virtual void show_maintenance_recommendation(
        const v1::MaintenanceRecommendation& recommendation) = 0;
    virtual void show_campaign_message(const v1::CampaignMessage& message) = 0;
    virtual void show_points_notice(const v1::PointsNotice& notice) = 0;
};

// A screen for head units without a display integration, tests and the simulator: writes each
// message to the "commands" log at info level.
class LoggingScreen final : public HeadUnitScreen {
  public:
    explicit LoggingScreen(std::string vin);

    void show_rescue_update(const v1::RescueUpdate& update) override;
    void show_maintenance_recommendation(
        const v1::MaintenanceRecommendation& recommendation) override;
    void show_campaign_message(const v1::CampaignMessage& message) override;
    void show_points_notice(const v1::PointsNotice& notice) override;

  private:
    std::string vin_;
};

}  // namespace drivelink::agent::commands
