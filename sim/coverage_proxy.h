// A TCP forwarder on 127.0.0.1 between one simulated car and the broker, so that the car can
// lose network coverage alone. cut() closes the car's connection, as a modem does when it
// loses the network, and holds new connections unanswered until restore(), as a dead network
// does; restore() forwards the held ones. The car's MQTT link sees the drop and reconnects
// with its own backoff and timeouts.
//
// All work runs on the strand given at construction; cut() and restore() may be called from
// any thread.
#pragma once

#include <utility>  // Boost 1.74's Asio needs this before it under C++20 on g++ 12.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <vector>

#include "protocol/result.h"

namespace drivelink::sim {

class CoverageProxy {
  public:
    // Listens on a free port of 127.0.0.1 and forwards to 127.0.0.1:`broker_port`.
    static Result<std::unique_ptr<CoverageProxy>> open(boost::asio::any_io_executor strand,
                                                       uint16_t broker_port);
    ~CoverageProxy();
    CoverageProxy(const CoverageProxy&) = delete;
    CoverageProxy& operator=(const CoverageProxy&) = delete;

    uint16_t port() const { return port_; }
    void cut();
    void restore();
    // Closes the listener and every connection.
    void close();

  private:
    class Session;
    CoverageProxy(boost::asio::any_io_executor strand,
                  boost::asio::ip::tcp::acceptor acceptor,
                  uint16_t broker_port);
    void accept();
    void forward(boost::asio::ip::tcp::socket car);
    void close_sessions();

    boost::asio::any_io_executor strand_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::ip::tcp::endpoint broker_;
    uint16_t port_ = 0;
    bool cut_ = false;
    std::vector<std::weak_ptr<Session>> sessions_;
    std::vector<boost::asio::ip::tcp::socket> held_;  // accepted while cut, not yet forwarded
};

}  // namespace drivelink::sim
