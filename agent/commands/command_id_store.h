// Memory of the command ids the agent has handled, so a command the broker delivers twice
// (QoS 1 allows that, and the cloud may resend) is handled once.
//
// Only the most recent `capacity` ids are kept, so a redelivery is recognized as long as fewer
// than `capacity` newer commands arrived in between. FileCommandIdStore keeps the ids across
// agent restarts.
#pragma once

#include <cstddef>
#include <deque>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>

#include "protocol/result.h"

namespace drivelink::agent::commands {

inline constexpr std::size_t kDefaultRememberedIds = 1000;
inline constexpr std::size_t kMaxCommandIdLength = 128;

// Checks a command id: 1 to 128 printable ASCII characters without spaces. The error names
// the id.
Status validate_command_id(std::string_view command_id);

class CommandIdStore {
  public:
    virtual ~CommandIdStore() = default;

    virtual bool contains(const std::string& command_id) const = 0;
    // Remembers a handled id. Beyond the capacity, the oldest is forgotten.
    virtual Status add(const std::string& command_id) = 0;
};

// The most recent ids in insertion order, with a set for lookups.
class RecentCommandIds {
  public:
    explicit RecentCommandIds(std::size_t capacity);

    bool contains(const std::string& command_id) const;
    void add(const std::string& command_id);
    const std::deque<std::string>& oldest_first() const { return order_; }

  private:
    std::size_t capacity_;
    std::deque<std::string> order_;
    std::unordered_set<std::string> ids_;
};

// A store in memory only, for tests and the simulator's short-lived agents.
class MemoryCommandIdStore final : public CommandIdStore {
  public:
    explicit MemoryCommandIdStore(std::size_t capacity = kDefaultRememberedIds);

    bool contains(const std::string& command_id) const override;
    Status add(const std::string& command_id) override;

  private:
    RecentCommandIds recent_;
};

// Keeps the ids in a text file, one per line, oldest first. Each add appends a line and
// fdatasync()s it before returning, so an id survives power loss. The file is rewritten
// (temporary file, fsync, rename) at open and whenever it contains twice the capacity. A last
// line without its newline, cut short by power loss, is ignored.
class FileCommandIdStore final : public CommandIdStore {
  public:
    static Result<std::unique_ptr<FileCommandIdStore>> open(
        const std::filesystem::path& path, std::size_t capacity = kDefaultRememberedIds);
    ~FileCommandIdStore() override;
    FileCommandIdStore(const FileCommandIdStore&) = delete;
    FileCommandIdStore& operator=(const FileCommandIdStore&) = delete;

    bool contains(const std::string& command_id) const override;
    Status add(const std::string& command_id) override;

  private:
    FileCommandIdStore(std::filesystem::path path, std::size_t capacity);
    Status load();
    Status rewrite();
    Status append(const std::string& line);

    std::filesystem::path path_;
    std::size_t capacity_;
    RecentCommandIds recent_;
    int fd_ = -1;  // open for appending
    std::size_t lines_in_file_ = 0;
};

}  // namespace drivelink::agent::commands
