#include "cloud/ingest/backoff.h"

#include <algorithm>

namespace drivelink::cloud {

Backoff::Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max)
    : initial_(initial), max_(std::max(initial, max)), next_(initial) {}

std::chrono::milliseconds Backoff::next_delay() {
    const auto delay = next_;
    next_ = std::min(next_ * 2, max_);
    return delay;
}

void Backoff::reset() {
    next_ = initial_;
}

}  // namespace drivelink::cloud
