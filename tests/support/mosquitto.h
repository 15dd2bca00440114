// A real Mosquitto broker for integration tests, on a free port of 127.0.0.1.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "tests/support/process.h"

namespace drivelink::testing {

class MosquittoBroker {
  public:
    // Starts mosquitto with its configuration, persistence and log in `directory`. With
    // `extra_config`, those lines are appended to the generated configuration (for TLS
    // listeners, say).
    explicit MosquittoBroker(std::filesystem::path directory, std::string extra_config = {});
    ~MosquittoBroker();

    int port() const { return port_; }
    std::string uri() const;  // tcp://127.0.0.1:PORT
    void stop();              // SIGTERM, so the broker saves its persistent sessions
    void kill();              // SIGKILL
    void start();             // starts again on the same port after stop() or kill()
    bool running() const { return process_ != nullptr; }
    std::filesystem::path log_file() const { return directory_ / "mosquitto.log"; }

  private:
    std::filesystem::path directory_;
    int port_;
    std::unique_ptr<Process> process_;
};

}  // namespace drivelink::testing
