#include "agent/gnss/nmea_decoder.h"

#include <numeric>

#include <fmt/chrono.h>

#include "agent/gnss/logger.h"

namespace drivelink::agent::gnss {
namespace {

using namespace std::chrono_literals;

// A GGA-only epoch more than this far from the time of the last RMC date lies on the day
// before or after it: the receiver passed midnight UTC between the two.
constexpr TimeOfDay kHalfDay = 12h;

// GGA quality indicator for an NMEA 2.3 RMC mode indicator.
std::optional<int> quality_from_mode_indicator(char mode) {
    switch (mode) {
        case 'A':
            return 1;
        case 'D':
            return 2;
        case 'P':
            return 3;
        case 'R':
            return 4;
        case 'F':
            return 5;
        case 'E':
            return 6;
        case 'M':
            return 7;
        case 'S':
            return 8;
        default:
            return std::nullopt;
    }
}

bool is_line_break(char c) {
    return c == '\r' || c == '\n';
}

}  // namespace

std::uint64_t DecoderCounters::rejected_total() const {
    return std::accumulate(rejected.begin(), rejected.end(), std::uint64_t{0});
}

std::vector<Fix> NmeaDecoder::push_line(std::string_view line) {
    std::vector<Fix> fixes;
    while (!line.empty()) {
        std::size_t end = 0;
        while (end < line.size() && !is_line_break(line[end])) {
            ++end;
        }
        push_physical_line(line.substr(0, end), fixes);
        while (end < line.size() && is_line_break(line[end])) {
            ++end;
        }
        line.remove_prefix(end);
    }
    return fixes;
}

std::optional<Fix> NmeaDecoder::finish() {
    std::optional<Fix> fix = close_epoch();
    epoch_ = Epoch{};
    return fix;
}

void NmeaDecoder::push_physical_line(std::string_view line, std::vector<Fix>& fixes) {
    std::size_t first = line.find_first_not_of(std::string_view(" \t\0", 3));
    if (first != std::string_view::npos && line[first] == '#') {
        ++counters_.comment_lines;
        return;
    }

    LinePieces pieces = split_line(line);
    if (!pieces.garbage.empty()) {
        ++counters_.rejected[static_cast<std::size_t>(RejectReason::Garbage)];
    }
    for (std::size_t i = 0; i < pieces.sentences.size(); ++i) {
        bool cut_short = i + 1 < pieces.sentences.size();
        push_sentence(pieces.sentences[i], cut_short, fixes);
    }
}

void NmeaDecoder::push_sentence(std::string_view text, bool cut_short, std::vector<Fix>& fixes) {
    ParsedSentence parsed = parse_sentence(text, cut_short);
    if (parsed.timed) {
        start_epoch_if_new(parsed, fixes);
    }
    if (!parsed.sentence) {
        ++counters_.rejected[static_cast<std::size_t>(parsed.reason)];
        return;
    }

    ++counters_.sentences_accepted;
    std::visit([this](const auto& sentence) { merge(sentence); }, *parsed.sentence);
}

// An RMC or GGA whose time differs from the epoch being received completes that epoch.
// Sentences before the first timed one (VTG, GSA) stay with the epoch it opens.
void NmeaDecoder::start_epoch_if_new(const ParsedSentence& parsed, std::vector<Fix>& fixes) {
    if (epoch_.timed && epoch_.time_of_day == parsed.time_of_day) {
        return;
    }
    if (epoch_.timed) {
        if (std::optional<Fix> fix = close_epoch()) {
            fixes.push_back(*fix);
        }
        epoch_ = Epoch{};
    }

    epoch_.timed = true;
    epoch_.time_of_day = parsed.time_of_day;
    if (!parsed.time_of_day) {
        return;
    }
    // A step back of more than half a day is the passage of midnight UTC.
    TimeOfDay step_back =
        previous_time_of_day_ ? *previous_time_of_day_ - *parsed.time_of_day : TimeOfDay{0};
    if (step_back > TimeOfDay{0} && step_back <= kHalfDay) {
        ++counters_.backward_time_steps;
        gnss_logger()->info(
            "NMEA time of day stepped back from {:%H:%M:%S} to {:%H:%M:%S} UTC, as where two "
            "logs were joined or the receiver restarted",
            *previous_time_of_day_,
            *parsed.time_of_day);
    }
    previous_time_of_day_ = parsed.time_of_day;
}

void NmeaDecoder::merge(const Rmc& rmc) {
    epoch_.position = rmc.position;
    epoch_.rmc_mode_indicator = rmc.mode_indicator;
    if (rmc.speed_mps) {
        epoch_.speed_mps = rmc.speed_mps;
    }
    if (rmc.course_deg) {
        epoch_.course_deg = rmc.course_deg;
    }
    // Rmc values always carry a fix, so the stale or invented dates that receivers send
    // with status V (as after a cold start) never set the date.
    if (rmc.date && epoch_.time_of_day) {
        epoch_.date = rmc.date;
        date_ = rmc.date;
        date_time_of_day_ = *epoch_.time_of_day;
    }
}

void NmeaDecoder::merge(const Gga& gga) {
    epoch_.position = gga.position;
    epoch_.gga_quality = gga.quality;
    if (gga.satellites_used) {
        epoch_.satellites_used = gga.satellites_used;
    }
    if (gga.hdop) {
        epoch_.gga_hdop = gga.hdop;
    }
    if (gga.altitude_m) {
        epoch_.altitude_m = gga.altitude_m;
        epoch_.three_dimensional = true;
    }
}

void NmeaDecoder::merge(const Vtg& vtg) {
    if (vtg.speed_mps) {
        epoch_.speed_mps = vtg.speed_mps;
    }
    if (vtg.course_deg) {
        epoch_.course_deg = vtg.course_deg;
    }
}

// GSA can only raise the mode to 3D, never remove a fix or lower it. It carries no time, and
// the SiRF III of the GENIVI Switzerland drive sends it ahead of the RMC of its own epoch, so
// it may describe the next epoch. gpsd agrees in its CH-4711 and TomTom regression output: a
// GSA with mode 2 after a GGA with altitude leaves the fix 3D.
void NmeaDecoder::merge(const Gsa& gsa) {
    if (gsa.mode == 3) {
        epoch_.three_dimensional = true;
    }
    if (gsa.hdop) {
        epoch_.gsa_hdop = gsa.hdop;
    }
}

std::optional<std::chrono::year_month_day> NmeaDecoder::date_for(TimeOfDay time_of_day) const {
    if (!date_) {
        return std::nullopt;
    }
    std::chrono::sys_days day{*date_};
    if (time_of_day + kHalfDay < date_time_of_day_) {
        day += std::chrono::days(1);
    } else if (time_of_day > date_time_of_day_ + kHalfDay) {
        day -= std::chrono::days(1);
    }
    return std::chrono::year_month_day{day};
}

std::optional<Fix> NmeaDecoder::close_epoch() {
    if (!epoch_.position || !epoch_.time_of_day) {
        counters_.epochs_without_fix += epoch_.timed ? 1 : 0;
        return std::nullopt;
    }
    auto date = epoch_.date ? epoch_.date : date_for(*epoch_.time_of_day);
    if (!date) {
        ++counters_.epochs_without_date;
        return std::nullopt;
    }

    Fix fix;
    fix.time = std::chrono::sys_days{*date} + *epoch_.time_of_day;
    fix.latitude_deg = epoch_.position->latitude_deg;
    fix.longitude_deg = epoch_.position->longitude_deg;
    fix.altitude_m = epoch_.altitude_m;
    fix.speed_mps = epoch_.speed_mps;
    fix.course_deg = epoch_.course_deg;
    fix.mode = epoch_.three_dimensional ? 3 : 2;
    fix.quality = epoch_.gga_quality ? epoch_.gga_quality
                                     : quality_from_mode_indicator(epoch_.rmc_mode_indicator);
    fix.satellites_used = epoch_.satellites_used;
    fix.hdop = epoch_.gga_hdop ? epoch_.gga_hdop : epoch_.gsa_hdop;
    ++counters_.fixes;
    return fix;
}

}  // namespace drivelink::agent::gnss
