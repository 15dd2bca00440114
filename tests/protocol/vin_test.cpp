#include "protocol/vin.h"

#include <gtest/gtest.h>

namespace drivelink::protocol {
namespace {

TEST(Vin, AcceptsValidCheckDigits) {
    // Published examples with their check digits: a letter X and digits.
    EXPECT_TRUE(validate_vin("1M8GDM9AXKP042788").ok());
    EXPECT_TRUE(validate_vin("11111111111111111").ok());
    EXPECT_TRUE(validate_vin("1HGCM82633A004352").ok());
}

TEST(Vin, ComputesCheckDigit) {
    EXPECT_EQ(vin_check_digit("1M8GDM9AXKP042788"), 'X');
    EXPECT_EQ(vin_check_digit("1HGCM82633A004352"), '3');
}

TEST(Vin, RejectsWrongLength) {
    auto short_vin = validate_vin("1M8GDM9AXKP04278");
    ASSERT_FALSE(short_vin.ok());
    EXPECT_NE(short_vin.error().find("16 characters"), std::string::npos) << short_vin.error();
    EXPECT_NE(short_vin.error().find("1M8GDM9AXKP04278"), std::string::npos);
    EXPECT_FALSE(validate_vin("").ok());
    EXPECT_FALSE(validate_vin("1M8GDM9AXKP0427880").ok());
}

TEST(Vin, RejectsLettersIOQ) {
    for (const char* vin : {"1M8GDM9AXKP04278I", "1M8GDM9AXKP0427O8", "QM8GDM9AXKP042788"}) {
        auto result = validate_vin(vin, {.verify_check_digit = false});
        ASSERT_FALSE(result.ok()) << vin;
        EXPECT_NE(result.error().find("not allowed"), std::string::npos) << result.error();
    }
}

TEST(Vin, RejectsLowerCaseAndSymbols) {
    auto lower = validate_vin("1m8GDM9AXKP042788", {.verify_check_digit = false});
    ASSERT_FALSE(lower.ok());
    EXPECT_NE(lower.error().find("position 2"), std::string::npos) << lower.error();
    EXPECT_FALSE(validate_vin("1M8GDM9AXKP04278-", {.verify_check_digit = false}).ok());
}

TEST(Vin, RejectsBadCheckDigit) {
    auto result = validate_vin("1M8GDM9A1KP042788");
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().find("check digit"), std::string::npos) << result.error();
    EXPECT_NE(result.error().find("expected 'X'"), std::string::npos) << result.error();
}

TEST(Vin, CheckDigitSwitchOff) {
    // European VINs often carry no check digit.
    EXPECT_FALSE(validate_vin("WVWZZZ1JZXW000001").ok());
    EXPECT_TRUE(validate_vin("WVWZZZ1JZXW000001", {.verify_check_digit = false}).ok());
}

}  // namespace
}  // namespace drivelink::protocol
