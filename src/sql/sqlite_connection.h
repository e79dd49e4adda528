// One SQLite database connection as datashard's clients of a database file
// use it (the lock backend, the SQL catalog): WAL, synchronous=FULL (a
// committed write survives power loss), a 10 s busy timeout so contention
// waits in SQLite's busy handler, and a cache of prepared statements.
// Failures are Unavailable when the database stayed busy or locked (retry
// later) and IOError otherwise, naming the file. Not thread-safe: owners
// serialise calls.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace datashard::sql {

/// A bound parameter: text or integer.
struct SqliteParam {
  SqliteParam(const std::string& s) : text(&s) {}  // NOLINT: implicit on purpose
  SqliteParam(int64_t v) : integer(v) {}           // NOLINT
  const std::string* text = nullptr;
  int64_t integer = 0;
};

class SqliteConnection {
 public:
  /// Opens (creating if missing) the database at `path`. `role` names it
  /// in messages ("lock database", "catalog database"). IOError if it
  /// cannot be opened.
  SqliteConnection(std::string path, std::string role);
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  sqlite3* raw() const { return db_; }
  const std::string& path() const { return path_; }

  /// Runs `sql` (no parameters, no rows wanted).
  void Exec(const char* sql);
  /// The cached statement for `sql` (parameters ?1..?N), reset and bound.
  sqlite3_stmt* Prepare(const std::string& sql, const std::vector<SqliteParam>& params);
  /// Runs a statement to completion, ignoring rows; returns rows changed.
  int64_t Run(const std::string& sql, const std::vector<SqliteParam>& params);
  /// Runs a query; every column as text (nullopt for NULL).
  std::vector<std::vector<std::optional<std::string>>> Query(
      const std::string& sql, const std::vector<SqliteParam>& params);
  /// Column `col` of the current row as text ("" for NULL).
  static std::string Text(sqlite3_stmt* stmt, int col);
  [[noreturn]] void Fail(const std::string& what, int rc);

  /// BEGIN IMMEDIATE ... COMMIT, rolled back if not committed.
  class Transaction {
   public:
    explicit Transaction(SqliteConnection& c) : c_(c) { c_.Exec("BEGIN IMMEDIATE"); }
    ~Transaction() {
      if (!done_) sqlite3_exec(c_.db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void Commit() {
      c_.Exec("COMMIT");
      done_ = true;
    }

   private:
    SqliteConnection& c_;
    bool done_ = false;
  };

 private:
  const std::string path_;
  const std::string role_;
  sqlite3* db_ = nullptr;
  std::map<std::string, std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)>> cache_;
};

}  // namespace datashard::sql
