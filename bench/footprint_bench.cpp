// Footprint benchmark: resident memory and CPU time of drivelink-agent per hour of driving
// at one sample a second, replaying a real drive through a real Mosquitto and cloud, against
// the replay tool alone (`drivelink-agent nmea`, decoding the same file) in the same run.
//
// Usage: footprint_bench [NMEA file, default the 3-hour Switzerland drive]
// Prints a Markdown table.
#include <fmt/format.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <iostream>
#include <stdexcept>
#include <thread>

#include "tests/support/mosquitto.h"
#include "tests/support/process.h"

extern char** environ;

namespace {

using drivelink::testing::MosquittoBroker;
using drivelink::testing::Process;
using drivelink::testing::TempDir;

const std::filesystem::path kBinaryDir(DRIVELINK_BINARY_DIR);

struct Usage {
    double cpu_s = 0;
    double max_rss_mib = 0;
    double wall_s = 0;
};

// Runs a program to its end with output to `log`, returning its own resource usage.
Usage measure(std::vector<std::string> args, const std::filesystem::path& log) {
    std::vector<char*> argv;
    for (auto& arg : args) {
        argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = 0;
    const auto start = std::chrono::steady_clock::now();
    if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) {
        throw std::runtime_error("cannot start " + args[0]);
    }
    posix_spawn_file_actions_destroy(&actions);
    int status = 0;
    rusage usage{};
    wait4(pid, &status, 0, &usage);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        throw std::runtime_error(args[0] + " failed, see " + log.string());
    }
    const auto seconds = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6;
    };
    return Usage{seconds(usage.ru_utime) + seconds(usage.ru_stime),
                 static_cast<double>(usage.ru_maxrss) / 1024.0,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
}

}  // namespace

int main(int argc, char** argv) {
    const std::filesystem::path drive =
        argc > 1 ? std::filesystem::path(argv[1])
                 : std::filesystem::path(DRIVELINK_SOURCE_DIR) /
                       "tests/data/nmea/genivi/20100403_Z205_Switzerland.txt";
    // The Switzerland drive: 10,327 fixes at 1 Hz, so its fixes are its seconds of driving.
    TempDir dir;
    MosquittoBroker broker(dir / "broker");
    Process cloud(kBinaryDir / "cloud/drivelink-cloud",
                  {"run",
                   "--broker",
                   broker.uri(),
                   "--db",
                   (dir / "cloud.db").string(),
                   "--log-level",
                   "warn"},
                  dir / "cloud.log");
    std::this_thread::sleep_for(std::chrono::seconds(1));

    const std::string agent = (kBinaryDir / "agent/drivelink-agent").string();
    const Usage replay_only = measure({agent, "nmea", drive.string()}, dir / "nmea.log");
    const Usage full = measure({agent,
                                "--log-level",
                                "warn",
                                "run",
                                "--vin",
                                "1M8GDM9AXKP042788",
                                "--broker",
                                broker.uri(),
                                "--nmea",
                                drive.string(),
                                "--replay-speed",
                                "0",
                                "--record-every-fix",
                                "--outbox",
                                (dir / "outbox.db").string(),
                                "--exit-when-drained",
                                "--summary",
                                (dir / "summary.txt").string()},
                               dir / "agent.log");
    cloud.stop();

    const std::string summary = drivelink::testing::read_file(dir / "summary.txt");
    const auto at = summary.find("samples=");
    const double samples = at == std::string::npos ? 0 : std::stod(summary.substr(at + 8));
    const double hours = samples / 3600.0;  // one sample a second
    std::cout << fmt::format("Drive: {}, {:.0f} samples = {:.2f} h of driving at 1 Hz\n\n",
                             drive.filename().string(),
                             samples,
                             hours);
    std::cout << "| measurement | drivelink-agent run | replay tool alone (nmea) | ratio |\n";
    std::cout << "|---|---|---|---|\n";
    std::cout << fmt::format("| max resident memory | {:.1f} MiB | {:.1f} MiB | {:.1f} |\n",
                             full.max_rss_mib,
                             replay_only.max_rss_mib,
                             full.max_rss_mib / replay_only.max_rss_mib);
    std::cout << fmt::format("| CPU time per hour of driving | {:.3f} s | {:.3f} s | {:.1f} |\n",
                             full.cpu_s / hours,
                             replay_only.cpu_s / hours,
                             full.cpu_s / replay_only.cpu_s);
    std::cout << fmt::format("| share of one core at 1 sample/s | {:.4f} % | {:.4f} % | |\n",
                             100.0 * full.cpu_s / (hours * 3600.0),
                             100.0 * replay_only.cpu_s / (hours * 3600.0));
    std::cout << fmt::format("| wall time of the accelerated replay | {:.1f} s | {:.1f} s | |\n",
                             full.wall_s,
                             replay_only.wall_s);
    return 0;
}
