// Small RAII helpers over the SQLite C API for the agent's outbox.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <sqlite3.h>

#include "protocol/result.h"

namespace drivelink::agent::sqlite {

// A prepared statement, finalized on destruction.
class Statement {
  public:
    Statement(sqlite3* db, const char* sql);
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    bool ok() const { return stmt_ != nullptr; }
    void bind(int index, int64_t value);
    void bind(int index, std::string_view text);
    void bind_blob(int index, std::string_view bytes);
    // Returns SQLITE_ROW, SQLITE_DONE or an error code.
    int step();
    void reset();
    int64_t column_int(int index) const;
    std::string column_blob(int index) const;

  private:
    sqlite3_stmt* stmt_ = nullptr;
};

// Error naming the operation and SQLite's message for `db`.
Error error(sqlite3* db, std::string_view operation);

// BEGIN IMMEDIATE ... COMMIT; rolls back on destruction unless committed.
class Transaction {
  public:
    explicit Transaction(sqlite3* db);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    bool begun() const { return begun_; }
    Status commit();

  private:
    sqlite3* db_;
    bool begun_ = false;
    bool done_ = false;
};

}  // namespace drivelink::agent::sqlite
