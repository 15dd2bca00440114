// The life of a rescue case, as a state machine:
//
//   open -> taken -> dispatched -> on_scene -> towing ----------> closed
//                                           -> repaired_on_site -> closed
//   taken -> closed (the operator closes a false alarm)
//
// Every other transition is invalid.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "drivelink/v1/drivelink.pb.h"
#include "protocol/result.h"

namespace drivelink::cloud::rescue {

enum class RescueState { Open, Taken, Dispatched, OnScene, Towing, RepairedOnSite, Closed };

// "open", "taken", "dispatched", "on_scene", "towing", "repaired_on_site", "closed": the names
// stored in the database and accepted by the command line.
std::string_view to_string(RescueState state);
std::optional<RescueState> parse_rescue_state(std::string_view name);

bool is_valid_transition(RescueState from, RescueState to);

// Returns ok when `from` may go to `to`, else an error naming the case and both states.
Status check_transition(std::int64_t case_id, RescueState from, RescueState to);

v1::RescueStatus to_rescue_status(RescueState state);

}  // namespace drivelink::cloud::rescue
