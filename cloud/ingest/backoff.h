// Exponential backoff for retrying a failed store commit.
#pragma once

#include <chrono>

namespace drivelink::cloud {

class Backoff {
  public:
    Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max);

    // Returns the delay before the next attempt: `initial` after a reset, then twice the
    // previous delay, at most `max`.
    std::chrono::milliseconds next_delay();
    void reset();

  private:
    std::chrono::milliseconds initial_;
    std::chrono::milliseconds max_;
    std::chrono::milliseconds next_;
};

}  // namespace drivelink::cloud
