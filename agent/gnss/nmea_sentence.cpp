#include "agent/gnss/nmea_sentence.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string_view>

namespace drivelink::agent::gnss {
namespace {

using namespace std::string_view_literals;

constexpr double kMetersPerSecondPerKnot = 1852.0 / 3600.0;
constexpr double kMetersPerSecondPerKph = 1000.0 / 3600.0;

// Field counts after the address field, up to the last field the decoder reads.
constexpr std::size_t kRmcMinFields = 9;     // through the date
constexpr std::size_t kGgaMinFields = 6;     // through the quality indicator
constexpr std::size_t kGsaMinFields = 17;    // through VDOP
constexpr std::size_t kVtgMinFields = 7;     // through speed in km/h
constexpr std::size_t kVtgOldMinFields = 4;  // course true, course magnetic, knots, km/h

constexpr int kMaxGgaQuality = 8;  // 8 = simulator

constexpr std::string_view kGnssTalkers[] = {"GP", "GN", "GL", "GA", "GB", "BD", "GQ", "GI"};

using Fields = std::vector<std::string_view>;

bool is_trailing_noise(char c) {
    return c == '\r' || c == '\n' || c == ' ' || c == '\t' || c == '\0';
}

std::string_view trim_trailing_noise(std::string_view text) {
    while (!text.empty() && is_trailing_noise(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

// The framing result: the text between '$' and '*' when the checksum matches.
struct Framed {
    std::string_view body;
    std::optional<RejectReason> reason;
};

Framed frame(std::string_view text, bool cut_short) {
    // Receivers that lose power mid-sentence leave NUL bytes where the rest should be.
    bool nul_padded = text.find('\0') != std::string_view::npos;
    text = trim_trailing_noise(text);
    const std::size_t star = text.find('*');
    if (star == std::string_view::npos) {
        bool truncated = cut_short || nul_padded;
        return {{}, truncated ? RejectReason::Truncated : RejectReason::MissingChecksum};
    }

    std::string_view body = text.substr(1, star - 1);
    std::string_view digits = text.substr(star + 1);
    if (digits.size() < 2 && (cut_short || nul_padded)) {
        return {{}, RejectReason::Truncated};
    }
    if (digits.size() != 2 || hex_value(digits[0]) < 0 || hex_value(digits[1]) < 0) {
        return {{}, RejectReason::BadChecksum};
    }
    unsigned sent = static_cast<unsigned>(hex_value(digits[0]) * 16 + hex_value(digits[1]));
    if (sent != nmea_checksum(body)) {
        return {{}, RejectReason::BadChecksum};
    }
    return {body, std::nullopt};
}

Fields split_fields(std::string_view body) {
    Fields fields;
    std::size_t start = 0;
    while (true) {
        std::size_t comma = body.find(',', start);
        fields.push_back(body.substr(start, comma - start));
        if (comma == std::string_view::npos) {
            return fields;
        }
        start = comma + 1;
    }
}

bool all_digits(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int two_digits(std::string_view text, std::size_t at) {
    return (text[at] - '0') * 10 + (text[at + 1] - '0');
}

// Parses hhmmss or hhmmss.f...; digits beyond milliseconds are dropped.
std::optional<TimeOfDay> parse_time(std::string_view field) {
    std::string_view whole = field.substr(0, field.find('.'));
    std::string_view fraction;
    if (whole.size() < field.size()) {
        fraction = field.substr(whole.size() + 1);
    }
    if (whole.size() != 6 || !all_digits(whole) || !all_digits(fraction)) {
        return std::nullopt;
    }

    int hours = two_digits(whole, 0);
    int minutes = two_digits(whole, 2);
    int seconds = two_digits(whole, 4);
    if (hours > 23 || minutes > 59 || seconds > 60) {
        return std::nullopt;
    }
    int millis = 0;
    for (std::size_t i = 0; i < 3; ++i) {
        millis = millis * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
    }
    return std::chrono::hours(hours) + std::chrono::minutes(minutes) +
           std::chrono::seconds(seconds) + std::chrono::milliseconds(millis);
}

// Parses ddmmyy. Two-digit years from 80 on are taken as 19yy, the rest as 20yy.
std::optional<std::chrono::year_month_day> parse_date(std::string_view field) {
    if (field.size() != 6 || !all_digits(field)) {
        return std::nullopt;
    }
    int year = two_digits(field, 4);
    year += year >= 80 ? 1900 : 2000;
    std::chrono::year_month_day date{
        std::chrono::year(year),
        std::chrono::month(static_cast<unsigned>(two_digits(field, 2))),
        std::chrono::day(static_cast<unsigned>(two_digits(field, 0)))};
    if (!date.ok()) {
        return std::nullopt;
    }
    return date;
}

std::optional<double> parse_number(std::string_view field) {
    double value = 0.0;
    auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (error != std::errc() || end != field.data() + field.size() || !std::isfinite(value)) {
        return std::nullopt;
    }
    return value;
}

// Reads an optional number: an empty field leaves out empty and succeeds.
bool parse_optional_number(std::string_view field, std::optional<double>& out) {
    if (field.empty()) {
        return true;
    }
    out = parse_number(field);
    return out.has_value();
}

bool parse_optional_count(std::string_view field, std::optional<int>& out) {
    if (field.empty()) {
        return true;
    }
    if (field.size() > 3 || !all_digits(field)) {
        return false;
    }
    int count = 0;
    for (char c : field) {
        count = count * 10 + (c - '0');
    }
    out = count;
    return true;
}

// Parses an angle sent as (d)ddmm.mmmm with its hemisphere letter.
std::optional<double> parse_angle(std::string_view value,
                                  std::string_view hemisphere,
                                  double max_deg,
                                  std::string_view positive,
                                  std::string_view negative) {
    std::optional<double> raw = parse_number(value);
    if (!raw || *raw < 0.0 || (hemisphere != positive && hemisphere != negative)) {
        return std::nullopt;
    }
    double degrees = std::floor(*raw / 100.0);
    double minutes = *raw - degrees * 100.0;
    double angle_deg = degrees + minutes / 60.0;
    if (minutes >= 60.0 || angle_deg > max_deg) {
        return std::nullopt;
    }
    return hemisphere == negative ? -angle_deg : angle_deg;
}

// Parses the four fields latitude, N/S, longitude, E/W starting at first.
std::optional<Position> parse_position(const Fields& fields, std::size_t first) {
    auto latitude_deg = parse_angle(fields[first], fields[first + 1], 90.0, "N", "S");
    auto longitude_deg = parse_angle(fields[first + 2], fields[first + 3], 180.0, "E", "W");
    if (!latitude_deg || !longitude_deg) {
        return std::nullopt;
    }
    return Position{*latitude_deg, *longitude_deg};
}

ParsedSentence rejected(RejectReason reason) {
    ParsedSentence parsed;
    parsed.reason = reason;
    return parsed;
}

ParsedSentence accepted(Sentence sentence) {
    ParsedSentence parsed;
    parsed.sentence = std::move(sentence);
    return parsed;
}

// The time field of an RMC or GGA, which marks the sentence's epoch even without a fix.
struct EpochTime {
    bool valid = true;  // false when the field is neither empty nor a time
    std::optional<TimeOfDay> time_of_day;
};

EpochTime read_epoch_time(std::string_view field) {
    if (field.empty()) {
        return {};
    }
    std::optional<TimeOfDay> time_of_day = parse_time(field);
    return {time_of_day.has_value(), time_of_day};
}

ParsedSentence with_time(ParsedSentence parsed, const EpochTime& time) {
    parsed.timed = true;
    parsed.time_of_day = time.time_of_day;
    return parsed;
}

ParsedSentence parse_rmc(const Fields& fields) {
    if (fields.size() < kRmcMinFields + 1) {
        return rejected(RejectReason::Truncated);
    }
    EpochTime time = read_epoch_time(fields[1]);
    if (!time.valid) {
        return rejected(RejectReason::Malformed);
    }
    std::string_view status = fields[2];
    std::string_view mode = fields.size() > 12 ? fields[12] : ""sv;
    if ((status != "A" && status != "V") || mode.size() > 1) {
        return rejected(RejectReason::Malformed);
    }
    if (status == "V" || mode == "N") {
        return with_time(rejected(RejectReason::NoFix), time);
    }

    Rmc rmc;
    auto position = parse_position(fields, 3);
    bool fields_ok = time.time_of_day && position &&
                     parse_optional_number(fields[7], rmc.speed_mps) &&
                     parse_optional_number(fields[8], rmc.course_deg);
    if (fields_ok && !fields[9].empty()) {
        rmc.date = parse_date(fields[9]);
        fields_ok = rmc.date.has_value();
    }
    if (!fields_ok) {
        return rejected(RejectReason::Malformed);
    }
    rmc.position = *position;
    if (rmc.speed_mps) {
        *rmc.speed_mps *= kMetersPerSecondPerKnot;
    }
    rmc.mode_indicator = mode.empty() ? '\0' : mode[0];
    return with_time(accepted(rmc), time);
}

bool parse_gga_extras(const Fields& fields, Gga& gga) {
    return parse_optional_count(fields.size() > 7 ? fields[7] : ""sv, gga.satellites_used) &&
           parse_optional_number(fields.size() > 8 ? fields[8] : ""sv, gga.hdop) &&
           parse_optional_number(fields.size() > 9 ? fields[9] : ""sv, gga.altitude_m);
}

ParsedSentence parse_gga(const Fields& fields) {
    if (fields.size() < kGgaMinFields + 1) {
        return rejected(RejectReason::Truncated);
    }
    EpochTime time = read_epoch_time(fields[1]);
    std::string_view quality = fields[6];
    if (!time.valid || quality.size() > 1 || !all_digits(quality)) {
        return rejected(RejectReason::Malformed);
    }
    if (quality.empty() || quality == "0") {
        return with_time(rejected(RejectReason::NoFix), time);
    }

    Gga gga;
    gga.quality = quality[0] - '0';
    if (gga.quality > kMaxGgaQuality) {
        return rejected(RejectReason::Malformed);
    }
    auto position = parse_position(fields, 2);
    if (!time.time_of_day || !position || !parse_gga_extras(fields, gga)) {
        return rejected(RejectReason::Malformed);
    }
    gga.position = *position;
    return with_time(accepted(gga), time);
}

ParsedSentence parse_vtg(const Fields& fields) {
    // NMEA 2.x marks each value with a unit letter (054.7,T,034.4,M,005.5,N,010.2,K,A);
    // older receivers send the four values alone.
    bool with_units = fields.size() > kVtgMinFields + 1 || (fields.size() > 2 && fields[2] == "T");
    std::size_t min_fields = with_units ? kVtgMinFields : kVtgOldMinFields;
    if (fields.size() < min_fields + 1) {
        return rejected(RejectReason::Truncated);
    }
    if (with_units && fields.size() > 9 && fields[9] == "N") {
        return rejected(RejectReason::NoFix);
    }

    Vtg vtg;
    std::optional<double> knots;
    std::optional<double> kph;
    bool ok = parse_optional_number(fields[1], vtg.course_deg) &&
              parse_optional_number(fields[with_units ? 5 : 3], knots) &&
              parse_optional_number(fields[with_units ? 7 : 4], kph);
    if (!ok) {
        return rejected(RejectReason::Malformed);
    }
    if (knots) {
        vtg.speed_mps = *knots * kMetersPerSecondPerKnot;
    } else if (kph) {
        vtg.speed_mps = *kph * kMetersPerSecondPerKph;
    }
    return accepted(vtg);
}

ParsedSentence parse_gsa(const Fields& fields) {
    if (fields.size() < 3) {
        return rejected(RejectReason::Truncated);
    }
    std::string_view mode = fields[2];
    if (mode == "1" || mode.empty()) {
        return rejected(RejectReason::NoFix);
    }
    if (mode != "2" && mode != "3") {
        return rejected(RejectReason::Malformed);
    }
    if (fields.size() < kGsaMinFields + 1) {
        return rejected(RejectReason::Truncated);
    }

    Gsa gsa;
    gsa.mode = mode[0] - '0';
    if (!parse_optional_number(fields[16], gsa.hdop)) {
        return rejected(RejectReason::Malformed);
    }
    return accepted(gsa);
}

bool is_address(std::string_view address) {
    return address.size() == 5 && std::all_of(address.begin(), address.end(), [](char c) {
               return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
           });
}

bool is_gnss_talker(std::string_view talker) {
    return std::find(std::begin(kGnssTalkers), std::end(kGnssTalkers), talker) !=
           std::end(kGnssTalkers);
}

ParsedSentence parse_fields(const Fields& fields) {
    std::string_view address = fields[0];
    if (!address.empty() && address[0] == 'P') {
        return rejected(RejectReason::Proprietary);
    }
    if (!is_address(address)) {
        return rejected(RejectReason::Malformed);
    }
    if (!is_gnss_talker(address.substr(0, 2))) {
        return rejected(RejectReason::Unsupported);
    }

    std::string_view type = address.substr(2);
    if (type == "RMC") {
        return parse_rmc(fields);
    }
    if (type == "GGA") {
        return parse_gga(fields);
    }
    if (type == "VTG") {
        return parse_vtg(fields);
    }
    if (type == "GSA") {
        return parse_gsa(fields);
    }
    return rejected(RejectReason::Unsupported);
}

}  // namespace

std::string_view to_string(RejectReason reason) {
    switch (reason) {
        case RejectReason::BadChecksum:
            return "bad-checksum";
        case RejectReason::MissingChecksum:
            return "missing-checksum";
        case RejectReason::Truncated:
            return "truncated";
        case RejectReason::Malformed:
            return "malformed";
        case RejectReason::Unsupported:
            return "unsupported";
        case RejectReason::Proprietary:
            return "proprietary";
        case RejectReason::NoFix:
            return "no-fix";
        case RejectReason::Garbage:
            return "garbage";
    }
    return "unknown";
}

unsigned nmea_checksum(std::string_view body) {
    unsigned sum = 0;
    for (char c : body) {
        sum ^= static_cast<unsigned char>(c);
    }
    return sum;
}

ParsedSentence parse_sentence(std::string_view text, bool cut_short) {
    if (text.empty() || text[0] != '$') {
        return rejected(RejectReason::Garbage);
    }
    Framed framed = frame(text, cut_short);
    if (framed.reason) {
        return rejected(*framed.reason);
    }
    return parse_fields(split_fields(framed.body));
}

LinePieces split_line(std::string_view line) {
    LinePieces pieces;
    std::size_t start = line.find('$');
    std::string_view before = line.substr(0, start);
    auto junk = std::find_if_not(before.begin(), before.end(), [](char c) {
        return c == '\0' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
    });
    if (junk != before.end()) {
        pieces.garbage = before.substr(static_cast<std::size_t>(junk - before.begin()));
    }

    while (start != std::string_view::npos) {
        std::size_t next = line.find('$', start + 1);
        pieces.sentences.push_back(line.substr(start, next - start));
        start = next;
    }
    return pieces;
}

}  // namespace drivelink::agent::gnss
