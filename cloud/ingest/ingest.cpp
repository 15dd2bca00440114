#include "cloud/ingest/ingest.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <algorithm>
#include <limits>

#include "cloud/ingest/status_decoder.h"
#include "cloud/logging.h"

namespace drivelink::cloud {
namespace {

using protocol::Channel;
using protocol::RejectReason;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

// How long the worker sleeps when nothing is queued. A message or stop() wakes it earlier.
constexpr auto kIdleWait = std::chrono::seconds(1);
constexpr auto kCountersLogInterval = std::chrono::minutes(1);
constexpr std::uint64_t kMaxLogLinesPerWindow = 20;
constexpr auto kLogWindow = std::chrono::seconds(10);

std::int64_t to_ms(std::chrono::system_clock::time_point time) {
    return std::chrono::duration_cast<milliseconds>(time.time_since_epoch()).count();
}

std::shared_ptr<spdlog::logger> logger() {
    return component_logger("ingest");
}

// The sequence number to acknowledge for a rejected uplink: only when the payload decoded,
// names the topic's vehicle and carries a valid number, so the content alone was invalid.
std::optional<std::uint64_t> acknowledgeable_seq(const protocol::DecodeResult& decoded) {
    switch (decoded.rejection->reason) {
        case RejectReason::WrongBody:
        case RejectReason::BadTime:
        case RejectReason::OutOfRange:
            break;
        default:
            return std::nullopt;
    }
    const auto seq = decoded.uplink.message.seq();
    constexpr auto kMaxSeq = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (seq == 0 || seq > kMaxSeq || decoded.uplink.message.vin() != decoded.uplink.vin) {
        return std::nullopt;
    }
    return seq;
}

}  // namespace

Ingest::Ingest(Store& store, CommandPublisher& publisher, IngestOptions options)
    : store_(store),
      publisher_(publisher),
      options_(std::move(options)),
      queue_(options_.queue_capacity),
      backoff_(options_.retry_initial, options_.retry_max),
      reject_log_limit_(kMaxLogLinesPerWindow, kLogWindow),
      queue_log_limit_(kMaxLogLinesPerWindow, kLogWindow) {}

Ingest::~Ingest() {
    stop();
}

void Ingest::start() {
    if (!worker_.joinable()) {
        worker_ = std::thread([this] { run(); });
    }
}

bool Ingest::submit(std::string topic, std::string payload) {
    InboundMessage message{std::move(topic), std::move(payload), to_ms(options_.clock())};
    // push() leaves the message intact when it rejects it, for the log line below.
    const bool queued = queue_.push(std::move(message));

    std::lock_guard lock(counters_mutex_);
    ++counters_.received;
    if (queued) {
        return true;
    }
    ++counters_.not_queued;
    std::uint64_t suppressed = 0;
    if (queue_log_limit_.allow(steady_clock::now(), suppressed)) {
        logger()->warn(
            "message on '{}' not queued ({}): not acknowledged, the agent sends it again; "
            "{} similar lines suppressed",
            message.topic,
            queue_.closed() ? "ingest stopping" : "queue full",
            suppressed);
    }
    return false;
}

void Ingest::stop() {
    queue_.close();
    if (worker_.joinable()) {
        worker_.join();
        log_counters();
    }
}

IngestCounters Ingest::counters() const {
    std::lock_guard lock(counters_mutex_);
    return counters_;
}

void Ingest::run() {
    StoreBatch batch;
    while (true) {
        const bool closing = queue_.closed();
        const auto now = steady_clock::now();
        if (closing && !drain_deadline_) {
            drain_deadline_ = now + options_.drain_timeout;
        }
        const std::size_t room =
            options_.batch_max_messages - std::min(options_.batch_max_messages, batch.size());
        auto messages = queue_.pop(room, wake_time(batch, now));
        if (!messages.empty() && batch.empty()) {
            commit_due_ = steady_clock::now() + options_.batch_delay;
        }
        for (auto& message : messages) {
            add_to_batch(std::move(message), batch);
        }
        if (steady_clock::now() >= next_counters_log_) {
            log_counters();
            next_counters_log_ = steady_clock::now() + kCountersLogInterval;
        }
        if (batch.empty()) {
            if (closing && queue_.size() == 0) {
                return;
            }
            continue;
        }
        try_commit(batch, steady_clock::now());
        if (closing && !batch.empty() && steady_clock::now() >= *drain_deadline_) {
            abandoned_messages_ = batch.size() + queue_.size();
            logger()->error(
                "stopping with {} messages not stored and {} still queued; they were not "
                "acknowledged, so their agents send them again",
                batch.size(),
                queue_.size());
            return;
        }
    }
}

Ingest::SteadyTime Ingest::wake_time(const StoreBatch& batch, SteadyTime now) const {
    if (batch.empty()) {
        return queue_.closed() ? now : now + kIdleWait;
    }
    SteadyTime due = queue_.closed() || batch.size() >= options_.batch_max_messages
                         ? now
                         : commit_due_.value_or(now);
    if (retry_at_) {
        due = std::max(due, *retry_at_);
    }
    return due;
}

void Ingest::try_commit(StoreBatch& batch, SteadyTime now) {
    const bool full = batch.size() >= options_.batch_max_messages;
    const bool due = full || queue_.closed() || now >= commit_due_.value_or(now);
    if (!due || (retry_at_ && now < *retry_at_)) {
        return;
    }
    if (!commit(batch)) {
        const milliseconds delay = backoff_.next_delay();
        retry_at_ = steady_clock::now() + delay;
        logger()->info("retrying the commit of {} messages in {} ms", batch.size(), delay.count());
        return;
    }
    // Commands first: a rescue update must not wait behind the acks.
    send_commands();
    send_acks(batch);
    batch.clear();
    commit_due_.reset();
    if (retry_at_) {
        logger()->info("store available again");
        retry_at_.reset();
        backoff_.reset();
    }
}

bool Ingest::commit(const StoreBatch& batch) {
    auto outcomes = store_.commit(batch);
    if (!outcomes) {
        {
            std::lock_guard lock(counters_mutex_);
            ++counters_.commit_failures;
        }
        logger()->error("store unavailable: {}, not acknowledging {} messages",
                        outcomes.error(),
                        batch.uplinks.size());
        return false;
    }
    count_outcomes(batch, outcomes.value());
    return true;
}

void Ingest::count_outcomes(const StoreBatch& batch, const std::vector<CommitOutcome>& outcomes) {
    std::uint64_t stored = 0;
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        if (outcomes[i] == CommitOutcome::Stored) {
            ++stored;
            continue;
        }
        const auto& uplink = batch.uplinks[i].uplink;
        logger()->debug(
            "vin={} seq={} duplicate, acknowledging again", uplink.vin, uplink.message.seq());
    }
    logger()->debug("committed {} uplinks ({} new), {} statuses, {} dead letters",
                    outcomes.size(),
                    stored,
                    batch.statuses.size(),
                    batch.dead_letters.size());

    std::lock_guard lock(counters_mutex_);
    ++counters_.commits;
    counters_.stored += stored;
    counters_.duplicates += outcomes.size() - stored;
    counters_.statuses += batch.statuses.size();
}

void Ingest::send_acks(const StoreBatch& batch) {
    std::map<std::string, std::vector<std::uint64_t>> seqs_by_vin;
    for (const auto& received : batch.uplinks) {
        seqs_by_vin[received.uplink.vin].push_back(received.uplink.message.seq());
    }
    for (const auto& dead_letter : batch.dead_letters) {
        if (dead_letter.acknowledge_seq) {
            seqs_by_vin[dead_letter.vin].push_back(*dead_letter.acknowledge_seq);
        }
    }

    for (auto& [vin, seqs] : seqs_by_vin) {
        std::sort(seqs.begin(), seqs.end());
        seqs.erase(std::unique(seqs.begin(), seqs.end()), seqs.end());
        v1::Downlink downlink;
        downlink.set_sent_time_ms(to_ms(options_.clock()));
        downlink.mutable_commit_ack()->mutable_seqs()->Add(seqs.begin(), seqs.end());

        auto published = publisher_.publish(protocol::topic_for(vin, Channel::Command),
                                            protocol::encode(downlink));
        std::lock_guard lock(counters_mutex_);
        if (published) {
            ++counters_.acks_sent;
            logger()->debug("vin={} seq={} acknowledged", vin, fmt::join(seqs, ","));
            continue;
        }
        ++counters_.ack_failures;
        logger()->warn("vin={} seq={} commit ack not sent: {}; the agent sends them again",
                       vin,
                       fmt::join(seqs, ","),
                       published.error());
    }
}

void Ingest::send_commands() {
    std::vector<std::int64_t> sent;
    for (const auto& command : store_.take_commands()) {
        auto published =
            publisher_.publish(protocol::topic_for(command.vin, Channel::Command), command.payload);
        if (published) {
            sent.push_back(command.outbox_id);
            continue;
        }
        logger()->warn("vin={} command {} not sent: {}; it stays in the outbox for a later try",
                       command.vin,
                       command.outbox_id,
                       published.error());
    }
    if (auto marked = store_.mark_commands_sent(sent); !marked) {
        logger()->warn("marking {} commands sent failed: {}; they may be sent again",
                       sent.size(),
                       marked.error());
    }
}

void Ingest::add_to_batch(InboundMessage message, StoreBatch& batch) {
    auto parsed = protocol::parse_topic(message.topic);
    if (parsed && parsed->channel == Channel::Status) {
        add_status(message, batch);
        return;
    }
    add_uplink(message, batch);
}

void Ingest::add_uplink(InboundMessage& message, StoreBatch& batch) {
    auto decoded = protocol::decode_uplink(
        message.topic, message.payload, options_.clock(), options_.validation);
    if (!decoded.ok()) {
        const auto seq = acknowledgeable_seq(decoded);
        add_dead_letter(message, decoded.uplink.vin, std::move(*decoded.rejection), batch);
        batch.dead_letters.back().acknowledge_seq = seq;
        return;
    }
    // SQLite stores signed 64-bit integers, so a larger number could be neither stored nor acked.
    constexpr auto kMaxSeq = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (decoded.uplink.message.seq() > kMaxSeq) {
        add_dead_letter(message,
                        decoded.uplink.vin,
                        {RejectReason::BadSequence,
                         fmt::format("sequence number {} exceeds the maximum {}",
                                     decoded.uplink.message.seq(),
                                     kMaxSeq)},
                        batch);
        return;
    }
    batch.uplinks.push_back(ReceivedUplink{std::move(decoded.uplink), message.received_time_ms});
}

void Ingest::add_status(InboundMessage& message, StoreBatch& batch) {
    auto decoded = decode_status(
        message.topic, message.payload, message.received_time_ms, options_.validation);
    if (auto* rejection = std::get_if<protocol::Rejection>(&decoded)) {
        auto parsed = protocol::parse_topic(message.topic);
        add_dead_letter(
            message, parsed ? parsed->vin : std::string(), std::move(*rejection), batch);
        return;
    }
    const auto& status = std::get<StatusReport>(decoded);
    logger()->info("vin={} {} (status time {} ms)",
                   status.vin,
                   status.online ? "online" : "offline",
                   status.status_time_ms);
    batch.statuses.push_back(status);
}

void Ingest::add_dead_letter(InboundMessage& message,
                             std::string vin,
                             protocol::Rejection rejection,
                             StoreBatch& batch) {
    const std::string reason(protocol::to_string(rejection.reason));
    std::uint64_t suppressed = 0;
    if (reject_log_limit_.allow(steady_clock::now(), suppressed)) {
        logger()->warn("vin={} rejected message on '{}': {}: {}; {} similar lines suppressed",
                       vin,
                       message.topic,
                       reason,
                       rejection.detail,
                       suppressed);
    }
    {
        std::lock_guard lock(counters_mutex_);
        ++counters_.rejected;
        ++counters_.rejected_by_reason[reason];
    }
    batch.dead_letters.push_back(DeadLetter{std::move(message.topic),
                                            std::move(vin),
                                            std::move(message.payload),
                                            rejection.reason,
                                            std::move(rejection.detail),
                                            message.received_time_ms,
                                            std::nullopt});
}

void Ingest::log_counters() {
    const auto totals = counters();
    logger()->info(
        "totals: received={} stored={} duplicates={} rejected={} statuses={} commits={} "
        "commit_failures={} acks_sent={} ack_failures={} not_queued={}",
        totals.received,
        totals.stored,
        totals.duplicates,
        totals.rejected,
        totals.statuses,
        totals.commits,
        totals.commit_failures,
        totals.acks_sent,
        totals.ack_failures,
        totals.not_queued);
}

}  // namespace drivelink::cloud
