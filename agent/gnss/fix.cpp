#include "agent/gnss/fix.h"

#include <fmt/format.h>

namespace drivelink::agent::gnss {

std::string format_utc_iso8601(FixTime time) {
    const auto day = std::chrono::floor<std::chrono::days>(time);
    const std::chrono::year_month_day date{day};
    const std::chrono::hh_mm_ss clock{time - day};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                       static_cast<int>(date.year()),
                       static_cast<unsigned>(date.month()),
                       static_cast<unsigned>(date.day()),
                       clock.hours().count(),
                       clock.minutes().count(),
                       clock.seconds().count(),
                       clock.subseconds().count());
}

}  // namespace drivelink::agent::gnss
