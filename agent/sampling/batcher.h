// Collects recorded samples into SampleBatch messages, one per telemetry publish: a batch is
// complete when it contains `max_samples` or its first sample was added `max_age` ago, whichever
// comes first. Fewer, larger messages cost less radio time and broker work than one per
// sample, and the age bound keeps the cloud's view of the car fresh.
//
// Time comes from the caller (no hidden clock). Not thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string_view>

#include "agent/signals/vehicle_signals.h"
#include "drivelink/v1/drivelink.pb.h"
#include "protocol/result.h"

namespace drivelink::agent::sampling {

struct BatchLimits {
    std::size_t max_samples = 10;
    std::chrono::seconds max_age{5};
};

// Checks the limits: max_samples 1 to 10,000 (what the cloud accepts in one batch), max_age
// 1 s to 1 h. The error names `key_prefix` + the setting and its value.
Status validate(const BatchLimits& limits, std::string_view key_prefix = "");

class Batcher {
  public:
    explicit Batcher(BatchLimits limits = {});

    // Adds a sample at time `now`. Returns the complete batch, this sample included, when it
    // reached max_samples or max_age.
    std::optional<v1::SampleBatch> add(v1::Sample sample, signals::TimePoint now);
    // Returns the pending batch when its first sample is max_age old or older at `now`.
    std::optional<v1::SampleBatch> poll(signals::TimePoint now);
    // Returns whatever is pending, for example at shutdown, or empty when nothing is.
    std::optional<v1::SampleBatch> flush();

    // Replaces the limits. A pending batch that now exceeds them comes out of the next add
    // or poll. Rejects invalid limits, keeping the old ones.
    Status set_limits(const BatchLimits& limits);
    const BatchLimits& limits() const { return limits_; }
    std::size_t pending() const { return static_cast<std::size_t>(batch_.samples_size()); }

  private:
    bool complete(signals::TimePoint now) const;

    BatchLimits limits_;
    v1::SampleBatch batch_;
    signals::TimePoint started_;
};

}  // namespace drivelink::agent::sampling
