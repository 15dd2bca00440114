// Maintenance: reacts to stored telemetry and events inside the ingest's commit transaction.
//
// - Telemetry moves the odometer: Sample.traveled_distance_km when the car sends it, else the
//   great-circle distance between consecutive fixes is added (which reads short on winding
//   roads). The average distance per day comes from the first and latest reading.
// - Each schedule item of the car's model is forecast from its last service. An item with no
//   service on record counts from the first reading the cloud received for the car.
// - An item that becomes due soon yields one MaintenanceRecommendation; the same item overdue
//   yields one more, marked overdue. Each is sent once per service cycle, however many samples
//   arrive, because the recommendations table is unique per (vin, item, detail, cycle, level).
// - A new trouble code yields a recommendation with its description and severity (titled
//   "Inspection" for misfire and catalyst codes), engine oil life below the threshold yields
//   an oil change, and a low 12 V battery event a battery check.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cloud/maintenance/dtc_catalog.h"
#include "cloud/maintenance/schedule.h"
#include "cloud/store/sqlite_store.h"

namespace drivelink::cloud::maintenance {

struct MaintenanceOptions {
    DueThresholds thresholds;
    double oil_life_threshold_percent = 15.0;
};

// One recommendation before it is stored.
struct Recommendation {
    std::string item;    // schedule item key, "inspection", "oil_life" or "battery_12v"
    std::string detail;  // the trouble code for inspections, else empty
    std::string title;
    std::string reason;
    std::int64_t cycle_time_ms = 0;  // last service of the item: one recommendation per cycle
    std::string level = "due_soon";  // or "overdue"
    std::optional<double> due_odometer_km;
    std::optional<std::int64_t> due_time_ms;
};

// Registers or updates a vehicle's model and owner. An unregistered VIN uses the schedules'
// default model.
Status register_vehicle(SqliteDatabase& db,
                        const std::string& vin,
                        const std::string& model,
                        const std::string& owner);

// Records a service of `item` at the given odometer reading and time; later forecasts count from
// it. Runs in the caller's transaction.
Status record_service(SqliteDatabase& db,
                      const std::string& vin,
                      const std::string& item,
                      double odometer_km,
                      std::int64_t time_ms);

class MaintenanceService final : public StoredUplinkHandler {
  public:
    // `schedules` and `catalog` must outlive the service.
    MaintenanceService(const MaintenanceSchedules& schedules,
                       const DtcCatalog& catalog,
                       MaintenanceOptions options);

    Status on_stored(SqliteDatabase& db,
                     const ReceivedUplink& received,
                     std::vector<OutboundCommand>& commands) override;

  private:
    Status on_telemetry(SqliteDatabase& db,
                        const ReceivedUplink& received,
                        std::vector<OutboundCommand>& commands) const;
    Status on_event(SqliteDatabase& db,
                    const ReceivedUplink& received,
                    std::vector<OutboundCommand>& commands) const;
    Status check_schedule(SqliteDatabase& db,
                          const std::string& vin,
                          std::int64_t now_ms,
                          std::vector<OutboundCommand>& commands) const;
    Status recommend(SqliteDatabase& db,
                     const std::string& vin,
                     const Recommendation& recommendation,
                     std::int64_t now_ms,
                     std::vector<OutboundCommand>& commands) const;

    const MaintenanceSchedules& schedules_;
    const DtcCatalog& catalog_;
    const MaintenanceOptions options_;
};

}  // namespace drivelink::cloud::maintenance
