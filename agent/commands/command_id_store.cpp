#include "agent/commands/command_id_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

#include "agent/signals/logger.h"

namespace drivelink::agent::commands {
namespace {

bool is_id_character(char c) {
    return c > ' ' && c < 0x7f;
}

std::string errno_text() {
    return std::system_category().message(errno);
}

Status write_all(int fd, std::string_view data, const std::filesystem::path& path) {
    while (!data.empty()) {
        const ssize_t written = ::write(fd, data.data(), data.size());
        if (written < 0 && errno == EINTR) {
            continue;
        }
        if (written < 0) {
            return Error{fmt::format("cannot write {}: {}", path.string(), errno_text())};
        }
        data.remove_prefix(static_cast<std::size_t>(written));
    }
    return ok_status();
}

int open_for_append(const std::filesystem::path& path) {
    return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
}

}  // namespace

Status validate_command_id(std::string_view command_id) {
    if (command_id.empty() || command_id.size() > kMaxCommandIdLength ||
        !std::all_of(command_id.begin(), command_id.end(), is_id_character)) {
        return Error{fmt::format(
            "command_id \"{}\" is invalid: expected 1 to {} printable ASCII characters without "
            "spaces",
            command_id,
            kMaxCommandIdLength)};
    }
    return ok_status();
}

RecentCommandIds::RecentCommandIds(std::size_t capacity)
    : capacity_(std::max<std::size_t>(capacity, 1)) {}

bool RecentCommandIds::contains(const std::string& command_id) const {
    return ids_.contains(command_id);
}

void RecentCommandIds::add(const std::string& command_id) {
    if (!ids_.insert(command_id).second) {
        return;
    }
    order_.push_back(command_id);
    if (order_.size() > capacity_) {
        ids_.erase(order_.front());
        order_.pop_front();
    }
}

MemoryCommandIdStore::MemoryCommandIdStore(std::size_t capacity) : recent_(capacity) {}

bool MemoryCommandIdStore::contains(const std::string& command_id) const {
    return recent_.contains(command_id);
}

Status MemoryCommandIdStore::add(const std::string& command_id) {
    recent_.add(command_id);
    return ok_status();
}

FileCommandIdStore::FileCommandIdStore(std::filesystem::path path, std::size_t capacity)
    : path_(std::move(path)), capacity_(std::max<std::size_t>(capacity, 1)), recent_(capacity_) {}

FileCommandIdStore::~FileCommandIdStore() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

Result<std::unique_ptr<FileCommandIdStore>> FileCommandIdStore::open(
    const std::filesystem::path& path, std::size_t capacity) {
    std::unique_ptr<FileCommandIdStore> store(new FileCommandIdStore(path, capacity));
    if (auto loaded = store->load(); !loaded) {
        return Error{loaded.error()};
    }
    if (auto rewritten = store->rewrite(); !rewritten) {
        return Error{rewritten.error()};
    }
    return store;
}

Status FileCommandIdStore::load() {
    std::ifstream input(path_, std::ios::binary);
    if (!input) {
        return ok_status();  // first start: no file yet
    }
    std::string line;
    std::size_t skipped = 0;
    while (std::getline(input, line)) {
        // getline sets eof when the last line had no newline: a write cut short.
        if (input.eof() || !validate_command_id(line).ok()) {
            skipped += line.empty() ? 0 : 1;
            continue;
        }
        recent_.add(line);
    }
    if (skipped > 0) {
        signals::component_logger("commands")
            ->warn("ignored {} damaged lines in command id file {}", skipped, path_.string());
    }
    return ok_status();
}

Status FileCommandIdStore::rewrite() {
    std::string content;
    for (const auto& id : recent_.oldest_first()) {
        content += id;
        content += '\n';
    }
    auto temporary = path_;
    temporary += ".tmp";
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return Error{fmt::format("cannot create {}: {}", temporary.string(), errno_text())};
    }
    auto written = write_all(fd, content, temporary);
    const bool synced = written.ok() && ::fsync(fd) == 0;
    ::close(fd);
    if (!written) {
        return written;
    }
    if (!synced || ::rename(temporary.c_str(), path_.c_str()) != 0) {
        return Error{fmt::format("cannot replace {}: {}", path_.string(), errno_text())};
    }
    if (fd_ >= 0) {
        ::close(fd_);
    }
    fd_ = open_for_append(path_);
    if (fd_ < 0) {
        return Error{fmt::format("cannot open {}: {}", path_.string(), errno_text())};
    }
    lines_in_file_ = recent_.oldest_first().size();
    return ok_status();
}

Status FileCommandIdStore::append(const std::string& line) {
    if (auto written = write_all(fd_, line, path_); !written) {
        return written;
    }
    if (::fdatasync(fd_) != 0) {
        return Error{fmt::format("cannot sync {}: {}", path_.string(), errno_text())};
    }
    ++lines_in_file_;
    return ok_status();
}

bool FileCommandIdStore::contains(const std::string& command_id) const {
    return recent_.contains(command_id);
}

Status FileCommandIdStore::add(const std::string& command_id) {
    if (auto valid = validate_command_id(command_id); !valid) {
        return valid;
    }
    if (recent_.contains(command_id)) {
        return ok_status();
    }
    recent_.add(command_id);
    if (auto appended = append(command_id + '\n'); !appended) {
        return appended;
    }
    if (lines_in_file_ >= 2 * capacity_) {
        return rewrite();
    }
    return ok_status();
}

}  // namespace drivelink::agent::commands
