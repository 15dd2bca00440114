// Splitting lines of the cloud's CSV data files (dealers, maintenance schedules).
#pragma once

#include <string>
#include <vector>

namespace drivelink::cloud {

// Splits one CSV line on commas. Fields may be quoted with double quotes to contain commas;
// carriage returns are dropped.
std::vector<std::string> split_csv(const std::string& line);

}  // namespace drivelink::cloud
