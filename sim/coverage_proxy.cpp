#include "sim/coverage_proxy.h"

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/error_code.hpp>

namespace drivelink::sim {

using boost::asio::ip::tcp;

// One forwarded connection: the car's socket and the broker's, relayed both ways until either
// side closes or the proxy cuts it.
class CoverageProxy::Session : public std::enable_shared_from_this<Session> {
  public:
    Session(tcp::socket car, boost::asio::any_io_executor strand)
        : car_(std::move(car)), broker_(strand) {}

    void start(const tcp::endpoint& broker) {
        broker_.async_connect(broker, [self = shared_from_this()](boost::system::error_code error) {
            if (error) {
                self->close();
                return;
            }
            self->relay(self->car_, self->broker_, self->to_broker_);
            self->relay(self->broker_, self->car_, self->to_car_);
        });
    }

    void close() {
        boost::system::error_code ignored;
        car_.close(ignored);
        broker_.close(ignored);
    }

  private:
    using Buffer = std::array<char, 16 * 1024>;

    void relay(tcp::socket& from, tcp::socket& to, Buffer& buffer) {
        from.async_read_some(boost::asio::buffer(buffer),
                             [self = shared_from_this(), &from, &to, &buffer](
                                 boost::system::error_code error, std::size_t bytes) {
                                 if (error) {
                                     self->close();
                                     return;
                                 }
                                 boost::asio::async_write(
                                     to,
                                     boost::asio::buffer(buffer.data(), bytes),
                                     [self, &from, &to, &buffer](
                                         boost::system::error_code write_error, std::size_t) {
                                         if (write_error) {
                                             self->close();
                                             return;
                                         }
                                         self->relay(from, to, buffer);
                                     });
                             });
    }

    tcp::socket car_;
    tcp::socket broker_;
    Buffer to_broker_{};
    Buffer to_car_{};
};

Result<std::unique_ptr<CoverageProxy>> CoverageProxy::open(boost::asio::any_io_executor strand,
                                                           uint16_t broker_port) {
    boost::system::error_code error;
    tcp::acceptor acceptor(strand);
    const tcp::endpoint local(boost::asio::ip::address_v4::loopback(), 0);
    acceptor.open(local.protocol(), error);
    if (!error) {
        acceptor.bind(local, error);
    }
    if (!error) {
        acceptor.listen(boost::asio::socket_base::max_listen_connections, error);
    }
    if (error) {
        return Error{"failed to listen on 127.0.0.1 for a coverage proxy: " + error.message()};
    }
    std::unique_ptr<CoverageProxy> proxy(
        new CoverageProxy(strand, std::move(acceptor), broker_port));
    boost::asio::post(proxy->strand_, [raw = proxy.get()] { raw->accept(); });
    return proxy;
}

CoverageProxy::CoverageProxy(boost::asio::any_io_executor strand,
                             tcp::acceptor acceptor,
                             uint16_t broker_port)
    : strand_(strand),
      acceptor_(std::move(acceptor)),
      broker_(boost::asio::ip::address_v4::loopback(), broker_port),
      port_(acceptor_.local_endpoint().port()) {}

CoverageProxy::~CoverageProxy() = default;

void CoverageProxy::accept() {
    acceptor_.async_accept(strand_, [this](boost::system::error_code error, tcp::socket car) {
        if (error == boost::asio::error::operation_aborted || !acceptor_.is_open()) {
            return;
        }
        if (!error && cut_) {
            held_.push_back(std::move(car));
        } else if (!error) {
            forward(std::move(car));
        }
        accept();
    });
}

void CoverageProxy::forward(tcp::socket car) {
    auto session = std::make_shared<Session>(std::move(car), strand_);
    session->start(broker_);
    std::erase_if(sessions_, [](const auto& weak) { return weak.expired(); });
    sessions_.push_back(session);
}

void CoverageProxy::cut() {
    boost::asio::post(strand_, [this] {
        cut_ = true;
        close_sessions();
    });
}

void CoverageProxy::restore() {
    boost::asio::post(strand_, [this] {
        cut_ = false;
        for (auto& car : held_) {
            forward(std::move(car));
        }
        held_.clear();
    });
}

void CoverageProxy::close() {
    boost::asio::post(strand_, [this] {
        boost::system::error_code ignored;
        acceptor_.close(ignored);
        held_.clear();
        close_sessions();
    });
}

void CoverageProxy::close_sessions() {
    for (auto& weak : sessions_) {
        if (auto session = weak.lock()) {
            session->close();
        }
    }
    sessions_.clear();
}

}  // namespace drivelink::sim
