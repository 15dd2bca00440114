#include "agent/signals/logger.h"

#include <spdlog/spdlog.h>

namespace drivelink::agent::signals {

std::shared_ptr<spdlog::logger> component_logger(const std::string& name) {
    if (auto existing = spdlog::get(name)) {
        return existing;
    }
    auto logger = spdlog::default_logger()->clone(name);
    try {
        spdlog::register_logger(logger);
    } catch (const spdlog::spdlog_ex&) {
        // Another thread registered the name between get() and register_logger().
        return spdlog::get(name);
    }
    return logger;
}

}  // namespace drivelink::agent::signals
