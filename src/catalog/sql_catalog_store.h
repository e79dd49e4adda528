// SqlCatalogStore: the database of a SQL catalog, one implementation per
// backend (sqlite_catalog_store.cc, postgres_catalog_store.cc). It runs the
// statements sql_catalog.cc writes once for both (parameters ?1..?N, all
// text) and the one statement whose outcome matters most, the
// compare-and-swap of a table's metadata location, telling a swap that
// cannot have happened from one whose connection was lost after sending.
// Thread-safe: calls serialise on the store's connection.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace datashard {

/// The catalog tables exactly as PyIceberg's SqlCatalog creates them
/// (SQLAlchemy's DDL for its two models), so that PyIceberg, and Java's
/// JdbcCatalog with its V0 schema, can open the same database.
inline constexpr const char* kSqlCatalogTablesDdl =
    "CREATE TABLE IF NOT EXISTS iceberg_tables ("
    " catalog_name VARCHAR(255) NOT NULL, table_namespace VARCHAR(255) NOT NULL,"
    " table_name VARCHAR(255) NOT NULL, metadata_location VARCHAR(1000),"
    " previous_metadata_location VARCHAR(1000),"
    " PRIMARY KEY (catalog_name, table_namespace, table_name))";
inline constexpr const char* kSqlCatalogNamespacesDdl =
    "CREATE TABLE IF NOT EXISTS iceberg_namespace_properties ("
    " catalog_name VARCHAR(255) NOT NULL, namespace VARCHAR(255) NOT NULL,"
    " property_key VARCHAR(255) NOT NULL, property_value VARCHAR(1000) NOT NULL,"
    " PRIMARY KEY (catalog_name, namespace, property_key))";

class SqlCatalogStore {
 public:
  using Row = std::vector<std::optional<std::string>>;
  using Params = std::vector<std::string>;

  enum class SwapOutcome {
    kSwapped,     // the statement changed one row
    kNotSwapped,  // it changed none: the expected value was gone
    kLost,        // the connection was lost after sending it: call Settle, then look
    kUnknown,     // it failed in a way that leaves its effect unknown for good
  };

  virtual ~SqlCatalogStore() = default;

  /// The database for messages (sqlite:PATH, or the URL without password).
  virtual std::string url() const = 0;
  /// Creates the catalog tables if they are missing (PyIceberg's
  /// SqlCatalog layout); safe against concurrent creators.
  virtual void CreateSchema() = 0;
  /// A query's rows, every column as text (nullopt for NULL).
  virtual std::vector<Row> Query(const std::string& sql, const Params& params) = 0;
  /// Runs a statement; returns the rows it changed. AlreadyExists when it
  /// breaks a primary key.
  virtual int64_t Execute(const std::string& sql, const Params& params) = 0;
  /// Runs `work`, whose Query/Execute calls form one transaction: committed
  /// when `work` returns, rolled back when it throws.
  virtual void InTransaction(const std::function<void()>& work) = 0;
  /// Runs a single-row UPDATE (or INSERT) whose outcome must be known.
  /// Throws (nothing was changed) when it could not be sent or the database
  /// refused it.
  virtual SwapOutcome Swap(const std::string& sql, const Params& params) = 0;
  /// After kLost: reconnects and waits until the statement sent on the lost
  /// connection can no longer take effect, so that what Query reads next is
  /// final. Unavailable while the database cannot be reached.
  virtual void Settle() = 0;
};

/// The catalog database in the SQLite file `path` (created if missing).
std::unique_ptr<SqlCatalogStore> OpenSqliteCatalogStore(const std::string& path);
/// The catalog database a libpq URL names. Unavailable if unreachable.
std::unique_ptr<SqlCatalogStore> OpenPostgresCatalogStore(const std::string& url);

}  // namespace datashard
