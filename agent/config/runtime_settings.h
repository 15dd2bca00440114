// The agent settings that the cloud may change at run time with a ConfigUpdate command:
// sampling, batching, crash detection and event thresholds. The configuration file gives
// their starting values.
#pragma once

#include "agent/events/crash_detector.h"
#include "agent/events/signal_events.h"
#include "agent/sampling/batcher.h"
#include "agent/sampling/sampler.h"
#include "drivelink/v1/drivelink.pb.h"
#include "protocol/result.h"

namespace drivelink::agent::config {

struct RuntimeSettings {
    sampling::SamplerSettings sampler;
    sampling::BatchLimits batch;
    events::CrashSettings crash;
    events::EventSettings events;
};

// Checks every setting. The error names the first invalid one by its configuration file key, such
// as "sampling.distance_m = -5 is out of range: must be 0 to 100000".
Status validate(const RuntimeSettings& settings);

// Returns `current` with every field that `update` sets replaced. Fails, naming the field by
// its AgentSettings name and its value, when the result would be invalid.
Result<RuntimeSettings> merge_update(const RuntimeSettings& current,
                                     const v1::AgentSettings& update);

// Every field of AgentSettings, from `settings`.
v1::AgentSettings to_proto(const RuntimeSettings& settings);

}  // namespace drivelink::agent::config
