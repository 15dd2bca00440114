// A small fleet for fault tests: one Mosquitto, one drivelink-cloud and a few drivelink-agent
// processes, each agent behind its own TcpProxy so that one car can lose coverage alone.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/mosquitto.h"
#include "tests/support/process.h"
#include "tests/support/tcp_proxy.h"

namespace drivelink::testing {

// What an agent's outbox database contains, read from outside the agent.
struct OutboxState {
    uint64_t next_seq = 0;
    uint64_t entries = 0;
    uint64_t samples_thinned = 0;
    uint64_t entries_dropped = 0;
};

// What the cloud database holds for one vehicle.
struct CloudState {
    uint64_t messages = 0;
    uint64_t min_seq = 0;
    uint64_t max_seq = 0;
    uint64_t samples = 0;
    uint64_t distinct_sample_times = 0;
    uint64_t max_copies_of_a_time = 0;
    uint64_t dropped_samples = 0;
    uint64_t events = 0;
};

class Fleet {
  public:
    Fleet(const std::filesystem::path& directory, int cars, std::filesystem::path nmea);
    ~Fleet();

    const std::string& vin(int car) const { return vins_[static_cast<std::size_t>(car)]; }
    MosquittoBroker& broker() { return *broker_; }
    TcpProxy& proxy(int car) { return *proxies_[static_cast<std::size_t>(car)]; }
    Process& cloud() { return *cloud_; }
    Process& agent(int car) { return *agents_.at(car); }

    void start_cloud();
    void kill_cloud();
    // Starts the agent of `car` replaying the drive `speed` times faster than recorded.
    void start_agent(int car, double speed, std::vector<std::string> extra = {});
    void start_agents(double speed);
    // Waits until every agent exited; returns false after `timeout`.
    bool wait_for_agents(std::chrono::seconds timeout);
    bool agent_log_contains(int car, const std::string& text) const;
    std::string agent_log(int car) const;
    std::string cloud_log() const;
    // Stops the cloud with SIGTERM and checks it exited cleanly.
    int stop_cloud();

    OutboxState outbox_state(int car) const;
    CloudState cloud_state(int car) const;
    std::filesystem::path cloud_db() const { return directory_ / "cloud.db"; }

  private:
    std::filesystem::path directory_;
    std::filesystem::path nmea_;
    std::vector<std::string> vins_;
    std::unique_ptr<MosquittoBroker> broker_;
    std::vector<std::unique_ptr<TcpProxy>> proxies_;
    std::unique_ptr<Process> cloud_;
    std::map<int, std::unique_ptr<Process>> agents_;
    int cloud_starts_ = 0;
};

// A valid VIN (check digit computed) numbered `n`.
std::string test_vin(int n);

bool wait_for_text(const std::filesystem::path& log,
                   const std::string& text,
                   std::chrono::seconds timeout);

}  // namespace drivelink::testing
