// Access to the cloud's SQLite database for the simulator's end-to-end tests.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <string>

namespace drivelink::testing {

// A connection to the cloud's database. Its failures become test failures naming the SQL.
class Database {
  public:
    explicit Database(const std::filesystem::path& path, int flags = SQLITE_OPEN_READONLY) {
        if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
            ADD_FAILURE() << "cannot open " << path << ": " << sqlite3_errmsg(db_);
        }
        sqlite3_busy_timeout(db_, 10'000);
    }
    ~Database() { sqlite3_close(db_); }
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    // Runs `sql` and calls `on_row` with the statement for each row.
    template <typename Row>
    void query(const std::string& sql, const Row& on_row) {
        sqlite3_stmt* statement = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
            ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
            return;
        }
        int step = SQLITE_ROW;
        while ((step = sqlite3_step(statement)) == SQLITE_ROW) {
            on_row(statement);
        }
        if (step != SQLITE_DONE) {
            ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
        }
        sqlite3_finalize(statement);
    }

    void exec(const std::string& sql) {
        char* message = nullptr;
        if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
            ADD_FAILURE() << sql << ": " << (message ? message : "unknown error");
        }
        sqlite3_free(message);
    }

  private:
    sqlite3* db_ = nullptr;
};

// Returns the text of `column` in the current row, empty for NULL.
inline std::string text(sqlite3_stmt* statement, int column) {
    const auto* value = sqlite3_column_text(statement, column);
    return value ? reinterpret_cast<const char*>(value) : "";
}

}  // namespace drivelink::testing
