#include "sql/sqlite_connection.h"

#include "datashard/errors.h"

namespace datashard::sql {

SqliteConnection::SqliteConnection(std::string path, std::string role)
    : path_(std::move(path)), role_(std::move(role)) {
  if (sqlite3_open_v2(path_.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw IOError("cannot open " + role_ + " '" + path_ + "': " + msg);
  }
  sqlite3_busy_timeout(db_, 10000);
  try {
    Exec("PRAGMA journal_mode=WAL");
    Exec("PRAGMA synchronous=FULL");
  } catch (...) {
    sqlite3_close(db_);
    throw;
  }
}

SqliteConnection::~SqliteConnection() {
  cache_.clear();
  sqlite3_close_v2(db_);
}

void SqliteConnection::Fail(const std::string& what, int rc) {
  const std::string msg = role_ + " '" + path_ + "': " + what + ": " + sqlite3_errmsg(db_);
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) throw Unavailable(msg);
  throw IOError(msg);
}

void SqliteConnection::Exec(const char* sql) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) Fail(sql, rc);
}

sqlite3_stmt* SqliteConnection::Prepare(const std::string& sql,
                                        const std::vector<SqliteParam>& params) {
  auto it = cache_.find(sql);
  sqlite3_stmt* stmt = nullptr;
  if (it == cache_.end()) {
    const int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr);
    if (rc != SQLITE_OK) Fail("prepare " + sql, rc);
    cache_.emplace(sql,
                   std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)>(stmt, sqlite3_finalize));
  } else {
    stmt = it->second.get();
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  }
  for (size_t i = 0; i < params.size(); ++i) {
    const int idx = static_cast<int>(i) + 1;
    if (params[i].text) {
      sqlite3_bind_text(stmt, idx, params[i].text->data(), static_cast<int>(params[i].text->size()),
                        SQLITE_TRANSIENT);
    } else {
      sqlite3_bind_int64(stmt, idx, params[i].integer);
    }
  }
  return stmt;
}

int64_t SqliteConnection::Run(const std::string& sql, const std::vector<SqliteParam>& params) {
  sqlite3_stmt* stmt = Prepare(sql, params);
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
  }
  if (rc != SQLITE_DONE) {
    sqlite3_reset(stmt);
    Fail(sql, rc);
  }
  sqlite3_reset(stmt);
  return sqlite3_changes64(db_);
}

std::vector<std::vector<std::optional<std::string>>> SqliteConnection::Query(
    const std::string& sql, const std::vector<SqliteParam>& params) {
  sqlite3_stmt* stmt = Prepare(sql, params);
  std::vector<std::vector<std::optional<std::string>>> rows;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    std::vector<std::optional<std::string>> row;
    for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
      if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(Text(stmt, c));
      }
    }
    rows.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) {
    sqlite3_reset(stmt);
    Fail(sql, rc);
  }
  sqlite3_reset(stmt);
  return rows;
}

std::string SqliteConnection::Text(sqlite3_stmt* stmt, int col) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, col));
  return std::string(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(stmt, col)));
}

}  // namespace datashard::sql
