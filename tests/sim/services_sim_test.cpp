// End to end with the fleet simulator and the cloud services: Mosquitto, drivelink-cloud with
// dealers, maintenance schedules and trouble code descriptions, and a fleet of simulated cars
// for a simulated day with trouble codes and crashes. The cars record every rescue update and
// maintenance recommendation they receive, and the test compares them with the cloud's
// database and with what the dealer, schedule and trouble code files call for.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cloud/csv.h"
#include "sim/route.h"
#include "tests/sim/sim_database.h"
#include "tests/support/mosquitto.h"
#include "tests/support/process.h"

namespace drivelink::testing {
namespace {

const std::filesystem::path kBinaryDir(DRIVELINK_BINARY_DIR);
const std::filesystem::path kSourceDir(DRIVELINK_SOURCE_DIR);

constexpr int kVehicles = 80;
constexpr double kDaySeconds = 60.0;
constexpr int kEscalationTimeoutS = 2;
// The model the cloud assumes for a VIN that is not registered.
constexpr std::string_view kDefaultModel = "x-trail-t33";
// The cloud's DueThresholds::due_soon_km: an item is due soon this close to its due odometer.
constexpr double kDueSoonKm = 1000.0;
// The cloud's rescue ranking (dealers::RankingOptions): the nearest 20 rescue-capable dealers,
// ordered by distance * (1 + 0.15 * (5 - rating)), and the best 3 listed.
constexpr std::size_t kRankingCandidates = 20;
constexpr double kRatingPenaltyPerStep = 0.15;
constexpr std::size_t kRankedDealers = 3;

// How far past each car's starting odometer the seeded service history puts an item's due
// odometer. Tyre rotation is due soon from the first sample and overdue after 60 km. The oil
// change is due soon after 30 km, and the cabin filter after 250 km, which only cars on long
// trips reach in a day.
const std::map<std::string, double> kDueAfterStartKm{
    {"tyre_rotation", 60.0}, {"oil_filter", 1030.0}, {"cabin_filter", 1250.0}};

// Returns the data lines of a CSV file as fields, without the header and comment lines.
std::vector<std::vector<std::string>> read_csv(const std::filesystem::path& path) {
    std::ifstream input(path);
    EXPECT_TRUE(input) << "cannot open " << path;
    std::vector<std::vector<std::string>> rows;
    std::string line;
    std::getline(input, line);
    while (std::getline(input, line)) {
        if (!line.empty() && !line.starts_with('#')) {
            rows.push_back(cloud::split_csv(line));
        }
    }
    return rows;
}

struct Dealer {
    std::string id;
    double latitude_deg = 0.0;
    double longitude_deg = 0.0;
    int rating = 0;
    bool rescue = false;
};

std::vector<Dealer> read_dealers(const std::filesystem::path& path) {
    std::vector<Dealer> dealers;
    for (const auto& fields : read_csv(path)) {
        EXPECT_EQ(fields.size(), 9u);
        dealers.push_back(Dealer{fields.at(0),
                                 std::stod(fields.at(3)),
                                 std::stod(fields.at(4)),
                                 std::stoi(fields.at(6)),
                                 fields.at(7) == "yes"});
    }
    return dealers;
}

// The ids of the dealers the cloud should list for a crash at the position, best first.
// Counts in `ranked_past_nearest` when a better rating puts a farther dealer first.
std::vector<std::string> rank_for_rescue(const std::vector<Dealer>& dealers,
                                         double latitude_deg,
                                         double longitude_deg,
                                         int& ranked_past_nearest) {
    struct Candidate {
        std::string id;
        double distance_km;
        double score_km;
    };
    std::vector<Candidate> candidates;
    for (const auto& dealer : dealers) {
        if (!dealer.rescue) {
            continue;
        }
        const double distance_km = sim::haversine_km(
            latitude_deg, longitude_deg, dealer.latitude_deg, dealer.longitude_deg);
        const double score_km = distance_km * (1.0 + kRatingPenaltyPerStep * (5 - dealer.rating));
        candidates.push_back({dealer.id, distance_km, score_km});
    }
    std::sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) {
        return a.distance_km < b.distance_km;
    });
    if (candidates.size() > kRankingCandidates) {
        candidates.resize(kRankingCandidates);
    }
    const std::string nearest_id = candidates.empty() ? std::string() : candidates.front().id;
    std::stable_sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) {
        return a.score_km < b.score_km;
    });
    std::vector<std::string> ids;
    if (!candidates.empty() && candidates.front().id != nearest_id) {
        ++ranked_past_nearest;
    }
    for (std::size_t i = 0; i < candidates.size() && i < kRankedDealers; ++i) {
        ids.push_back(candidates[i].id);
    }
    return ids;
}

// Trouble code descriptions as the cloud reads them: the text between the first and the last
// comma, without surrounding quotes.
std::map<std::string, std::string> read_dtc_descriptions(const std::filesystem::path& path) {
    std::ifstream input(path);
    EXPECT_TRUE(input) << "cannot open " << path;
    std::map<std::string, std::string> descriptions;
    std::string line;
    std::getline(input, line);
    while (std::getline(input, line)) {
        const auto first = line.find(',');
        const auto last = line.rfind(',');
        if (first == std::string::npos || last == first) {
            continue;
        }
        std::string description = line.substr(first + 1, last - first - 1);
        if (description.size() >= 2 && description.front() == '"' && description.back() == '"') {
            description = description.substr(1, description.size() - 2);
        }
        descriptions[line.substr(0, first)] = description;
    }
    return descriptions;
}

// Misfire and catalyst efficiency codes, for which the cloud recommends an inspection.
bool needs_inspection(const std::string& code) {
    return code.size() == 5 && (code.starts_with("P030") || code.starts_with("P042"));
}

// Interval in km of each item of the default model that has one.
std::map<std::string, double> schedule_intervals_km() {
    std::map<std::string, double> intervals;
    for (const auto& fields : read_csv(kSourceDir / "data/maintenance_schedules.csv")) {
        if (fields.at(0) == kDefaultModel && !fields.at(3).empty()) {
            intervals[fields.at(1)] = std::stod(fields.at(3));
        }
    }
    return intervals;
}

struct StoredRecommendation {
    std::string item;
    std::string detail;
    std::string title;
    std::string reason;
    std::string level;
};

struct StoredCase {
    int64_t id = 0;
    std::string trigger;
    std::string state;
    double latitude_deg = 0.0;
    double longitude_deg = 0.0;
    int64_t escalation_level = 0;
    std::vector<std::string> dealer_ids;  // by rank
    std::vector<std::string> steps;       // history, oldest first
};

// What the cloud's database holds for one VIN.
struct Stored {
    double odometer_km = 0.0;
    std::map<int64_t, StoredRecommendation> recommendations;  // by id
    std::vector<StoredCase> cases;
};

std::map<std::string, Stored> read_cloud(const std::filesystem::path& path) {
    std::map<std::string, Stored> stored;
    Database db(path, SQLITE_OPEN_READONLY);
    db.query("SELECT vin, odometer_km FROM vehicle_usage", [&](sqlite3_stmt* row) {
        stored[text(row, 0)].odometer_km = sqlite3_column_double(row, 1);
    });
    db.query("SELECT id, vin, item, detail, title, reason, level FROM maintenance_recommendations",
             [&](sqlite3_stmt* row) {
                 stored[text(row, 1)].recommendations[sqlite3_column_int64(row, 0)] =
                     StoredRecommendation{
                         text(row, 2), text(row, 3), text(row, 4), text(row, 5), text(row, 6)};
             });
    std::map<int64_t, StoredCase*> cases;
    db.query(
        "SELECT id, vin, trigger, state, latitude_deg, longitude_deg, escalation_level "
        "FROM rescue_cases ORDER BY id",
        [&](sqlite3_stmt* row) {
            auto& vehicle_cases = stored[text(row, 1)].cases;
            vehicle_cases.push_back(StoredCase{.id = sqlite3_column_int64(row, 0),
                                               .trigger = text(row, 2),
                                               .state = text(row, 3),
                                               .latitude_deg = sqlite3_column_double(row, 4),
                                               .longitude_deg = sqlite3_column_double(row, 5),
                                               .escalation_level = sqlite3_column_int64(row, 6),
                                               .dealer_ids = {},
                                               .steps = {}});
        });
    for (auto& [vin, vehicle] : stored) {
        for (auto& stored_case : vehicle.cases) {
            cases[stored_case.id] = &stored_case;
        }
    }
    db.query("SELECT case_id, dealer_id FROM rescue_case_dealers ORDER BY case_id, rank",
             [&](sqlite3_stmt* row) {
                 cases.at(sqlite3_column_int64(row, 0))->dealer_ids.push_back(text(row, 1));
             });
    db.query("SELECT case_id, step FROM rescue_case_history ORDER BY id", [&](sqlite3_stmt* row) {
        cases.at(sqlite3_column_int64(row, 0))->steps.push_back(text(row, 1));
    });
    return stored;
}

// Counts of what happened in the whole fleet, so the test cannot pass with nothing to check.
struct Totals {
    int due_soon = 0;
    int overdue = 0;
    int inspections = 0;
    int crashes = 0;
    int escalated = 0;
    int ranked_past_nearest = 0;  // crashes whose best dealer is not the nearest one
};

class ServicesSimTest : public ::testing::Test {
  protected:
    void SetUp() override { broker_ = std::make_unique<MosquittoBroker>(dir_ / "broker"); }

    std::vector<std::string> sim_arguments() const {
        return {"--broker",
                broker_->uri(),
                "--vehicles",
                std::to_string(kVehicles),
                "--day-seconds",
                std::to_string(kDaySeconds),
                "--seed",
                "20100411",
                "--work-dir",
                (dir_ / "sim").string(),
                "--dtc-rate",
                "1.0",
                "--crash-rate",
                "0.15",
                "--sos-rate",
                "0",
                "--drain-timeout-s",
                "60",
                "--log-level",
                "warn"};
    }

    // Writes the dealer network and the planned cars without driving.
    void plan() {
        auto arguments = sim_arguments();
        arguments.insert(arguments.end(),
                         {"--plan-only",
                          "--dealers-out",
                          dealers_path().string(),
                          "--vehicles-out",
                          (dir_ / "vehicles.csv").string()});
        Process sim(kBinaryDir / "sim/drivelink-sim", arguments, dir_ / "plan.log");
        const auto exit_status = sim.wait(std::chrono::seconds(60));
        ASSERT_TRUE(exit_status.has_value()) << "drivelink-sim --plan-only still running";
        ASSERT_EQ(*exit_status, 0) << read_file(dir_ / "plan.log");
    }

    void start_cloud() {
        cloud_ = std::make_unique<Process>(
            kBinaryDir / "cloud/drivelink-cloud",
            std::vector<std::string>{"run",
                                     "--broker",
                                     broker_->uri(),
                                     "--db",
                                     db_path().string(),
                                     "--dealers",
                                     dealers_path().string(),
                                     "--schedules",
                                     (kSourceDir / "data/maintenance_schedules.csv").string(),
                                     "--dtc-codes",
                                     (kSourceDir / "data/dtc_generic_codes.csv").string(),
                                     "--escalation-timeout-s",
                                     std::to_string(kEscalationTimeoutS)},
            dir_ / "cloud.log",
            /*through_pipe=*/true);
        ASSERT_TRUE(wait_for_log("subscribed")) << read_file(dir_ / "cloud.log");
    }

    bool wait_for_log(const std::string& line) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (std::chrono::steady_clock::now() < deadline) {
            if (read_file(dir_ / "cloud.log").find(line) != std::string::npos) {
                return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return false;
    }

    // Records a past service of each item in kDueAfterStartKm for every planned car, so the
    // item falls due after the given distance. The cloud forecasts from these records.
    void seed_service_history() {
        const auto intervals = schedule_intervals_km();
        const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
        const auto service_time_ms = now_ms - int64_t{30} * 86'400'000;
        std::ostringstream sql;
        sql << "BEGIN;";
        for (const auto& fields : read_csv(dir_ / "vehicles.csv")) {
            const auto& vin = fields.at(0);
            const double start_km = std::stod(fields.at(3));
            for (const auto& [item, due_after_km] : kDueAfterStartKm) {
                ASSERT_TRUE(intervals.contains(item)) << item << " not in the schedule";
                const double service_km = start_km + due_after_km - intervals.at(item);
                service_km_[vin][item] = service_km;
                sql << "INSERT INTO maintenance_services (vin, item, odometer_km, time_ms) VALUES "
                       "('"
                    << vin << "', '" << item << "', " << std::setprecision(17) << service_km << ", "
                    << service_time_ms << ");";
            }
        }
        sql << "COMMIT;";
        Database db(db_path(), SQLITE_OPEN_READWRITE);
        db.exec(sql.str());
    }

    // Waits until the service worker has escalated every rescue case at least once.
    bool wait_for_escalations() {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (std::chrono::steady_clock::now() < deadline) {
            int64_t waiting = 0;
            {
                Database db(db_path(), SQLITE_OPEN_READONLY);
                db.query("SELECT count(*) FROM rescue_cases WHERE escalation_level = 0",
                         [&](sqlite3_stmt* row) { waiting = sqlite3_column_int64(row, 0); });
            }
            if (waiting == 0) {
                return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(250));
        }
        return false;
    }

    std::filesystem::path db_path() const { return dir_ / "cloud.db"; }
    std::filesystem::path dealers_path() const { return dir_ / "dealers.csv"; }
    std::filesystem::path expect_path() const { return dir_ / "expect.json"; }

    TempDir dir_;
    std::unique_ptr<MosquittoBroker> broker_;
    std::unique_ptr<Process> cloud_;
    std::map<std::string, std::map<std::string, double>> service_km_;  // by VIN and item
};

// The schedule items with their levels that the cloud should have recommended at `odometer_km`.
std::set<std::pair<std::string, std::string>> due_items(
    const std::map<std::string, double>& service_km, double odometer_km) {
    const auto intervals = schedule_intervals_km();
    std::set<std::pair<std::string, std::string>> due;
    for (const auto& [item, km] : service_km) {
        const double due_km = km + intervals.at(item);
        if (odometer_km >= due_km - kDueSoonKm) {
            due.insert({item, "due_soon"});
        }
        if (odometer_km >= due_km) {
            due.insert({item, "overdue"});
        }
    }
    return due;
}

// Received downlinks by command id. The broker and the cloud run without a restart and the
// cars without a coverage loss, so each command reaches its car once.
template <typename Received>
std::map<std::string, nlohmann::json> by_command_id(const Received& received) {
    std::map<std::string, nlohmann::json> commands;
    for (const auto& entry : received) {
        const auto id = entry.at("command_id").template get<std::string>();
        EXPECT_TRUE(commands.emplace(id, entry).second) << "command " << id << " received twice";
    }
    return commands;
}

void check_maintenance(const nlohmann::json& vehicle,
                       const Stored& cloud,
                       const std::map<std::string, double>& service_km,
                       const std::map<std::string, std::string>& descriptions,
                       Totals& totals) {
    const auto received = by_command_id(vehicle.at("received").at("recommendations"));

    // The car received exactly the recommendations the cloud recorded for it.
    std::set<std::string> stored_ids;
    for (const auto& [id, recommendation] : cloud.recommendations) {
        const auto command_id = "maintenance-" + std::to_string(id);
        stored_ids.insert(command_id);
        ASSERT_TRUE(received.contains(command_id)) << command_id << " not received";
        const auto& got = received.at(command_id);
        const auto title = recommendation.level == "overdue" ? recommendation.title + " (overdue)"
                                                             : recommendation.title;
        EXPECT_EQ(got.at("item").get<std::string>(), title);
        EXPECT_EQ(got.at("reason").get<std::string>(), recommendation.reason);
    }
    std::set<std::string> received_ids;
    for (const auto& [id, entry] : received) {
        received_ids.insert(id);
    }
    EXPECT_EQ(received_ids, stored_ids);

    // No item reached the car twice: one command per title and trouble code.
    std::map<std::pair<std::string, std::string>, int> per_item;
    for (const auto& [id, entry] : received) {
        ++per_item[{entry.at("item").get<std::string>(), entry.at("dtcs").dump()}];
    }
    for (const auto& [item, count] : per_item) {
        EXPECT_EQ(count, 1) << "recommended " << count << " times: " << item.first << " "
                            << item.second;
    }

    // Each item due at the car's odometer was recommended once per level, and no other.
    const double odometer_km = vehicle.at("odometer_km").get<double>();
    EXPECT_NEAR(cloud.odometer_km, odometer_km, 1e-6);
    std::set<std::pair<std::string, std::string>> recommended;
    for (const auto& [id, recommendation] : cloud.recommendations) {
        if (recommendation.detail.empty()) {
            EXPECT_TRUE(recommended.insert({recommendation.item, recommendation.level}).second);
        }
    }
    const auto expected = due_items(service_km, cloud.odometer_km);
    EXPECT_EQ(recommended, expected) << "odometer " << cloud.odometer_km << " km";
    for (const auto& [item, level] : expected) {
        ++(level == "overdue" ? totals.overdue : totals.due_soon);
    }

    // Each misfire or catalyst code raised yields one inspection with its description.
    const auto codes = vehicle.at("dtcs").get<std::set<std::string>>();
    for (const auto& code : codes) {
        SCOPED_TRACE("dtc=" + code);
        int stored = 0;
        for (const auto& [id, recommendation] : cloud.recommendations) {
            stored += recommendation.item == "inspection" && recommendation.detail == code ? 1 : 0;
        }
        EXPECT_EQ(stored, 1);
        if (!needs_inspection(code)) {
            continue;
        }
        ASSERT_TRUE(descriptions.contains(code));
        int inspections = 0;
        for (const auto& [id, entry] : received) {
            if (entry.at("dtcs") != nlohmann::json::array({code})) {
                continue;
            }
            ++inspections;
            const auto reason = entry.at("reason").get<std::string>();
            EXPECT_EQ(entry.at("item").get<std::string>(), "Inspection");
            EXPECT_NE(reason.find(code), std::string::npos) << reason;
            EXPECT_NE(reason.find(descriptions.at(code)), std::string::npos) << reason;
        }
        EXPECT_EQ(inspections, 1);
        ++totals.inspections;
    }
}

void check_rescue(const nlohmann::json& vehicle,
                  const Stored& cloud,
                  const std::vector<Dealer>& dealers,
                  Totals& totals) {
    const auto& crashes = vehicle.at("crashes");
    ASSERT_EQ(cloud.cases.size(), crashes.size());
    const auto updates = by_command_id(vehicle.at("received").at("rescue_updates"));
    for (std::size_t i = 0; i < crashes.size(); ++i) {
        const auto& crash = crashes[i];
        const auto& stored_case = cloud.cases[i];
        SCOPED_TRACE("rescue case " + std::to_string(stored_case.id));
        ++totals.crashes;
        const double latitude_deg = crash.at("latitude_deg").get<double>();
        const double longitude_deg = crash.at("longitude_deg").get<double>();
        EXPECT_EQ(stored_case.trigger, "crash");
        EXPECT_NEAR(stored_case.latitude_deg, latitude_deg, 1e-9);
        EXPECT_NEAR(stored_case.longitude_deg, longitude_deg, 1e-9);

        // One update for the case, naming the dealers the cloud ranked, best first.
        std::vector<nlohmann::json> for_case;
        for (const auto& [id, update] : updates) {
            if (update.at("case_id").get<std::string>() == std::to_string(stored_case.id)) {
                for_case.push_back(update);
            }
        }
        ASSERT_EQ(for_case.size(), 1u);
        const auto& update = for_case.front();
        EXPECT_EQ(update.at("status").get<std::string>(), "RESCUE_STATUS_OPENED");
        const auto received_dealers = update.at("dealer_ids").get<std::vector<std::string>>();
        EXPECT_EQ(received_dealers, stored_case.dealer_ids);
        const auto expected_dealers =
            rank_for_rescue(dealers, latitude_deg, longitude_deg, totals.ranked_past_nearest);
        ASSERT_EQ(expected_dealers.size(), kRankedDealers);
        ASSERT_FALSE(received_dealers.empty());
        EXPECT_EQ(received_dealers.front(), expected_dealers.front());
        EXPECT_EQ(received_dealers, expected_dealers);

        // No operator takes the case, so it waits, escalated.
        EXPECT_EQ(stored_case.state, "open");
        EXPECT_GE(stored_case.escalation_level, 1);
        EXPECT_EQ(stored_case.steps.front(), "open");
        const bool escalated =
            std::find(stored_case.steps.begin(), stored_case.steps.end(), "escalated") !=
            stored_case.steps.end();
        EXPECT_TRUE(escalated);
        totals.escalated += escalated ? 1 : 0;
    }
    EXPECT_EQ(updates.size(), cloud.cases.size()) << "rescue updates for other cases";
}

TEST_F(ServicesSimTest, CarsReceiveRescueAndMaintenance) {
    ASSERT_NO_FATAL_FAILURE(plan());
    ASSERT_NO_FATAL_FAILURE(start_cloud());
    ASSERT_NO_FATAL_FAILURE(seed_service_history());

    auto arguments = sim_arguments();
    arguments.insert(arguments.end(), {"--expect", expect_path().string()});
    Process sim(kBinaryDir / "sim/drivelink-sim", arguments, dir_ / "sim.log");
    const auto exit_status = sim.wait(std::chrono::seconds(150));
    ASSERT_TRUE(exit_status.has_value()) << "drivelink-sim still running after 150 s";
    ASSERT_EQ(*exit_status, 0) << read_file(dir_ / "sim.log");
    EXPECT_TRUE(wait_for_escalations()) << "rescue cases not escalated within 30 s";
    ASSERT_EQ(cloud_->stop(), 0) << read_file(dir_ / "cloud.log");

    std::ifstream expect_file(expect_path());
    const auto expected = nlohmann::json::parse(expect_file);
    ASSERT_TRUE(expected.at("drained").get<bool>());
    ASSERT_EQ(expected.at("vehicles").size(), static_cast<std::size_t>(kVehicles));
    const auto stored = read_cloud(db_path());
    const auto dealers = read_dealers(dealers_path());
    const auto descriptions = read_dtc_descriptions(kSourceDir / "data/dtc_generic_codes.csv");

    Totals totals;
    for (const auto& vehicle : expected.at("vehicles")) {
        const auto vin = vehicle.at("vin").get<std::string>();
        SCOPED_TRACE("vin=" + vin);
        ASSERT_TRUE(stored.contains(vin));
        ASSERT_TRUE(service_km_.contains(vin));
        check_maintenance(vehicle, stored.at(vin), service_km_.at(vin), descriptions, totals);
        check_rescue(vehicle, stored.at(vin), dealers, totals);
    }
    // Every kind of service really happened, so the checks above covered it.
    EXPECT_GT(totals.due_soon, 0);
    EXPECT_GT(totals.overdue, 0);
    EXPECT_GT(totals.inspections, 0);
    EXPECT_GT(totals.crashes, 0);
    EXPECT_EQ(totals.escalated, totals.crashes);
    EXPECT_GT(totals.ranked_past_nearest, 0) << "the rating never changed the first dealer";
    std::cout << "due soon " << totals.due_soon << ", overdue " << totals.overdue
              << ", inspections " << totals.inspections << ", crashes " << totals.crashes
              << ", best dealer not the nearest " << totals.ranked_past_nearest << "\n";
}

}  // namespace
}  // namespace drivelink::testing
