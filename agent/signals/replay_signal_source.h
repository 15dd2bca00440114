// Vehicle signals replayed from a recorded file, for tests, demos and replays of real drives.
//
// The file has one JSON object per line: "time_ms" (milliseconds since the Unix epoch, UTC,
// non-decreasing from line to line) and any number of signals keyed by their VSS path, such as
// {"time_ms": 1270994264000, "Vehicle.Speed": 48.5, "Vehicle.LowVoltageSystemState": "ON"}.
// A line changes only the signals it names, a null value makes a signal unavailable again,
// and blank lines and lines starting with '#' are skipped. docs/agent.md lists every key and
// its unit.
#pragma once

#include <cstddef>
#include <filesystem>
#include <istream>
#include <string>
#include <utility>
#include <vector>

#include "agent/signals/signal_source.h"
#include "protocol/result.h"

namespace drivelink::agent::signals {

class ReplaySignalSource final : public SignalSource {
  public:
    // Reads the whole file. The error names the file, the line number and the key or value
    // that is invalid.
    static Result<ReplaySignalSource> load(const std::filesystem::path& path);
    // Reads from a stream, with `source_name` in front of error messages.
    static Result<ReplaySignalSource> parse(std::istream& input, const std::string& source_name);

    // Returns the signals as of the last line at or before `time`, empty before the first.
    VehicleSignals signals_at(TimePoint time) override;

    // Lines with data, and the time of the first and last of them.
    std::size_t size() const { return snapshots_.size(); }
    TimePoint first_time() const;
    TimePoint last_time() const;

  private:
    std::vector<std::pair<TimePoint, VehicleSignals>> snapshots_;
};

}  // namespace drivelink::agent::signals
