// Named spdlog loggers of the cloud components ("store", "ingest", "mqtt", ...).
#pragma once

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

namespace drivelink::cloud {

// Returns the logger called `name`, creating it on first use with a colour sink on standard
// error. Safe to call from any thread.
std::shared_ptr<spdlog::logger> component_logger(const std::string& name);

}  // namespace drivelink::cloud
