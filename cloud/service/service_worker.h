// Periodic work beside the ingest, on a thread and a database connection of its own. It
// escalates rescue cases that no operator took in time. It also publishes the outbox commands
// still unsent, such as those the command-line program wrote or those whose publish failed.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "cloud/ingest/ingest.h"
#include "cloud/rescue/rescue_cases.h"
#include "cloud/store/sqlite_database.h"

namespace drivelink::cloud {

struct ServiceWorkerOptions {
    std::chrono::milliseconds poll_interval{250};
    // Outbox rows younger than this are left to the ingest, which publishes its own at once.
    std::chrono::milliseconds dispatch_grace{std::chrono::seconds(2)};
    std::size_t dispatch_batch = 200;
    std::function<std::chrono::system_clock::time_point()> clock = [] {
        return std::chrono::system_clock::now();
    };
};

struct ServiceWorkerCounters {
    std::uint64_t escalations = 0;
    std::uint64_t commands_sent = 0;
    std::uint64_t failures = 0;  // database or publish errors, each logged
};

class ServiceWorker {
  public:
    // `rescue` and `publisher` must outlive the worker.
    ServiceWorker(std::unique_ptr<SqliteDatabase> db,
                  const rescue::RescueCases& rescue,
                  CommandPublisher& publisher,
                  ServiceWorkerOptions options);
    ~ServiceWorker();  // calls stop()
    ServiceWorker(const ServiceWorker&) = delete;
    ServiceWorker& operator=(const ServiceWorker&) = delete;

    void start();
    void stop();
    ServiceWorkerCounters counters() const;

    // One round of work, as the thread runs it every poll_interval; for tests.
    void run_once();

  private:
    void run();
    void escalate(std::int64_t now_ms);
    void dispatch(std::int64_t now_ms);

    std::unique_ptr<SqliteDatabase> db_;
    const rescue::RescueCases& rescue_;
    CommandPublisher& publisher_;
    const ServiceWorkerOptions options_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;  // guarded by mutex_
    std::atomic<std::uint64_t> escalations_ = 0;
    std::atomic<std::uint64_t> commands_sent_ = 0;
    std::atomic<std::uint64_t> failures_ = 0;
};

}  // namespace drivelink::cloud
