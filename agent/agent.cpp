#include "agent/agent.h"

#include <spdlog/spdlog.h>
#include <algorithm>

#include "protocol/topics.h"

namespace drivelink::agent {
namespace {

using std::chrono::steady_clock;

constexpr std::chrono::milliseconds kTick{200};

std::shared_ptr<spdlog::logger> logger() {
    static auto instance = [] {
        auto existing = spdlog::get("agent");
        return existing ? existing : spdlog::default_logger()->clone("agent");
    }();
    return instance;
}

}  // namespace

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Agent::Agent(boost::asio::any_io_executor executor,
             AgentOptions options,
             MqttLinkOptions link_options,
             std::unique_ptr<Outbox> outbox)
    : executor_(executor),
      options_(std::move(options)),
      outbox_(std::move(outbox)),
      link_(executor,
            std::move(link_options),
            MqttLinkHandlers{
                .connected = [this] { on_connected(); },
                .lost =
                    [this](const std::string&) {
                        in_flight_.clear();
                        nothing_due_ = false;
                    },
                .message = [this](const std::string& topic,
                                  const std::string& payload) { on_message(topic, payload); },
            }),
      tick_timer_(executor) {}

Agent::~Agent() = default;

Status Agent::start() {
    if (auto stats = outbox_->stats(); stats) {
        logger()->info("vin={} outbox {} holds {} entries, next seq={}",
                       options_.vin,
                       outbox_->path().string(),
                       stats->entries,
                       stats->next_seq);
    }
    if (auto started = link_.start(); !started) {
        return started;
    }
    on_tick();
    return ok_status();
}

void Agent::add_sample(v1::Sample sample) {
    if (batch_.samples_size() == 0) {
        batch_started_ = steady_clock::now();
    }
    if (sample.has_location()) {
        last_location_ = sample.location();
    }
    *batch_.add_samples() = std::move(sample);
    ++counters_.samples;
    if (static_cast<std::size_t>(batch_.samples_size()) >= options_.batch_max_samples) {
        flush_batch();
    }
}

void Agent::flush_batch() {
    if (batch_.samples_size() == 0) {
        return;
    }
    v1::Uplink uplink;
    *uplink.mutable_batch() = std::move(batch_);
    batch_.Clear();
    store(uplink);
}

std::optional<uint64_t> Agent::raise_event(v1::VehicleEvent event) {
    if (!event.has_location() && last_location_) {
        *event.mutable_location() = *last_location_;
    }
    logger()->info("vin={} event {} raised", options_.vin, v1::EventType_Name(event.type()));
    v1::Uplink uplink;
    *uplink.mutable_event() = std::move(event);
    ++counters_.events;
    return store(uplink);
}

std::optional<uint64_t> Agent::store(v1::Uplink& uplink) {
    uplink.set_vin(options_.vin);
    uplink.set_sent_time_ms(now_ms());
    std::optional<uint64_t> seq;
    if (unstored_.empty()) {
        seq = write_to_outbox(uplink);
    }
    if (!seq) {
        keep_unstored(std::move(uplink));
        return std::nullopt;
    }
    pump();
    return seq;
}

std::optional<uint64_t> Agent::write_to_outbox(v1::Uplink& uplink) {
    auto seq = outbox_->add(uplink);
    if (!seq) {
        ++counters_.store_errors;
        logger()->error("vin={} outbox write failed, keeping the message in memory: {}",
                        options_.vin,
                        seq.error());
        return std::nullopt;
    }
    ++counters_.messages_created;
    nothing_due_ = false;
    return *seq;
}

void Agent::keep_unstored(v1::Uplink uplink) {
    if (unstored_.size() >= options_.max_unstored) {
        // Events stay; the oldest telemetry makes room, as in the outbox itself.
        auto oldest = std::find_if(
            unstored_.begin(), unstored_.end(), [](const v1::Uplink& u) { return u.has_batch(); });
        if (oldest != unstored_.end()) {
            counters_.unstored_samples_lost +=
                static_cast<uint64_t>(oldest->batch().samples_size());
            unstored_.erase(oldest);
        }
    }
    unstored_.push_back(std::move(uplink));
}

// Retries the messages the outbox could not take, oldest first, until one fails again.
void Agent::retry_unstored() {
    while (!unstored_.empty()) {
        if (!write_to_outbox(unstored_.front())) {
            return;
        }
        unstored_.pop_front();
        logger()->info("vin={} outbox writable again, {} messages still in memory",
                       options_.vin,
                       unstored_.size());
    }
}

void Agent::pump() {
    if (!link_.connected() || stopped_ || in_flight_.size() >= options_.max_in_flight) {
        return;
    }
    const auto now = std::chrono::system_clock::now();
    auto due = outbox_->due(now, options_.ack_timeout, options_.max_in_flight - in_flight_.size());
    if (!due) {
        logger()->error("vin={} reading the outbox failed: {}", options_.vin, due.error());
        return;
    }
    nothing_due_ = due->empty();
    std::vector<uint64_t> published;
    for (const auto& entry : *due) {
        if (!link_.publish(protocol::topic_for(options_.vin, entry.channel), entry.payload)) {
            break;
        }
        if (entry.attempts > 0) {
            ++counters_.resends;
            logger()->debug(
                "vin={} seq={} resent, attempt {}", options_.vin, entry.seq, entry.attempts + 1);
        }
        ++counters_.publishes;
        in_flight_[entry.seq] = steady_clock::now();
        published.push_back(entry.seq);
    }
    if (published.empty()) {
        return;
    }
    if (auto marked = outbox_->mark_sent(published, now); !marked) {
        logger()->error("vin={} {}", options_.vin, marked.error());
    }
}

void Agent::on_connected() {
    // Whatever was in flight when the link dropped may or may not have arrived: send it all
    // again. The cloud acknowledges duplicates without storing them twice.
    in_flight_.clear();
    nothing_due_ = false;
    if (auto reset = outbox_->mark_all_unsent(); !reset) {
        logger()->error("vin={} {}", options_.vin, reset.error());
    }
    pump();
}

void Agent::on_message(const std::string& topic, const std::string& payload) {
    v1::Downlink downlink;
    if (!downlink.ParseFromString(payload)) {
        logger()->warn(
            "vin={} undecodable command of {} bytes on {}", options_.vin, payload.size(), topic);
        return;
    }
    if (!downlink.has_commit_ack()) {
        if (command_handler_) {
            command_handler_(downlink);
        }
        return;
    }
    {
        const auto& seqs = downlink.commit_ack().seqs();
        std::vector<uint64_t> acked(seqs.begin(), seqs.end());
        auto deleted = outbox_->acknowledge(acked);
        if (!deleted) {
            logger()->error("vin={} {}", options_.vin, deleted.error());
            return;
        }
        counters_.acknowledged += *deleted;
        for (const uint64_t seq : acked) {
            in_flight_.erase(seq);
            if (ack_observer_) {
                ack_observer_(seq);
            }
        }
        pump();
        check_drained();
    }
}

void Agent::on_tick() {
    if (stopped_) {
        return;
    }
    const auto now = steady_clock::now();
    if (batch_.samples_size() > 0 && now - batch_started_ >= options_.batch_max_age) {
        flush_batch();
    }
    retry_unstored();
    const auto timed_out = std::erase_if(
        in_flight_, [&](const auto& item) { return now - item.second >= options_.ack_timeout; });
    // An idle car reads nothing: with nothing in flight, no entry added since the outbox last
    // had nothing due, and no ack timed out, nothing can have fallen due.
    if (timed_out > 0 || !nothing_due_ || !in_flight_.empty()) {
        pump();
    }
    check_drained();
    tick_timer_.expires_after(kTick);
    tick_timer_.async_wait([this](const boost::system::error_code& error) {
        if (!error) {
            on_tick();
        }
    });
}

void Agent::set_command_handler(std::function<void(const v1::Downlink&)> handler) {
    command_handler_ = std::move(handler);
}

void Agent::set_ack_observer(std::function<void(uint64_t seq)> observer) {
    ack_observer_ = std::move(observer);
}

void Agent::set_batch_limits(std::size_t max_samples, std::chrono::milliseconds max_age) {
    options_.batch_max_samples = max_samples;
    options_.batch_max_age = max_age;
}

void Agent::when_drained(std::function<void()> done) {
    drained_ = std::move(done);
    check_drained();
}

void Agent::check_drained() {
    if (!drained_ || batch_.samples_size() > 0 || !unstored_.empty()) {
        return;
    }
    auto stats = outbox_->stats();
    if (stats && stats->entries == 0) {
        auto done = std::move(drained_);
        drained_ = nullptr;
        done();
    }
}

void Agent::stop() {
    flush_batch();
    retry_unstored();
    if (!unstored_.empty()) {
        logger()->error(
            "vin={} stopping with {} messages the outbox could not store; they are lost",
            options_.vin,
            unstored_.size());
    }
    stopped_ = true;
    tick_timer_.cancel();
    link_.stop();
    if (auto stats = outbox_->stats(); stats) {
        logger()->info("vin={} stopped; {} entries wait in the outbox for the next start",
                       options_.vin,
                       stats->entries);
    }
}

}  // namespace drivelink::agent
