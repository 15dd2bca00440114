#include "agent/gnss/nmea_decoder.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include <fmt/format.h>

#include "tests/gnss/nmea_test_support.h"

namespace drivelink::agent::gnss {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;
using testing::decode_all;
using testing::sentence;
using testing::utc;

constexpr double kDegreeTolerance = 1e-9;
constexpr double kKnotsToMps = 1852.0 / 3600.0;

std::string rmc(std::string_view time, std::string_view date = "230394") {
    return sentence(
        fmt::format("GPRMC,{},A,4807.038,N,01131.000,E,022.4,084.4,{},003.1,W,A", time, date));
}

std::string gga(std::string_view time, std::string_view talker = "GP") {
    return sentence(
        fmt::format("{}GGA,{},4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,", talker, time));
}

std::string joined(std::initializer_list<std::string> lines, std::string_view ending = "\r\n") {
    std::string text;
    for (const std::string& line : lines) {
        text += line;
        text += ending;
    }
    return text;
}

TEST(NmeaDecoder, MergesSentencesOfOneEpoch) {
    NmeaDecoder decoder;
    std::vector<Fix> fixes =
        decode_all(decoder,
                   joined({rmc("123519.00"),
                           sentence("GPVTG,084.4,T,,M,022.4,N,041.5,K,A"),
                           gga("123519.00"),
                           sentence("GPGSA,A,3,04,05,09,12,,,,,,,,,2.5,1.3,2.1")}));

    ASSERT_EQ(fixes.size(), 1u);
    const Fix& fix = fixes[0];
    EXPECT_EQ(fix.time, utc(1994, 3, 23, 12, 35, 19, 0));
    EXPECT_NEAR(fix.latitude_deg, 48.1173, kDegreeTolerance);
    EXPECT_NEAR(fix.longitude_deg, 11.0 + 31.0 / 60.0, kDegreeTolerance);
    EXPECT_EQ(fix.altitude_m, 545.4);
    ASSERT_TRUE(fix.speed_mps.has_value());
    EXPECT_NEAR(*fix.speed_mps, 22.4 * kKnotsToMps, 1e-9);
    EXPECT_EQ(fix.course_deg, 84.4);
    EXPECT_EQ(fix.mode, 3);
    EXPECT_EQ(fix.quality, 1);
    EXPECT_EQ(fix.satellites_used, 8);
    EXPECT_EQ(fix.hdop, 0.9);
    EXPECT_EQ(decoder.sentences_accepted(), 4u);
    EXPECT_EQ(decoder.counters().rejected_total(), 0u);
}

TEST(NmeaDecoder, EmitsFixWhenNextEpochStarts) {
    NmeaDecoder decoder;
    EXPECT_TRUE(decoder.push_line(rmc("120000")).empty());
    EXPECT_TRUE(decoder.push_line(gga("120000")).empty());

    std::vector<Fix> fixes = decoder.push_line(rmc("120001"));
    ASSERT_EQ(fixes.size(), 1u);
    EXPECT_EQ(fixes[0].time, utc(1994, 3, 23, 12, 0, 0, 0));

    std::optional<Fix> last = decoder.finish();
    ASSERT_TRUE(last.has_value());
    EXPECT_EQ(last->time, utc(1994, 3, 23, 12, 0, 1, 0));
    EXPECT_FALSE(decoder.finish().has_value());
    EXPECT_EQ(decoder.counters().fixes, 2u);
}

TEST(NmeaDecoder, RmcAloneIsTwoDimensional) {
    NmeaDecoder decoder;
    std::vector<Fix> fixes = decode_all(decoder, rmc("120000"));
    ASSERT_EQ(fixes.size(), 1u);
    EXPECT_EQ(fixes[0].mode, 2);
    EXPECT_FALSE(fixes[0].altitude_m.has_value());
    EXPECT_EQ(fixes[0].quality, 1);  // from mode indicator A
}

TEST(NmeaDecoder, GsaModeThreeRaisesMode) {
    NmeaDecoder decoder;
    std::vector<Fix> fixes = decode_all(
        decoder, joined({rmc("120000"), sentence("GPGSA,A,3,04,05,09,12,,,,,,,,,2.5,1.3,2.1")}));
    ASSERT_EQ(fixes.size(), 1u);
    EXPECT_EQ(fixes[0].mode, 3);
    EXPECT_EQ(fixes[0].hdop, 1.3);
}

TEST(NmeaDecoder, GsaModeTwoKeepsGgaAltitudeFix) {
    // A CH-4711 receiver reports GSA mode 2 next to GGA with altitude; gpsd reports 3D.
    NmeaDecoder decoder;
    std::vector<Fix> fixes = decode_all(
        decoder, joined({gga("120000"), sentence("GNGSA,A,2,19,27,,,,,,,,,,,02.1,01.8,00.9")}));
    EXPECT_EQ(decoder.counters().epochs_without_date, 1u);
    EXPECT_TRUE(fixes.empty());

    fixes = decode_all(
        decoder,
        joined(
            {rmc("120001"), gga("120001"), sentence("GNGSA,A,2,19,27,,,,,,,,,,,02.1,01.8,00.9")}));
    ASSERT_EQ(fixes.size(), 1u);
    EXPECT_EQ(fixes[0].mode, 3);
}

TEST(NmeaDecoder, SkipsCommentLines) {
    NmeaDecoder decoder;
    std::vector<Fix> fixes =
        decode_all(decoder, joined({"# Name: BT-451", rmc("120000"), "#", "# Stationary "}, "\n"));
    EXPECT_EQ(fixes.size(), 1u);
    EXPECT_EQ(decoder.counters().comment_lines, 3u);
    EXPECT_EQ(decoder.counters().rejected_total(), 0u);
}

TEST(NmeaDecoder, AcceptsAnyLineEnding) {
    std::string text = rmc("120000") + "\n" + rmc("120001") + "\r\n" + rmc("120002") + "\r" +
                       rmc("120003") + "\n\r\n" + rmc("120004");
    NmeaDecoder decoder;
    std::vector<Fix> fixes = decode_all(decoder, text);
    EXPECT_EQ(fixes.size(), 5u);
    EXPECT_EQ(decoder.counters().rejected_total(), 0u);
}

TEST(NmeaDecoder, AcceptsLinesWithoutEnding) {
    NmeaDecoder decoder;
    decoder.push_line(rmc("120000"));
    decoder.push_line(rmc("120001"));
    EXPECT_TRUE(decoder.finish().has_value());
    EXPECT_EQ(decoder.sentences_accepted(), 2u);
}

TEST(NmeaDecoder, IgnoresNulBytesBeforeDollar) {
    std::string text = "\0\0\0"s + rmc("120000") + "\r\n";
    NmeaDecoder decoder;
    EXPECT_EQ(decode_all(decoder, text).size(), 1u);
    EXPECT_EQ(decoder.rejected(RejectReason::Garbage), 0u);
}

TEST(NmeaDecoder, CountsJunkBeforeDollar) {
    NmeaDecoder decoder;
    std::vector<Fix> fixes = decode_all(decoder, "r" + rmc("120000") + "\n,20,10,090,41*70\n");
    EXPECT_EQ(fixes.size(), 1u);
    EXPECT_EQ(decoder.rejected(RejectReason::Garbage), 2u);
}

TEST(NmeaDecoder, TwoSentencesOnOneLine) {
    NmeaDecoder decoder;
    std::vector<Fix> fixes =
        decode_all(decoder, sentence("GPGSA,A,3,04,05,09,12,,,,,,,,,2.5,1.3,2.1") + rmc("120000"));
    ASSERT_EQ(fixes.size(), 1u);
    EXPECT_EQ(decoder.sentences_accepted(), 2u);
    EXPECT_EQ(fixes[0].mode, 3);
}

TEST(NmeaDecoder, SentenceCutByNextIsTruncated) {
    NmeaDecoder decoder;
    std::vector<Fix> fixes = decode_all(decoder, "$GPGSA,A,1,," + rmc("120000"));
    EXPECT_EQ(fixes.size(), 1u);
    EXPECT_EQ(decoder.rejected(RejectReason::Truncated), 1u);
}

TEST(NmeaDecoder, CountsChecksumFailures) {
    NmeaDecoder decoder;
    std::string good = rmc("120000");
    std::string bad = good;
    bad[bad.size() - 1] = bad[bad.size() - 1] == '0' ? '1' : '0';
    std::string missing = good.substr(0, good.size() - 3);
    std::vector<Fix> fixes = decode_all(decoder, joined({bad, missing}));
    EXPECT_TRUE(fixes.empty());
    EXPECT_EQ(decoder.rejected(RejectReason::BadChecksum), 1u);
    EXPECT_EQ(decoder.rejected(RejectReason::MissingChecksum), 1u);
}

TEST(NmeaDecoder, AcceptsLowerCaseChecksum) {
    NmeaDecoder decoder;
    std::vector<Fix> fixes =
        decode_all(decoder,
                   testing::sentence_lower_case(
                       "GPRMC,205206.00,A,4405.556,N,12118.398,W,000.0,000.0,090605,0.0,E"));
    EXPECT_EQ(fixes.size(), 1u);
}

TEST(NmeaDecoder, CountsProprietarySentences) {
    NmeaDecoder decoder;
    decode_all(
        decoder,
        joined(
            {"$PGRME,5.5,M,7.0,M,8.9,M*28", "$PGRMZ,1094,f*38", "$PSRF154,107*3D", rmc("120000")}));
    EXPECT_EQ(decoder.rejected(RejectReason::Proprietary), 3u);
    EXPECT_EQ(decoder.counters().fixes, 1u);
}

TEST(NmeaDecoder, StatusVWithStalePositionYieldsNothing) {
    // A CH-4711 receiver losing lock keeps sending its last position with status V.
    NmeaDecoder decoder;
    std::vector<Fix> fixes =
        decode_all(decoder,
                   joined({"$GPGGA,135659.997,5543.0324,N,03724.7207,E,0,,,165.6,M,14.6,M,,*7C",
                           "$GPRMC,135659.997,V,5543.0324,N,03724.7207,E,00.79,159.0,051209,,,N*72",
                           "$GPGSA,A,1,,,,,,,,,,,,,00.0,00.0,00.0*00",
                           "$GPGGA,135700.997,5543.0322,N,03724.7208,E,0,,,165.6,M,14.6,M,,*78"}));
    EXPECT_TRUE(fixes.empty());
    EXPECT_EQ(decoder.rejected(RejectReason::NoFix), 4u);
    EXPECT_EQ(decoder.counters().epochs_without_fix, 2u);
}

TEST(NmeaDecoder, ValidGgaOutweighsRmcStatusV) {
    NmeaDecoder decoder;
    std::vector<Fix> fixes =
        decode_all(decoder,
                   joined({rmc("115959"),
                           sentence("GPRMC,120000,V,4800.000,N,01100.000,E,1.0,,230394,,,N"),
                           gga("120000")}));
    ASSERT_EQ(fixes.size(), 2u);
    EXPECT_NEAR(fixes[1].latitude_deg, 48.1173, kDegreeTolerance);
    EXPECT_FALSE(fixes[1].speed_mps.has_value());
}

TEST(NmeaDecoder, EmptyDateUsesLatestRmcDate) {
    NmeaDecoder decoder;
    std::vector<Fix> fixes =
        decode_all(decoder, joined({rmc("120000", "230394"), rmc("120001", "")}));
    ASSERT_EQ(fixes.size(), 2u);
    EXPECT_EQ(fixes[1].time, utc(1994, 3, 23, 12, 0, 1, 0));
}

TEST(NmeaDecoder, DateFromRmcWithoutFixIsIgnored) {
    // After a cold start receivers send status V with made-up dates.
    NmeaDecoder decoder;
    std::vector<Fix> fixes = decode_all(
        decoder,
        joined({sentence("GPRMC,115959,V,0000.0000,N,00000.0000,E,,,161206,,,N"), gga("120000")}));
    EXPECT_TRUE(fixes.empty());
    EXPECT_EQ(decoder.counters().epochs_without_date, 1u);
}

TEST(NmeaDecoder, GgaBeforeAnyDateIsNotEmitted) {
    NmeaDecoder decoder;
    std::vector<Fix> fixes =
        decode_all(decoder, joined({gga("115959"), gga("120000"), rmc("120001"), gga("120002")}));
    ASSERT_EQ(fixes.size(), 2u);
    EXPECT_EQ(fixes[0].time, utc(1994, 3, 23, 12, 0, 1, 0));
    EXPECT_EQ(fixes[1].time, utc(1994, 3, 23, 12, 0, 2, 0));
    EXPECT_EQ(decoder.counters().epochs_without_date, 2u);
}

TEST(NmeaDecoder, GgaInSameEpochAsDatedRmc) {
    // GGA first, RMC with the date second: the epoch takes the RMC's date.
    NmeaDecoder decoder;
    std::vector<Fix> fixes = decode_all(decoder, joined({gga("120000"), rmc("120000")}));
    ASSERT_EQ(fixes.size(), 1u);
    EXPECT_EQ(fixes[0].time, utc(1994, 3, 23, 12, 0, 0, 0));
    EXPECT_EQ(decoder.counters().epochs_without_date, 0u);
}

TEST(NmeaDecoder, GgaAfterMidnightTakesNextDay) {
    NmeaDecoder decoder;
    std::vector<Fix> fixes =
        decode_all(decoder, joined({rmc("235959.50", "311299"), gga("000000.50")}));
    ASSERT_EQ(fixes.size(), 2u);
    EXPECT_EQ(fixes[1].time, utc(2000, 1, 1, 0, 0, 0, 500));
    EXPECT_EQ(decoder.counters().backward_time_steps, 0u);
}

TEST(NmeaDecoder, TimeGoingBackwards) {
    // Two logs joined: the second starts 52 minutes before the first ended.
    NmeaDecoder decoder;
    std::vector<Fix> fixes = decode_all(
        decoder,
        joined({rmc("152508.00", "091209"), gga("143306.00"), rmc("143306.50", "091209")}));
    ASSERT_EQ(fixes.size(), 3u);
    EXPECT_EQ(fixes[0].time, utc(2009, 12, 9, 15, 25, 8, 0));
    EXPECT_EQ(fixes[1].time, utc(2009, 12, 9, 14, 33, 6, 0));
    EXPECT_EQ(fixes[2].time, utc(2009, 12, 9, 14, 33, 6, 500));
    EXPECT_EQ(decoder.counters().backward_time_steps, 1u);
}

TEST(NmeaDecoder, DeadReckoningQualitySix) {
    // A SiRF III receiver in a tunnel: RMC mode indicator E, then GGA quality 6.
    NmeaDecoder decoder;
    std::vector<Fix> fixes = decode_all(
        decoder,
        joined({"$GPRMC,114830.000,A,4705.1148,N,00734.4418,E,48.25,174.55,030410,,,E*59",
                "$GPGGA,114831.000,4705.1014,N,00734.4437,E,6,00,50.0,507.2,M,48.0,M,,0000*6A",
                "$GPGSA,A,2,,,,,,,,,,,,,50.0,50.0,50.0*06"}));
    ASSERT_EQ(fixes.size(), 2u);
    EXPECT_EQ(fixes[0].quality, 6);  // from the RMC mode indicator
    EXPECT_EQ(fixes[0].mode, 2);
    EXPECT_EQ(fixes[1].time, utc(2010, 4, 3, 11, 48, 31, 0));
    EXPECT_EQ(fixes[1].quality, 6);  // from GGA
    EXPECT_EQ(fixes[1].satellites_used, 0);
    EXPECT_EQ(fixes[1].altitude_m, 507.2);
    EXPECT_EQ(fixes[1].mode, 3);
}

TEST(NmeaDecoder, ElevenAndThirteenFieldRmc) {
    NmeaDecoder decoder;
    std::vector<Fix> fixes = decode_all(
        decoder,
        joined({"$GPRMC,175736,A,5125.8714,N,00524.2350,E,3.1865,276.241,200610,,*2A",
                "$GNRMC,091232.000,A,4813.0535,N,00824.8697,E,0.00,0.00,101015,,,A,V*06"}));
    ASSERT_EQ(fixes.size(), 2u);
    EXPECT_EQ(fixes[0].time, utc(2010, 6, 20, 17, 57, 36, 0));
    EXPECT_FALSE(fixes[0].quality.has_value());  // no mode indicator, no GGA
    EXPECT_EQ(fixes[1].time, utc(2015, 10, 10, 9, 12, 32, 0));
    EXPECT_EQ(fixes[1].quality, 1);
}

TEST(NmeaDecoder, DecodesEveryGnssTalker) {
    for (std::string_view talker : {"GP", "GN", "GL", "GA", "GB", "BD"}) {
        NmeaDecoder decoder;
        std::string rmc_body =
            fmt::format("{}RMC,120000.00,A,4807.038,N,01131.000,E,022.4,084.4,230394,,,A", talker);
        std::vector<Fix> fixes =
            decode_all(decoder, joined({sentence(rmc_body), gga("120000.00", talker)}));
        ASSERT_EQ(fixes.size(), 1u) << talker;
        EXPECT_EQ(fixes[0].mode, 3) << talker;
        EXPECT_EQ(decoder.sentences_accepted(), 2u) << talker;
    }
}

TEST(NmeaDecoder, TalkersSwitchWithinEpoch) {
    // A CH-4711 receiver sends one epoch as GLGGA and GLRMC among GN epochs.
    NmeaDecoder decoder;
    std::vector<Fix> fixes = decode_all(
        decoder,
        joined({"$GNGGA,135653.997,5543.0328,N,03724.7198,E,1,06,01.8,165.6,M,14.6,M,,*71",
                "$GNRMC,135653.997,A,5543.0328,N,03724.7198,E,00.00,129.5,051209,,,A*7B",
                "$GLGGA,135654.997,5543.0328,N,03724.7197,E,1,04,02.3,165.6,M,14.6,M,,*71",
                "$GLRMC,135654.997,A,5543.0328,N,03724.7197,E,00.00,129.5,051209,,,A*71"}));
    ASSERT_EQ(fixes.size(), 2u);
    EXPECT_EQ(fixes[1].time, utc(2009, 12, 5, 13, 56, 54, 997));
    EXPECT_EQ(fixes[1].satellites_used, 4);
}

TEST(NmeaDecoder, SouthernAndWesternHemispheres) {
    NmeaDecoder decoder;
    std::vector<Fix> fixes =
        decode_all(decoder,
                   joined({sentence("GPRMC,010203,A,3351.500,S,15112.600,W,0.0,,010120,,,A"),
                           sentence("GPGGA,010204,2254.000,S,04312.000,W,1,07,1.1,10.0,M,-5.0,M,,"),
                           sentence("GPRMC,010205,A,5130.000,N,00007.500,W,0.0,,010120,,,A"),
                           sentence("GPRMC,010206,A,3352.000,S,15112.000,E,0.0,,010120,,,A")}));
    ASSERT_EQ(fixes.size(), 4u);
    EXPECT_NEAR(fixes[0].latitude_deg, -33.858333333, 1e-6);
    EXPECT_NEAR(fixes[0].longitude_deg, -151.21, 1e-6);
    EXPECT_NEAR(fixes[1].latitude_deg, -22.9, 1e-6);
    EXPECT_NEAR(fixes[1].longitude_deg, -43.2, 1e-6);
    EXPECT_GT(fixes[2].latitude_deg, 0.0);
    EXPECT_NEAR(fixes[2].longitude_deg, -0.125, 1e-6);
    EXPECT_LT(fixes[3].latitude_deg, 0.0);
    EXPECT_GT(fixes[3].longitude_deg, 0.0);
}

TEST(NmeaDecoder, LeadingVtgJoinsFirstEpoch) {
    NmeaDecoder decoder;
    std::vector<Fix> fixes = decode_all(
        decoder,
        joined({sentence("GPVTG,010.0,T,,M,001.0,N,001.9,K,A"), gga("120000"), rmc("120001")}));
    ASSERT_EQ(fixes.size(), 1u);
    EXPECT_EQ(decoder.counters().epochs_without_date, 1u);
}

TEST(NmeaDecoder, FinishWithoutInput) {
    NmeaDecoder decoder;
    EXPECT_FALSE(decoder.finish().has_value());
    EXPECT_EQ(decoder.counters().epochs_without_fix, 0u);
    EXPECT_TRUE(decoder.push_line("").empty());
    EXPECT_TRUE(decoder.push_line("\r\n\r\n").empty());
}

TEST(NmeaDecoder, SurvivesCorruptedInput) {
    // Real sentences with bytes overwritten, dropped and repeated at random: the decoder
    // must neither crash nor produce a fix with a time or position outside the inputs.
    const std::string clean = joined({rmc("120000.00"),
                                      sentence("GPVTG,084.4,T,,M,022.4,N,041.5,K,A"),
                                      gga("120000.00"),
                                      sentence("GPGSA,A,3,04,05,09,12,,,,,,,,,2.5,1.3,2.1")});
    std::mt19937 random(20240607);
    std::uniform_int_distribution<int> byte(0, 255);
    for (int round = 0; round < 2000; ++round) {
        std::string text = clean;
        for (int edit = 0; edit < 4; ++edit) {
            std::size_t at = static_cast<std::size_t>(random() % text.size());
            text[at] = static_cast<char>(byte(random));
        }
        NmeaDecoder decoder;
        for (const Fix& fix : decode_all(decoder, text)) {
            EXPECT_GE(fix.latitude_deg, -90.0);
            EXPECT_LE(fix.latitude_deg, 90.0);
            EXPECT_GE(fix.longitude_deg, -180.0);
            EXPECT_LE(fix.longitude_deg, 180.0);
        }
    }
}

}  // namespace
}  // namespace drivelink::agent::gnss
