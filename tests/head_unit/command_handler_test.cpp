#include "agent/commands/command_handler.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "agent/config/runtime_settings.h"

namespace drivelink::agent::commands {
namespace {

// Keeps what the head unit would show.
class RecordingScreen final : public HeadUnitScreen {
  public:
    void show_rescue_update(const v1::RescueUpdate& update) override {
        rescue_updates.push_back(update);
    }
    void show_maintenance_recommendation(
        const v1::MaintenanceRecommendation& recommendation) override {
        recommendations.push_back(recommendation);
    }
    void show_campaign_message(const v1::CampaignMessage& message) override {
        campaign_messages.push_back(message);
    }
    void show_points_notice(const v1::PointsNotice& notice) override {
        points_notices.push_back(notice);
    }

    std::vector<v1::RescueUpdate> rescue_updates;
    std::vector<v1::MaintenanceRecommendation> recommendations;
    std::vector<v1::CampaignMessage> campaign_messages;
    std::vector<v1::PointsNotice> points_notices;
};

// A fresh directory per test, removed at the end.
class TemporaryDirectory {
  public:
    TemporaryDirectory() {
        path_ = std::filesystem::temp_directory_path() /
                ("drivelink-commands-" + std::to_string(::getpid()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~TemporaryDirectory() { std::filesystem::remove_all(path_); }
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

v1::Downlink rescue_update(const std::string& command_id) {
    v1::Downlink downlink;
    downlink.set_command_id(command_id);
    auto* update = downlink.mutable_rescue_update();
    update->set_case_id("R-2024-0042");
    update->set_status(v1::RESCUE_STATUS_DISPATCHED);
    update->set_operator_name("M. Keller");
    update->mutable_truck_location()->set_latitude_deg(47.36);
    update->mutable_truck_location()->set_longitude_deg(8.53);
    update->set_truck_eta_time_ms(1'714'550'400'000);
    return downlink;
}

v1::Downlink config_update(const std::string& command_id, double distance_m) {
    v1::Downlink downlink;
    downlink.set_command_id(command_id);
    auto* settings = downlink.mutable_config_update()->mutable_settings();
    settings->set_distance_m(distance_m);
    settings->set_driving_interval_s(30);
    return downlink;
}

ConfigApplier no_config() {
    return [](const v1::AgentSettings&) -> Status { return Error{"unexpected"}; };
}

TEST(CommandHandler, ShowsRescueUpdate) {
    RecordingScreen screen;
    MemoryCommandIdStore store;
    CommandHandler handler(screen, store, no_config());

    auto outcome = handler.handle(rescue_update("cmd-1"));

    ASSERT_TRUE(outcome.ok()) << outcome.error();
    EXPECT_EQ(*outcome, CommandOutcome::Handled);
    ASSERT_EQ(screen.rescue_updates.size(), 1u);
    EXPECT_EQ(screen.rescue_updates[0].case_id(), "R-2024-0042");
    EXPECT_EQ(screen.rescue_updates[0].operator_name(), "M. Keller");
}

TEST(CommandHandler, ShowsEachScreenCommand) {
    RecordingScreen screen;
    MemoryCommandIdStore store;
    CommandHandler handler(screen, store, no_config());
    v1::Downlink maintenance;
    maintenance.set_command_id("m-1");
    maintenance.mutable_maintenance_recommendation()->set_item("Oil change");
    v1::Downlink campaign;
    campaign.set_command_id("c-1");
    campaign.mutable_campaign_message()->set_title("Winter tyres");
    v1::Downlink points;
    points.set_command_id("p-1");
    points.mutable_points_notice()->set_points_delta(250);

    EXPECT_TRUE(handler.handle(maintenance).ok());
    EXPECT_TRUE(handler.handle(campaign).ok());
    EXPECT_TRUE(handler.handle(points).ok());

    ASSERT_EQ(screen.recommendations.size(), 1u);
    EXPECT_EQ(screen.recommendations[0].item(), "Oil change");
    ASSERT_EQ(screen.campaign_messages.size(), 1u);
    EXPECT_EQ(screen.campaign_messages[0].title(), "Winter tyres");
    ASSERT_EQ(screen.points_notices.size(), 1u);
    EXPECT_EQ(screen.points_notices[0].points_delta(), 250);
}

TEST(CommandHandler, SameCommandIdHandledOnce) {
    RecordingScreen screen;
    MemoryCommandIdStore store;
    CommandHandler handler(screen, store, no_config());

    auto first = handler.handle(rescue_update("cmd-1"));
    auto redelivered = handler.handle(rescue_update("cmd-1"));

    ASSERT_TRUE(first.ok());
    ASSERT_TRUE(redelivered.ok());
    EXPECT_EQ(*redelivered, CommandOutcome::Duplicate);
    EXPECT_EQ(screen.rescue_updates.size(), 1u);
    EXPECT_EQ(handler.counters().handled, 1u);
    EXPECT_EQ(handler.counters().duplicates, 1u);
}

TEST(CommandHandler, MissingCommandIdRejected) {
    RecordingScreen screen;
    MemoryCommandIdStore store;
    CommandHandler handler(screen, store, no_config());

    auto outcome = handler.handle(rescue_update(""));

    ASSERT_FALSE(outcome.ok());
    EXPECT_NE(outcome.error().find("command_id \"\" is invalid"), std::string::npos)
        << outcome.error();
    EXPECT_TRUE(screen.rescue_updates.empty());
}

TEST(CommandHandler, CommitAckRejected) {
    RecordingScreen screen;
    MemoryCommandIdStore store;
    CommandHandler handler(screen, store, no_config());
    v1::Downlink ack;
    ack.mutable_commit_ack()->add_seqs(7);

    EXPECT_FALSE(handler.handle(ack).ok());
}

TEST(CommandHandler, EmptyBodyRejected) {
    RecordingScreen screen;
    MemoryCommandIdStore store;
    CommandHandler handler(screen, store, no_config());
    v1::Downlink empty;
    empty.set_command_id("cmd-9");

    auto outcome = handler.handle(empty);

    ASSERT_FALSE(outcome.ok());
    EXPECT_NE(outcome.error().find("cmd-9"), std::string::npos) << outcome.error();
}

TEST(CommandHandler, ConfigUpdateApplied) {
    RecordingScreen screen;
    MemoryCommandIdStore store;
    config::RuntimeSettings settings;
    sampling::Sampler sampler(settings.sampler);
    CommandHandler handler(screen, store, [&](const v1::AgentSettings& update) -> Status {
        auto merged = config::merge_update(settings, update);
        if (!merged) {
            return Error{merged.error()};
        }
        settings = *merged;
        return sampler.apply(settings.sampler);
    });

    auto outcome = handler.handle(config_update("cfg-1", 250.0));

    ASSERT_TRUE(outcome.ok()) << outcome.error();
    EXPECT_DOUBLE_EQ(sampler.settings().distance_m, 250.0);
    EXPECT_EQ(sampler.settings().driving_interval, std::chrono::seconds(30));
    EXPECT_DOUBLE_EQ(sampler.settings().heading_change_deg, 15.0);
}

TEST(CommandHandler, InvalidConfigUpdateRejected) {
    RecordingScreen screen;
    MemoryCommandIdStore store;
    config::RuntimeSettings settings;
    CommandHandler handler(screen, store, [&](const v1::AgentSettings& update) -> Status {
        auto merged = config::merge_update(settings, update);
        if (!merged) {
            return Error{merged.error()};
        }
        settings = *merged;
        return ok_status();
    });

    auto rejected = handler.handle(config_update("cfg-2", -5.0));
    auto redelivered = handler.handle(config_update("cfg-2", -5.0));

    ASSERT_FALSE(rejected.ok());
    EXPECT_NE(rejected.error().find("distance_m = -5 is out of range"), std::string::npos)
        << rejected.error();
    EXPECT_DOUBLE_EQ(settings.sampler.distance_m, 100.0);
    EXPECT_EQ(settings.sampler.driving_interval, std::chrono::seconds(10));
    ASSERT_TRUE(redelivered.ok());
    EXPECT_EQ(*redelivered, CommandOutcome::Duplicate);
}

TEST(CommandHandler, ConfigUpdateWithoutApplierRejected) {
    RecordingScreen screen;
    MemoryCommandIdStore store;
    CommandHandler handler(screen, store, nullptr);

    EXPECT_FALSE(handler.handle(config_update("cfg-3", 200.0)).ok());
}

TEST(FileCommandIdStore, RemembersIdsAcrossReopen) {
    TemporaryDirectory directory;
    const auto path = directory.path() / "command-ids";
    RecordingScreen screen;
    {
        auto store = FileCommandIdStore::open(path);
        ASSERT_TRUE(store.ok()) << store.error();
        CommandHandler handler(screen, *store.value(), no_config());
        ASSERT_TRUE(handler.handle(rescue_update("cmd-1")).ok());
    }

    auto reopened = FileCommandIdStore::open(path);
    ASSERT_TRUE(reopened.ok()) << reopened.error();
    CommandHandler handler(screen, *reopened.value(), no_config());
    auto redelivered = handler.handle(rescue_update("cmd-1"));

    ASSERT_TRUE(redelivered.ok());
    EXPECT_EQ(*redelivered, CommandOutcome::Duplicate);
    EXPECT_EQ(screen.rescue_updates.size(), 1u);
}

TEST(FileCommandIdStore, IgnoresCutShortLastLine) {
    TemporaryDirectory directory;
    const auto path = directory.path() / "command-ids";
    {
        std::ofstream file(path);
        file << "cmd-1\ncmd-2\ncmd-";
    }

    auto store = FileCommandIdStore::open(path);

    ASSERT_TRUE(store.ok()) << store.error();
    EXPECT_TRUE(store.value()->contains("cmd-1"));
    EXPECT_TRUE(store.value()->contains("cmd-2"));
    EXPECT_FALSE(store.value()->contains("cmd-"));
}

TEST(FileCommandIdStore, ForgetsOldestBeyondCapacity) {
    TemporaryDirectory directory;
    const auto path = directory.path() / "command-ids";
    {
        auto store = FileCommandIdStore::open(path, 3);
        ASSERT_TRUE(store.ok()) << store.error();
        for (int i = 1; i <= 10; ++i) {
            ASSERT_TRUE(store.value()->add("cmd-" + std::to_string(i)).ok());
        }
    }

    auto reopened = FileCommandIdStore::open(path, 3);
    ASSERT_TRUE(reopened.ok()) << reopened.error();
    std::ifstream file(path);
    std::string line;
    std::size_t lines = 0;
    while (std::getline(file, line)) {
        ++lines;
    }

    EXPECT_FALSE(reopened.value()->contains("cmd-7"));
    EXPECT_TRUE(reopened.value()->contains("cmd-8"));
    EXPECT_TRUE(reopened.value()->contains("cmd-10"));
    EXPECT_EQ(lines, 3u);
}

TEST(FileCommandIdStore, UnwritableDirectoryReported) {
    auto store = FileCommandIdStore::open("/nonexistent/directory/command-ids");

    ASSERT_FALSE(store.ok());
    EXPECT_NE(store.error().find("/nonexistent/directory/command-ids"), std::string::npos)
        << store.error();
}

TEST(CommandId, RejectsSpacesAndControlCharacters) {
    EXPECT_TRUE(validate_command_id("3f2b9c1e-8d4a-4c55-9a1e-0b7d2c6f4e21").ok());
    EXPECT_FALSE(validate_command_id("two words").ok());
    EXPECT_FALSE(validate_command_id("line\nbreak").ok());
    EXPECT_FALSE(validate_command_id(std::string(129, 'a')).ok());
}

TEST(RuntimeSettings, UpdateChangesOnlySetFields) {
    config::RuntimeSettings current;
    v1::AgentSettings update;
    update.set_low_fuel_percent(15.0);
    update.set_crash_min_duration_ms(30);

    auto merged = config::merge_update(current, update);

    ASSERT_TRUE(merged.ok()) << merged.error();
    EXPECT_DOUBLE_EQ(merged->events.low_fuel_percent, 15.0);
    EXPECT_EQ(merged->crash.min_duration, std::chrono::milliseconds(30));
    EXPECT_DOUBLE_EQ(merged->sampler.distance_m, 100.0);
    EXPECT_EQ(merged->batch.max_samples, 10u);
}

TEST(RuntimeSettings, ProtoRoundTripKeepsValues) {
    config::RuntimeSettings original;
    original.sampler.distance_m = 250.0;
    original.batch.max_samples = 25;
    original.events.low_battery_duration = std::chrono::seconds(45);

    auto merged = config::merge_update(config::RuntimeSettings{}, config::to_proto(original));

    ASSERT_TRUE(merged.ok()) << merged.error();
    EXPECT_DOUBLE_EQ(merged->sampler.distance_m, 250.0);
    EXPECT_EQ(merged->batch.max_samples, 25u);
    EXPECT_EQ(merged->events.low_battery_duration, std::chrono::seconds(45));
}

TEST(RuntimeSettings, InvalidBatchUpdateNamesField) {
    v1::AgentSettings update;
    update.set_batch_max_samples(0);

    auto merged = config::merge_update(config::RuntimeSettings{}, update);

    ASSERT_FALSE(merged.ok());
    EXPECT_NE(merged.error().find("batch_max_samples = 0"), std::string::npos) << merged.error();
}

}  // namespace
}  // namespace drivelink::agent::commands
