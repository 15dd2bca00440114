#include "cloud/service/cloud_service.h"

#include "cloud/logging.h"

namespace drivelink::cloud {

CloudService::CloudService(std::unique_ptr<SqliteStore> store, std::unique_ptr<MqttClient> mqtt)
    : store_(std::move(store)), mqtt_(std::move(mqtt)) {}

CloudService::~CloudService() {
    stop();
}

Result<std::unique_ptr<CloudService>> CloudService::start(CloudServiceOptions options) {
    auto store = SqliteStore::open(options.db_path, options.store);
    if (!store) {
        return Error{store.error()};
    }
    auto mqtt = MqttClient::create(options.mqtt);
    if (!mqtt) {
        return Error{mqtt.error()};
    }
    std::unique_ptr<CloudService> service(
        new CloudService(std::move(store).value(), std::move(mqtt).value()));

    service->ingest_ =
        std::make_unique<Ingest>(*service->store_, *service->mqtt_, std::move(options.ingest));
    service->ingest_->start();
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
    mqtt_->stop();
    component_logger("cloud")->info("stopped");
    return ingest_->abandoned_messages() == 0;
}

}  // namespace drivelink::cloud
