// A dealer network around the simulated cars' routes, written in the cloud's dealer CSV format
// (see docs/services.md), so rescue cases of a simulated fleet rank dealers near the crashes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/plan.h"

namespace drivelink::sim {

struct SimDealer {
    std::string id;
    std::string name;
    std::string city;
    double latitude_deg = 0.0;
    double longitude_deg = 0.0;
    std::string opening_hours;
    int service_rating = 3;  // 1 to 5
    bool has_rescue_trucks = false;
    int service_bays = 0;
};

// Places three dealers per planned car, each 0.2 to 3 km from a random point of the car's placed
// route.
// The draws depend only on `seed` and the plans, so equal options give the same network.
std::vector<SimDealer> plan_dealers(uint64_t seed,
                                    const std::vector<Route>& routes,
                                    const std::vector<CarPlan>& plans);

// Returns the dealers as CSV with the header
// id,name,city,latitude_deg,longitude_deg,opening_hours,service_rating,rescue_trucks,service_bays
std::string dealers_csv(const std::vector<SimDealer>& dealers);

}  // namespace drivelink::sim
