#include "sim/dealers.h"

#include <fmt/format.h>
#include <array>

namespace drivelink::sim {
namespace {

// Keeps the dealer draws apart from those of the car plans, which use the same seed.
constexpr uint64_t kDealerSeedSalt = 0xD1B54A32D192ED03ULL;

// Enough that a crash has several rescue-capable dealers within a few km, so the rating decides
// the ranking now and then, not the distance alone.
constexpr std::size_t kDealersPerCar = 3;

constexpr std::array<const char*, 3> kOpeningHours{
    "Mo-Fr 07:30-18:00; Sa 08:00-12:00", "Mo-Fr 08:00-17:00", "Mo-Sa 07:00-19:00"};

}  // namespace

std::vector<SimDealer> plan_dealers(uint64_t seed,
                                    const std::vector<Route>& routes,
                                    const std::vector<CarPlan>& plans) {
    SeededRandom random(seed ^ kDealerSeedSalt);
    std::vector<SimDealer> dealers;
    dealers.reserve(kDealersPerCar * plans.size());
    for (std::size_t i = 0; i < kDealersPerCar * plans.size(); ++i) {
        const auto& plan = plans[i / kDealersPerCar];
        const auto& route = routes.at(plan.route);
        const auto fix = plan.placement.place(route, random.below(route.fixes.size()), {});
        const auto offset =
            make_placement(fix.latitude_deg, random.uniform(0.2, 3.0), random.uniform(0.0, 360.0));
        const auto number = dealers.size() + 1;
        SimDealer dealer{
            .id = fmt::format("sim-{:05d}", number),
            .name = fmt::format("Simulated Dealer {}", number),
            .city = route.name,
            .latitude_deg = fix.latitude_deg + offset.north_offset_deg,
            .longitude_deg = fix.longitude_deg + offset.east_offset_deg,
            .opening_hours = kOpeningHours[random.below(kOpeningHours.size())],
            .service_rating = 1 + static_cast<int>(random.below(5)),
            .has_rescue_trucks = random.chance(0.5),
            .service_bays = 2 + static_cast<int>(random.below(11)),
        };
        dealers.push_back(std::move(dealer));
    }
    return dealers;
}

std::string dealers_csv(const std::vector<SimDealer>& dealers) {
    std::string csv =
        "id,name,city,latitude_deg,longitude_deg,opening_hours,service_rating,rescue_trucks,"
        "service_bays\n";
    for (const auto& dealer : dealers) {
        csv += fmt::format("{},{},{},{:.6f},{:.6f},\"{}\",{},{},{}\n",
                           dealer.id,
                           dealer.name,
                           dealer.city,
                           dealer.latitude_deg,
                           dealer.longitude_deg,
                           dealer.opening_hours,
                           dealer.service_rating,
                           dealer.has_rescue_trucks ? "yes" : "no",
                           dealer.service_bays);
    }
    return csv;
}

}  // namespace drivelink::sim
