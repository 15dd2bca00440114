// The running cloud: the SQLite store, the ingest worker and the MQTT client, wired together
// and started in that order.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>

#include "cloud/ingest/ingest.h"
#include "cloud/mqtt/mqtt_client.h"
#include "cloud/store/sqlite_store.h"

namespace drivelink::cloud {

struct CloudServiceOptions {
    std::filesystem::path db_path;
    SqliteStoreOptions store;
    IngestOptions ingest;
    MqttClientOptions mqtt;
};

class CloudService {
  public:
    // Opens the store, starts the ingest worker and starts connecting to the broker. Fails,
    // with nothing left running, when the database cannot be opened or the broker URI is
    // invalid. An unreachable broker is not an error: the client keeps retrying.
    static Result<std::unique_ptr<CloudService>> start(CloudServiceOptions options);
    ~CloudService();  // calls stop()
    CloudService(const CloudService&) = delete;
    CloudService& operator=(const CloudService&) = delete;

    // Commits and acknowledges everything received so far, then disconnects. Returns false when
    // the store kept failing and messages were left unacknowledged.
    bool stop();

    IngestCounters counters() const { return ingest_->counters(); }
    const MqttClient& mqtt() const { return *mqtt_; }

  private:
    CloudService(std::unique_ptr<SqliteStore> store, std::unique_ptr<MqttClient> mqtt);

    std::unique_ptr<SqliteStore> store_;
    std::unique_ptr<MqttClient> mqtt_;
    std::unique_ptr<Ingest> ingest_;
    bool stopped_ = false;
};

}  // namespace drivelink::cloud
