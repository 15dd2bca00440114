#include "agent/gnss/logger.h"

#include <spdlog/spdlog.h>

namespace drivelink::agent::gnss {
namespace {

std::shared_ptr<spdlog::logger> find_or_register() {
    if (auto existing = spdlog::get("gnss")) {
        return existing;
    }
    auto logger = spdlog::default_logger()->clone("gnss");
    try {
        spdlog::register_logger(logger);
    } catch (const spdlog::spdlog_ex&) {
        // Another thread registered "gnss" between get() and register_logger().
        return spdlog::get("gnss");
    }
    return logger;
}

}  // namespace

std::shared_ptr<spdlog::logger> gnss_logger() {
    static const std::shared_ptr<spdlog::logger> logger = find_or_register();
    return logger;
}

}  // namespace drivelink::agent::gnss
