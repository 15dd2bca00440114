// A TCP forwarder on 127.0.0.1 that a test can cut and restore, to take one client off the
// network (a car in a tunnel) while the broker and other clients go on.
#pragma once

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace drivelink::testing {

class TcpProxy {
  public:
    // Listens on a free port of 127.0.0.1 and forwards each connection to 127.0.0.1:target_port.
    explicit TcpProxy(int target_port);
    ~TcpProxy();
    TcpProxy(const TcpProxy&) = delete;
    TcpProxy& operator=(const TcpProxy&) = delete;

    int port() const { return port_; }
    // Closes every forwarded connection and closes new ones at once, until restore().
    void cut();
    void restore();

  private:
    struct Pair {
        int client;
        int upstream;
    };
    void run();
    void accept_one();
    bool forward(int from, int to);
    void close_all();

    int target_port_;
    int listen_fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<bool> cut_{false};
    std::mutex mutex_;
    std::vector<Pair> pairs_;
    std::thread thread_;
};

}  // namespace drivelink::testing
