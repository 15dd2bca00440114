#include "sim/car.h"

#include <spdlog/spdlog.h>
#include <algorithm>
#include <cctype>

#include "agent/fix_to_sample.h"
#include "protocol/codec.h"

namespace drivelink::sim {
namespace {

using agent::gnss::Fix;
using std::chrono::milliseconds;

// Parked cars are looked at this often: enough for the sampler's parked interval (30 min by
// default) and the 12 V battery alarm.
constexpr std::chrono::minutes kParkedStep{5};
// A crash pulse of 30 g for 100 ms, fed to the crash sensor path every 5 ms.
constexpr double kCrashPeakMps2 = 30.0 * agent::signals::kStandardGravityMps2;
constexpr milliseconds kCrashPulse{100};
constexpr milliseconds kCrashSensorPeriod{5};

std::shared_ptr<spdlog::logger> logger() {
    static auto instance = [] {
        auto existing = spdlog::get("sim");
        return existing ? existing : spdlog::default_logger()->clone("sim");
    }();
    return instance;
}

// The type as the cloud stores it: the enum name without its prefix, in lower case.
std::string event_label(v1::EventType type) {
    constexpr std::string_view kPrefix = "EVENT_TYPE_";
    std::string name = v1::EventType_Name(type);
    if (name.starts_with(kPrefix)) {
        name.erase(0, kPrefix.size());
    }
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    return name;
}

}  // namespace

SimCar::SimCar(boost::asio::any_io_executor strand,
               const std::vector<Route>& routes,
               CarPlan plan,
               TimePoint start,
               std::unique_ptr<agent::Agent> agent,
               std::unique_ptr<CoverageProxy> proxy)
    : strand_(strand),
      route_(routes.at(plan.route)),
      plan_(std::move(plan)),
      agent_(std::move(agent)),
      proxy_(std::move(proxy)),
      vehicle_(plan_.model->profile, plan_.vehicle_seed, start),
      detector_(agent::events::VehicleIdentity{plan_.vin, vehicle_.propulsion_storages()}),
      cursor_(start) {
    if (!plan_.trips.empty()) {
        position_ = plan_.placement.place(route_, plan_.trips.front().first_index, start);
        position_->speed_mps = 0.0;
    }
}

void SimCar::advance_to(TimePoint now) {
    while (cursor_ < now) {
        if (fix_) {
            step_trip(now);
        } else if (!crashed_ && next_trip_ < plan_.trips.size() &&
                   plan_.trips[next_trip_].start <= now) {
            park_until(plan_.trips[next_trip_].start);
            begin_trip(plan_.trips[next_trip_]);
        } else {
            park_until(now);
        }
    }
}

void SimCar::update_coverage(TimePoint now) {
    const auto& losses = plan_.coverage_losses;
    while (proxy_ && next_coverage_change_ < 2 * losses.size()) {
        const auto& loss = losses[next_coverage_change_ / 2];
        const bool starts = next_coverage_change_ % 2 == 0;
        const auto at = starts ? loss.start : loss.start + loss.duration;
        if (at > now) {
            return;
        }
        if (starts) {
            logger()->info("vin={} coverage lost for {} s of simulated time",
                           plan_.vin,
                           std::chrono::duration_cast<std::chrono::seconds>(loss.duration).count());
            proxy_->cut();
            ++tally_.coverage_losses;
        } else {
            logger()->info("vin={} coverage back", plan_.vin);
            proxy_->restore();
        }
        ++next_coverage_change_;
    }
}

void SimCar::step_trip(TimePoint now) {
    if (fix_time_ > now) {
        cursor_ = now;
        return;
    }
    const auto& trip = plan_.trips[next_trip_];
    const Fix fix = plan_.placement.place(route_, *fix_, fix_time_);
    for (const auto& fault : trip.faults) {
        if (fault.fix_offset == trip_fixes_done_) {
            apply_fault(fault, fix);
        }
    }
    drive_to(fix);
    vehicle_.release_sos();
    if (++trip_fixes_done_ >= trip.fix_count || crashed_) {
        end_trip(fix.time + std::chrono::seconds(1));
        return;
    }
    fix_time_ += route_.gap_after(*fix_);
    fix_ = route_.next(*fix_);
}

void SimCar::begin_trip(const Trip& trip) {
    ++tally_.trips;
    fix_ = trip.first_index;
    trip_fixes_done_ = 0;
    fix_time_ = trip.start;
    cursor_ = trip.start;
    if (auto moved = vehicle_.advance(trip.start, 0.0); !moved) {
        logger()->warn("vin={} {}", plan_.vin, moved.error());
    }
    vehicle_.set_ignition(agent::signals::IgnitionState::On);
    observe(parked_fix(trip.start));
}

void SimCar::end_trip(TimePoint time) {
    fix_.reset();
    ++next_trip_;
    cursor_ = time;
    if (auto moved = vehicle_.advance(time, 0.0); !moved) {
        logger()->warn("vin={} {}", plan_.vin, moved.error());
    }
    vehicle_.set_ignition(agent::signals::IgnitionState::Off);
    observe(parked_fix(time));
}

void SimCar::park_until(TimePoint until) {
    while (cursor_ < until) {
        cursor_ = std::min(until, cursor_ + kParkedStep);
        if (auto moved = vehicle_.advance(cursor_, 0.0); !moved) {
            logger()->warn("vin={} {}", plan_.vin, moved.error());
        }
        if (position_) {
            observe(parked_fix(cursor_));
        }
    }
}

void SimCar::drive_to(const Fix& fix) {
    double distance_km = 0.0;
    if (position_) {
        distance_km = haversine_km(
            position_->latitude_deg, position_->longitude_deg, fix.latitude_deg, fix.longitude_deg);
    }
    if (auto moved = vehicle_.advance(fix.time, distance_km); !moved) {
        logger()->warn("vin={} {}", plan_.vin, moved.error());
    }
    position_ = fix;
    cursor_ = fix.time;
    observe(fix);
}

void SimCar::apply_fault(const TripFault& fault, const Fix& fix) {
    switch (fault.kind) {
        case FaultKind::TroubleCode:
            if (auto injected = vehicle_.inject_dtc(fault.dtc); !injected) {
                logger()->warn("vin={} {}", plan_.vin, injected.error());
            }
            return;
        case FaultKind::Sos:
            vehicle_.press_sos();
            return;
        case FaultKind::Crash:
            crash(fix);
            return;
        case FaultKind::CoverageLoss:
            return;
    }
}

// Feeds a crash pulse to the crash sensor path, as a crash sensor streams it, and deploys the
// airbag. The detector reports one crash for both.
std::optional<uint64_t> SimCar::crash(const Fix& fix) {
    std::optional<uint64_t> first_seq;
    vehicle_.trigger_crash_pulse(fix.time, kCrashPeakMps2, kCrashPulse);
    for (auto time = fix.time; time <= fix.time + kCrashPulse; time += kCrashSensorPeriod) {
        const auto signals = vehicle_.signals_at(time);
        auto event = detector_.on_acceleration(time,
                                               signals.longitudinal_acceleration_mps2.value_or(0),
                                               signals.lateral_acceleration_mps2.value_or(0));
        if (event) {
            auto seq = raise(std::move(*event));
            if (!first_seq) {
                first_seq = seq;
            }
        }
    }
    vehicle_.deploy_airbag();
    crashed_ = true;
    logger()->info("vin={} crashed at {}", plan_.vin, agent::gnss::format_utc_iso8601(fix.time));
    return first_seq;
}

void SimCar::report_now() {
    const auto now =
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    steady_index_ = route_.next(steady_index_);
    auto fix = plan_.placement.place(route_, steady_index_, now);
    auto sample = agent::to_sample(fix);
    detector_.on_location(fix.time, sample.location());
    if (position_) {
        tally_.distance_km += haversine_km(
            position_->latitude_deg, position_->longitude_deg, fix.latitude_deg, fix.longitude_deg);
    }
    position_ = fix;
    ++tally_.samples;
    agent_->add_sample(std::move(sample));
    agent_->flush_batch();
}

std::optional<uint64_t> SimCar::crash_now() {
    if (!position_) {
        report_now();
    }
    Fix fix = *position_;
    fix.time =
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    return crash(fix);
}

// Passes one moment to the head unit's event detector and sampler.
void SimCar::observe(const Fix& fix) {
    const auto signals = vehicle_.signals_at(fix.time);
    detector_.on_location(fix.time, agent::to_sample(fix).location());
    for (auto& event : detector_.on_signals(fix.time, signals)) {
        raise(std::move(event));
    }
    const auto decision = sampler_.evaluate(fix, signals);
    if (decision.record()) {
        record_sample(fix, signals, decision);
    }
}

void SimCar::record_sample(const Fix& fix,
                           const agent::signals::VehicleSignals& signals,
                           const agent::sampling::SampleDecision& decision) {
    auto sample = agent::to_sample(fix);
    agent::signals::add_to_sample(signals, sample);
    for (auto trigger : decision.triggers) {
        sample.add_triggers(trigger);
    }
    if (auto invalid = protocol::validate_sample(sample, std::chrono::system_clock::now())) {
        ++tally_.invalid_samples;
        logger()->warn("vin={} sample at {} not recorded: {}",
                       plan_.vin,
                       agent::gnss::format_utc_iso8601(fix.time),
                       invalid->detail);
        return;
    }
    if (last_sample_location_) {
        tally_.distance_km += haversine_km(last_sample_location_->latitude_deg(),
                                           last_sample_location_->longitude_deg(),
                                           sample.location().latitude_deg(),
                                           sample.location().longitude_deg());
    }
    last_sample_location_ = sample.location();
    if (sample.has_traveled_distance_km()) {
        tally_.odometer_km = std::max(tally_.odometer_km, sample.traveled_distance_km());
    }
    ++tally_.samples;
    agent_->add_sample(std::move(sample));
}

std::optional<uint64_t> SimCar::raise(v1::VehicleEvent event) {
    ++tally_.events[event_label(event.type())];
    if (event.type() == v1::EVENT_TYPE_DTC_SET) {
        tally_.dtcs.push_back(event.dtc());
    }
    if (event.type() == v1::EVENT_TYPE_CRASH) {
        // The agent sends an event without a location with the latest sample's location.
        const auto* location = event.has_location()    ? &event.location()
                               : last_sample_location_ ? &*last_sample_location_
                                                       : nullptr;
        if (location != nullptr) {
            tally_.crashes.push_back(
                {location->latitude_deg(), location->longitude_deg(), event.time_ms()});
        }
    }
    return agent_->raise_event(std::move(event));
}

void SimCar::record_downlink(const v1::Downlink& downlink) {
    if (downlink.has_rescue_update()) {
        const auto& update = downlink.rescue_update();
        ReceivedRescueUpdate received{.command_id = downlink.command_id(),
                                      .case_id = update.case_id(),
                                      .status = v1::RescueStatus_Name(update.status()),
                                      .dealer_ids = {},
                                      .first_dealer_eta_time_ms = std::nullopt};
        for (const auto& dealer : update.dealers()) {
            received.dealer_ids.push_back(dealer.dealer_id());
        }
        if (!update.dealers().empty() && update.dealers(0).has_eta_time_ms()) {
            received.first_dealer_eta_time_ms = update.dealers(0).eta_time_ms();
        }
        tally_.rescue_updates.push_back(std::move(received));
    } else if (downlink.has_maintenance_recommendation()) {
        const auto& recommendation = downlink.maintenance_recommendation();
        ReceivedRecommendation received{
            .command_id = downlink.command_id(),
            .item = recommendation.item(),
            .reason = recommendation.reason(),
            .dtcs = {recommendation.dtcs().begin(), recommendation.dtcs().end()},
            .due_traveled_distance_km = std::nullopt};
        if (recommendation.has_due_traveled_distance_km()) {
            received.due_traveled_distance_km = recommendation.due_traveled_distance_km();
        }
        tally_.recommendations.push_back(std::move(received));
    }
}

Fix SimCar::parked_fix(TimePoint time) const {
    Fix fix = *position_;
    fix.time = time;
    fix.speed_mps = 0.0;
    return fix;
}

}  // namespace drivelink::sim
