// The dealer network: dealers with their position, rating and rescue equipment, and the queries
// that the rescue service runs on it.
//
// Positions sit in a Boost.Geometry R-tree on spherical coordinates, so a nearest query visits
// only the nodes near the position. Distances are great-circle (haversine) distances on a sphere of
// the mean Earth radius, 6371.0088 km, which is within 0.5 % of the ellipsoidal distance.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "protocol/result.h"

namespace drivelink::cloud::dealers {

struct GeoPosition {
    double latitude_deg = 0.0;
    double longitude_deg = 0.0;
};

struct Dealer {
    std::string id;
    std::string name;
    std::string city;
    GeoPosition position;
    std::string opening_hours;  // free text, for example "Mo-Fr 07:30-18:00; Sa 08:00-12:00"
    int service_rating = 3;     // 1 (poor) to 5 (excellent)
    bool has_rescue_trucks = false;
    int service_bays = 0;
};

struct RankedDealer {
    Dealer dealer;
    double distance_km = 0.0;
    double score_km = 0.0;  // distance weighted by rating, lower ranks first
};

struct RankingOptions {
    std::size_t max_dealers = 3;
    // Each rating step below 5 adds this share of the distance to the score.
    double rating_penalty_per_step = 0.15;
    std::size_t candidates = 20;  // nearest rescue-capable dealers considered before ranking
};

// Returns the great-circle distance between two positions.
double great_circle_distance_km(GeoPosition from, GeoPosition to);

// Returns distance_km * (1 + rating_penalty_per_step * (5 - rating)).
double rescue_score_km(double distance_km, int service_rating, const RankingOptions& options);

class DealerNetwork {
  public:
    explicit DealerNetwork(std::vector<Dealer> dealers);
    ~DealerNetwork();
    DealerNetwork(DealerNetwork&&) noexcept;
    DealerNetwork& operator=(DealerNetwork&&) noexcept;

    // Loads a CSV file with the header
    // id,name,city,latitude_deg,longitude_deg,opening_hours,service_rating,rescue_trucks,service_bays
    // where rescue_trucks is "yes" or "no". The error names the file, line and field.
    static Result<DealerNetwork> load_csv(const std::filesystem::path& path);

    // Returns up to `count` dealers nearest to `position`, nearest first.
    std::vector<RankedDealer> nearest(GeoPosition position, std::size_t count) const;

    // Returns up to options.max_dealers dealers with rescue trucks, ordered by rescue_score_km,
    // then by distance.
    std::vector<RankedDealer> rank_for_rescue(GeoPosition position,
                                              const RankingOptions& options = {}) const;

    const Dealer* find(const std::string& id) const;
    const std::vector<Dealer>& dealers() const { return dealers_; }

  private:
    struct Index;

    std::vector<RankedDealer> query(GeoPosition position,
                                    std::size_t count,
                                    bool rescue_only) const;

    std::vector<Dealer> dealers_;
    std::unique_ptr<Index> index_;
};

}  // namespace drivelink::cloud::dealers
