// What the agent records from each GNSS fix: the sampler decides whether the moment becomes
// a sample, the vehicle signals are added to it, and the event detector raises events.
//
// Runs on the GNSS thread. New settings from the cloud arrive on the agent's thread through
// apply(), which hands them over under a lock; the next fix picks them up.
#pragma once

#include <functional>
#include <mutex>
#include <optional>

#include "agent/config/runtime_settings.h"
#include "agent/events/event_detector.h"
#include "agent/gnss/fix.h"
#include "agent/sampling/sampler.h"
#include "agent/signals/signal_source.h"
#include "drivelink/v1/drivelink.pb.h"
#include "protocol/codec.h"

namespace drivelink::agent {

struct RecorderOptions {
    events::VehicleIdentity identity;
    config::RuntimeSettings settings;
    bool record_every_fix = false;  // bypass the sampler, as for a track log
    protocol::ValidationOptions validation;
};

struct RecorderCounters {
    uint64_t fixes = 0;
    uint64_t samples = 0;
    uint64_t invalid_samples = 0;  // recorded but rejected by the protocol's checks
    uint64_t events = 0;
};

class Recorder {
  public:
    using SampleSink = std::function<void(v1::Sample)>;
    using EventSink = std::function<void(v1::VehicleEvent)>;

    // `signals` may be null (GNSS only) and must outlive the recorder.
    Recorder(RecorderOptions options,
             signals::SignalSource* signals,
             SampleSink samples,
             EventSink events);

    void on_fix(const gnss::Fix& fix);
    // Replaces sampler, crash and event settings from the next fix on; thread-safe.
    Status apply(const config::RuntimeSettings& settings);

    RecorderCounters counters() const;

  private:
    void take_new_settings();
    void record(const gnss::Fix& fix,
                const signals::VehicleSignals& vehicle,
                const sampling::SampleDecision& decision);

    RecorderOptions options_;
    signals::SignalSource* signals_;
    SampleSink samples_;
    EventSink events_;
    sampling::Sampler sampler_;
    events::EventDetector detector_;
    mutable std::mutex mutex_;
    std::optional<config::RuntimeSettings> pending_;  // guarded by mutex_
    RecorderCounters counters_;                       // guarded by mutex_
};

}  // namespace drivelink::agent
