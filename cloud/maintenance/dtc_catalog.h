// Descriptions and severities of diagnostic trouble codes (SAE J2012), from a CSV file with the
// header code,description,type.
//
// Some rows of the shipped file contain another code in place of a description (P1682, P3400).
// Such descriptions are dropped on load, so those codes read "no description". A code
// may contain hex digits (P0A80), so codes are compared as upper-case text.
#pragma once

#include <filesystem>
#include <string>
#include <unordered_map>

#include "protocol/result.h"

namespace drivelink::cloud::maintenance {

enum class DtcSeverity { Low, Medium, High };

std::string_view to_string(DtcSeverity severity);

// High for misfire (P030x) and catalyst efficiency (P042x) codes, which call for an
// inspection; Medium for other powertrain codes; Low for the rest.
DtcSeverity dtc_severity(std::string_view code);
bool dtc_needs_inspection(std::string_view code);

class DtcCatalog {
  public:
    static Result<DtcCatalog> load_csv(const std::filesystem::path& path);

    // Returns the description, or "no description" for a code the file does not list.
    std::string describe(const std::string& code) const;
    std::size_t size() const { return descriptions_.size(); }

  private:
    std::unordered_map<std::string, std::string> descriptions_;
};

}  // namespace drivelink::cloud::maintenance
