// A dealer's weekly opening hours, as the dealer file writes them: "Mo-Fr 07:30-18:00; Sa
// 08:00-12:00". Entries are separated by ';'. Each names days (Mo Tu We Th Fr Sa Su, single or
// as a range, several joined by ',') and one or more time ranges joined by ','.
//
// The dealer file has no time zones, so the hours are compared with UTC.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/result.h"

namespace drivelink::cloud::dealers {

struct OpeningHours {
    // Per weekday, Monday first: open from the first to the second minute of the day.
    std::array<std::vector<std::pair<int, int>>, 7> open_minutes;
};

// The error names the text and the part that cannot be read.
Result<OpeningHours> parse_opening_hours(std::string_view text);

// Returns whether `time_ms` (Unix time, UTC) falls inside the opening hours.
bool is_open(const OpeningHours& hours, std::int64_t time_ms);

}  // namespace drivelink::cloud::dealers
