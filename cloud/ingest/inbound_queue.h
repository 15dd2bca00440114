// The hand-over from the MQTT client's callback thread to the ingest worker.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace drivelink::cloud {

struct InboundMessage {
    std::string topic;
    std::string payload;
    std::int64_t received_time_ms = 0;
};

// A bounded multi-producer, single-consumer queue. push() waits only for the lock, which pop()
// keeps just to move messages out, so push() is safe in the MQTT client's callback.
class InboundQueue {
  public:
    explicit InboundQueue(std::size_t capacity);

    // Moves the message into the queue unless the queue is full or closed, and returns whether
    // it did. A message that was not queued is left unchanged.
    bool push(InboundMessage&& message);

    // Waits until a message can be taken (max_messages > 0 and the queue is not empty), `deadline`
    // passes, or close() is called during the wait. Then removes and returns up to
    // `max_messages` messages.
    std::vector<InboundMessage> pop(std::size_t max_messages,
                                    std::chrono::steady_clock::time_point deadline);

    // Rejects further pushes and wakes the consumer. Messages already queued stay for pop().
    void close();
    bool closed() const;
    std::size_t size() const;

  private:
    const std::size_t capacity_;
    mutable std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<InboundMessage> messages_;
    bool closed_ = false;
};

}  // namespace drivelink::cloud
