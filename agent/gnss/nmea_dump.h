// The `drivelink-agent nmea FILE` command: decodes an NMEA log and prints its fixes as JSON
// lines, the way gpsd's tools print TPV reports, so that a log can be checked by eye or diffed.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <string>

#include "agent/gnss/fix.h"

namespace drivelink::agent::gnss {

// Formats a fix as one JSON object without a line ending, with the keys time (ISO 8601 UTC
// with milliseconds), lat and lon (degrees), speed (m/s), course (degrees true), alt (m above
// mean sea level) and mode (2 or 3). Keys whose value the receiver did not send are left out.
std::string fix_to_json(const Fix& fix);

// Decodes file and writes one fix_to_json() line per fix to out, then the rejected sentences
// counted by reason and the totals to err. Returns 0, or 1 with a message naming the file
// when it cannot be read.
int dump_nmea(const std::filesystem::path& file, std::ostream& out, std::ostream& err);

}  // namespace drivelink::agent::gnss
