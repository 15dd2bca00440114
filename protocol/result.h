// A value or an error message, for expected failures such as bad input.
//
// drivelink reports expected failures as values, not exceptions: a function that can fail on
// its input returns Result<T>, and the message names the value that failed and the rule.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace drivelink {

struct Error {
    std::string message;
};

template <typename T>
class [[nodiscard]] Result {
  public:
    Result(T value) : state_(std::move(value)) {}      // NOLINT: implicit on purpose, like expected
    Result(Error error) : state_(std::move(error)) {}  // NOLINT: implicit on purpose

    bool ok() const { return std::holds_alternative<T>(state_); }
    explicit operator bool() const { return ok(); }

    const T& value() const& { return std::get<T>(state_); }
    T& value() & { return std::get<T>(state_); }
    T&& value() && { return std::get<T>(std::move(state_)); }
    const T& operator*() const& { return value(); }
    const T* operator->() const { return &value(); }
    T* operator->() { return &value(); }

    const std::string& error() const { return std::get<Error>(state_).message; }

  private:
    std::variant<T, Error> state_;
};

// Result of an operation that yields nothing but may fail.
struct Ok {};
using Status = Result<Ok>;

inline Status ok_status() {
    return Ok{};
}

}  // namespace drivelink
