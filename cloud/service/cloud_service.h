// The running cloud: the SQLite store with the rescue service hooked into its commits, the
// ingest worker, the service worker (escalation, outbox) and the MQTT client, wired together and
// started in that order.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>

#include "cloud/dealers/dealer_network.h"
#include "cloud/ingest/ingest.h"
#include "cloud/maintenance/maintenance_service.h"
#include "cloud/mqtt/mqtt_client.h"
#include "cloud/rescue/rescue_cases.h"
#include "cloud/service/service_worker.h"
#include "cloud/store/sqlite_store.h"

namespace drivelink::cloud {

struct CloudServiceOptions {
    std::filesystem::path db_path;
    SqliteStoreOptions store;
    IngestOptions ingest;
    MqttClientOptions mqtt;
    // Dealer network CSV file; empty for none, and rescue cases then list no dealers.
    std::filesystem::path dealers_path;
    rescue::RescueOptions rescue;
    // Maintenance schedule CSV file and trouble code CSV file; empty for none.
    std::filesystem::path schedules_path;
    std::filesystem::path dtc_codes_path;
    maintenance::MaintenanceOptions maintenance;
    ServiceWorkerOptions worker;
};

class CloudService {
  public:
    // Loads the data files, opens the store, starts the ingest worker and starts connecting to the
    // broker. Fails, with nothing left running, when the database cannot be opened or the broker
    // URI is invalid. An unreachable broker is not an error: the client keeps retrying.
    static Result<std::unique_ptr<CloudService>> start(CloudServiceOptions options);
    ~CloudService();  // calls stop()
    CloudService(const CloudService&) = delete;
    CloudService& operator=(const CloudService&) = delete;

    // Commits and acknowledges everything received so far, then disconnects. Returns false when
    // the store kept failing and messages were left unacknowledged.
    bool stop();

    IngestCounters counters() const { return ingest_->counters(); }
    ServiceWorkerCounters worker_counters() const { return worker_->counters(); }
    const MqttClient& mqtt() const { return *mqtt_; }

  private:
    CloudService(std::unique_ptr<SqliteStore> store,
                 std::unique_ptr<MqttClient> mqtt,
                 dealers::DealerNetwork network);

    dealers::DealerNetwork network_;
    maintenance::MaintenanceSchedules schedules_;
    maintenance::DtcCatalog dtc_catalog_;
    std::unique_ptr<rescue::RescueCases> rescue_;
    std::unique_ptr<maintenance::MaintenanceService> maintenance_;
    std::unique_ptr<SqliteStore> store_;
    std::unique_ptr<ServiceWorker> worker_;
    std::unique_ptr<MqttClient> mqtt_;
    std::unique_ptr<Ingest> ingest_;
    bool stopped_ = false;
};

}  // namespace drivelink::cloud
