#include "cloud/report/report.h"

#include <fmt/format.h>
#include <chrono>
#include <cmath>
#include <numbers>

namespace drivelink::cloud {
namespace {

using nlohmann::json;

double radians(double degrees) {
    return degrees * std::numbers::pi / 180.0;
}

template <typename T>
void keep_max(std::optional<T>& total, const std::optional<T>& value) {
    if (value && (!total || *value > *total)) {
        total = value;
    }
}

template <typename T>
void keep_min(std::optional<T>& total, const std::optional<T>& value) {
    if (value && (!total || *value < *total)) {
        total = value;
    }
}

Result<double> track_distance_km(Store& store, const std::string& vin) {
    double distance_km = 0.0;
    std::optional<TrackPoint> previous;
    auto walked = store.visit_track(vin, [&](const TrackPoint& point) {
        // A sample without a fix carries no usable position, often 0/0.
        if (!point.has_fix) {
            return;
        }
        if (previous) {
            distance_km += haversine_km(previous->latitude_deg,
                                        previous->longitude_deg,
                                        point.latitude_deg,
                                        point.longitude_deg);
        }
        previous = point;
    });
    if (!walked) {
        return Error{walked.error()};
    }
    return distance_km;
}

void add_to_totals(const VehicleReport& vehicle, Report& report) {
    const auto& summary = vehicle.summary;
    report.messages += summary.messages;
    report.events += summary.events;
    report.samples += summary.samples;
    report.duplicates += summary.duplicates;
    report.dropped_samples += summary.dropped_samples;
    report.distance_km += vehicle.distance_km;
    keep_max(report.top_speed_kph, summary.top_speed_kph);
    keep_min(report.first_sample_time_ms, summary.first_sample_time_ms);
    keep_max(report.last_sample_time_ms, summary.last_sample_time_ms);
}

std::optional<std::int64_t> span_ms(const std::optional<std::int64_t>& first,
                                    const std::optional<std::int64_t>& last) {
    if (!first || !last) {
        return std::nullopt;
    }
    return *last - *first;
}

std::string format_reasons(const std::map<std::string, std::uint64_t>& reasons) {
    if (reasons.empty()) {
        return "none";
    }
    std::string text;
    for (const auto& [reason, count] : reasons) {
        text += fmt::format("{}{} {}", text.empty() ? "" : ", ", reason, count);
    }
    return text;
}

template <typename T, typename Format>
std::string or_dash(const std::optional<T>& value, Format format) {
    return value ? format(*value) : std::string("-");
}

template <typename T, typename Format>
json or_null(const std::optional<T>& value, Format format) {
    return value ? json(format(*value)) : json(nullptr);
}

struct Figures {
    std::uint64_t samples;
    double distance_km;
    std::optional<double> top_speed_kph;
    std::optional<std::int64_t> first_sample_time_ms;
    std::optional<std::int64_t> last_sample_time_ms;
    std::uint64_t messages;
    std::uint64_t events;
    std::uint64_t duplicates;
    std::uint64_t dropped_samples;
    const std::map<std::string, std::uint64_t>& dead_letters_by_reason;
};

Figures figures_of(const VehicleReport& vehicle) {
    const auto& s = vehicle.summary;
    return {s.samples,
            vehicle.distance_km,
            s.top_speed_kph,
            s.first_sample_time_ms,
            s.last_sample_time_ms,
            s.messages,
            s.events,
            s.duplicates,
            s.dropped_samples,
            vehicle.dead_letters_by_reason};
}

Figures figures_of(const Report& report) {
    return {report.samples,
            report.distance_km,
            report.top_speed_kph,
            report.first_sample_time_ms,
            report.last_sample_time_ms,
            report.messages,
            report.events,
            report.duplicates,
            report.dropped_samples,
            report.dead_letters_by_reason};
}

std::string format_figures(const Figures& f) {
    auto line = [](std::string_view label, const std::string& value) {
        return fmt::format("  {:<20}{}\n", label, value);
    };
    const auto speed = [](double kph) { return fmt::format("{:.1f} km/h", kph); };
    const auto span = span_ms(f.first_sample_time_ms, f.last_sample_time_ms);
    std::string text;
    text += line("fixes stored", std::to_string(f.samples));
    text += line("distance driven", fmt::format("{:.3f} km", f.distance_km));
    text += line("top speed", or_dash(f.top_speed_kph, speed));
    text += line("first sample", or_dash(f.first_sample_time_ms, format_utc));
    text += line("last sample", or_dash(f.last_sample_time_ms, format_utc));
    text += line("time span", or_dash(span, format_span));
    text += line("messages", fmt::format("{} ({} events)", f.messages, f.events));
    text += line("duplicates ignored", std::to_string(f.duplicates));
    text += line("samples dropped", fmt::format("{} by the agent", f.dropped_samples));
    text += line("dead letters", format_reasons(f.dead_letters_by_reason));
    return text;
}

json figures_json(const Figures& f) {
    const auto identity = [](auto value) { return value; };
    const auto seconds = [](std::int64_t ms) { return static_cast<double>(ms) / 1000.0; };
    return json{
        {"fixes", f.samples},
        {"distance_km", f.distance_km},
        {"top_speed_kph", or_null(f.top_speed_kph, identity)},
        {"first_sample", or_null(f.first_sample_time_ms, format_utc)},
        {"last_sample", or_null(f.last_sample_time_ms, format_utc)},
        {"time_span_s", or_null(span_ms(f.first_sample_time_ms, f.last_sample_time_ms), seconds)},
        {"messages", f.messages},
        {"events", f.events},
        {"duplicates", f.duplicates},
        {"dropped_samples", f.dropped_samples},
        {"dead_letters", f.dead_letters_by_reason}};
}

std::string online_label(const VehicleSummary& summary) {
    if (!summary.online) {
        return "status unknown";
    }
    return *summary.online ? "online" : "offline";
}

}  // namespace

double haversine_km(double latitude1_deg,
                    double longitude1_deg,
                    double latitude2_deg,
                    double longitude2_deg) {
    const double dlat = radians(latitude2_deg - latitude1_deg);
    const double dlon = radians(longitude2_deg - longitude1_deg);
    const double a = std::pow(std::sin(dlat / 2), 2) + std::cos(radians(latitude1_deg)) *
                                                           std::cos(radians(latitude2_deg)) *
                                                           std::pow(std::sin(dlon / 2), 2);
    return 2.0 * kEarthRadiusKm * std::asin(std::min(1.0, std::sqrt(a)));
}

Result<Report> build_report(Store& store) {
    auto summaries = store.vehicle_summaries();
    if (!summaries) {
        return Error{summaries.error()};
    }
    auto dead_letters = store.dead_letter_counts();
    if (!dead_letters) {
        return Error{dead_letters.error()};
    }

    Report report;
    for (auto& summary : summaries.value()) {
        auto distance = track_distance_km(store, summary.vin);
        if (!distance) {
            return Error{distance.error()};
        }
        VehicleReport vehicle{std::move(summary), distance.value(), {}};
        for (const auto& count : dead_letters.value()) {
            if (count.vin == vehicle.summary.vin) {
                vehicle.dead_letters_by_reason[count.reason] += count.count;
            }
        }
        add_to_totals(vehicle, report);
        report.vehicles.push_back(std::move(vehicle));
    }
    for (const auto& count : dead_letters.value()) {
        report.dead_letters_by_reason[count.reason] += count.count;
    }
    return report;
}

std::string format_utc(std::int64_t time_ms) {
    using namespace std::chrono;
    const sys_time<milliseconds> time{milliseconds(time_ms)};
    const auto day = floor<days>(time);
    const year_month_day date(day);
    const hh_mm_ss clock(time - day);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                       static_cast<int>(date.year()),
                       static_cast<unsigned>(date.month()),
                       static_cast<unsigned>(date.day()),
                       clock.hours().count(),
                       clock.minutes().count(),
                       clock.seconds().count(),
                       clock.subseconds().count());
}

std::string format_span(std::int64_t span_ms) {
    const std::int64_t total_s = span_ms / 1000;
    if (total_s <= 0) {
        return "0s";
    }
    return fmt::format("{}h {:02}m {:02}s", total_s / 3600, total_s / 60 % 60, total_s % 60);
}

std::string format_text(const Report& report) {
    std::string text;
    for (const auto& vehicle : report.vehicles) {
        const auto& summary = vehicle.summary;
        text += fmt::format("vehicle {} ({}, last seen {})\n",
                            summary.vin,
                            online_label(summary),
                            or_dash(summary.last_seen_ms, format_utc));
        text += format_figures(figures_of(vehicle));
        text += "\n";
    }
    const std::size_t vehicles = report.vehicles.size();
    text += fmt::format("total over {} vehicle{}\n", vehicles, vehicles == 1 ? "" : "s");
    text += format_figures(figures_of(report));
    return text;
}

json to_json(const Report& report) {
    json vehicles = json::array();
    for (const auto& vehicle : report.vehicles) {
        const auto& summary = vehicle.summary;
        json entry = figures_json(figures_of(vehicle));
        entry["vin"] = summary.vin;
        entry["online"] = summary.online ? json(*summary.online) : json(nullptr);
        entry["last_seen"] = or_null(summary.last_seen_ms, format_utc);
        vehicles.push_back(std::move(entry));
    }
    json total = figures_json(figures_of(report));
    total["vehicles"] = report.vehicles.size();
    return json{{"vehicles", std::move(vehicles)}, {"total", std::move(total)}};
}

}  // namespace drivelink::cloud
