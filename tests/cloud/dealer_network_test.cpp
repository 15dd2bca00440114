// Dealer network: CSV loading, great-circle distances, nearest queries and rescue ranking.
#include <gtest/gtest.h>

#include <fstream>

#include "cloud/dealers/dealer_network.h"
#include "tests/support/process.h"

namespace drivelink::cloud::dealers {
namespace {

using drivelink::testing::TempDir;

const std::filesystem::path kSampleNetwork =
    std::filesystem::path(DRIVELINK_SOURCE_DIR) / "data" / "dealers_sample.csv";

// Regensburg old town, where the repository's Regensburg drive passes.
constexpr GeoPosition kRegensburg{49.0134, 12.1016};

Dealer dealer(std::string id, GeoPosition at, int rating, bool trucks) {
    return Dealer{id, "Dealer " + id, "Town", at, "Mo-Fr 08:00-17:00", rating, trucks, 4};
}

TEST(GreatCircleDistance, OneDegreeOfLatitude) {
    const double distance_km = great_circle_distance_km({0.0, 0.0}, {1.0, 0.0});

    EXPECT_NEAR(distance_km, 111.195, 0.01);
}

TEST(GreatCircleDistance, RegensburgToZurich) {
    const double distance_km = great_circle_distance_km(kRegensburg, {47.3769, 8.5417});

    EXPECT_NEAR(distance_km, 320.5, 1.0);
}

TEST(RescueScore, PenalisesEachRatingStep) {
    const RankingOptions options;

    EXPECT_DOUBLE_EQ(rescue_score_km(10.0, 5, options), 10.0);
    EXPECT_DOUBLE_EQ(rescue_score_km(10.0, 3, options), 13.0);
    EXPECT_DOUBLE_EQ(rescue_score_km(10.0, 1, options), 16.0);
}

TEST(DealerNetwork, NearestOrdersByDistance) {
    DealerNetwork network({dealer("far", {49.2, 12.1}, 5, true),
                           dealer("near", {49.02, 12.1}, 1, false),
                           dealer("middle", {49.1, 12.1}, 3, true)});

    const auto nearest = network.nearest(kRegensburg, 2);

    ASSERT_EQ(nearest.size(), 2u);
    EXPECT_EQ(nearest[0].dealer.id, "near");
    EXPECT_EQ(nearest[1].dealer.id, "middle");
    EXPECT_LT(nearest[0].distance_km, nearest[1].distance_km);
}

TEST(DealerNetwork, RescueRankingSkipsDealersWithoutTrucks) {
    DealerNetwork network(
        {dealer("no-trucks", {49.014, 12.102}, 5, false), dealer("trucks", {49.1, 12.1}, 3, true)});

    const auto ranked = network.rank_for_rescue(kRegensburg);

    ASSERT_EQ(ranked.size(), 1u);
    EXPECT_EQ(ranked[0].dealer.id, "trucks");
}

TEST(DealerNetwork, RescueRankingPrefersBetterRating) {
    // About 10 km with rating 2 scores 14.5 km, about 12 km with rating 5 scores 12 km.
    DealerNetwork network(
        {dealer("poor", {49.1033, 12.1016}, 2, true), dealer("good", {49.1213, 12.1016}, 5, true)});

    const auto ranked = network.rank_for_rescue(kRegensburg);

    ASSERT_EQ(ranked.size(), 2u);
    EXPECT_EQ(ranked[0].dealer.id, "good");
    EXPECT_EQ(ranked[1].dealer.id, "poor");
    EXPECT_LT(ranked[1].distance_km, ranked[0].distance_km);
}

TEST(DealerNetwork, RescueRankingKeepsMaxDealers) {
    std::vector<Dealer> dealers;
    for (int i = 0; i < 6; ++i) {
        dealers.push_back(dealer(std::to_string(i), {49.0 + 0.01 * i, 12.1}, 4, true));
    }
    DealerNetwork network(std::move(dealers));

    const auto ranked = network.rank_for_rescue(kRegensburg, RankingOptions{.max_dealers = 4});

    EXPECT_EQ(ranked.size(), 4u);
}

TEST(DealerNetwork, SampleFileCoversBothRegions) {
    auto network = DealerNetwork::load_csv(kSampleNetwork);
    ASSERT_TRUE(network.ok()) << network.error();

    const auto regensburg = network->rank_for_rescue(kRegensburg);
    const auto switzerland = network->rank_for_rescue({47.3, 7.8});

    ASSERT_FALSE(regensburg.empty());
    EXPECT_EQ(regensburg[0].dealer.id, "de-rgb-01");
    EXPECT_LT(regensburg[0].distance_km, 5.0);
    ASSERT_FALSE(switzerland.empty());
    EXPECT_LT(switzerland[0].distance_km, 30.0);
    EXPECT_EQ(switzerland[0].dealer.city, "Olten");
}

TEST(DealerNetwork, LoadRejectsInvalidRating) {
    TempDir dir;
    const auto path = dir / "dealers.csv";
    std::ofstream(path) << "id,name,city,latitude_deg,longitude_deg,opening_hours,"
                           "service_rating,rescue_trucks,service_bays\n"
                           "d1,Dealer,Town,49.0,12.0,Mo-Fr,7,yes,3\n";

    auto network = DealerNetwork::load_csv(path);

    ASSERT_FALSE(network.ok());
    EXPECT_NE(network.error().find("line 2"), std::string::npos) << network.error();
    EXPECT_NE(network.error().find("service_rating '7'"), std::string::npos) << network.error();
}

TEST(DealerNetwork, LoadRejectsMissingFile) {
    auto network = DealerNetwork::load_csv("/nonexistent/dealers.csv");

    ASSERT_FALSE(network.ok());
    EXPECT_NE(network.error().find("/nonexistent/dealers.csv"), std::string::npos);
}

}  // namespace
}  // namespace drivelink::cloud::dealers
