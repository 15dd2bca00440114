#include "agent/outbox/sqlite_util.h"

#include <fmt/format.h>

namespace drivelink::agent::sqlite {

Statement::Statement(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
        stmt_ = nullptr;
    }
}

Statement::~Statement() {
    sqlite3_finalize(stmt_);
}

void Statement::bind(int index, int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
}

void Statement::bind(int index, std::string_view text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

void Statement::bind_blob(int index, std::string_view bytes) {
    sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
}

int Statement::step() {
    return sqlite3_step(stmt_);
}

void Statement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

int64_t Statement::column_int(int index) const {
    return sqlite3_column_int64(stmt_, index);
}

std::string Statement::column_blob(int index) const {
    const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt_, index));
    const int size = sqlite3_column_bytes(stmt_, index);
    return data == nullptr ? std::string() : std::string(data, static_cast<std::size_t>(size));
}

Error error(sqlite3* db, std::string_view operation) {
    return Error{fmt::format("{} failed: {} (SQLite error {})",
                             operation,
                             sqlite3_errmsg(db),
                             sqlite3_extended_errcode(db))};
}

Transaction::Transaction(sqlite3* db) : db_(db) {
    begun_ = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK;
}

Transaction::~Transaction() {
    if (begun_ && !done_) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
}

Status Transaction::commit() {
    if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
        return error(db_, "commit");
    }
    done_ = true;
    return ok_status();
}

}  // namespace drivelink::agent::sqlite
