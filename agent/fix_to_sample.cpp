#include "agent/fix_to_sample.h"

namespace drivelink::agent {
namespace {

constexpr double kKphPerMps = 3.6;
// NOTE: an estimate. Horizontal accuracy is taken as HDOP times a user-equivalent range error
// of 5 m, a typical figure for single-frequency consumer receivers, because the receiver does
// not report it in RMC, GGA, VTG or GSA.
constexpr double kUserEquivalentRangeErrorM = 5.0;

v1::FixType fix_type(const gnss::Fix& fix) {
    if (fix.quality == 6) {
        return v1::FIX_TYPE_DEAD_RECKONING;
    }
    return fix.mode >= 3 ? v1::FIX_TYPE_THREE_D : v1::FIX_TYPE_TWO_D;
}

}  // namespace

v1::Sample to_sample(const gnss::Fix& fix) {
    v1::Sample sample;
    sample.set_time_ms(fix.time.time_since_epoch().count());
    if (fix.speed_mps) {
        sample.set_speed_kph(*fix.speed_mps * kKphPerMps);
    }
    auto* location = sample.mutable_location();
    location->set_latitude_deg(fix.latitude_deg);
    location->set_longitude_deg(fix.longitude_deg);
    location->set_fix_type(fix_type(fix));
    if (fix.altitude_m) {
        location->set_altitude_m(*fix.altitude_m);
    }
    if (fix.course_deg) {
        location->set_heading_deg(*fix.course_deg);
    }
    if (fix.satellites_used) {
        location->set_satellites_used(static_cast<uint32_t>(*fix.satellites_used));
    }
    if (fix.hdop) {
        location->set_hdop(*fix.hdop);
        location->set_horizontal_accuracy_m(*fix.hdop * kUserEquivalentRangeErrorM);
    }
    return sample;
}

}  // namespace drivelink::agent
