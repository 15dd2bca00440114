#include "cloud/service/service_worker.h"

#include "cloud/logging.h"
#include "protocol/topics.h"

namespace drivelink::cloud {
namespace {

std::shared_ptr<spdlog::logger> logger() {
    return component_logger("services");
}

}  // namespace

ServiceWorker::ServiceWorker(std::unique_ptr<SqliteDatabase> db,
                             const rescue::RescueCases& rescue,
                             CommandPublisher& publisher,
                             ServiceWorkerOptions options)
    : db_(std::move(db)), rescue_(rescue), publisher_(publisher), options_(std::move(options)) {}

ServiceWorker::~ServiceWorker() {
    stop();
}

void ServiceWorker::start() {
    if (!thread_.joinable()) {
        thread_ = std::thread([this] { run(); });
    }
}

void ServiceWorker::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

ServiceWorkerCounters ServiceWorker::counters() const {
    return ServiceWorkerCounters{escalations_, commands_sent_, failures_};
}

void ServiceWorker::run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        lock.unlock();
        run_once();
        lock.lock();
        wake_.wait_for(lock, options_.poll_interval, [this] { return stopping_; });
    }
}

void ServiceWorker::run_once() {
    const auto now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(options_.clock().time_since_epoch())
            .count();
    escalate(now_ms);
    dispatch(now_ms);
}

void ServiceWorker::escalate(std::int64_t now_ms) {
    auto escalated = rescue_.escalate_due(*db_, now_ms);
    if (!escalated) {
        ++failures_;
        logger()->error("escalating rescue cases failed: {}; retrying in the next round",
                        escalated.error());
        return;
    }
    for (const auto& escalation : escalated.value()) {
        ++escalations_;
        logger()->warn("vin={} rescue case {} not taken in {} ms, escalated to level {}",
                       escalation.vin,
                       escalation.case_id,
                       rescue_.options().escalation_timeout.count(),
                       escalation.level);
    }
}

void ServiceWorker::dispatch(std::int64_t now_ms) {
    auto pending =
        pending_downlinks(*db_, now_ms - options_.dispatch_grace.count(), options_.dispatch_batch);
    if (!pending) {
        ++failures_;
        logger()->error("reading the downlink outbox failed: {}", pending.error());
        return;
    }
    std::vector<std::int64_t> sent;
    for (const auto& command : pending.value()) {
        const auto topic = protocol::topic_for(command.vin, protocol::Channel::Command);
        if (auto published = publisher_.publish(topic, command.payload); !published) {
            ++failures_;
            logger()->warn("vin={} command {} not sent: {}; retrying in the next round",
                           command.vin,
                           command.outbox_id,
                           published.error());
            continue;
        }
        sent.push_back(command.outbox_id);
    }
    if (auto marked = mark_downlinks_sent(*db_, sent, now_ms); !marked) {
        ++failures_;
        logger()->error("marking {} commands sent failed: {}", sent.size(), marked.error());
        return;
    }
    commands_sent_ += sent.size();
}

}  // namespace drivelink::cloud
