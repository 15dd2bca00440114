// The rescue case state machine: the allowed steps and the error for the others.
#include <gtest/gtest.h>

#include "cloud/rescue/rescue_state.h"

namespace drivelink::cloud::rescue {
namespace {

using S = RescueState;

TEST(RescueState, AllowsTheRescuePath) {
    EXPECT_TRUE(is_valid_transition(S::Open, S::Taken));
    EXPECT_TRUE(is_valid_transition(S::Taken, S::Dispatched));
    EXPECT_TRUE(is_valid_transition(S::Dispatched, S::OnScene));
    EXPECT_TRUE(is_valid_transition(S::OnScene, S::Towing));
    EXPECT_TRUE(is_valid_transition(S::OnScene, S::RepairedOnSite));
    EXPECT_TRUE(is_valid_transition(S::Towing, S::Closed));
    EXPECT_TRUE(is_valid_transition(S::RepairedOnSite, S::Closed));
    EXPECT_TRUE(is_valid_transition(S::Taken, S::Closed));
}

TEST(RescueState, RejectsSkippedAndBackwardSteps) {
    EXPECT_FALSE(is_valid_transition(S::Open, S::Dispatched));
    EXPECT_FALSE(is_valid_transition(S::Open, S::Closed));
    EXPECT_FALSE(is_valid_transition(S::Dispatched, S::Taken));
    EXPECT_FALSE(is_valid_transition(S::OnScene, S::Closed));
    EXPECT_FALSE(is_valid_transition(S::Closed, S::Open));
    EXPECT_FALSE(is_valid_transition(S::Taken, S::Taken));
}

TEST(RescueState, ErrorNamesCaseAndStates) {
    const auto checked = check_transition(42, S::Open, S::OnScene);

    ASSERT_FALSE(checked.ok());
    EXPECT_NE(checked.error().find("rescue case 42"), std::string::npos) << checked.error();
    EXPECT_NE(checked.error().find("'open'"), std::string::npos) << checked.error();
    EXPECT_NE(checked.error().find("'on_scene'"), std::string::npos) << checked.error();
}

TEST(RescueState, NamesRoundTrip) {
    for (auto state :
         {S::Open, S::Taken, S::Dispatched, S::OnScene, S::Towing, S::RepairedOnSite, S::Closed}) {
        EXPECT_EQ(parse_rescue_state(to_string(state)), state) << to_string(state);
    }
    EXPECT_FALSE(parse_rescue_state("assigned").has_value());
}

}  // namespace
}  // namespace drivelink::cloud::rescue
