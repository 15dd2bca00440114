// Conversion of a decoded GNSS fix into the wire protocol's Sample.
#pragma once

#include "agent/gnss/fix.h"
#include "drivelink/v1/drivelink.pb.h"

namespace drivelink::agent {

v1::Sample to_sample(const gnss::Fix& fix);

}  // namespace drivelink::agent
