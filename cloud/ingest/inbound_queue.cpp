#include "cloud/ingest/inbound_queue.h"

#include <algorithm>

namespace drivelink::cloud {

InboundQueue::InboundQueue(std::size_t capacity) : capacity_(capacity) {}

bool InboundQueue::push(InboundMessage&& message) {
    {
        std::lock_guard lock(mutex_);
        if (closed_ || messages_.size() >= capacity_) {
            return false;
        }
        messages_.push_back(std::move(message));
    }
    ready_.notify_one();
    return true;
}

std::vector<InboundMessage> InboundQueue::pop(std::size_t max_messages,
                                              std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    // Only a close() during this wait ends it early; once closed, a caller waiting for a retry
    // time must still sleep until its deadline.
    const bool closed_before = closed_;
    ready_.wait_until(lock, deadline, [this, max_messages, closed_before] {
        return (max_messages > 0 && !messages_.empty()) || (closed_ && !closed_before);
    });

    std::vector<InboundMessage> popped;
    const std::size_t count = std::min(max_messages, messages_.size());
    popped.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        popped.push_back(std::move(messages_.front()));
        messages_.pop_front();
    }
    return popped;
}

void InboundQueue::close() {
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
    }
    ready_.notify_all();
}

bool InboundQueue::closed() const {
    std::lock_guard lock(mutex_);
    return closed_;
}

std::size_t InboundQueue::size() const {
    std::lock_guard lock(mutex_);
    return messages_.size();
}

}  // namespace drivelink::cloud
