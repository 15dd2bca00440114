// Maintenance schedules per model and the due-date forecast of one item.
//
// An item is due at last service + interval_km or last service + interval_months, whichever
// comes first. An item may have only one of the two. The forecast turns the distance limit into
// a date with the car's average distance per day. Months are 30.44 days long.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "protocol/result.h"

namespace drivelink::cloud::maintenance {

struct ScheduleItem {
    std::string item;   // key, for example "oil_filter"
    std::string title;  // for the driver, for example "Engine oil and filter"
    std::optional<double> interval_km;
    std::optional<double> interval_months;
    std::string source;  // where the interval comes from
};

struct DueThresholds {
    double due_soon_km = 1000.0;  // due soon when this close to the distance limit
    double due_soon_days = 30.0;  // or this close to the time limit
};

enum class DueState { NotDue, DueSoon, Overdue };

struct ItemForecast {
    std::optional<double> due_odometer_km;
    std::optional<std::int64_t> due_time_ms;       // calendar limit
    std::optional<std::int64_t> forecast_time_ms;  // earlier of the calendar limit and the date
                                                   // the distance limit is reached at the
                                                   // average distance per day
    DueState state = DueState::NotDue;
};

struct ServiceRecord {
    double odometer_km = 0.0;
    std::int64_t time_ms = 0;
};

// Forecasts one item from its last service, the current odometer and the average daily
// distance (absent or zero when unknown).
ItemForecast forecast_item(const ScheduleItem& item,
                           const ServiceRecord& last_service,
                           double odometer_km,
                           std::optional<double> km_per_day,
                           std::int64_t now_ms,
                           const DueThresholds& thresholds);

class MaintenanceSchedules {
  public:
    // Loads a CSV file with the header model,item,title,interval_km,interval_months,source.
    // The error names the file, line and field.
    static Result<MaintenanceSchedules> load_csv(const std::filesystem::path& path);

    // Returns the items of `model`, or of default_model when the model is unknown or empty.
    const std::vector<ScheduleItem>& items_for(const std::string& model) const;
    bool has_model(const std::string& model) const { return by_model_.count(model) > 0; }

    std::string default_model = "x-trail-t33";

  private:
    std::map<std::string, std::vector<ScheduleItem>> by_model_;
};

}  // namespace drivelink::cloud::maintenance
