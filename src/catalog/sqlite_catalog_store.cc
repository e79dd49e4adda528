// The SQL catalog on SQLite: one database file, no server. Its connection is
// local, so a swap is never lost in transit: an I/O error during the
// UPDATE's commit leaves its durability unknown (kUnknown), any other
// failure left the row as it was.
#include <mutex>

#include "catalog/sql_catalog_store.h"
#include "datashard/errors.h"
#include "sql/sqlite_connection.h"

namespace datashard {
namespace {

class SqliteCatalogStore : public SqlCatalogStore {
 public:
  explicit SqliteCatalogStore(const std::string& path) : db_(path, "catalog database") {}

  std::string url() const override { return "sqlite:" + db_.path(); }

  void CreateSchema() override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    sql::SqliteConnection::Transaction tx(db_);
    db_.Exec(kSqlCatalogTablesDdl);
    db_.Exec(kSqlCatalogNamespacesDdl);
    tx.Commit();
  }

  std::vector<Row> Query(const std::string& sql, const Params& params) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    return db_.Query(sql, Bind(params));
  }

  int64_t Execute(const std::string& sql, const Params& params) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    return db_.Run(sql, Bind(params));
  }

  void InTransaction(const std::function<void()>& work) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    sql::SqliteConnection::Transaction tx(db_);
    work();
    tx.Commit();
  }

  SwapOutcome Swap(const std::string& sql, const Params& params) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    try {
      return db_.Run(sql, Bind(params)) == 1 ? SwapOutcome::kSwapped : SwapOutcome::kNotSwapped;
    } catch (const IOError&) {
      const int rc = sqlite3_errcode(db_.raw());
      if (rc == SQLITE_IOERR || rc == SQLITE_FULL) return SwapOutcome::kUnknown;
      throw;
    }
  }

  void Settle() override {}

 private:
  static std::vector<sql::SqliteParam> Bind(const Params& params) {
    return std::vector<sql::SqliteParam>(params.begin(), params.end());
  }

  std::recursive_mutex mu_;
  sql::SqliteConnection db_;
};

}  // namespace

std::unique_ptr<SqlCatalogStore> OpenSqliteCatalogStore(const std::string& path) {
  if (path.empty()) throw InvalidArgument("sqlite catalog URL needs a path: sqlite:PATH");
  return std::make_unique<SqliteCatalogStore>(path);
}

}  // namespace datashard
