#include "cloud/dealers/opening_hours.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <string>

namespace drivelink::cloud::dealers {
namespace {

constexpr std::array<std::string_view, 7> kDays{"Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"};
constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;

std::string_view trim(std::string_view text) {
    while (!text.empty() && text.front() == ' ') {
        text.remove_prefix(1);
    }
    while (!text.empty() && text.back() == ' ') {
        text.remove_suffix(1);
    }
    return text;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (true) {
        const auto end = text.find(separator, start);
        parts.push_back(trim(text.substr(start, end - start)));
        if (end == std::string_view::npos) {
            return parts;
        }
        start = end + 1;
    }
}

int day_index(std::string_view name) {
    const auto found = std::find(kDays.begin(), kDays.end(), name);
    return found == kDays.end() ? -1 : static_cast<int>(found - kDays.begin());
}

// Returns the minutes since midnight of "HH:MM" (24:00 included), or -1 when invalid.
int minute_of_day(std::string_view text) {
    if (text.size() != 5 || text[2] != ':') {
        return -1;
    }
    int hours = 0;
    int minutes = 0;
    const auto h = std::from_chars(text.data(), text.data() + 2, hours);
    const auto m = std::from_chars(text.data() + 3, text.data() + 5, minutes);
    if (h.ec != std::errc() || h.ptr != text.data() + 2 || m.ec != std::errc() ||
        m.ptr != text.data() + 5 || minutes > 59 || hours > 24 || (hours == 24 && minutes > 0)) {
        return -1;
    }
    return hours * 60 + minutes;
}

}  // namespace

Result<OpeningHours> parse_opening_hours(std::string_view text) {
    OpeningHours hours;
    const auto invalid = [&](std::string_view part, std::string_view why) {
        return Error{fmt::format("opening hours '{}': '{}' {}", text, part, why)};
    };
    for (const auto entry : split(text, ';')) {
        if (entry.empty()) {
            continue;
        }
        const auto space = entry.find(' ');
        if (space == std::string_view::npos) {
            return invalid(entry, "needs days and times, as in 'Mo-Fr 08:00-17:00'");
        }
        std::vector<int> days;
        for (const auto item : split(entry.substr(0, space), ',')) {
            const auto dash = item.find('-');
            const int first = day_index(item.substr(0, dash));
            const int last =
                dash == std::string_view::npos ? first : day_index(item.substr(dash + 1));
            if (first < 0 || last < first) {
                return invalid(item, "is not a day or day range of Mo Tu We Th Fr Sa Su");
            }
            for (int day = first; day <= last; ++day) {
                days.push_back(day);
            }
        }
        for (const auto range : split(trim(entry.substr(space + 1)), ',')) {
            const auto dash = range.find('-');
            const int from = minute_of_day(range.substr(0, dash));
            const int to =
                dash == std::string_view::npos ? -1 : minute_of_day(range.substr(dash + 1));
            if (from < 0 || to <= from) {
                return invalid(range, "is not a time range such as 08:00-17:00");
            }
            for (const int day : days) {
                hours.open_minutes[static_cast<std::size_t>(day)].emplace_back(from, to);
            }
        }
    }
    return hours;
}

bool is_open(const OpeningHours& hours, std::int64_t time_ms) {
    const std::int64_t days = time_ms >= 0 ? time_ms / kDayMs : (time_ms - kDayMs + 1) / kDayMs;
    // 1 January 1970 was a Thursday, index 3 with Monday as 0.
    const auto weekday = static_cast<std::size_t>(((days + 3) % 7 + 7) % 7);
    const auto minute = static_cast<int>((time_ms - days * kDayMs) / 60'000);
    const auto& ranges = hours.open_minutes[weekday];
    return std::any_of(ranges.begin(), ranges.end(), [minute](const auto& range) {
        return minute >= range.first && minute < range.second;
    });
}

}  // namespace drivelink::cloud::dealers
