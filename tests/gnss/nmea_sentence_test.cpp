#include "agent/gnss/nmea_sentence.h"

#include <gtest/gtest.h>

#include "tests/gnss/nmea_test_support.h"

namespace drivelink::agent::gnss {
namespace {

using namespace std::chrono_literals;
using namespace std::string_view_literals;
using testing::sentence;
using testing::sentence_lower_case;

constexpr double kDegreeTolerance = 1e-9;

const Rmc& as_rmc(const ParsedSentence& parsed) {
    return std::get<Rmc>(*parsed.sentence);
}
const Gga& as_gga(const ParsedSentence& parsed) {
    return std::get<Gga>(*parsed.sentence);
}
const Vtg& as_vtg(const ParsedSentence& parsed) {
    return std::get<Vtg>(*parsed.sentence);
}
const Gsa& as_gsa(const ParsedSentence& parsed) {
    return std::get<Gsa>(*parsed.sentence);
}

TEST(NmeaChecksum, MatchesPublishedSentences) {
    // Sentences as a u-blox ANTARIS receiver sent them, checksum included.
    EXPECT_EQ(nmea_checksum("GPVTG,,T,,M,0.253,N,0.469,K,A"), 0x2Cu);
    EXPECT_EQ(nmea_checksum("GPGSA,A,1,,,,,,,,,,,,,99.99,99.99,99.99"), 0x30u);
    EXPECT_EQ(nmea_checksum(""), 0u);
}

TEST(NmeaSentence, AcceptsUpperCaseChecksum) {
    ParsedSentence parsed = parse_sentence("$GPVTG,,T,,M,0.253,N,0.469,K,A*2C");
    EXPECT_TRUE(parsed.sentence.has_value());
}

TEST(NmeaSentence, AcceptsLowerCaseChecksum) {
    // Magellan EC-10X receivers send the checksum in lower-case hex.
    ParsedSentence parsed =
        parse_sentence("$GPRMC,205210.00,A,4405.556,N,12118.398,W,000.0,000.0,090605,0.0,E*4e");
    EXPECT_TRUE(parsed.sentence.has_value());
}

TEST(NmeaSentence, RejectsWrongChecksum) {
    ParsedSentence parsed = parse_sentence("$GPVTG,,T,,M,0.253,N,0.469,K,A*2D");
    EXPECT_FALSE(parsed.sentence.has_value());
    EXPECT_EQ(parsed.reason, RejectReason::BadChecksum);
}

TEST(NmeaSentence, RejectsChecksumWithExtraText) {
    EXPECT_EQ(parse_sentence("$GPGSA,A,1,,,,,,,,,,,,,,,*1E0,*4E").reason,
              RejectReason::BadChecksum);
    EXPECT_EQ(parse_sentence("$GPVTG,,T,,M,0.253,N,0.469,K,A*2G").reason,
              RejectReason::BadChecksum);
}

TEST(NmeaSentence, RejectsMissingChecksum) {
    ParsedSentence parsed = parse_sentence("$GPVTG,,T,,M,0.253,N,0.469,K,A\r\n");
    EXPECT_FALSE(parsed.sentence.has_value());
    EXPECT_EQ(parsed.reason, RejectReason::MissingChecksum);
}

TEST(NmeaSentence, CutSentenceIsTruncated) {
    EXPECT_EQ(parse_sentence("$GPGSA,A,1,,", true).reason, RejectReason::Truncated);
    EXPECT_EQ(parse_sentence("$GPRMC,000346.03,A,4808\0\0\0\0   "sv).reason,
              RejectReason::Truncated);
    EXPECT_EQ(parse_sentence("$GPVTG,,T,,M,0.253,N,0.469,K,A*2", true).reason,
              RejectReason::Truncated);
}

TEST(NmeaSentence, TooFewFieldsIsTruncated) {
    EXPECT_EQ(parse_sentence(sentence("GPRMC,120000.00,A,4807.038,N")).reason,
              RejectReason::Truncated);
    EXPECT_EQ(parse_sentence(sentence("GPGGA,120000.00,4807.038,N")).reason,
              RejectReason::Truncated);
    EXPECT_EQ(parse_sentence(sentence("GPGSA,A,3,04,05")).reason, RejectReason::Truncated);
    EXPECT_EQ(parse_sentence(sentence("GPVTG,054.7")).reason, RejectReason::Truncated);
}

TEST(NmeaSentence, ReadsRmcFields) {
    ParsedSentence parsed = parse_sentence(
        sentence("GPRMC,123519.250,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W,D"));
    ASSERT_TRUE(parsed.sentence.has_value());
    const Rmc& rmc = as_rmc(parsed);
    EXPECT_TRUE(parsed.timed);
    EXPECT_EQ(parsed.time_of_day, 12h + 35min + 19s + 250ms);
    EXPECT_NEAR(rmc.position.latitude_deg, 48.0 + 7.038 / 60.0, kDegreeTolerance);
    EXPECT_NEAR(rmc.position.longitude_deg, 11.0 + 31.0 / 60.0, kDegreeTolerance);
    ASSERT_TRUE(rmc.speed_mps.has_value());
    EXPECT_NEAR(*rmc.speed_mps, 22.4 * 1852.0 / 3600.0, 1e-9);
    ASSERT_TRUE(rmc.course_deg.has_value());
    EXPECT_DOUBLE_EQ(*rmc.course_deg, 84.4);
    ASSERT_TRUE(rmc.date.has_value());
    EXPECT_EQ(*rmc.date, std::chrono::year(1994) / 3 / 23);
    EXPECT_EQ(rmc.mode_indicator, 'D');
}

TEST(NmeaSentence, SouthAndWestAreNegative) {
    ParsedSentence parsed =
        parse_sentence(sentence("GPRMC,010203,A,3351.500,S,15112.600,W,0.0,,010120,,,A"));
    ASSERT_TRUE(parsed.sentence.has_value());
    EXPECT_NEAR(as_rmc(parsed).position.latitude_deg, -(33.0 + 51.5 / 60.0), kDegreeTolerance);
    EXPECT_NEAR(as_rmc(parsed).position.longitude_deg, -(151.0 + 12.6 / 60.0), kDegreeTolerance);
}

TEST(NmeaSentence, ReadsRmcOfElevenToThirteenFields) {
    // NMEA 2.0 (no mode indicator), 2.3 (mode indicator) and 4.1 (navigational status).
    const char* bodies[] = {
        "GPRMC,175736,A,5125.8714,N,00524.2350,E,3.1865,276.241,200610,,",
        "GPRMC,152505.00,A,5547.82113,N,02334.14130,E,0.253,,091209,,,A",
        "GNRMC,091503.000,A,4813.0509,N,00824.8699,E,6.56,175.87,101015,,,A,V",
    };
    for (const char* body : bodies) {
        ParsedSentence parsed = parse_sentence(sentence(body));
        ASSERT_TRUE(parsed.sentence.has_value()) << body << ": " << to_string(parsed.reason);
        EXPECT_TRUE(as_rmc(parsed).date.has_value()) << body;
    }
}

TEST(NmeaSentence, RmcStatusVIsNoFix) {
    ParsedSentence parsed = parse_sentence(
        sentence("GPRMC,135658.997,V,5543.0326,N,03724.7205,E,00.79,159.0,051209,,,N"));
    EXPECT_FALSE(parsed.sentence.has_value());
    EXPECT_EQ(parsed.reason, RejectReason::NoFix);
    EXPECT_TRUE(parsed.timed);
    EXPECT_EQ(parsed.time_of_day, 13h + 56min + 58s + 997ms);
}

TEST(NmeaSentence, RmcModeIndicatorNIsNoFix) {
    ParsedSentence parsed =
        parse_sentence(sentence("GPRMC,120000,A,4807.038,N,01131.000,E,0.0,,010120,,,N"));
    EXPECT_EQ(parsed.reason, RejectReason::NoFix);
}

TEST(NmeaSentence, RmcWithEmptyTimeAndNoFix) {
    ParsedSentence parsed = parse_sentence("$GPRMC,,V,,,,,,,,,,N*53");
    EXPECT_EQ(parsed.reason, RejectReason::NoFix);
    EXPECT_TRUE(parsed.timed);
    EXPECT_FALSE(parsed.time_of_day.has_value());
}

TEST(NmeaSentence, RmcWithFixNeedsTime) {
    ParsedSentence parsed =
        parse_sentence(sentence("GPRMC,,A,4807.038,N,01131.000,E,0.0,,010120,,,A"));
    EXPECT_EQ(parsed.reason, RejectReason::Malformed);
}

TEST(NmeaSentence, RmcWithEmptyDateIsAccepted) {
    ParsedSentence parsed =
        parse_sentence(sentence("GPRMC,120000,A,4807.038,N,01131.000,E,0.0,,,,,A"));
    ASSERT_TRUE(parsed.sentence.has_value());
    EXPECT_FALSE(as_rmc(parsed).date.has_value());
}

TEST(NmeaSentence, TwoDigitYearPivot) {
    ParsedSentence y1999 =
        parse_sentence(sentence("GPRMC,000425,A,4807.038,N,01131.000,E,,,220899,,,A"));
    ParsedSentence y2079 =
        parse_sentence(sentence("GPRMC,000425,A,4807.038,N,01131.000,E,,,220879,,,A"));
    ASSERT_TRUE(y1999.sentence.has_value());
    ASSERT_TRUE(y2079.sentence.has_value());
    EXPECT_EQ(as_rmc(y1999).date->year(), std::chrono::year(1999));
    EXPECT_EQ(as_rmc(y2079).date->year(), std::chrono::year(2079));
}

TEST(NmeaSentence, RejectsMalformedFields) {
    const char* bodies[] = {
        "GPRMC,250000,A,4807.038,N,01131.000,E,0.0,,010120,,,A",          // hour 25
        "GPRMC,12000x,A,4807.038,N,01131.000,E,0.0,,010120,,,A",          // letter in time
        "GPRMC,120000,A,48x7.038,N,01131.000,E,0.0,,010120,,,A",          // letter in latitude
        "GPRMC,120000,A,4875.000,N,01131.000,E,0.0,,010120,,,A",          // 75 minutes
        "GPRMC,120000,A,9100.000,N,01131.000,E,0.0,,010120,,,A",          // 91 degrees
        "GPRMC,120000,A,4807.038,X,01131.000,E,0.0,,010120,,,A",          // hemisphere X
        "GPRMC,120000,A,4807.038,N,01131.000,E,fast,,010120,,,A",         // speed
        "GPRMC,120000,A,4807.038,N,01131.000,E,0.0,,320120,,,A",          // 32 January
        "GPRMC,120000,X,4807.038,N,01131.000,E,0.0,,010120,,,A",          // status X
        "GPGGA,120000,4807.038,N,01131.000,E,9,08,0.9,545.4,M,46.9,M,,",  // quality 9
        "GPGGA,120000,4807.038,N,01131.000,E,1,eight,0.9,545.4,M,46.9,M,,",
        "GPGSA,A,4,04,05,,,,,,,,,,,2.5,1.3,2.1",  // mode 4
        "GPRMC,120000,A,4807.038,N,01131.000,E,nan,,010120,,,A",
    };
    for (const char* body : bodies) {
        EXPECT_EQ(parse_sentence(sentence(body)).reason, RejectReason::Malformed) << body;
    }
}

TEST(NmeaSentence, ReadsGgaFields) {
    ParsedSentence parsed =
        parse_sentence(sentence("GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,"));
    ASSERT_TRUE(parsed.sentence.has_value());
    const Gga& gga = as_gga(parsed);
    EXPECT_EQ(parsed.time_of_day, 12h + 35min + 19s);
    EXPECT_EQ(gga.quality, 1);
    EXPECT_EQ(gga.satellites_used, 8);
    EXPECT_EQ(gga.hdop, 0.9);
    EXPECT_EQ(gga.altitude_m, 545.4);
}

TEST(NmeaSentence, GgaQualitySixIsDeadReckoning) {
    ParsedSentence parsed = parse_sentence(
        sentence("GPGGA,121507.000,4716.1563,N,00826.0364,E,6,00,50.0,435.0,M,48.0,M,,0000"));
    ASSERT_TRUE(parsed.sentence.has_value());
    EXPECT_EQ(as_gga(parsed).quality, 6);
}

TEST(NmeaSentence, GgaQualityZeroIsNoFix) {
    ParsedSentence stale =
        parse_sentence("$GPGGA,135659.997,5543.0324,N,03724.7207,E,0,,,165.6,M,14.6,M,,*7C");
    EXPECT_EQ(stale.reason, RejectReason::NoFix);
    EXPECT_EQ(stale.time_of_day, 13h + 56min + 59s + 997ms);
    EXPECT_EQ(parse_sentence("$GPGGA,,,,,,0,00,99.99,,,,,,*48").reason, RejectReason::NoFix);
}

TEST(NmeaSentence, ReadsVtgWithUnits) {
    ParsedSentence parsed = parse_sentence("$GPVTG,221.54,T,,M,32.000,N,59.295,K,A*3E");
    ASSERT_TRUE(parsed.sentence.has_value());
    EXPECT_FALSE(parsed.timed);
    EXPECT_EQ(as_vtg(parsed).course_deg, 221.54);
    EXPECT_NEAR(*as_vtg(parsed).speed_mps, 32.0 * 1852.0 / 3600.0, 1e-9);
}

TEST(NmeaSentence, ReadsVtgOldLayout) {
    ParsedSentence parsed = parse_sentence(sentence("GPVTG,054.7,034.4,,010.8"));
    ASSERT_TRUE(parsed.sentence.has_value());
    EXPECT_EQ(as_vtg(parsed).course_deg, 54.7);
    EXPECT_NEAR(*as_vtg(parsed).speed_mps, 10.8 / 3.6, 1e-9);
}

TEST(NmeaSentence, VtgModeNIsNoFix) {
    EXPECT_EQ(parse_sentence("$GPVTG,,,,,,,,,N*30").reason, RejectReason::NoFix);
}

TEST(NmeaSentence, ReadsGsaModeAndHdop) {
    ParsedSentence parsed = parse_sentence("$GPGSA,A,3,26,32,11,14,,,,,,,,,6.25,2.72,5.62*05");
    ASSERT_TRUE(parsed.sentence.has_value());
    EXPECT_EQ(as_gsa(parsed).mode, 3);
    EXPECT_EQ(as_gsa(parsed).hdop, 2.72);
    EXPECT_EQ(parse_sentence("$GPGSA,A,1,,,,,,,,,,,,,,,,*32").reason, RejectReason::NoFix);
}

TEST(NmeaSentence, AcceptsGnssTalkers) {
    for (const char* talker : {"GP", "GN", "GL", "GA", "GB", "BD", "GQ", "GI"}) {
        std::string body =
            std::string(talker) + "GGA,120000,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,";
        EXPECT_TRUE(parse_sentence(sentence(body)).sentence.has_value()) << talker;
    }
}

TEST(NmeaSentence, OtherTalkersAreUnsupported) {
    ParsedSentence parsed =
        parse_sentence(sentence("IIGGA,120000,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,"));
    EXPECT_EQ(parsed.reason, RejectReason::Unsupported);
    EXPECT_EQ(parse_sentence("$HCHDG,212.6,,,1.6,E*29").reason, RejectReason::Unsupported);
}

TEST(NmeaSentence, OtherTypesAreUnsupported) {
    EXPECT_EQ(parse_sentence("$GPGLL,5547.82113,N,02334.14130,E,152505.00,A,A*64").reason,
              RejectReason::Unsupported);
    EXPECT_EQ(parse_sentence("$GPZDA,152505.00,09,12,2009,00,00*61").reason,
              RejectReason::Unsupported);
}

TEST(NmeaSentence, ProprietarySentences) {
    EXPECT_EQ(parse_sentence("$PGRME,5.5,M,7.0,M,8.9,M*28").reason, RejectReason::Proprietary);
    EXPECT_EQ(parse_sentence("$PSRF154,107*3D").reason, RejectReason::Proprietary);
}

TEST(NmeaSentence, MalformedAddress) {
    EXPECT_EQ(parse_sentence(sentence("GP,00,0.0,,M,,M,,")).reason, RejectReason::Malformed);
    EXPECT_EQ(parse_sentence(sentence("gprmc,1")).reason, RejectReason::Malformed);
}

TEST(NmeaSentence, TextWithoutDollarIsGarbage) {
    EXPECT_EQ(parse_sentence(",,,,,,,,,,,,,*1E").reason, RejectReason::Garbage);
    EXPECT_EQ(parse_sentence("").reason, RejectReason::Garbage);
}

TEST(NmeaSentence, LowerCaseHelperRoundTrips) {
    std::string text = sentence_lower_case("GPVTG,,T,,M,0.253,N,0.469,K,A");
    EXPECT_EQ(text, "$GPVTG,,T,,M,0.253,N,0.469,K,A*2c");
    EXPECT_TRUE(parse_sentence(text).sentence.has_value());
}

TEST(SplitLine, SeparatesGarbageAndSentences) {
    LinePieces pieces = split_line("r$GPGSA,A,1,,,,,,,,,,,,,,,*1E$GPRMC,235949.00,V*44");
    EXPECT_EQ(pieces.garbage, "r");
    ASSERT_EQ(pieces.sentences.size(), 2u);
    EXPECT_EQ(pieces.sentences[0], "$GPGSA,A,1,,,,,,,,,,,,,,,*1E");
    EXPECT_EQ(pieces.sentences[1], "$GPRMC,235949.00,V*44");
}

TEST(SplitLine, NulBytesBeforeDollarAreNotGarbage) {
    LinePieces pieces = split_line("\0\0 $PSRFTXT,TOW:  557894*17"sv);
    EXPECT_TRUE(pieces.garbage.empty());
    ASSERT_EQ(pieces.sentences.size(), 1u);
}

TEST(SplitLine, LineWithoutDollar) {
    LinePieces pieces = split_line(",20,10,090,41*70");
    EXPECT_EQ(pieces.garbage, ",20,10,090,41*70");
    EXPECT_TRUE(pieces.sentences.empty());
}

}  // namespace
}  // namespace drivelink::agent::gnss
