#include "cloud/service/cloud_service.h"

#include "cloud/logging.h"

namespace drivelink::cloud {
namespace {

Result<dealers::DealerNetwork> load_network(const std::filesystem::path& path) {
    if (path.empty()) {
        component_logger("cloud")->warn("no dealer file given: rescue cases list no dealers");
        return dealers::DealerNetwork({});
    }
    auto network = dealers::DealerNetwork::load_csv(path);
    if (network) {
        component_logger("cloud")->info(
            "loaded {} dealers from '{}'", network->dealers().size(), path.string());
    }
    return network;
}

// Loads the maintenance data files that `options` names.
Status load_maintenance_data(const CloudServiceOptions& options,
                             maintenance::MaintenanceSchedules& schedules,
                             maintenance::DtcCatalog& catalog) {
    if (!options.schedules_path.empty()) {
        auto loaded = maintenance::MaintenanceSchedules::load_csv(options.schedules_path);
        if (!loaded) {
            return Error{loaded.error()};
        }
        schedules = std::move(loaded).value();
    }
    if (!options.dtc_codes_path.empty()) {
        auto loaded = maintenance::DtcCatalog::load_csv(options.dtc_codes_path);
        if (!loaded) {
            return Error{loaded.error()};
        }
        catalog = std::move(loaded).value();
    }
    return ok_status();
}

}  // namespace

CloudService::CloudService(std::unique_ptr<SqliteStore> store,
                           std::unique_ptr<MqttClient> mqtt,
                           dealers::DealerNetwork network)
    : network_(std::move(network)), store_(std::move(store)), mqtt_(std::move(mqtt)) {}

CloudService::~CloudService() {
    stop();
}

Result<std::unique_ptr<CloudService>> CloudService::start(CloudServiceOptions options) {
    auto network = load_network(options.dealers_path);
    if (!network) {
        return Error{network.error()};
    }
    maintenance::MaintenanceSchedules schedules;
    maintenance::DtcCatalog catalog;
    if (auto loaded = load_maintenance_data(options, schedules, catalog); !loaded) {
        return Error{loaded.error()};
    }
    auto store = SqliteStore::open(options.db_path, options.store);
    if (!store) {
        return Error{store.error()};
    }
    auto worker_db = open_service_database(options.db_path, options.store.busy_timeout);
    if (!worker_db) {
        return Error{worker_db.error()};
    }
    auto mqtt = MqttClient::create(options.mqtt);
    if (!mqtt) {
        return Error{mqtt.error()};
    }
    std::unique_ptr<CloudService> service(new CloudService(
        std::move(store).value(), std::move(mqtt).value(), std::move(network).value()));
    service->schedules_ = std::move(schedules);
    service->dtc_catalog_ = std::move(catalog);
    service->maintenance_ = std::make_unique<maintenance::MaintenanceService>(
        service->schedules_, service->dtc_catalog_, options.maintenance);

    service->rescue_ =
        std::make_unique<rescue::RescueCases>(service->network_, std::move(options.rescue));
    service->store_->add_handler(*service->rescue_);
    service->store_->add_handler(*service->maintenance_);
    service->worker_ = std::make_unique<ServiceWorker>(std::move(worker_db).value(),
                                                       *service->rescue_,
                                                       *service->mqtt_,
                                                       std::move(options.worker));
    service->ingest_ =
        std::make_unique<Ingest>(*service->store_, *service->mqtt_, std::move(options.ingest));
    service->ingest_->start();
    service->worker_->start();
    Ingest& ingest = *service->ingest_;
    service->mqtt_->start([&ingest](std::string topic, std::string payload) {
        ingest.submit(std::move(topic), std::move(payload));
    });
    component_logger("cloud")->info("started with database '{}'", options.db_path.string());
    return service;
}

bool CloudService::stop() {
    if (stopped_) {
        return ingest_->abandoned_messages() == 0;
    }
    stopped_ = true;
    // The ingest stops first, so its last commit acks go out before the client disconnects.
    // Messages that arrive in between are not queued and not acknowledged, so their agents send
    // them again.
    ingest_->stop();
    worker_->stop();
    mqtt_->stop();
    component_logger("cloud")->info("stopped");
    return ingest_->abandoned_messages() == 0;
}

}  // namespace drivelink::cloud
