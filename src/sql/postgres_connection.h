// One libpq connection with the defaults every datashard client of a
// PostgreSQL server uses (the lock backend, the SQL catalog): a connect
// timeout, TCP keepalives, a TCP user timeout and a statement timeout, so a
// lost server fails a call instead of blocking it forever (a URL setting
// its own wins). Failures are Unavailable when the connection is lost
// (retry later) and IOError when the server refused the statement; a lost
// connection stays unhealthy and is replaced by its owner. Not thread-safe:
// owners serialise calls.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sql/libpq.h"

namespace datashard::sql {

/// `url` with every password shown as "***": the `user:password@` of a URI
/// and any `password=...` parameter (URI query or keyword/value form).
std::string RedactPassword(const std::string& url);

/// The text form of a PostgreSQL text[] holding `values`, for a parameter:
/// every element quoted, so commas, braces, quotes, spaces and the word NULL
/// stay text.
std::string TextArrayLiteral(const std::vector<std::string>& values);

/// A statement's result; owns the PGresult.
class PgResult {
 public:
  explicit PgResult(PGresult* r) : r_(r) {}
  ~PgResult() {
    if (r_ != nullptr) Pq().PQclear(r_);
  }
  PgResult(PgResult&& other) noexcept : r_(other.r_) { other.r_ = nullptr; }
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  PgResult& operator=(PgResult&&) = delete;
  int rows() const { return Pq().PQntuples(r_); }
  int columns() const { return Pq().PQnfields(r_); }
  std::string text(int row, int col) const { return Pq().PQgetvalue(r_, row, col); }
  int64_t integer(int row, int col) const { return std::stoll(Pq().PQgetvalue(r_, row, col)); }
  bool null(int row, int col) const { return Pq().PQgetisnull(r_, row, col) != 0; }
  /// Rows an INSERT, UPDATE or DELETE changed.
  int64_t changed() const;

 private:
  PGresult* r_;
};

class PgConnection {
 public:
  /// Connects to `conninfo` (a libpq URI or key=value string). `role` names
  /// the server in messages ("lock server", "catalog server"). Unavailable
  /// if it cannot be reached.
  PgConnection(const std::string& conninfo, std::string role);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  /// False once the connection is lost: the owner then opens a new one.
  bool healthy() const;
  PGconn* raw() const { return conn_; }
  /// The URL for messages: without the password.
  const std::string& url() const { return url_; }
  /// The server process serving this connection and when it started: they
  /// name the session on the server (pg_stat_activity) after it is lost.
  int backend_pid() const { return backend_pid_; }
  const std::string& backend_start() const { return backend_start_; }

  /// Runs `sql` (one or several statements, no parameters).
  void Command(const char* sql, const std::string& what);
  /// Runs one statement with parameters $1..$N (NULL for nullopt).
  PgResult Exec(const std::string& sql, const std::vector<std::optional<std::string>>& params,
                const std::string& what);
  /// Prepares `sql` as statement `name`, and runs a prepared statement.
  void Prepare(const char* name, const char* sql, int params);
  PgResult ExecPrepared(const char* name, const std::vector<std::string>& params);

  /// Returns `r` if it reports success; else frees it and throws
  /// (Unavailable when the connection was lost, IOError otherwise).
  PGresult* Check(PGresult* r, const std::string& what);
  [[noreturn]] void Fail(const std::string& what);

 private:
  std::string url_;
  std::string role_;
  PGconn* conn_ = nullptr;
  bool lost_ = false;
  int backend_pid_ = 0;
  std::string backend_start_;
};

}  // namespace datashard::sql
