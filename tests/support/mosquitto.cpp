#include "tests/support/mosquitto.h"

#include <fmt/format.h>
#include <csignal>
#include <fstream>
#include <stdexcept>

namespace drivelink::testing {
namespace {

std::filesystem::path mosquitto_program() {
    for (const char* candidate : {"/usr/sbin/mosquitto", "/usr/bin/mosquitto"}) {
        if (std::filesystem::exists(candidate)) {
            return candidate;
        }
    }
    throw std::runtime_error("mosquitto not found; run scripts/setup");
}

}  // namespace

MosquittoBroker::MosquittoBroker(std::filesystem::path directory, std::string extra_config)
    : directory_(std::move(directory)), port_(free_loopback_port()) {
    std::filesystem::create_directories(directory_);
    std::ofstream config(directory_ / "mosquitto.conf");
    config << fmt::format(
        "listener {} 127.0.0.1\n"
        // Started as root, mosquitto switches to the mosquitto user, which cannot write its log
        // and persistence into the test's private directory. "user root" keeps the user that
        // started it; without root this line has no effect.
        "user root\n"
        "allow_anonymous true\n"
        "persistence true\n"
        "persistence_location {}/\n"
        "autosave_interval 1\n"
        "max_queued_messages 0\n"
        "max_inflight_messages 0\n"
        "set_tcp_nodelay true\n"
        "log_dest file {}\n"
        "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n"
        "{}\n",
        port_,
        directory_.string(),
        log_file().string(),
        extra_config);
    config.close();
    start();
}

MosquittoBroker::~MosquittoBroker() {
    stop();
}

std::string MosquittoBroker::uri() const {
    return fmt::format("tcp://127.0.0.1:{}", port_);
}

void MosquittoBroker::start() {
    if (process_) {
        return;
    }
    const auto config = (directory_ / "mosquitto.conf").string();
    process_ = std::make_unique<Process>(
        mosquitto_program(), std::vector<std::string>{"-c", config}, directory_ / "mosquitto.out");
    if (!wait_for_port(port_, std::chrono::seconds(10))) {
        throw std::runtime_error(fmt::format("mosquitto did not listen on port {}", port_));
    }
}

void MosquittoBroker::stop() {
    if (process_) {
        process_->stop();
        process_.reset();
    }
}

void MosquittoBroker::kill() {
    if (process_) {
        process_->signal(SIGKILL);
        process_->wait(std::chrono::seconds(10));
        process_.reset();
    }
}

}  // namespace drivelink::testing
