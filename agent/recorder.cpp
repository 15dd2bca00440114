#include "agent/recorder.h"

#include <spdlog/spdlog.h>

#include "agent/fix_to_sample.h"
#include "agent/signals/vehicle_signals.h"

namespace drivelink::agent {
namespace {

std::shared_ptr<spdlog::logger> logger() {
    static auto instance = [] {
        auto existing = spdlog::get("agent");
        return existing ? existing : spdlog::default_logger()->clone("agent");
    }();
    return instance;
}

}  // namespace

Recorder::Recorder(RecorderOptions options,
                   signals::SignalSource* signals,
                   SampleSink samples,
                   EventSink events)
    : options_(std::move(options)),
      signals_(signals),
      samples_(std::move(samples)),
      events_(std::move(events)),
      sampler_(options_.settings.sampler),
      detector_(options_.identity, options_.settings.crash, options_.settings.events) {}

Status Recorder::apply(const config::RuntimeSettings& settings) {
    if (auto valid = config::validate(settings); !valid) {
        return valid;
    }
    std::lock_guard lock(mutex_);
    pending_ = settings;
    return ok_status();
}

RecorderCounters Recorder::counters() const {
    std::lock_guard lock(mutex_);
    return counters_;
}

void Recorder::take_new_settings() {
    std::optional<config::RuntimeSettings> settings;
    {
        std::lock_guard lock(mutex_);
        settings.swap(pending_);
    }
    if (!settings) {
        return;
    }
    // Both were validated in apply(), so neither can fail here.
    (void)sampler_.apply(settings->sampler);
    (void)detector_.apply(settings->crash, settings->events);
    options_.settings = *settings;
    logger()->info("vin={} new sampling and event settings in effect", options_.identity.vin);
}

void Recorder::on_fix(const gnss::Fix& fix) {
    take_new_settings();
    const signals::VehicleSignals vehicle =
        signals_ != nullptr ? signals_->signals_at(fix.time) : signals::VehicleSignals{};

    const v1::Sample located = to_sample(fix);
    detector_.on_location(fix.time, located.location());
    for (auto& event : detector_.on_signals(fix.time, vehicle)) {
        {
            std::lock_guard lock(mutex_);
            ++counters_.events;
        }
        events_(std::move(event));
    }

    sampling::SampleDecision decision = sampler_.evaluate(fix, vehicle);
    {
        std::lock_guard lock(mutex_);
        ++counters_.fixes;
    }
    if (options_.record_every_fix || decision.record()) {
        record(fix, vehicle, decision);
    }
}

void Recorder::record(const gnss::Fix& fix,
                      const signals::VehicleSignals& vehicle,
                      const sampling::SampleDecision& decision) {
    v1::Sample sample = to_sample(fix);
    signals::add_to_sample(vehicle, sample);
    for (const auto trigger : decision.triggers) {
        sample.add_triggers(trigger);
    }
    const auto invalid =
        protocol::validate_sample(sample, std::chrono::system_clock::now(), options_.validation);
    {
        std::lock_guard lock(mutex_);
        ++(invalid ? counters_.invalid_samples : counters_.samples);
    }
    if (invalid) {
        logger()->warn("vin={} fix at {} not recorded: {}",
                       options_.identity.vin,
                       gnss::format_utc_iso8601(fix.time),
                       invalid->detail);
        return;
    }
    samples_(std::move(sample));
}

}  // namespace drivelink::agent
