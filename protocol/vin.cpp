#include "protocol/vin.h"

#include <fmt/format.h>
#include <array>

namespace drivelink::protocol {
namespace {

constexpr std::size_t kVinLength = 17;
constexpr std::size_t kCheckDigitIndex = 8;

// Transliteration of letters to numbers; I, O and Q never occur.
int transliterate(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    static constexpr std::array<int, 26> kLetterValues = {
        1, 2, 3, 4, 5, 6, 7, 8, 0,  // A-I (I is invalid)
        1, 2, 3, 4, 5, 0, 7, 0, 9,  // J-R (O and Q are invalid)
        2, 3, 4, 5, 6, 7, 8, 9,     // S-Z
    };
    return kLetterValues[static_cast<std::size_t>(c - 'A')];
}

constexpr std::array<int, kVinLength> kWeights = {
    8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2};

}  // namespace

char vin_check_digit(std::string_view vin) {
    int sum = 0;
    for (std::size_t i = 0; i < kVinLength; ++i) {
        sum += transliterate(vin[i]) * kWeights[i];
    }
    const int remainder = sum % 11;
    return remainder == 10 ? 'X' : static_cast<char>('0' + remainder);
}

Status validate_vin(std::string_view vin, VinOptions options) {
    if (vin.size() != kVinLength) {
        return Error{
            fmt::format("invalid VIN '{}': has {} characters, expected 17", vin, vin.size())};
    }
    for (std::size_t i = 0; i < vin.size(); ++i) {
        const char c = vin[i];
        if (c == 'I' || c == 'O' || c == 'Q') {
            return Error{fmt::format(
                "invalid VIN '{}': letter '{}' at position {} is not allowed (I, O and Q never "
                "occur in a VIN)",
                vin,
                c,
                i + 1)};
        }
        const bool digit = c >= '0' && c <= '9';
        const bool upper = c >= 'A' && c <= 'Z';
        if (!digit && !upper) {
            return Error{fmt::format(
                "invalid VIN '{}': character '{}' at position {} is not a digit or capital letter",
                vin,
                c,
                i + 1)};
        }
    }
    if (!options.verify_check_digit) {
        return ok_status();
    }
    const char expected = vin_check_digit(vin);
    if (vin[kCheckDigitIndex] != expected) {
        return Error{
            fmt::format("invalid VIN '{}': check digit (position 9) is '{}', expected '{}'",
                        vin,
                        vin[kCheckDigitIndex],
                        expected)};
    }
    return ok_status();
}

}  // namespace drivelink::protocol
