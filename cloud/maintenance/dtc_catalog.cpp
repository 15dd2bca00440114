#include "cloud/maintenance/dtc_catalog.h"

#include <fmt/format.h>
#include <algorithm>
#include <cctype>
#include <fstream>

namespace drivelink::cloud::maintenance {
namespace {

std::string upper(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) {
        return static_cast<char>(std::toupper(c));
    });
    return text;
}

// True for text shaped like a code ("P1684"), which some rows hold instead of a description.
bool looks_like_code(const std::string& text) {
    return text.size() == 5 && std::string_view("PBCU").find(text[0]) != std::string_view::npos &&
           std::all_of(
               text.begin() + 1, text.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
}

// Splits "code,description,type" where only the description may be quoted or hold commas.
bool split_row(const std::string& line, std::string& code, std::string& description) {
    const auto first = line.find(',');
    const auto last = line.rfind(',');
    if (first == std::string::npos || last == first) {
        return false;
    }
    code = upper(line.substr(0, first));
    description = line.substr(first + 1, last - first - 1);
    if (description.size() >= 2 && description.front() == '"' && description.back() == '"') {
        description = description.substr(1, description.size() - 2);
    }
    return true;
}

}  // namespace

std::string_view to_string(DtcSeverity severity) {
    switch (severity) {
        case DtcSeverity::High:
            return "high";
        case DtcSeverity::Medium:
            return "medium";
        case DtcSeverity::Low:
            return "low";
    }
    return "low";
}

bool dtc_needs_inspection(std::string_view code) {
    return code.size() == 5 && (code.starts_with("P030") || code.starts_with("P042"));
}

DtcSeverity dtc_severity(std::string_view code) {
    if (dtc_needs_inspection(code)) {
        return DtcSeverity::High;
    }
    return code.starts_with('P') ? DtcSeverity::Medium : DtcSeverity::Low;
}

Result<DtcCatalog> DtcCatalog::load_csv(const std::filesystem::path& path) {
    std::ifstream input(path);
    if (!input) {
        return Error{fmt::format("cannot open trouble code file '{}'", path.string())};
    }
    DtcCatalog catalog;
    std::string line;
    std::getline(input, line);  // header
    std::string code;
    std::string description;
    while (std::getline(input, line)) {
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        if (!split_row(line, code, description) || looks_like_code(description)) {
            continue;
        }
        catalog.descriptions_.emplace(code, description);
    }
    return catalog;
}

std::string DtcCatalog::describe(const std::string& code) const {
    auto found = descriptions_.find(upper(code));
    return found == descriptions_.end() ? std::string("no description") : found->second;
}

}  // namespace drivelink::cloud::maintenance
