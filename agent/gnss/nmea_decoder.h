// Decodes an NMEA 0183 stream from a GNSS receiver into one Fix per epoch.
//
// A receiver reports each measurement cycle (epoch) as several sentences with the same UTC
// time of day: RMC gives date, position, speed and course; GGA position, quality, satellites,
// HDOP and altitude; VTG speed and course; GSA fix mode and HDOP. The decoder merges them and
// emits one Fix for every epoch in which RMC had status A or GGA had quality above 0. VTG and
// GSA carry no time and join the epoch being received.
//
// The input may be anything a receiver or a log file holds: '#' comment lines, any line
// ending, NUL bytes or junk before '$', two sentences on one line, corrupt or truncated
// sentences. Nothing is thrown; every sentence that is not used is counted by RejectReason.
//
// An NmeaDecoder is not thread-safe: feed it from one thread.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "agent/gnss/fix.h"
#include "agent/gnss/nmea_sentence.h"

namespace drivelink::agent::gnss {

struct DecoderCounters {
    std::uint64_t sentences_accepted = 0;  // RMC, GGA, VTG and GSA merged into an epoch
    std::array<std::uint64_t, kRejectReasonCount> rejected{};  // indexed by RejectReason
    std::uint64_t comment_lines = 0;                           // lines starting with '#'
    std::uint64_t fixes = 0;                                   // Fix values emitted
    // Epochs whose RMC and GGA sentences all reported no fix.
    std::uint64_t epochs_without_fix = 0;
    // Epochs with a position but no date: GGA epochs before the first RMC with a date.
    std::uint64_t epochs_without_date = 0;
    // Epochs up to 12 hours earlier in the day than the one before, as where two logs were
    // joined. Larger steps back are taken as the passage of midnight.
    std::uint64_t backward_time_steps = 0;

    std::uint64_t rejected_count(RejectReason reason) const {
        return rejected[static_cast<std::size_t>(reason)];
    }
    std::uint64_t rejected_total() const;
};

class NmeaDecoder {
  public:
    // Feeds one line of input, with or without its line ending. CR and LF inside the text
    // split it further, so a whole buffer may be passed at once. Returns the fixes of the
    // epochs that this input completed, oldest first.
    std::vector<Fix> push_line(std::string_view line);

    // Ends the input: completes the epoch being received and returns its fix, if it has one.
    // The decoder may be fed again afterwards; the last date seen is kept.
    std::optional<Fix> finish();

    const DecoderCounters& counters() const { return counters_; }
    std::uint64_t rejected(RejectReason reason) const { return counters_.rejected_count(reason); }
    std::uint64_t sentences_accepted() const { return counters_.sentences_accepted; }

  private:
    // Values reported so far by the sentences of the epoch being received.
    struct Epoch {
        bool timed = false;  // an RMC or GGA has set time_of_day, valid or not
        std::optional<TimeOfDay> time_of_day;
        std::optional<Position> position;
        std::optional<std::chrono::year_month_day> date;
        std::optional<double> altitude_m;
        std::optional<double> speed_mps;
        std::optional<double> course_deg;
        std::optional<int> gga_quality;
        char rmc_mode_indicator = '\0';
        std::optional<int> satellites_used;
        std::optional<double> gga_hdop;
        std::optional<double> gsa_hdop;
        bool three_dimensional = false;
    };

    void push_physical_line(std::string_view line, std::vector<Fix>& fixes);
    void push_sentence(std::string_view text, bool cut_short, std::vector<Fix>& fixes);
    void start_epoch_if_new(const ParsedSentence& parsed, std::vector<Fix>& fixes);
    void merge(const Rmc& rmc);
    void merge(const Gga& gga);
    void merge(const Vtg& vtg);
    void merge(const Gsa& gsa);
    std::optional<Fix> close_epoch();
    std::optional<std::chrono::year_month_day> date_for(TimeOfDay time_of_day) const;

    Epoch epoch_;
    std::optional<TimeOfDay> previous_time_of_day_;
    // The date of the latest RMC with a fix, and the time of day it was sent at.
    std::optional<std::chrono::year_month_day> date_;
    TimeOfDay date_time_of_day_{0};
    DecoderCounters counters_;
};

}  // namespace drivelink::agent::gnss
