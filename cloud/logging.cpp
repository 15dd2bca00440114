#include "cloud/logging.h"

#include <mutex>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace drivelink::cloud {

std::shared_ptr<spdlog::logger> component_logger(const std::string& name) {
    // spdlog's registry throws when two threads register the same name, so lookup and
    // creation happen under one lock.
    static std::mutex mutex;
    std::lock_guard lock(mutex);

    if (auto existing = spdlog::get(name)) {
        return existing;
    }
    return spdlog::stderr_color_mt(name);
}

}  // namespace drivelink::cloud
