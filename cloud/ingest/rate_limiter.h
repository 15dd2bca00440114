// Limits how many lines a repeated log message writes per time window.
#pragma once

#include <chrono>
#include <cstdint>

namespace drivelink::cloud {

class LogRateLimiter {
  public:
    LogRateLimiter(std::uint64_t max_lines, std::chrono::steady_clock::duration window)
        : max_lines_(max_lines), window_(window) {}

    // Returns true when the caller may log now. When a new window starts, `suppressed` is set
    // to the number of lines held back in the previous one, else to 0.
    bool allow(std::chrono::steady_clock::time_point now, std::uint64_t& suppressed) {
        suppressed = 0;
        if (now - window_start_ >= window_) {
            suppressed = suppressed_;
            suppressed_ = 0;
            lines_ = 0;
            window_start_ = now;
        }
        if (lines_ < max_lines_) {
            ++lines_;
            return true;
        }
        ++suppressed_;
        return false;
    }

  private:
    std::uint64_t max_lines_;
    std::chrono::steady_clock::duration window_;
    std::chrono::steady_clock::time_point window_start_{};
    std::uint64_t lines_ = 0;
    std::uint64_t suppressed_ = 0;
};

}  // namespace drivelink::cloud
