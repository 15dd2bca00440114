#include "cloud/maintenance/schedule.h"
#include "cloud/csv.h"

#include <fmt/format.h>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>

namespace drivelink::cloud::maintenance {
namespace {

constexpr double kMsPerDay = 86'400'000.0;
constexpr double kDaysPerMonth = 30.44;
constexpr std::size_t kCsvFields = 6;

// Parses an optional positive number: empty text is no value.
Result<std::optional<double>> parse_interval(const std::string& text, std::string_view field) {
    if (text.empty()) {
        return std::optional<double>{};
    }
    double value = 0.0;
    const char* end = text.data() + text.size();
    auto [ptr, error] = std::from_chars(text.data(), end, value);
    if (error != std::errc() || ptr != end || value <= 0.0) {
        return Error{fmt::format("{} '{}' is not a positive number", field, text)};
    }
    return std::optional<double>{value};
}

Result<std::pair<std::string, ScheduleItem>> parse_item(const std::vector<std::string>& fields) {
    if (fields.size() != kCsvFields) {
        return Error{fmt::format("expected {} fields, found {}", kCsvFields, fields.size())};
    }
    auto km = parse_interval(fields[3], "interval_km");
    if (!km) {
        return Error{km.error()};
    }
    auto months = parse_interval(fields[4], "interval_months");
    if (!months) {
        return Error{months.error()};
    }
    if (!km.value() && !months.value()) {
        return Error{"item has neither interval_km nor interval_months"};
    }
    if (fields[0].empty() || fields[1].empty() || fields[5].empty()) {
        return Error{"model, item and source must not be empty"};
    }
    return std::pair{fields[0],
                     ScheduleItem{fields[1], fields[2], km.value(), months.value(), fields[5]}};
}

DueState state_of(const ItemForecast& forecast,
                  double odometer_km,
                  std::int64_t now_ms,
                  const DueThresholds& thresholds) {
    const auto& due_km = forecast.due_odometer_km;
    const auto& due_ms = forecast.due_time_ms;
    if ((due_km && odometer_km >= *due_km) || (due_ms && now_ms >= *due_ms)) {
        return DueState::Overdue;
    }
    const auto soon_ms = static_cast<std::int64_t>(thresholds.due_soon_days * kMsPerDay);
    if ((due_km && odometer_km >= *due_km - thresholds.due_soon_km) ||
        (due_ms && now_ms >= *due_ms - soon_ms)) {
        return DueState::DueSoon;
    }
    return DueState::NotDue;
}

}  // namespace

ItemForecast forecast_item(const ScheduleItem& item,
                           const ServiceRecord& last_service,
                           double odometer_km,
                           std::optional<double> km_per_day,
                           std::int64_t now_ms,
                           const DueThresholds& thresholds) {
    ItemForecast forecast;
    if (item.interval_km) {
        forecast.due_odometer_km = last_service.odometer_km + *item.interval_km;
    }
    if (item.interval_months) {
        forecast.due_time_ms =
            last_service.time_ms + std::llround(*item.interval_months * kDaysPerMonth * kMsPerDay);
    }
    forecast.forecast_time_ms = forecast.due_time_ms;
    if (forecast.due_odometer_km && km_per_day && *km_per_day > 0.0) {
        const double days_left =
            std::max(0.0, *forecast.due_odometer_km - odometer_km) / *km_per_day;
        const std::int64_t by_distance_ms = now_ms + std::llround(days_left * kMsPerDay);
        forecast.forecast_time_ms =
            std::min(forecast.forecast_time_ms.value_or(by_distance_ms), by_distance_ms);
    }
    forecast.state = state_of(forecast, odometer_km, now_ms, thresholds);
    return forecast;
}

Result<MaintenanceSchedules> MaintenanceSchedules::load_csv(const std::filesystem::path& path) {
    std::ifstream input(path);
    if (!input) {
        return Error{fmt::format("cannot open schedule file '{}'", path.string())};
    }
    MaintenanceSchedules schedules;
    std::string line;
    std::getline(input, line);  // header
    for (int line_number = 2; std::getline(input, line); ++line_number) {
        if (line.empty() || line.starts_with('#')) {
            continue;
        }
        auto parsed = parse_item(split_csv(line));
        if (!parsed) {
            return Error{fmt::format(
                "schedule file '{}' line {}: {}", path.string(), line_number, parsed.error())};
        }
        schedules.by_model_[parsed->first].push_back(std::move(parsed.value().second));
    }
    return schedules;
}

const std::vector<ScheduleItem>& MaintenanceSchedules::items_for(const std::string& model) const {
    static const std::vector<ScheduleItem> kNone;
    auto found = by_model_.find(model);
    if (found == by_model_.end()) {
        found = by_model_.find(default_model);
    }
    return found == by_model_.end() ? kNone : found->second;
}

}  // namespace drivelink::cloud::maintenance
