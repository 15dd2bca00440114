// Thin RAII wrappers over the SQLite C API that turn return codes into Result values.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace drivelink::cloud {

// A prepared statement. Binding errors are kept and returned by the next step().
class SqliteStatement {
  public:
    SqliteStatement(sqlite3* db, sqlite3_stmt* statement);
    SqliteStatement(SqliteStatement&& other) noexcept;
    SqliteStatement& operator=(SqliteStatement&& other) noexcept;
    SqliteStatement(const SqliteStatement&) = delete;
    SqliteStatement& operator=(const SqliteStatement&) = delete;
    ~SqliteStatement();

    // Parameter indexes start at 1, as in sqlite3_bind_*.
    void bind(int index, std::int64_t value);
    void bind(int index, double value);
    void bind(int index, std::string_view text);
    void bind(int index, std::optional<double> value);
    void bind(int index, std::optional<std::int64_t> value);
    void bind_blob(int index, std::string_view bytes);
    void bind_null(int index);

    // Advances to the next row: true when a row is available, false when done.
    Result<bool> step();
    // Steps until done, then resets the statement for the next use.
    Status execute();
    // Resets the statement and clears its bindings.
    void reset();
    // Steps through every row and calls `on_row` for each; stops at the first error.
    Status for_each_row(const std::function<void(const SqliteStatement&)>& on_row);

    std::int64_t column_int64(int column) const;
    double column_double(int column) const;
    std::string column_text(int column) const;
    std::string column_blob(int column) const;
    bool column_is_null(int column) const;
    std::optional<std::int64_t> column_optional_int64(int column) const;
    std::optional<double> column_optional_double(int column) const;

  private:
    void check_bind(int rc, int index);

    sqlite3* db_ = nullptr;
    sqlite3_stmt* statement_ = nullptr;
    std::optional<std::string> bind_error_;
};

// An open database connection, closed on destruction.
class SqliteDatabase {
  public:
    enum class Mode { ReadWriteCreate, ReadOnly };

    static Result<std::unique_ptr<SqliteDatabase>> open(const std::filesystem::path& path,
                                                        Mode mode);
    ~SqliteDatabase();
    SqliteDatabase(const SqliteDatabase&) = delete;
    SqliteDatabase& operator=(const SqliteDatabase&) = delete;

    // Runs one or more statements that return no rows needed by the caller.
    Status exec(std::string_view sql);
    Result<SqliteStatement> prepare(std::string_view sql);
    // Runs a query that returns one integer, such as a PRAGMA.
    Result<std::int64_t> query_int64(std::string_view sql);
    Result<std::string> query_text(std::string_view sql);

    // Number of rows changed by the latest INSERT, UPDATE or DELETE.
    std::int64_t changes() const;
    // Rowid of the latest successful INSERT on this connection.
    std::int64_t last_insert_rowid() const;
    // False in autocommit mode, also after SQLite rolled back a failed transaction by itself.
    bool in_transaction() const;
    void set_busy_timeout(int timeout_ms);
    sqlite3* handle() const { return db_; }
    const std::filesystem::path& path() const { return path_; }

  private:
    SqliteDatabase(sqlite3* db, std::filesystem::path path);

    sqlite3* db_;
    std::filesystem::path path_;
};

// Formats "<action> failed: <SQLite message> (SQLite code N)".
std::string sqlite_error(sqlite3* db, int rc, std::string_view action);

}  // namespace drivelink::cloud
