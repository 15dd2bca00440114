// Vehicle identification number checks after ISO 3779.
//
// A VIN has 17 characters from 0-9 and A-Z without I, O and Q. Position 9 is a check digit
// computed from the other 16 with the transliteration and weights of 49 CFR 565.15 (North
// America), which China's GB 16735 also requires. Markets that do not use a check digit turn
// that test off.
#pragma once

#include <string_view>

#include "protocol/result.h"

namespace drivelink::protocol {

struct VinOptions {
    bool verify_check_digit = true;
};

// Returns the expected check digit ('0'-'9' or 'X') for a VIN that already passed the
// character checks.
char vin_check_digit(std::string_view vin);

// Checks length, alphabet and, unless disabled, the check digit. The error message names the
// VIN and the rule it broke.
Status validate_vin(std::string_view vin, VinOptions options = {});

}  // namespace drivelink::protocol
