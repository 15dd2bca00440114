// The "gnss" spdlog logger shared by the receiver input, decoder and replay code.
#pragma once

#include <spdlog/logger.h>

#include <memory>

namespace drivelink::agent::gnss {

// Returns the "gnss" logger. It is registered on first use as a copy of spdlog's default
// logger, unless the program registered one under that name before.
std::shared_ptr<spdlog::logger> gnss_logger();

}  // namespace drivelink::agent::gnss
