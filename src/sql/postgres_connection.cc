#include "sql/postgres_connection.h"

#include <iterator>

#include "datashard/errors.h"

namespace datashard::sql {
namespace {

// Connection defaults a URL may override: a connect timeout, TCP keepalives
// and a TCP user timeout (a silent server fails the call), and a statement
// timeout (a call stuck on the server fails instead of blocking its holder).
constexpr const char* kDefaultKeywords[] = {
    "connect_timeout",  "keepalives",       "keepalives_idle", "keepalives_interval",
    "keepalives_count", "tcp_user_timeout", "options"};
constexpr const char* kDefaultValues[] = {
    "10", "1", "5", "2", "3", "10000", "-c statement_timeout=10000"};

}  // namespace

std::string TextArrayLiteral(const std::vector<std::string>& values) {
  std::string out = "{";
  for (const std::string& v : values) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char c : v) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::string RedactPassword(const std::string& url) {
  std::string out = url;
  const size_t scheme = out.find("://");
  const size_t at = out.find('@');
  if (scheme != std::string::npos && at != std::string::npos) {
    const size_t colon = out.find(':', scheme + 3);
    if (colon != std::string::npos && colon < at)
      out = out.substr(0, colon + 1) + "***" + out.substr(at);
  }
  for (size_t pos = out.find("password="); pos != std::string::npos;
       pos = out.find("password=", pos + 1)) {
    const size_t value = pos + 9;
    const size_t end = out.find_first_of("& ", value);
    out = out.substr(0, value) + "***" + (end == std::string::npos ? "" : out.substr(end));
  }
  return out;
}

int64_t PgResult::changed() const {
  const char* n = Pq().PQcmdTuples(r_);
  return n == nullptr || *n == '\0' ? 0 : std::stoll(n);
}

PgConnection::PgConnection(const std::string& conninfo, std::string role)
    : url_(RedactPassword(conninfo)), role_(std::move(role)) {
  // Defaults first, then the URL (expanded from dbname): the URL wins.
  std::vector<const char*> keywords(std::begin(kDefaultKeywords), std::end(kDefaultKeywords));
  std::vector<const char*> values(std::begin(kDefaultValues), std::end(kDefaultValues));
  keywords.push_back("dbname");
  values.push_back(conninfo.c_str());
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  conn_ = Pq().PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/1);
  if (Pq().PQstatus(conn_) != CONNECTION_OK) {
    const std::string msg = Pq().PQerrorMessage(conn_);
    Pq().PQfinish(conn_);
    conn_ = nullptr;
    throw Unavailable(role_ + " " + url_ + " cannot be reached: " + msg);
  }
  // IF NOT EXISTS notices are expected; keep them off stderr.
  Pq().PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
  try {
    PgResult r = Exec(
        "SELECT pg_backend_pid(), backend_start::text FROM pg_stat_activity"
        " WHERE pid = pg_backend_pid()",
        {}, "naming the session");
    backend_pid_ = static_cast<int>(r.integer(0, 0));
    backend_start_ = r.text(0, 1);
  } catch (...) {
    Pq().PQfinish(conn_);
    throw;
  }
}

PgConnection::~PgConnection() { Pq().PQfinish(conn_); }

bool PgConnection::healthy() const { return !lost_ && Pq().PQstatus(conn_) == CONNECTION_OK; }

void PgConnection::Fail(const std::string& what) {
  const std::string msg = Pq().PQerrorMessage(conn_);
  if (Pq().PQstatus(conn_) != CONNECTION_OK) {
    lost_ = true;
    throw Unavailable(role_ + " " + url_ + " lost during " + what + ": " + msg);
  }
  throw IOError(role_ + " " + url_ + " refused " + what + ": " + msg);
}

PGresult* PgConnection::Check(PGresult* r, const std::string& what) {
  if (r == nullptr) Fail(what);
  const ExecStatusType st = Pq().PQresultStatus(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    Pq().PQclear(r);
    Fail(what);
  }
  return r;
}

void PgConnection::Command(const char* sql, const std::string& what) {
  Pq().PQclear(Check(Pq().PQexec(conn_, sql), what));
}

PgResult PgConnection::Exec(const std::string& sql,
                            const std::vector<std::optional<std::string>>& params,
                            const std::string& what) {
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  PGresult* r = Pq().PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                  values.data(), nullptr, nullptr, 0);
  return PgResult(Check(r, what));
}

void PgConnection::Prepare(const char* name, const char* sql, int params) {
  Pq().PQclear(Check(Pq().PQprepare(conn_, name, sql, params, nullptr), name));
}

PgResult PgConnection::ExecPrepared(const char* name, const std::vector<std::string>& params) {
  std::vector<const char*> values;
  for (const std::string& p : params) values.push_back(p.c_str());
  PGresult* r = Pq().PQexecPrepared(conn_, name, static_cast<int>(values.size()), values.data(),
                                    nullptr, nullptr, 0);
  return PgResult(Check(r, name));
}

}  // namespace datashard::sql
