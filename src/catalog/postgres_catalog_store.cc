// The SQL catalog on PostgreSQL: writers on many machines share one server.
// A swap whose connection is lost after sending may still commit on the
// server, in the session that sent it, until that session ends: Settle ends
// it (pg_terminate_backend on its pid and start time, which name it even
// after the pid is reused) and waits until it is gone, so that the row read
// afterwards is the final word on the swap.
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "catalog/sql_catalog_store.h"
#include "datashard/errors.h"
#include "sql/postgres_connection.h"

namespace datashard {
namespace {

// Serialises creators of the catalog tables (CREATE TABLE IF NOT EXISTS
// races on the type catalog).
constexpr const char* kCreateLock = "SELECT pg_advisory_xact_lock(1684108137)";
constexpr const char* kTablesPresent =
    "SELECT count(*) FROM pg_class WHERE pg_table_is_visible(oid) AND relkind = 'r' AND relname"
    " IN ('iceberg_tables', 'iceberg_namespace_properties')";
// How long Settle waits for the lost session to end.
constexpr std::chrono::seconds kSettleLimit{30};

// ?N placeholders as PostgreSQL's $N.
std::string Dollars(const std::string& sql) {
  std::string out = sql;
  for (char& c : out) {
    if (c == '?') c = '$';
  }
  return out;
}

std::vector<std::optional<std::string>> Values(const SqlCatalogStore::Params& params) {
  return std::vector<std::optional<std::string>>(params.begin(), params.end());
}

class PostgresCatalogStore : public SqlCatalogStore {
 public:
  explicit PostgresCatalogStore(std::string url)
      : conninfo_(std::move(url)), url_(sql::RedactPassword(conninfo_)) {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Connect();
  }

  std::string url() const override { return url_; }

  void CreateSchema() override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Connect();
    if (Present()) return;
    try {
      conn_->Command("BEGIN", "creating the catalog tables");
      conn_->Command(kCreateLock, "locking the catalog tables' creation");
      if (!Present()) {
        conn_->Command(kSqlCatalogTablesDdl, "creating the catalog tables");
        conn_->Command(kSqlCatalogNamespacesDdl, "creating the catalog tables");
      }
      conn_->Command("COMMIT", "creating the catalog tables");
    } catch (...) {
      conn_.reset();  // rolls the transaction back
      throw;
    }
  }

  std::vector<Row> Query(const std::string& sql, const Params& params) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    // A connection can break while idle (a network cut, a server restart)
    // and only tell so at its next call. A query changes nothing, so outside
    // a transaction it runs once more, on a new connection.
    const bool reused = conn_ != nullptr && conn_->healthy() && !in_transaction_;
    Connect();
    std::optional<sql::PgResult> result;
    try {
      result.emplace(conn_->Exec(Dollars(sql), Values(params), "a catalog query"));
    } catch (const Unavailable&) {
      if (!reused) throw;
      Connect();
      result.emplace(conn_->Exec(Dollars(sql), Values(params), "a catalog query"));
    }
    const sql::PgResult& r = *result;
    std::vector<Row> rows;
    const int columns = r.columns();
    for (int i = 0; i < r.rows(); ++i) {
      Row row;
      for (int c = 0; c < columns; ++c) {
        row.push_back(r.null(i, c) ? std::nullopt : std::optional<std::string>(r.text(i, c)));
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  int64_t Execute(const std::string& sql, const Params& params) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Connect();
    return conn_->Exec(Dollars(sql), Values(params), "a catalog update").changed();
  }

  void InTransaction(const std::function<void()>& work) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Connect();
    conn_->Command("BEGIN", "a catalog transaction");
    in_transaction_ = true;
    try {
      work();
      conn_->Command("COMMIT", "a catalog transaction");
      in_transaction_ = false;
    } catch (...) {
      in_transaction_ = false;
      conn_.reset();  // rolls back whatever the transaction did
      throw;
    }
  }

  SwapOutcome Swap(const std::string& sql, const Params& params) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Connect();
    const std::string text = Dollars(sql);
    std::vector<const char*> values;
    for (const std::string& p : params) values.push_back(p.c_str());
    PGresult* r =
        sql::Pq().PQexecParams(conn_->raw(), text.c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0);
    const ExecStatusType st = r ? sql::Pq().PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && sql::Pq().PQstatus(conn_->raw()) != CONNECTION_OK) {
      sql::Pq().PQclear(r);
      lost_pid_ = conn_->backend_pid();
      lost_start_ = conn_->backend_start();
      conn_.reset();
      return SwapOutcome::kLost;
    }
    // Anything else the server answered, so the statement's fate is known.
    sql::PgResult result(conn_->Check(r, "the swap of a metadata location"));
    return result.changed() == 1 ? SwapOutcome::kSwapped : SwapOutcome::kNotSwapped;
  }

  void Settle() override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Connect();
    if (lost_pid_ == 0) return;
    const Params session = {std::to_string(lost_pid_), lost_start_};
    const auto deadline = std::chrono::steady_clock::now() + kSettleLimit;
    for (;;) {
      const std::vector<Row> alive = Query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
          " WHERE pid = ?1 AND backend_start::text = ?2",
          session);
      if (alive.empty()) break;
      if (std::chrono::steady_clock::now() > deadline) {
        throw Unavailable("catalog server " + url_ + ": the session (pid " + session[0] +
                          ") that sent a lost swap is still alive after " +
                          std::to_string(kSettleLimit.count()) + " s");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    lost_pid_ = 0;
  }

 private:
  void Connect() {
    if (conn_ != nullptr && conn_->healthy()) return;
    conn_.reset();
    conn_ = std::make_unique<sql::PgConnection>(conninfo_, "catalog server");
  }

  bool Present() {
    return conn_->Exec(kTablesPresent, {}, "checking the catalog tables").integer(0, 0) == 2;
  }

  const std::string conninfo_;
  const std::string url_;
  std::recursive_mutex mu_;
  std::unique_ptr<sql::PgConnection> conn_;
  bool in_transaction_ = false;  // inside InTransaction: a query must not move connections
  int lost_pid_ = 0;             // the session of a lost swap, until Settle ended it
  std::string lost_start_;
};

}  // namespace

std::unique_ptr<SqlCatalogStore> OpenPostgresCatalogStore(const std::string& url) {
  return std::make_unique<PostgresCatalogStore>(url);
}

}  // namespace datashard
