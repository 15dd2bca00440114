// Typed, checked access to a toml++ table, collecting every error with the file, line and key,
// so one run of the agent reports all mistakes in its configuration file at once.
#pragma once

#include <toml++/toml.h>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace drivelink::agent::config {

// The errors found so far, each prefixed "file:line: " or "file: ".
class TomlErrors {
  public:
    explicit TomlErrors(std::string source) : source_(std::move(source)) {}

    void add(const toml::node* node, std::string_view message);
    bool empty() const { return messages_.empty(); }
    // All messages, one per line.
    std::string joined() const;

  private:
    std::string source_;
    std::vector<std::string> messages_;
};

enum class Presence {
    Optional,
    Required,
};

// Reads the keys of one table. A getter leaves its output unchanged when the key is absent
// and records an error when the value has the wrong type or cannot be represented. finish()
// reports every key no getter asked for, which catches misspelt keys.
class TableReader {
  public:
    // `table` may be null when the table is absent. `prefix` is its dotted name with a final dot,
    // empty for the root. Relative paths resolve against `base_directory`.
    TableReader(TomlErrors& errors,
                const toml::table* table,
                std::string prefix,
                std::filesystem::path base_directory);
    // Not copyable: a copy would track the keys read separately from the original.
    TableReader(const TableReader&) = delete;
    TableReader& operator=(const TableReader&) = delete;
    TableReader(TableReader&&) = default;

    bool present() const { return table_ != nullptr; }
    // "prefix.key", the name used in messages.
    std::string key_name(std::string_view key) const;
    const toml::node* node(std::string_view key) const;
    // Records "prefix.key = message", at the key's line when it is present.
    void error(std::string_view key, std::string_view message);
    // Records `message` as it is, at the key's line when it is present.
    void note(std::string_view key, std::string_view message);

    void read(std::string_view key, std::string& out, Presence presence = Presence::Optional);
    void read(std::string_view key,
              std::filesystem::path& out,
              Presence presence = Presence::Optional);
    void read(std::string_view key, bool& out);
    void read(std::string_view key, double& out);
    void read(std::string_view key, std::vector<std::string>& out);
    void read(std::string_view key, std::chrono::seconds& out);
    void read(std::string_view key, std::chrono::milliseconds& out);

    // Integers of any type, rejected when out of the type's range (a negative count).
    template <typename T>
    void read_integer(std::string_view key, T& out);

    // Returns a reader for a sub-table, with present() false when it is absent.
    TableReader table(std::string_view key);

    // Records an error for every key of the table that no getter asked for.
    void finish();

  private:
    const toml::node* take(std::string_view key, Presence presence);
    std::optional<int64_t> take_integer(std::string_view key);
    void wrong_type(std::string_view key, const toml::node& value, std::string_view expected);

    TomlErrors& errors_;
    const toml::table* table_;
    std::string prefix_;
    std::filesystem::path base_directory_;
    std::set<std::string, std::less<>> known_;
};

// Formats a TOML value as it appears in the file, for messages.
std::string to_toml_text(const toml::node& value);

template <typename T>
void TableReader::read_integer(std::string_view key, T& out) {
    const auto value = take_integer(key);
    if (!value) {
        return;
    }
    if (std::cmp_less(*value, std::numeric_limits<T>::min()) ||
        std::cmp_greater(*value, std::numeric_limits<T>::max())) {
        error(key,
              std::to_string(*value) + " is out of range: must be " +
                  std::to_string(std::numeric_limits<T>::min()) + " to " +
                  std::to_string(std::numeric_limits<T>::max()));
        return;
    }
    out = static_cast<T>(*value);
}

}  // namespace drivelink::agent::config
