#include "cloud/rescue/rescue_state.h"

#include <fmt/format.h>
#include <array>
#include <utility>

namespace drivelink::cloud::rescue {
namespace {

constexpr std::array<std::pair<RescueState, std::string_view>, 7> kNames = {{
    {RescueState::Open, "open"},
    {RescueState::Taken, "taken"},
    {RescueState::Dispatched, "dispatched"},
    {RescueState::OnScene, "on_scene"},
    {RescueState::Towing, "towing"},
    {RescueState::RepairedOnSite, "repaired_on_site"},
    {RescueState::Closed, "closed"},
}};

}  // namespace

std::string_view to_string(RescueState state) {
    for (const auto& [value, name] : kNames) {
        if (value == state) {
            return name;
        }
    }
    return "unknown";
}

std::optional<RescueState> parse_rescue_state(std::string_view name) {
    for (const auto& [value, known] : kNames) {
        if (known == name) {
            return value;
        }
    }
    return std::nullopt;
}

bool is_valid_transition(RescueState from, RescueState to) {
    using S = RescueState;
    switch (from) {
        case S::Open:
            return to == S::Taken;
        case S::Taken:
            return to == S::Dispatched || to == S::Closed;
        case S::Dispatched:
            return to == S::OnScene;
        case S::OnScene:
            return to == S::Towing || to == S::RepairedOnSite;
        case S::Towing:
        case S::RepairedOnSite:
            return to == S::Closed;
        case S::Closed:
            return false;
    }
    return false;
}

Status check_transition(std::int64_t case_id, RescueState from, RescueState to) {
    if (is_valid_transition(from, to)) {
        return ok_status();
    }
    return Error{fmt::format("rescue case {} is '{}' and cannot change to '{}'",
                             case_id,
                             to_string(from),
                             to_string(to))};
}

v1::RescueStatus to_rescue_status(RescueState state) {
    switch (state) {
        case RescueState::Open:
            return v1::RESCUE_STATUS_OPENED;
        case RescueState::Taken:
            return v1::RESCUE_STATUS_ASSIGNED;
        case RescueState::Dispatched:
            return v1::RESCUE_STATUS_DISPATCHED;
        case RescueState::OnScene:
            return v1::RESCUE_STATUS_ARRIVED;
        case RescueState::Towing:
            return v1::RESCUE_STATUS_TOWING;
        case RescueState::RepairedOnSite:
            return v1::RESCUE_STATUS_REPAIRED_ON_SITE;
        case RescueState::Closed:
            return v1::RESCUE_STATUS_CLOSED;
    }
    return v1::RESCUE_STATUS_UNSPECIFIED;
}

}  // namespace drivelink::cloud::rescue
