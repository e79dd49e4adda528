// A plain libpq session that PostgreSQL lock tests drive statement by
// statement, beside the lock backend's own connection.
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstdint>
#include <string>
#include <vector>

namespace datashard::lock_test {

class Session {
 public:
  explicit Session(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) {
      ADD_FAILURE() << "cannot connect to " << url << ": " << PQerrorMessage(conn_);
    }
    PQsetNoticeProcessor(conn_, &Session::Collect, this);
  }
  ~Session() { PQfinish(conn_); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// Runs `sql`; the first column of the first row ("" if none).
  std::string Query(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    const ExecStatusType st = PQresultStatus(r);
    std::string out;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      ADD_FAILURE() << sql << ": " << PQerrorMessage(conn_);
    } else if (PQntuples(r) > 0) {
      out = PQgetvalue(r, 0, 0);
    }
    PQclear(r);
    return out;
  }
  int64_t Number(const std::string& sql) {
    const std::string v = Query(sql);
    return v.empty() ? -1 : std::stoll(v);
  }
  int pid() const { return PQbackendPID(conn_); }

  /// The payloads of the notifications received so far, oldest first.
  std::vector<std::string> Notifications() {
    PQconsumeInput(conn_);
    while (PGnotify* n = PQnotifies(conn_)) {
      payloads_.emplace_back(n->extra);
      PQfreemem(n);
    }
    return payloads_;
  }

  /// The server messages (notices, and logs if client_min_messages asks) so far.
  const std::vector<std::string>& messages() const { return messages_; }

 private:
  static void Collect(void* self, const char* message) {
    static_cast<Session*>(self)->messages_.emplace_back(message);
  }

  PGconn* conn_;
  std::vector<std::string> payloads_;
  std::vector<std::string> messages_;
};

}  // namespace datashard::lock_test
