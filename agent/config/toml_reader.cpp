#include "agent/config/toml_reader.h"

#include <fmt/format.h>

#include <sstream>
#include <utility>

namespace drivelink::agent::config {

std::string to_toml_text(const toml::node& value) {
    std::ostringstream text;
    // Without flags, strings come out "double-quoted" and escaped, as most files write them.
    text << toml::toml_formatter(value, toml::format_flags::none);
    return text.str();
}

void TomlErrors::add(const toml::node* node, std::string_view message) {
    if (node != nullptr && node->source().begin) {
        messages_.push_back(fmt::format("{}:{}: {}", source_, node->source().begin.line, message));
        return;
    }
    messages_.push_back(fmt::format("{}: {}", source_, message));
}

std::string TomlErrors::joined() const {
    std::string text;
    for (const auto& message : messages_) {
        if (!text.empty()) {
            text += '\n';
        }
        text += message;
    }
    return text;
}

TableReader::TableReader(TomlErrors& errors,
                         const toml::table* table,
                         std::string prefix,
                         std::filesystem::path base_directory)
    : errors_(errors),
      table_(table),
      prefix_(std::move(prefix)),
      base_directory_(std::move(base_directory)) {}

std::string TableReader::key_name(std::string_view key) const {
    return prefix_ + std::string(key);
}

const toml::node* TableReader::node(std::string_view key) const {
    return table_ == nullptr ? nullptr : table_->get(key);
}

void TableReader::error(std::string_view key, std::string_view message) {
    errors_.add(node(key), fmt::format("{} = {}", key_name(key), message));
}

void TableReader::note(std::string_view key, std::string_view message) {
    errors_.add(node(key), message);
}

const toml::node* TableReader::take(std::string_view key, Presence presence) {
    known_.emplace(key);
    const auto* value = node(key);
    if (value == nullptr && presence == Presence::Required) {
        errors_.add(nullptr, fmt::format("missing required key {}", key_name(key)));
    }
    return value;
}

void TableReader::wrong_type(std::string_view key,
                             const toml::node& value,
                             std::string_view expected) {
    errors_.add(&value,
                fmt::format("{} = {} has the wrong type: expected {}",
                            key_name(key),
                            to_toml_text(value),
                            expected));
}

void TableReader::read(std::string_view key, std::string& out, Presence presence) {
    const auto* value = take(key, presence);
    if (value == nullptr) {
        return;
    }
    if (!value->is_string()) {
        wrong_type(key, *value, "a string");
        return;
    }
    out = value->as_string()->get();
    if (out.empty() && presence == Presence::Required) {
        errors_.add(value, fmt::format("{} is empty", key_name(key)));
    }
}

void TableReader::read(std::string_view key, std::filesystem::path& out, Presence presence) {
    std::string text;
    read(key, text, presence);
    if (text.empty()) {
        return;
    }
    std::filesystem::path path(text);
    out = path.is_relative() ? base_directory_ / path : path;
}

void TableReader::read(std::string_view key, bool& out) {
    const auto* value = take(key, Presence::Optional);
    if (value == nullptr) {
        return;
    }
    if (!value->is_boolean()) {
        wrong_type(key, *value, "true or false");
        return;
    }
    out = value->as_boolean()->get();
}

void TableReader::read(std::string_view key, double& out) {
    const auto* value = take(key, Presence::Optional);
    if (value == nullptr) {
        return;
    }
    if (!value->is_number()) {
        wrong_type(key, *value, "a number");
        return;
    }
    out = value->value<double>().value_or(out);
}

void TableReader::read(std::string_view key, std::vector<std::string>& out) {
    const auto* value = take(key, Presence::Optional);
    if (value == nullptr) {
        return;
    }
    const auto* array = value->as_array();
    // toml++ calls an empty array not homogeneous, but [] is a valid empty list here.
    if (array == nullptr || (!array->empty() && !array->is_homogeneous(toml::node_type::string))) {
        wrong_type(key, *value, "an array of strings");
        return;
    }
    out.clear();
    for (const auto& element : *array) {
        out.push_back(element.as_string()->get());
    }
}

std::optional<int64_t> TableReader::take_integer(std::string_view key) {
    const auto* value = take(key, Presence::Optional);
    if (value == nullptr) {
        return std::nullopt;
    }
    if (!value->is_integer()) {
        wrong_type(key, *value, "an integer");
        return std::nullopt;
    }
    return value->as_integer()->get();
}

void TableReader::read(std::string_view key, std::chrono::seconds& out) {
    if (const auto value = take_integer(key)) {
        out = std::chrono::seconds(*value);
    }
}

void TableReader::read(std::string_view key, std::chrono::milliseconds& out) {
    if (const auto value = take_integer(key)) {
        out = std::chrono::milliseconds(*value);
    }
}

TableReader TableReader::table(std::string_view key) {
    const auto* value = take(key, Presence::Optional);
    const toml::table* sub_table = nullptr;
    if (value != nullptr) {
        sub_table = value->as_table();
        if (sub_table == nullptr) {
            wrong_type(key, *value, "a table");
        }
    }
    return TableReader(errors_, sub_table, key_name(key) + ".", base_directory_);
}

void TableReader::finish() {
    if (table_ == nullptr) {
        return;
    }
    for (const auto& [key, value] : *table_) {
        if (!known_.contains(key.str())) {
            errors_.add(&value, fmt::format("unknown key {}", key_name(key.str())));
        }
    }
}

}  // namespace drivelink::agent::config
