// Named spdlog loggers for the head-unit components (signals, sampling, events, commands,
// config), one per component.
#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <string>

namespace drivelink::agent::signals {

// Returns the logger called `name`. It is registered on first use as a copy of spdlog's default
// logger, unless the program registered one under that name before.
std::shared_ptr<spdlog::logger> component_logger(const std::string& name);

}  // namespace drivelink::agent::signals
