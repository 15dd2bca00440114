#include "agent/gnss/nmea_dump.h"

#include <cmath>
#include <ostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "agent/gnss/nmea_decoder.h"
#include "agent/gnss/nmea_reader.h"

namespace drivelink::agent::gnss {
namespace {

// Rounds to a fixed number of decimals, so that the JSON shows no binary noise such as
// 55.797018833333336. Nine decimals of a degree are 0.1 mm.
double round_to(double value, int decimals) {
    const double scale = std::pow(10.0, decimals);
    return std::round(value * scale) / scale;
}

void write_counts(const std::filesystem::path& file,
                  const DecoderCounters& counters,
                  std::ostream& err) {
    for (std::size_t i = 0; i < kRejectReasonCount; ++i) {
        auto reason = static_cast<RejectReason>(i);
        err << fmt::format("rejected {}: {}\n", to_string(reason), counters.rejected_count(reason));
    }
    err << fmt::format("epochs without a fix: {}\n", counters.epochs_without_fix);
    err << fmt::format("epochs without a date: {}\n", counters.epochs_without_date);
    err << fmt::format("backward time steps: {}\n", counters.backward_time_steps);
    err << fmt::format("{}: {} fixes, {} sentences accepted, {} rejected\n",
                       file.string(),
                       counters.fixes,
                       counters.sentences_accepted,
                       counters.rejected_total());
}

}  // namespace

std::string fix_to_json(const Fix& fix) {
    nlohmann::ordered_json json;
    json["time"] = format_utc_iso8601(fix.time);
    json["lat"] = round_to(fix.latitude_deg, 9);
    json["lon"] = round_to(fix.longitude_deg, 9);
    if (fix.speed_mps) {
        json["speed"] = round_to(*fix.speed_mps, 3);
    }
    if (fix.course_deg) {
        json["course"] = round_to(*fix.course_deg, 4);
    }
    if (fix.altitude_m) {
        json["alt"] = round_to(*fix.altitude_m, 3);
    }
    json["mode"] = fix.mode;
    return json.dump();
}

int dump_nmea(const std::filesystem::path& file, std::ostream& out, std::ostream& err) {
    Result<LineReader> reader = LineReader::open_file(file);
    if (!reader) {
        err << reader.error() << '\n';
        return 1;
    }

    NmeaDecoder decoder;
    Status status = deliver_fixes(reader.value(), decoder, nullptr, [&out](const Fix& fix) {
        out << fix_to_json(fix) << '\n';
    });
    if (!status) {
        err << status.error() << '\n';
        return 1;
    }
    write_counts(file, decoder.counters(), err);
    return 0;
}

}  // namespace drivelink::agent::gnss
