// Child processes for integration tests: start a program, signal it, wait for it.
#pragma once

#include <sys/types.h>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace drivelink::testing {

class Process {
  public:
    // Starts `program` with `args`; standard output and error go to `log_file` (appended).
    // With `through_pipe`, the child writes to a pipe and this process copies it into the
    // file, so limits put on the child's own file writes do not silence its log.
    Process(std::filesystem::path program,
            std::vector<std::string> args,
            std::filesystem::path log_file,
            bool through_pipe = false);
    ~Process();  // sends SIGKILL if still running
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    pid_t pid() const { return pid_; }
    bool running();
    void signal(int signal_number);
    // Waits for the exit; returns the exit status (128 + signal when killed), or nullopt on
    // timeout.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    // SIGTERM, then SIGKILL after `grace`; returns the exit status.
    int stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
    const std::filesystem::path& log_file() const { return log_file_; }

  private:
    pid_t pid_ = -1;
    std::thread log_copier_;
    std::optional<int> exit_status_;
    std::filesystem::path log_file_;
};

// A fresh directory under the system temporary directory, removed on destruction unless
// DRIVELINK_KEEP_TEST_FILES is set.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

  private:
    std::filesystem::path path_;
};

// A TCP port on 127.0.0.1 that was free a moment ago (the kernel's pick for port 0).
int free_loopback_port();

// True once something accepts TCP connections on 127.0.0.1:port, false after `timeout`.
bool wait_for_port(int port, std::chrono::milliseconds timeout);

// Reads a whole file; empty when it does not exist.
std::string read_file(const std::filesystem::path& path);

}  // namespace drivelink::testing
