// Schema of the SQLite store and its migrations, applied in code when a database is opened.
//
// PRAGMA user_version stores the schema version. Each migration upgrades the schema by one
// version inside one transaction. A migration that has been released is never edited: a
// schema change appends a new one.
#pragma once

#include <span>
#include <string_view>

#include "protocol/result.h"

namespace drivelink::cloud {

class SqliteDatabase;

// SQL of each migration: entry i upgrades version i to version i + 1.
std::span<const std::string_view> sqlite_migrations();

// The version a database has after all migrations.
int latest_schema_version();

// Applies the missing migrations. Fails without changes when the file has a newer version than
// this program supports.
Status migrate_schema(SqliteDatabase& db);

}  // namespace drivelink::cloud
