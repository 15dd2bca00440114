#include "cloud/dealers/dealer_network.h"
#include "cloud/csv.h"

#include <fmt/format.h>
#include <algorithm>
#include <charconv>
#include <fstream>
#include <iterator>
#include <sstream>

#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>

namespace drivelink::cloud::dealers {
namespace {

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;

using Point = bg::model::point<double, 2, bg::cs::spherical_equatorial<bg::degree>>;
using Entry = std::pair<Point, std::size_t>;  // position and index into dealers_

constexpr double kEarthRadiusKm = 6371.0088;
constexpr std::size_t kCsvFields = 9;

Point to_point(GeoPosition position) {
    return Point(position.longitude_deg, position.latitude_deg);
}

template <typename T>
bool parse_number(const std::string& text, T& value) {
    const char* end = text.data() + text.size();
    auto [ptr, error] = std::from_chars(text.data(), end, value);
    return error == std::errc() && ptr == end;
}

Result<Dealer> parse_dealer(const std::vector<std::string>& fields) {
    if (fields.size() != kCsvFields) {
        return Error{fmt::format("expected {} fields, found {}", kCsvFields, fields.size())};
    }
    Dealer dealer{fields[0], fields[1], fields[2], {}, fields[5], 0, false, 0};
    if (dealer.id.empty() || dealer.name.empty()) {
        return Error{"id and name must not be empty"};
    }
    auto& position = dealer.position;
    if (!parse_number(fields[3], position.latitude_deg) ||
        !parse_number(fields[4], position.longitude_deg) || std::abs(position.latitude_deg) > 90 ||
        std::abs(position.longitude_deg) > 180) {
        return Error{fmt::format("invalid position '{}', '{}'", fields[3], fields[4])};
    }
    if (!parse_number(fields[6], dealer.service_rating) || dealer.service_rating < 1 ||
        dealer.service_rating > 5) {
        return Error{fmt::format("service_rating '{}' is not an integer from 1 to 5", fields[6])};
    }
    if (fields[7] != "yes" && fields[7] != "no") {
        return Error{fmt::format("rescue_trucks '{}' is not 'yes' or 'no'", fields[7])};
    }
    dealer.has_rescue_trucks = fields[7] == "yes";
    if (!parse_number(fields[8], dealer.service_bays) || dealer.service_bays < 0) {
        return Error{fmt::format("service_bays '{}' is not a non-negative integer", fields[8])};
    }
    return dealer;
}

}  // namespace

struct DealerNetwork::Index {
    bgi::rtree<Entry, bgi::rstar<16>> all;
    bgi::rtree<Entry, bgi::rstar<16>> rescue;
};

double great_circle_distance_km(GeoPosition from, GeoPosition to) {
    return bg::distance(
        to_point(from), to_point(to), bg::strategy::distance::haversine<double>(kEarthRadiusKm));
}

double rescue_score_km(double distance_km, int service_rating, const RankingOptions& options) {
    const int steps_below_best = 5 - std::clamp(service_rating, 1, 5);
    return distance_km * (1.0 + options.rating_penalty_per_step * steps_below_best);
}

DealerNetwork::DealerNetwork(std::vector<Dealer> dealers)
    : dealers_(std::move(dealers)), index_(std::make_unique<Index>()) {
    for (std::size_t i = 0; i < dealers_.size(); ++i) {
        const Entry entry{to_point(dealers_[i].position), i};
        index_->all.insert(entry);
        if (dealers_[i].has_rescue_trucks) {
            index_->rescue.insert(entry);
        }
    }
}

DealerNetwork::~DealerNetwork() = default;
DealerNetwork::DealerNetwork(DealerNetwork&&) noexcept = default;
DealerNetwork& DealerNetwork::operator=(DealerNetwork&&) noexcept = default;

Result<DealerNetwork> DealerNetwork::load_csv(const std::filesystem::path& path) {
    std::ifstream input(path);
    if (!input) {
        return Error{fmt::format("cannot open dealer file '{}'", path.string())};
    }
    std::string line;
    std::getline(input, line);  // header
    std::vector<Dealer> dealers;
    for (int line_number = 2; std::getline(input, line); ++line_number) {
        if (line.empty() || line.starts_with('#')) {
            continue;
        }
        auto dealer = parse_dealer(split_csv(line));
        if (!dealer) {
            return Error{fmt::format(
                "dealer file '{}' line {}: {}", path.string(), line_number, dealer.error())};
        }
        dealers.push_back(std::move(dealer).value());
    }
    return DealerNetwork(std::move(dealers));
}

std::vector<RankedDealer> DealerNetwork::query(GeoPosition position,
                                               std::size_t count,
                                               bool rescue_only) const {
    const auto& tree = rescue_only ? index_->rescue : index_->all;
    std::vector<Entry> found;
    tree.query(bgi::nearest(to_point(position), static_cast<unsigned>(count)),
               std::back_inserter(found));
    std::vector<RankedDealer> ranked;
    for (const Entry& entry : found) {
        const Dealer& dealer = dealers_[entry.second];
        const double distance_km = great_circle_distance_km(position, dealer.position);
        ranked.push_back(RankedDealer{dealer, distance_km, distance_km});
    }
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
        return a.distance_km < b.distance_km;
    });
    return ranked;
}

std::vector<RankedDealer> DealerNetwork::nearest(GeoPosition position, std::size_t count) const {
    return query(position, count, false);
}

std::vector<RankedDealer> DealerNetwork::rank_for_rescue(GeoPosition position,
                                                         const RankingOptions& options) const {
    auto ranked = query(position, std::max(options.candidates, options.max_dealers), true);
    for (auto& entry : ranked) {
        entry.score_km = rescue_score_km(entry.distance_km, entry.dealer.service_rating, options);
    }
    std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
        return a.score_km < b.score_km;
    });
    if (ranked.size() > options.max_dealers) {
        ranked.resize(options.max_dealers);
    }
    return ranked;
}

const Dealer* DealerNetwork::find(const std::string& id) const {
    auto found = std::find_if(
        dealers_.begin(), dealers_.end(), [&id](const Dealer& dealer) { return dealer.id == id; });
    return found == dealers_.end() ? nullptr : &*found;
}

}  // namespace drivelink::cloud::dealers
