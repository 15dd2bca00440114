#include "tests/support/tcp_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdexcept>

namespace drivelink::testing {
namespace {

sockaddr_in loopback(int port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

}  // namespace

TcpProxy::TcpProxy(int target_port) : target_port_(target_port) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    const int yes = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    sockaddr_in address = loopback(0);
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        listen(listen_fd_, 64) != 0) {
        close(listen_fd_);
        throw std::runtime_error("proxy cannot listen on 127.0.0.1");
    }
    socklen_t length = sizeof address;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { run(); });
}

TcpProxy::~TcpProxy() {
    stop_ = true;
    thread_.join();
    close_all();
    close(listen_fd_);
}

void TcpProxy::cut() {
    cut_ = true;
    std::lock_guard lock(mutex_);
    close_all();
}

void TcpProxy::restore() {
    cut_ = false;
}

void TcpProxy::close_all() {
    for (const auto& pair : pairs_) {
        shutdown(pair.client, SHUT_RDWR);
        shutdown(pair.upstream, SHUT_RDWR);
        close(pair.client);
        close(pair.upstream);
    }
    pairs_.clear();
}

void TcpProxy::accept_one() {
    const int client = accept(listen_fd_, nullptr, nullptr);
    if (client < 0) {
        return;
    }
    if (cut_) {
        close(client);
        return;
    }
    const int upstream = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in target = loopback(target_port_);
    if (connect(upstream, reinterpret_cast<sockaddr*>(&target), sizeof target) != 0) {
        close(upstream);
        close(client);
        return;
    }
    pairs_.push_back({client, upstream});
}

// Copies what is available from one socket to the other; false when the connection ended.
bool TcpProxy::forward(int from, int to) {
    char buffer[16384];
    const ssize_t received = recv(from, buffer, sizeof buffer, 0);
    if (received <= 0) {
        return false;
    }
    ssize_t sent_total = 0;
    while (sent_total < received) {
        const ssize_t sent =
            send(to, buffer + sent_total, static_cast<size_t>(received - sent_total), MSG_NOSIGNAL);
        if (sent <= 0) {
            return false;
        }
        sent_total += sent;
    }
    return true;
}

void TcpProxy::run() {
    while (!stop_) {
        std::lock_guard lock(mutex_);
        std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
        for (const auto& pair : pairs_) {
            fds.push_back({pair.client, POLLIN, 0});
            fds.push_back({pair.upstream, POLLIN, 0});
        }
        if (poll(fds.data(), fds.size(), 20) <= 0) {
            continue;
        }
        if (fds[0].revents & POLLIN) {
            accept_one();
        }
        std::vector<Pair> alive;
        for (std::size_t i = 0; i + 1 < fds.size(); i += 2) {
            const Pair pair = pairs_[i / 2];
            bool ok = true;
            if (fds[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) {
                ok = forward(pair.client, pair.upstream);
            }
            if (ok && (fds[i + 2].revents & (POLLIN | POLLHUP | POLLERR))) {
                ok = forward(pair.upstream, pair.client);
            }
            if (ok) {
                alive.push_back(pair);
            } else {
                close(pair.client);
                close(pair.upstream);
            }
        }
        // Connections accepted in this round were appended after the polled ones.
        for (std::size_t i = (fds.size() - 1) / 2; i < pairs_.size(); ++i) {
            alive.push_back(pairs_[i]);
        }
        pairs_ = std::move(alive);
    }
}

}  // namespace drivelink::testing
