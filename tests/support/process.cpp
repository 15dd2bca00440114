#include "tests/support/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace drivelink::testing {
namespace {

int decode_status(int status) {
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    if (WIFSIGNALED(status)) {
        return 128 + WTERMSIG(status);
    }
    return -1;
}

sockaddr_in loopback(int port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

}  // namespace

Process::Process(std::filesystem::path program,
                 std::vector<std::string> args,
                 std::filesystem::path log_file,
                 bool through_pipe)
    : log_file_(std::move(log_file)) {
    std::vector<char*> argv;
    std::string program_string = program.string();
    argv.push_back(program_string.data());
    for (auto& arg : args) {
        argv.push_back(arg.data());
    }
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    int pipe_fds[2] = {-1, -1};
    if (through_pipe) {
        if (pipe(pipe_fds) != 0) {
            throw std::runtime_error("pipe failed: " + std::string(std::strerror(errno)));
        }
        posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
        posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
        posix_spawn_file_actions_addclose(&actions, pipe_fds[1]);
    } else {
        posix_spawn_file_actions_addopen(
            &actions, STDOUT_FILENO, log_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    }
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    const int rc =
        posix_spawn(&pid_, program_string.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (through_pipe) {
        close(pipe_fds[1]);
        log_copier_ = std::thread([read_fd = pipe_fds[0], path = log_file_] {
            std::ofstream out(path, std::ios::app | std::ios::binary);
            char buffer[4096];
            ssize_t received = 0;
            while ((received = read(read_fd, buffer, sizeof buffer)) > 0) {
                out.write(buffer, received);
                out.flush();
            }
            close(read_fd);
        });
    }
    if (rc != 0) {
        throw std::runtime_error("failed to start " + program_string + ": " + std::strerror(rc));
    }
}

Process::~Process() {
    if (running()) {
        signal(SIGKILL);
        wait(std::chrono::seconds(10));
    }
    if (log_copier_.joinable()) {
        log_copier_.join();  // ends when the child's end of the pipe closes
    }
}

bool Process::running() {
    if (exit_status_) {
        return false;
    }
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        exit_status_ = decode_status(status);
        return false;
    }
    return r == 0;
}

void Process::signal(int signal_number) {
    if (running()) {
        kill(pid_, signal_number);
    }
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            return std::nullopt;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return exit_status_;
}

int Process::stop(std::chrono::milliseconds grace) {
    signal(SIGTERM);
    if (auto status = wait(grace)) {
        return *status;
    }
    signal(SIGKILL);
    return wait(std::chrono::seconds(10)).value_or(-1);
}

TempDir::TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "drivelink-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed: " + std::string(std::strerror(errno)));
    }
    path_ = pattern;
}

TempDir::~TempDir() {
    if (std::getenv("DRIVELINK_KEEP_TEST_FILES") == nullptr) {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
}

int free_loopback_port() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address = loopback(0);
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        close(fd);
        throw std::runtime_error("bind to 127.0.0.1:0 failed");
    }
    socklen_t length = sizeof address;
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    close(fd);
    return ntohs(address.sin_port);
}

bool wait_for_port(int port, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        const int fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address = loopback(port);
        const bool connected =
            connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
        close(fd);
        if (connected) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

}  // namespace drivelink::testing
