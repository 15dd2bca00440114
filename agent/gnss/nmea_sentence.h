// NMEA 0183 sentence framing and field parsing for the sentences that carry a position fix.
//
// parse_sentence() takes the text of one sentence, from its '$' to its checksum, verifies
// the checksum and decodes RMC, GGA, VTG and GSA from the GNSS talkers GP, GN, GL, GA, GB,
// BD, GQ and GI. Everything else is classified with a RejectReason, so that callers can count
// what they skipped. Nothing here throws.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

namespace drivelink::agent::gnss {

// Reason a piece of input was not used. Every reason counts sentences, or pieces of garbage.
enum class RejectReason {
    BadChecksum,      // '*' present but not followed by the two hex digits that match
    MissingChecksum,  // the line ended without a '*hh' checksum
    Truncated,        // cut off before its checksum, or fewer fields than its type defines
    Malformed,        // a field is not a valid time, date, number, status or hemisphere
    Unsupported,      // a valid sentence of a type or talker this decoder does not read
    Proprietary,      // a valid vendor sentence ($P...), such as $PSRF or $PGRM
    NoFix,            // a valid sentence stating that the receiver has no position
    Garbage,          // text outside any sentence, such as the tail of a broken line
};

inline constexpr std::size_t kRejectReasonCount = 8;

// Returns the reason as a lower-case word with dashes, e.g. "bad-checksum".
std::string_view to_string(RejectReason reason);

// Time of day in UTC, from a sentence's hhmmss.sss field.
using TimeOfDay = std::chrono::milliseconds;

struct Position {
    double latitude_deg = 0.0;   // north positive
    double longitude_deg = 0.0;  // east positive
};

// Recommended minimum data (RMC) with a valid position.
struct Rmc {
    Position position;
    std::optional<double> speed_mps;
    std::optional<double> course_deg;  // true
    std::optional<std::chrono::year_month_day> date;
    // NMEA 2.3 mode indicator (A, D, E, F, M, P, R, S), or '\0' when the sentence has none.
    char mode_indicator = '\0';
};

// Fix data (GGA) with quality above 0.
struct Gga {
    Position position;
    int quality = 0;  // 1 GNSS, 2 differential, 4 RTK, 5 float RTK, 6 dead reckoning, ...
    std::optional<int> satellites_used;
    std::optional<double> hdop;
    std::optional<double> altitude_m;  // above mean sea level
};

// Course and speed over ground (VTG), in the NMEA 2.x layout or the older one without units.
struct Vtg {
    std::optional<double> speed_mps;
    std::optional<double> course_deg;  // true
};

// Fix mode and dilution of precision (GSA) for a 2D or 3D fix.
struct Gsa {
    int mode = 0;  // 2 = 2D, 3 = 3D
    std::optional<double> hdop;
};

using Sentence = std::variant<Rmc, Gga, Vtg, Gsa>;

struct ParsedSentence {
    std::optional<Sentence> sentence;                 // set when the sentence was accepted
    RejectReason reason = RejectReason::Unsupported;  // why not, when sentence is empty
    // True for every RMC and GGA that passed its checksum, with or without a fix: their
    // time field marks the epoch (the receiver's measurement cycle) they belong to.
    bool timed = false;
    std::optional<TimeOfDay> time_of_day;  // set when timed and the time field is not empty
};

// Parses one sentence that starts at its '$'. Trailing CR, LF, spaces and NUL bytes are
// ignored. Set cut_short when another '$' followed on the same line: a sentence without a
// checksum is then reported as Truncated rather than MissingChecksum.
ParsedSentence parse_sentence(std::string_view text, bool cut_short = false);

// Returns the XOR of all characters of body: the checksum of the text between '$' and '*'.
unsigned nmea_checksum(std::string_view body);

// One line cut into the pieces that parse_sentence() takes.
struct LinePieces {
    // Text before the first '$', without NUL bytes and white space; empty when there is none.
    std::string_view garbage;
    std::vector<std::string_view> sentences;  // each starts with '$'
};

// Splits a line (without its line ending) at every '$'.
LinePieces split_line(std::string_view line);

}  // namespace drivelink::agent::gnss
