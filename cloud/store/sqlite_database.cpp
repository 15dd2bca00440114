#include "cloud/store/sqlite_database.h"

#include <fmt/format.h>
#include <sqlite3.h>
#include <utility>

namespace drivelink::cloud {

std::string sqlite_error(sqlite3* db, int rc, std::string_view action) {
    // sqlite3_errmsg describes the latest failed call on this connection; the code alone is
    // used when the connection itself could not be made.
    const char* message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    return fmt::format("{} failed: {} (SQLite code {})", action, message, rc);
}

SqliteStatement::SqliteStatement(sqlite3* db, sqlite3_stmt* statement)
    : db_(db), statement_(statement) {}

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      statement_(std::exchange(other.statement_, nullptr)),
      bind_error_(std::move(other.bind_error_)) {}

SqliteStatement& SqliteStatement::operator=(SqliteStatement&& other) noexcept {
    if (this != &other) {
        sqlite3_finalize(statement_);
        db_ = std::exchange(other.db_, nullptr);
        statement_ = std::exchange(other.statement_, nullptr);
        bind_error_ = std::move(other.bind_error_);
    }
    return *this;
}

SqliteStatement::~SqliteStatement() {
    sqlite3_finalize(statement_);
}

void SqliteStatement::check_bind(int rc, int index) {
    if (rc != SQLITE_OK && !bind_error_) {
        bind_error_ = sqlite_error(db_, rc, fmt::format("binding parameter {}", index));
    }
}

void SqliteStatement::bind(int index, std::int64_t value) {
    check_bind(sqlite3_bind_int64(statement_, index, value), index);
}

void SqliteStatement::bind(int index, double value) {
    check_bind(sqlite3_bind_double(statement_, index, value), index);
}

void SqliteStatement::bind(int index, std::string_view text) {
    check_bind(sqlite3_bind_text64(
                   statement_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
               index);
}

void SqliteStatement::bind(int index, std::optional<double> value) {
    if (value) {
        bind(index, *value);
    } else {
        bind_null(index);
    }
}

void SqliteStatement::bind(int index, std::optional<std::int64_t> value) {
    if (value) {
        bind(index, *value);
    } else {
        bind_null(index);
    }
}

void SqliteStatement::bind_blob(int index, std::string_view bytes) {
    check_bind(sqlite3_bind_blob64(statement_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT),
               index);
}

void SqliteStatement::bind_null(int index) {
    check_bind(sqlite3_bind_null(statement_, index), index);
}

Result<bool> SqliteStatement::step() {
    if (bind_error_) {
        return Error{*std::exchange(bind_error_, std::nullopt)};
    }
    const int rc = sqlite3_step(statement_);
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    return Error{sqlite_error(db_, rc, fmt::format("statement '{}'", sqlite3_sql(statement_)))};
}

Status SqliteStatement::execute() {
    Result<bool> row = false;
    do {
        row = step();
    } while (row.ok() && row.value());
    reset();

    if (!row) {
        return Error{row.error()};
    }
    return ok_status();
}

void SqliteStatement::reset() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
}

Status SqliteStatement::for_each_row(const std::function<void(const SqliteStatement&)>& on_row) {
    while (true) {
        auto row = step();
        if (!row) {
            reset();
            return Error{row.error()};
        }
        if (!row.value()) {
            reset();
            return ok_status();
        }
        on_row(*this);
    }
}

std::int64_t SqliteStatement::column_int64(int column) const {
    return sqlite3_column_int64(statement_, column);
}

double SqliteStatement::column_double(int column) const {
    return sqlite3_column_double(statement_, column);
}

std::string SqliteStatement::column_text(int column) const {
    const auto* text = sqlite3_column_text(statement_, column);
    const int size = sqlite3_column_bytes(statement_, column);
    if (text == nullptr) {
        return {};
    }
    return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
}

std::string SqliteStatement::column_blob(int column) const {
    const void* bytes = sqlite3_column_blob(statement_, column);
    const int size = sqlite3_column_bytes(statement_, column);
    if (bytes == nullptr) {
        return {};
    }
    return std::string(static_cast<const char*>(bytes), static_cast<std::size_t>(size));
}

bool SqliteStatement::column_is_null(int column) const {
    return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}

std::optional<std::int64_t> SqliteStatement::column_optional_int64(int column) const {
    if (column_is_null(column)) {
        return std::nullopt;
    }
    return column_int64(column);
}

std::optional<double> SqliteStatement::column_optional_double(int column) const {
    if (column_is_null(column)) {
        return std::nullopt;
    }
    return column_double(column);
}

SqliteDatabase::SqliteDatabase(sqlite3* db, std::filesystem::path path)
    : db_(db), path_(std::move(path)) {}

SqliteDatabase::~SqliteDatabase() {
    sqlite3_close_v2(db_);
}

Result<std::unique_ptr<SqliteDatabase>> SqliteDatabase::open(const std::filesystem::path& path,
                                                             Mode mode) {
    const int flags =
        mode == Mode::ReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        std::string message =
            sqlite_error(db, rc, fmt::format("opening database '{}'", path.string()));
        sqlite3_close_v2(db);
        return Error{std::move(message)};
    }
    sqlite3_extended_result_codes(db, 1);
    return std::unique_ptr<SqliteDatabase>(new SqliteDatabase(db, path));
}

Status SqliteDatabase::exec(std::string_view sql) {
    const std::string statement(sql);
    const int rc = sqlite3_exec(db_, statement.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
        return Error{sqlite_error(db_, rc, fmt::format("'{}'", sql))};
    }
    return ok_status();
}

Result<SqliteStatement> SqliteDatabase::prepare(std::string_view sql) {
    sqlite3_stmt* statement = nullptr;
    const int rc =
        sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), 0, &statement, nullptr);
    if (rc != SQLITE_OK) {
        return Error{sqlite_error(db_, rc, fmt::format("preparing '{}'", sql))};
    }
    return SqliteStatement(db_, statement);
}

Result<std::int64_t> SqliteDatabase::query_int64(std::string_view sql) {
    auto statement = prepare(sql);
    if (!statement) {
        return Error{statement.error()};
    }
    auto row = statement.value().step();
    if (!row) {
        return Error{row.error()};
    }
    if (!row.value()) {
        return Error{fmt::format("'{}' returned no row", sql)};
    }
    return statement.value().column_int64(0);
}

Result<std::string> SqliteDatabase::query_text(std::string_view sql) {
    auto statement = prepare(sql);
    if (!statement) {
        return Error{statement.error()};
    }
    auto row = statement.value().step();
    if (!row) {
        return Error{row.error()};
    }
    if (!row.value()) {
        return Error{fmt::format("'{}' returned no row", sql)};
    }
    return statement.value().column_text(0);
}

std::int64_t SqliteDatabase::changes() const {
    return sqlite3_changes64(db_);
}

std::int64_t SqliteDatabase::last_insert_rowid() const {
    return sqlite3_last_insert_rowid(db_);
}

bool SqliteDatabase::in_transaction() const {
    return sqlite3_get_autocommit(db_) == 0;
}

void SqliteDatabase::set_busy_timeout(int timeout_ms) {
    sqlite3_busy_timeout(db_, timeout_ms);
}

}  // namespace drivelink::cloud
