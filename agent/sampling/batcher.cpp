#include "agent/sampling/batcher.h"

#include <fmt/format.h>

#include <utility>

namespace drivelink::agent::sampling {

Status validate(const BatchLimits& limits, std::string_view key_prefix) {
    if (limits.max_samples < 1 || limits.max_samples > 10'000) {
        return Error{fmt::format("{}max_samples = {} is out of range: must be 1 to 10000",
                                 key_prefix,
                                 limits.max_samples)};
    }
    if (limits.max_age < std::chrono::seconds(1) || limits.max_age > std::chrono::hours(1)) {
        return Error{fmt::format("{}max_age_s = {} is out of range: must be 1 to 3600",
                                 key_prefix,
                                 limits.max_age.count())};
    }
    return ok_status();
}

Batcher::Batcher(BatchLimits limits) : limits_(limits) {}

std::optional<v1::SampleBatch> Batcher::add(v1::Sample sample, signals::TimePoint now) {
    if (batch_.samples_size() == 0) {
        started_ = now;
    }
    *batch_.add_samples() = std::move(sample);
    if (complete(now)) {
        return flush();
    }
    return std::nullopt;
}

std::optional<v1::SampleBatch> Batcher::poll(signals::TimePoint now) {
    if (batch_.samples_size() > 0 && complete(now)) {
        return flush();
    }
    return std::nullopt;
}

std::optional<v1::SampleBatch> Batcher::flush() {
    if (batch_.samples_size() == 0) {
        return std::nullopt;
    }
    v1::SampleBatch full;
    full.Swap(&batch_);
    return full;
}

Status Batcher::set_limits(const BatchLimits& limits) {
    if (auto valid = validate(limits); !valid) {
        return valid;
    }
    limits_ = limits;
    return ok_status();
}

bool Batcher::complete(signals::TimePoint now) const {
    return pending() >= limits_.max_samples || now - started_ >= limits_.max_age;
}

}  // namespace drivelink::agent::sampling
