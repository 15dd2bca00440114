#include "cloud/maintenance/maintenance_service.h"

#include <fmt/format.h>
#include <algorithm>

#include "cloud/dealers/dealer_network.h"
#include "cloud/logging.h"

namespace drivelink::cloud::maintenance {
namespace {

using dealers::GeoPosition;

constexpr double kMsPerDay = 86'400'000.0;
// Below this span between the first and latest reading, the daily average is not trusted.
constexpr std::int64_t kMinUsageSpanMs = 3'600'000;

constexpr std::string_view kSelectUsage = R"sql(
SELECT odometer_km, first_odometer_km, first_time_ms, last_time_ms, last_latitude_deg,
       last_longitude_deg
FROM vehicle_usage WHERE vin = ?1)sql";

constexpr std::string_view kUpsertUsage = R"sql(
INSERT OR REPLACE INTO vehicle_usage (vin, odometer_km, first_odometer_km, first_time_ms,
                                      last_time_ms, last_latitude_deg, last_longitude_deg)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7))sql";

constexpr std::string_view kSelectModel = R"sql(
SELECT model FROM vehicle_registry WHERE vin = ?1)sql";

constexpr std::string_view kSelectService = R"sql(
SELECT odometer_km, time_ms FROM maintenance_services WHERE vin = ?1 AND item = ?2)sql";

constexpr std::string_view kInsertRecommendation = R"sql(
INSERT INTO maintenance_recommendations (vin, item, detail, title, reason, cycle_time_ms, level,
                                         due_odometer_km, due_time_ms, created_time_ms)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
ON CONFLICT (vin, item, detail, cycle_time_ms, level) DO NOTHING)sql";

struct Usage {
    bool known = false;
    double odometer_km = 0.0;
    double first_odometer_km = 0.0;
    std::int64_t first_time_ms = 0;
    std::int64_t last_time_ms = 0;
    std::optional<GeoPosition> last_position;

    std::optional<double> km_per_day() const {
        const auto span_ms = last_time_ms - first_time_ms;
        if (span_ms < kMinUsageSpanMs) {
            return std::nullopt;
        }
        return (odometer_km - first_odometer_km) / (static_cast<double>(span_ms) / kMsPerDay);
    }
};

std::shared_ptr<spdlog::logger> logger() {
    return component_logger("maintenance");
}

Result<Usage> read_usage(SqliteDatabase& db, const std::string& vin) {
    auto query = db.prepare(kSelectUsage);
    if (!query) {
        return Error{query.error()};
    }
    query.value().bind(1, vin);
    Usage usage;
    auto read = query.value().for_each_row([&usage](const SqliteStatement& row) {
        usage.known = true;
        usage.odometer_km = row.column_double(0);
        usage.first_odometer_km = row.column_double(1);
        usage.first_time_ms = row.column_int64(2);
        usage.last_time_ms = row.column_int64(3);
        if (!row.column_is_null(4) && !row.column_is_null(5)) {
            usage.last_position = GeoPosition{row.column_double(4), row.column_double(5)};
        }
    });
    if (!read) {
        return Error{read.error()};
    }
    return usage;
}

Status write_usage(SqliteDatabase& db, const std::string& vin, const Usage& usage) {
    auto upsert = db.prepare(kUpsertUsage);
    if (!upsert) {
        return Error{upsert.error()};
    }
    auto& statement = upsert.value();
    statement.bind(1, vin);
    statement.bind(2, usage.odometer_km);
    statement.bind(3, usage.first_odometer_km);
    statement.bind(4, usage.first_time_ms);
    statement.bind(5, usage.last_time_ms);
    if (usage.last_position) {
        statement.bind(6, usage.last_position->latitude_deg);
        statement.bind(7, usage.last_position->longitude_deg);
    }
    return statement.execute();
}

// Moves the odometer by one sample: the car's own reading when present, else the distance
// from the previous fix.
void apply_sample(Usage& usage, const v1::Sample& sample) {
    const auto& location = sample.location();
    const bool has_fix =
        location.fix_type() != v1::FIX_TYPE_NONE && location.fix_type() != v1::FIX_TYPE_UNSPECIFIED;
    const GeoPosition position{location.latitude_deg(), location.longitude_deg()};
    if (sample.has_traveled_distance_km()) {
        usage.odometer_km = std::max(usage.odometer_km, sample.traveled_distance_km());
    } else if (has_fix && usage.last_position) {
        usage.odometer_km += dealers::great_circle_distance_km(*usage.last_position, position);
    }
    if (!usage.known) {
        usage.known = true;
        usage.first_odometer_km = usage.odometer_km;
        usage.first_time_ms = sample.time_ms();
    }
    usage.last_time_ms = std::max(usage.last_time_ms, sample.time_ms());
    if (has_fix) {
        usage.last_position = position;
    }
}

Result<std::string> vehicle_model(SqliteDatabase& db, const std::string& vin) {
    auto query = db.prepare(kSelectModel);
    if (!query) {
        return Error{query.error()};
    }
    query.value().bind(1, vin);
    std::string model;
    auto read = query.value().for_each_row(
        [&model](const SqliteStatement& row) { model = row.column_text(0); });
    if (!read) {
        return Error{read.error()};
    }
    return model;
}

// The last service of `item`, else the first reading of the car.
Result<ServiceRecord> last_service(SqliteDatabase& db,
                                   const std::string& vin,
                                   const std::string& item,
                                   const Usage& usage) {
    auto query = db.prepare(kSelectService);
    if (!query) {
        return Error{query.error()};
    }
    query.value().bind(1, vin);
    query.value().bind(2, item);
    ServiceRecord record{usage.first_odometer_km, usage.first_time_ms};
    auto read = query.value().for_each_row([&record](const SqliteStatement& row) {
        record = ServiceRecord{row.column_double(0), row.column_int64(1)};
    });
    if (!read) {
        return Error{read.error()};
    }
    return record;
}

std::string due_reason(const ItemForecast& forecast, double odometer_km, DueState state) {
    const std::string when = forecast.due_odometer_km
                                 ? fmt::format("at {:.0f} km", *forecast.due_odometer_km)
                                 : std::string("by date");
    return fmt::format("{} {} (odometer {:.0f} km)",
                       state == DueState::Overdue ? "overdue, was due" : "due",
                       when,
                       odometer_km);
}

}  // namespace

Status register_vehicle(SqliteDatabase& db,
                        const std::string& vin,
                        const std::string& model,
                        const std::string& owner) {
    auto upsert = db.prepare(
        "INSERT INTO vehicle_registry (vin, model, owner) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (vin) DO UPDATE SET model = excluded.model, owner = excluded.owner");
    if (!upsert) {
        return Error{upsert.error()};
    }
    upsert.value().bind(1, vin);
    upsert.value().bind(2, model);
    upsert.value().bind(3, owner);
    return upsert.value().execute();
}

Status record_service(SqliteDatabase& db,
                      const std::string& vin,
                      const std::string& item,
                      double odometer_km,
                      std::int64_t time_ms) {
    auto upsert = db.prepare(
        "INSERT OR REPLACE INTO maintenance_services (vin, item, odometer_km, time_ms) "
        "VALUES (?1, ?2, ?3, ?4)");
    if (!upsert) {
        return Error{upsert.error()};
    }
    upsert.value().bind(1, vin);
    upsert.value().bind(2, item);
    upsert.value().bind(3, odometer_km);
    upsert.value().bind(4, time_ms);
    return upsert.value().execute();
}

MaintenanceService::MaintenanceService(const MaintenanceSchedules& schedules,
                                       const DtcCatalog& catalog,
                                       MaintenanceOptions options)
    : schedules_(schedules), catalog_(catalog), options_(std::move(options)) {}

Status MaintenanceService::on_stored(SqliteDatabase& db,
                                     const ReceivedUplink& received,
                                     std::vector<OutboundCommand>& commands) {
    if (received.uplink.channel == protocol::Channel::Telemetry) {
        return on_telemetry(db, received, commands);
    }
    if (received.uplink.channel == protocol::Channel::Event) {
        return on_event(db, received, commands);
    }
    return ok_status();
}

Status MaintenanceService::on_telemetry(SqliteDatabase& db,
                                        const ReceivedUplink& received,
                                        std::vector<OutboundCommand>& commands) const {
    const auto& vin = received.uplink.vin;
    auto usage = read_usage(db, vin);
    if (!usage) {
        return Error{usage.error()};
    }
    std::optional<double> lowest_oil_life_percent;
    for (const auto& sample : received.uplink.message.batch().samples()) {
        apply_sample(usage.value(), sample);
        if (sample.has_engine_oil_life_percent()) {
            lowest_oil_life_percent =
                std::min(lowest_oil_life_percent.value_or(100.0), sample.engine_oil_life_percent());
        }
    }
    if (auto written = write_usage(db, vin, usage.value()); !written) {
        return written;
    }
    if (lowest_oil_life_percent && *lowest_oil_life_percent < options_.oil_life_threshold_percent) {
        auto oil_service = last_service(db, vin, "oil_filter", usage.value());
        if (!oil_service) {
            return Error{oil_service.error()};
        }
        Recommendation oil{"oil_filter",
                           "oil_life",
                           "Engine oil change",
                           fmt::format("oil life {:.0f} %", *lowest_oil_life_percent),
                           oil_service->time_ms,
                           "due_soon",
                           std::nullopt,
                           std::nullopt};
        if (auto sent = recommend(db, vin, oil, received.received_time_ms, commands); !sent) {
            return sent;
        }
    }
    return check_schedule(db, vin, received.received_time_ms, commands);
}

Status MaintenanceService::check_schedule(SqliteDatabase& db,
                                          const std::string& vin,
                                          std::int64_t now_ms,
                                          std::vector<OutboundCommand>& commands) const {
    auto usage = read_usage(db, vin);
    auto model = vehicle_model(db, vin);
    if (!usage || !model) {
        return Error{usage ? model.error() : usage.error()};
    }
    for (const auto& item : schedules_.items_for(model.value())) {
        auto service = last_service(db, vin, item.item, usage.value());
        if (!service) {
            return Error{service.error()};
        }
        const auto forecast = forecast_item(item,
                                            service.value(),
                                            usage->odometer_km,
                                            usage->km_per_day(),
                                            now_ms,
                                            options_.thresholds);
        if (forecast.state == DueState::NotDue) {
            continue;
        }
        Recommendation due{item.item,
                           "",
                           item.title,
                           due_reason(forecast, usage->odometer_km, forecast.state),
                           service->time_ms,
                           forecast.state == DueState::Overdue ? "overdue" : "due_soon",
                           forecast.due_odometer_km,
                           forecast.forecast_time_ms};
        if (auto sent = recommend(db, vin, due, now_ms, commands); !sent) {
            return sent;
        }
    }
    return ok_status();
}

Status MaintenanceService::on_event(SqliteDatabase& db,
                                    const ReceivedUplink& received,
                                    std::vector<OutboundCommand>& commands) const {
    const auto& vin = received.uplink.vin;
    const auto& event = received.uplink.message.event();
    Recommendation recommendation;
    if (event.type() == v1::EVENT_TYPE_DTC_SET && !event.dtc().empty()) {
        const std::string& code = event.dtc();
        recommendation.item = "inspection";
        recommendation.detail = code;
        recommendation.title =
            dtc_needs_inspection(code) ? "Inspection" : fmt::format("Trouble code {}", code);
        recommendation.reason = fmt::format("trouble code {}: {} (severity {})",
                                            code,
                                            catalog_.describe(code),
                                            to_string(dtc_severity(code)));
    } else if (event.type() == v1::EVENT_TYPE_LOW_BATTERY_VOLTAGE) {
        recommendation.item = "battery_12v";
        recommendation.title = "12 V battery check";
        recommendation.reason =
            event.has_low_voltage_battery_v()
                ? fmt::format("12 V battery at {:.1f} V", event.low_voltage_battery_v())
                : std::string("12 V battery low");
    } else {
        return ok_status();
    }
    auto usage = read_usage(db, vin);
    if (!usage) {
        return Error{usage.error()};
    }
    auto service = last_service(db, vin, recommendation.item, usage.value());
    if (!service) {
        return Error{service.error()};
    }
    recommendation.cycle_time_ms = service->time_ms;
    return recommend(db, vin, recommendation, received.received_time_ms, commands);
}

Status MaintenanceService::recommend(SqliteDatabase& db,
                                     const std::string& vin,
                                     const Recommendation& r,
                                     std::int64_t now_ms,
                                     std::vector<OutboundCommand>& commands) const {
    auto insert = db.prepare(kInsertRecommendation);
    if (!insert) {
        return Error{insert.error()};
    }
    auto& statement = insert.value();
    statement.bind(1, vin);
    statement.bind(2, r.item);
    statement.bind(3, r.detail);
    statement.bind(4, r.title);
    statement.bind(5, r.reason);
    statement.bind(6, r.cycle_time_ms);
    statement.bind(7, r.level);
    statement.bind(8, r.due_odometer_km);
    statement.bind(9, r.due_time_ms);
    statement.bind(10, now_ms);
    if (auto inserted = statement.execute(); !inserted) {
        return inserted;
    }
    if (db.changes() == 0) {
        return ok_status();  // sent before in this service cycle
    }
    v1::Downlink downlink;
    downlink.set_sent_time_ms(now_ms);
    downlink.set_command_id(fmt::format("maintenance-{}", db.last_insert_rowid()));
    auto* body = downlink.mutable_maintenance_recommendation();
    body->set_item(r.level == "overdue" ? r.title + " (overdue)" : r.title);
    body->set_reason(r.reason);
    if (r.due_odometer_km) {
        body->set_due_traveled_distance_km(*r.due_odometer_km);
    }
    if (r.due_time_ms) {
        body->set_due_time_ms(*r.due_time_ms);
    }
    if (!r.detail.empty() && r.item == "inspection") {
        body->add_dtcs(r.detail);
    }
    auto command = enqueue_downlink(db, vin, downlink, now_ms);
    if (!command) {
        return Error{command.error()};
    }
    commands.push_back(std::move(command).value());
    logger()->info("vin={} recommended '{}' ({}): {}", vin, r.title, r.level, r.reason);
    return ok_status();
}

}  // namespace drivelink::cloud::maintenance
