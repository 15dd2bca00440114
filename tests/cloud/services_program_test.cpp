// The operator subcommands of drivelink-cloud as a child process: rescue cases, vehicles and
// work orders on a database file, with the exit status and the message of an invalid step.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "cloud/rescue/rescue_cases.h"
#include "cloud/store/sqlite_store.h"
#include "tests/cloud/cloud_test_support.h"
#include "tests/support/process.h"

namespace drivelink::cloud {
namespace {

using drivelink::testing::Process;
using drivelink::testing::read_file;
using drivelink::testing::TempDir;
using testing::event_uplink;
using testing::kVin;
using testing::query_int;
using testing::query_text;

const std::filesystem::path kProgram =
    std::filesystem::path(DRIVELINK_BINARY_DIR) / "cloud/drivelink-cloud";
const std::filesystem::path kData = std::filesystem::path(DRIVELINK_SOURCE_DIR) / "data";

int run_program(const std::vector<std::string>& args, const std::filesystem::path& log) {
    Process program(kProgram, args, log);
    return program.wait(std::chrono::seconds(30)).value_or(-1);
}

// Stores a crash event of kVin through the store, which opens rescue case 1.
void open_rescue_case(const std::filesystem::path& db) {
    auto network = dealers::DealerNetwork::load_csv(kData / "dealers_sample.csv");
    ASSERT_TRUE(network.ok()) << network.error();
    rescue::RescueCases cases(network.value(), {});
    auto store = SqliteStore::open(db);
    ASSERT_TRUE(store.ok()) << store.error();
    store.value()->add_handler(cases);
    const auto uplink = event_uplink(kVin, 1, v1::EVENT_TYPE_CRASH);
    auto decoded = protocol::decode_uplink(protocol::topic_for(kVin, protocol::Channel::Event),
                                           protocol::encode(uplink),
                                           std::chrono::system_clock::now());
    ASSERT_TRUE(decoded.ok());
    StoreBatch batch;
    batch.uplinks.push_back(ReceivedUplink{decoded.uplink, testing::now_ms()});
    ASSERT_TRUE(store.value()->commit(batch).ok());
}

TEST(ServicesProgram, RescueCaseWalkedToClosed) {
    TempDir dir;
    const auto db = (dir / "cloud.db").string();
    open_rescue_case(db);
    const auto dealers = (kData / "dealers_sample.csv").string();
    const std::vector<std::vector<std::string>> steps = {
        {"rescue", "take", "--db", db, "--case", "1", "--operator", "Alex"},
        {"rescue",
         "advance",
         "--db",
         db,
         "--case",
         "1",
         "--to",
         "dispatched",
         "--dealers",
         dealers,
         "--dealer",
         "de-rgb-03"},
        {"rescue", "truck", "--db", db, "--case", "1", "--lat", "48.99", "--lon", "12.15"},
        {"rescue", "advance", "--db", db, "--case", "1", "--to", "on_scene"},
        {"rescue", "advance", "--db", db, "--case", "1", "--to", "towing"},
        {"rescue", "advance", "--db", db, "--case", "1", "--to", "closed"},
    };

    for (const auto& step : steps) {
        EXPECT_EQ(run_program(step, dir / "out.log"), 0)
            << step[1] << ": " << read_file(dir / "out.log");
    }

    EXPECT_EQ(query_text(db, "SELECT state FROM rescue_cases"), "closed");
    EXPECT_EQ(query_text(db, "SELECT dealer_id FROM rescue_cases"), "de-rgb-03");
    EXPECT_EQ(query_int(db, "SELECT count(*) FROM downlink_outbox WHERE sent_time_ms IS NULL"), 7);
}

TEST(ServicesProgram, InvalidRescueStepExitsOne) {
    TempDir dir;
    const auto db = (dir / "cloud.db").string();
    open_rescue_case(db);

    const int status = run_program(
        {"rescue", "advance", "--db", db, "--case", "1", "--to", "towing"}, dir / "out.log");

    EXPECT_EQ(status, 1);
    EXPECT_NE(read_file(dir / "out.log")
                  .find("rescue case 1 is 'open' and cannot change to "
                        "'towing'"),
              std::string::npos)
        << read_file(dir / "out.log");
}

TEST(ServicesProgram, RepairOrderAfterRescue) {
    TempDir dir;
    const auto db = (dir / "cloud.db").string();
    open_rescue_case(db);
    const auto dealers = (kData / "dealers_sample.csv").string();

    const int booked = run_program({"maintenance",
                                    "book",
                                    "--db",
                                    db,
                                    "--dealers",
                                    dealers,
                                    "--rescue-case",
                                    "1",
                                    "--slot-time-ms",
                                    "1796032800000",  // a Monday, 10:00 UTC
                                    "--items",
                                    "inspection",
                                    "--delivery"},
                                   dir / "out.log");
    const int skipped = run_program({"maintenance",
                                     "advance",
                                     "--db",
                                     db,
                                     "--dealers",
                                     dealers,
                                     "--order",
                                     "1",
                                     "--to",
                                     "paid"},
                                    dir / "skip.log");
    const int checked_in = run_program({"maintenance",
                                        "advance",
                                        "--db",
                                        db,
                                        "--dealers",
                                        dealers,
                                        "--order",
                                        "1",
                                        "--to",
                                        "checked_in"},
                                       dir / "in.log");

    EXPECT_EQ(booked, 0) << read_file(dir / "out.log");
    EXPECT_EQ(query_text(db, "SELECT vin FROM work_orders"), kVin);
    EXPECT_EQ(query_text(db, "SELECT dealer_id FROM work_orders"), "de-rgb-01");
    EXPECT_EQ(query_int(db, "SELECT rescue_case_id FROM work_orders"), 1);
    EXPECT_EQ(skipped, 1);
    EXPECT_NE(read_file(dir / "skip.log").find("'booked' and cannot change to 'paid'"),
              std::string::npos)
        << read_file(dir / "skip.log");
    EXPECT_EQ(checked_in, 0) << read_file(dir / "in.log");
}

TEST(ServicesProgram, VehicleImportRegistersModels) {
    TempDir dir;
    const auto db = (dir / "cloud.db").string();

    const int status = run_program(
        {"vehicle", "import", "--db", db, "--file", (kData / "vehicles_sample.csv").string()},
        dir / "out.log");

    EXPECT_EQ(status, 0) << read_file(dir / "out.log");
    EXPECT_EQ(query_int(db, "SELECT count(*) FROM vehicle_registry"), 2);
    EXPECT_EQ(query_text(db, "SELECT model FROM vehicle_registry WHERE vin = '1HGCM82633A004352'"),
              "leaf-ze0");
}

}  // namespace
}  // namespace drivelink::cloud
