#include "catalog/sql_catalog.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "catalog/metadata_file.h"
#include "datashard/errors.h"
#include "sql/postgres_connection.h"
#include "util/uuid.h"

namespace datashard {
namespace {

// The row of one table: parameters ?1 catalog, ?2 namespace, ?3 name.
constexpr const char* kTableRow =
    " WHERE catalog_name = ?1 AND table_namespace = ?2 AND table_name = ?3";

// Component rules shared by namespaces and table names: what PyIceberg and
// Java's JdbcCatalog can address, within the columns' VARCHAR(255).
void CheckName(const std::string& text, const std::string& what, const std::string& whole) {
  if (text.empty())
    throw InvalidArgument(what + " '" + whole +
                          "' has an empty part (namespace.table, "
                          "namespaces joined by dots)");
  if (whole.size() > 255)
    throw InvalidArgument(what + " '" + whole.substr(0, 40) + "...' is longer than 255 bytes");
}

void CheckNamespace(const std::string& ns) {
  if (ns.empty()) throw InvalidArgument("a namespace name is empty");
  size_t start = 0;
  for (;;) {
    const size_t dot = ns.find('.', start);
    CheckName(ns.substr(start, dot == std::string::npos ? std::string::npos : dot - start),
              "namespace", ns);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
}

// LIKE pattern for the namespaces below `ns` (PyIceberg's escaping).
std::string BelowPattern(const std::string& ns) {
  std::string out;
  for (char c : ns) {
    if (c == '!' || c == '_' || c == '%') out += '!';
    out += c;
  }
  return out + ".%";
}

std::string FileName(const std::string& path) { return path.substr(path.rfind('/') + 1); }

class SqlTableCatalog : public TableCatalog {
 public:
  SqlTableCatalog(std::shared_ptr<SqlCatalog> catalog, TableIdentifier id,
                  std::shared_ptr<FileIO> io, std::string table_path,
                  std::function<std::string(const std::string&)> local_path)
      : TableCatalog(std::move(io), std::move(table_path)),
        catalog_(std::move(catalog)),
        id_(std::move(id)),
        local_path_(std::move(local_path)) {}

  std::optional<MetadataPointer> FindCurrent(int64_t) const override {
    const std::optional<std::string> location = catalog_->MetadataLocation(id_);
    if (!location) return std::nullopt;
    return Pointer(*location);
  }

  std::string NoTableMessage() const override {
    return "no table " + catalog_->Describe(id_) + " (never created, dropped or renamed)";
  }

  std::string ReadMetadata(const MetadataPointer& pointer) const override {
    return ReadMetadataFile(io(), local_path_(pointer.location));
  }

  std::optional<MetadataPointer> PublishNext(const std::optional<MetadataPointer>& base,
                                             const std::string& text, const CommitProbe& probe,
                                             SyncGroup* sync) const override {
    const int64_t version = base ? base->version + 1 : 0;
    char sequence[24];
    std::snprintf(sequence, sizeof sequence, "%05lld", static_cast<long long>(version));
    const MetadataPointer next{version, metadata_dir() + "/" + sequence + "-" +
                                            Uuid::Random().ToString() + ".metadata.json"};
    // Written and durable before the swap makes it current.
    try {
      if (sync != nullptr) {
        io().WriteFile(next.location, text, *sync);
        sync->Sync();
      } else {
        io().WriteFile(next.location, text, /*sync=*/true);
        io().SyncDir(metadata_dir());
      }
    } catch (const Error&) {
      Forget(next);
      throw;
    }
    SqlCatalogStore& store = catalog_->store();
    SqlCatalogStore::SwapOutcome outcome;
    try {
      if (base) {
        outcome = store.Swap(
            "UPDATE iceberg_tables SET metadata_location = ?4, previous_metadata_location = ?5"
            " WHERE catalog_name = ?1 AND table_namespace = ?2 AND table_name = ?3"
            " AND metadata_location = ?5",
            {catalog_->name(), id_.ns, id_.name, next.location, base->location});
      } else {
        outcome = store.Swap(
            "INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name,"
            " metadata_location, previous_metadata_location) VALUES (?1, ?2, ?3, ?4, NULL)"
            " ON CONFLICT DO NOTHING",
            {catalog_->name(), id_.ns, id_.name, next.location});
      }
    } catch (const Error&) {
      Forget(next);  // refused or never sent: the row is as it was
      throw;
    }
    switch (outcome) {
      case SqlCatalogStore::SwapOutcome::kSwapped:
        return next;
      case SqlCatalogStore::SwapOutcome::kNotSwapped:
        Forget(next);
        return std::nullopt;
      case SqlCatalogStore::SwapOutcome::kUnknown:
        throw CommitStateUnknown("publishing " + next.location + " in " + catalog_->Describe(id_) +
                                 ": the catalog database failed while committing the swap; the "
                                 "version may or may not be current");
      case SqlCatalogStore::SwapOutcome::kLost:
        break;
    }
    return Resolve(next, probe);
  }

  void WriteHint(const MetadataPointer&) const noexcept override {}

 private:
  // The swap's connection was lost after sending it: once its session is
  // over, the row and the metadata it points at tell whether it happened.
  std::optional<MetadataPointer> Resolve(const MetadataPointer& next,
                                         const CommitProbe& probe) const {
    const std::string what = "publishing " + next.location + " in " + catalog_->Describe(id_) +
                             ": the connection was lost after sending the swap";
    std::optional<std::string> current;
    std::string current_text;
    try {
      catalog_->store().Settle();
      current = catalog_->MetadataLocation(id_);
      if (current && *current != next.location) current_text = ReadMetadata(Pointer(*current));
    } catch (const Error& e) {
      throw CommitStateUnknown(what + ", and looking again failed (" + e.what() +
                               "); the version may or may not be current");
    }
    if (current && *current == next.location) return next;
    if (current && probe && probe(current_text, next.location)) return next;
    Forget(next);  // the session that sent it is gone and it did not happen
    return std::nullopt;
  }

  MetadataPointer Pointer(const std::string& location) const {
    return MetadataPointer{MetadataFileVersion(FileName(location)).value_or(0), location};
  }

  // Removes a metadata file that was never published.
  void Forget(const MetadataPointer& p) const noexcept {
    try {
      io().Delete(p.location);
    } catch (...) {
      // An unreferenced metadata file is an orphan for gc.
    }
  }

  std::shared_ptr<SqlCatalog> catalog_;
  TableIdentifier id_;
  std::function<std::string(const std::string&)> local_path_;
};

}  // namespace

TableIdentifier TableIdentifier::Parse(const std::string& text) {
  const size_t dot = text.rfind('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == text.size())
    throw InvalidArgument("table identifier '" + text +
                          "' is not namespace.table (a catalog table needs a namespace)");
  TableIdentifier id{text.substr(0, dot), text.substr(dot + 1)};
  CheckNamespace(id.ns);
  CheckName(id.name, "table identifier", text);
  return id;
}

std::shared_ptr<SqlCatalog> SqlCatalog::Open(const std::string& url, const std::string& name) {
  if (name.empty() || name.size() > 255)
    throw InvalidArgument("a catalog name must have 1 to 255 bytes, not " +
                          std::to_string(name.size()));
  std::unique_ptr<SqlCatalogStore> store;
  if (url.rfind("sqlite:", 0) == 0) {
    store = OpenSqliteCatalogStore(url.substr(7));
  } else if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0) {
    store = OpenPostgresCatalogStore(url);
  } else {
    throw InvalidArgument("catalog URL '" + sql::RedactPassword(url) +
                          "' must start with sqlite: or postgresql://");
  }
  store->CreateSchema();
  return std::make_shared<SqlCatalog>(std::move(store), name);
}

SqlCatalog::SqlCatalog(std::unique_ptr<SqlCatalogStore> store, std::string name)
    : store_(std::move(store)), name_(std::move(name)) {}

std::string SqlCatalog::Describe(const TableIdentifier& id) const {
  return id.ToString() + " in catalog '" + name_ + "' at " + store_->url();
}

bool SqlCatalog::NamespaceExists(const std::string& ns) {
  CheckNamespace(ns);
  const SqlCatalogStore::Params params = {name_, ns, BelowPattern(ns)};
  return !store_
              ->Query(
                  "SELECT 1 FROM iceberg_tables WHERE catalog_name = ?1 AND (table_namespace"
                  " = ?2 OR table_namespace LIKE ?3 ESCAPE '!') LIMIT 1",
                  params)
              .empty() ||
         !store_
              ->Query(
                  "SELECT 1 FROM iceberg_namespace_properties WHERE catalog_name = ?1 AND"
                  " (namespace = ?2 OR namespace LIKE ?3 ESCAPE '!') LIMIT 1",
                  params)
              .empty();
}

void SqlCatalog::CreateNamespace(const std::string& ns,
                                 const std::map<std::string, std::string>& properties) {
  CheckNamespace(ns);
  std::map<std::string, std::string> rows = properties;
  if (rows.empty()) rows["exists"] = "true";
  store_->InTransaction([&] {
    if (NamespaceExists(ns))
      throw AlreadyExists("namespace '" + ns + "' already exists in catalog '" + name_ + "' at " +
                          store_->url());
    for (const auto& [key, value] : rows) {
      store_->Execute(
          "INSERT INTO iceberg_namespace_properties (catalog_name, namespace, property_key,"
          " property_value) VALUES (?1, ?2, ?3, ?4)",
          {name_, ns, key, value});
    }
  });
}

std::vector<std::string> SqlCatalog::ListNamespaces(const std::string& parent) {
  if (!parent.empty() && !NamespaceExists(parent))
    throw NotFound("no namespace '" + parent + "' in catalog '" + name_ + "' at " + store_->url());
  std::set<std::string> out;
  const std::string prefix = parent.empty() ? "" : parent + ".";
  for (const SqlCatalogStore::Row& row :
       store_->Query("SELECT table_namespace FROM iceberg_tables WHERE catalog_name = ?1 UNION"
                     " SELECT namespace FROM iceberg_namespace_properties WHERE catalog_name = ?1",
                     {name_})) {
    if (!row[0] || row[0]->compare(0, prefix.size(), prefix) != 0 || *row[0] == parent) continue;
    const size_t end = row[0]->find('.', prefix.size());
    out.insert(row[0]->substr(0, end));
  }
  return {out.begin(), out.end()};
}

std::map<std::string, std::string> SqlCatalog::NamespaceProperties(const std::string& ns) {
  if (!NamespaceExists(ns))
    throw NotFound("no namespace '" + ns + "' in catalog '" + name_ + "' at " + store_->url());
  std::map<std::string, std::string> out;
  for (const SqlCatalogStore::Row& row :
       store_->Query("SELECT property_key, property_value FROM iceberg_namespace_properties"
                     " WHERE catalog_name = ?1 AND namespace = ?2",
                     {name_, ns})) {
    out[row[0].value_or("")] = row[1].value_or("");
  }
  return out;
}

void SqlCatalog::DropNamespace(const std::string& ns) {
  store_->InTransaction([&] {
    if (!NamespaceExists(ns))
      throw NotFound("no namespace '" + ns + "' in catalog '" + name_ + "' at " + store_->url());
    const auto tables = store_->Query(
        "SELECT count(*) FROM iceberg_tables WHERE catalog_name = ?1 AND (table_namespace = ?2"
        " OR table_namespace LIKE ?3 ESCAPE '!')",
        {name_, ns, BelowPattern(ns)});
    const auto below = store_->Query(
        "SELECT count(*) FROM iceberg_namespace_properties WHERE catalog_name = ?1 AND"
        " namespace LIKE ?2 ESCAPE '!'",
        {name_, BelowPattern(ns)});
    if (tables[0][0].value_or("0") != "0" || below[0][0].value_or("0") != "0")
      throw InvalidArgument("namespace '" + ns + "' in catalog '" + name_ + "' at " +
                            store_->url() + " is not empty: it holds " +
                            tables[0][0].value_or("0") + " table(s) and " +
                            below[0][0].value_or("0") +
                            " namespace propert(ies) below it; drop or rename them first");
    store_->Execute(
        "DELETE FROM iceberg_namespace_properties WHERE catalog_name = ?1 AND namespace = ?2",
        {name_, ns});
  });
}

void SqlCatalog::RenameNamespace(const std::string& from, const std::string& to) {
  CheckNamespace(to);
  store_->InTransaction([&] {
    if (!NamespaceExists(from))
      throw NotFound("no namespace '" + from + "' in catalog '" + name_ + "' at " + store_->url());
    if (NamespaceExists(to))
      throw AlreadyExists("namespace '" + to + "' already exists in catalog '" + name_ + "' at " +
                          store_->url());
    const auto renamed = [&](const std::string& ns) { return to + ns.substr(from.size()); };
    const SqlCatalogStore::Params params = {name_, from, BelowPattern(from)};
    for (const auto& row : store_->Query(
             "SELECT table_namespace, table_name FROM iceberg_tables WHERE catalog_name = ?1"
             " AND (table_namespace = ?2 OR table_namespace LIKE ?3 ESCAPE '!')",
             params)) {
      store_->Execute("UPDATE iceberg_tables SET table_namespace = ?4" + std::string(kTableRow),
                      {name_, *row[0], *row[1], renamed(*row[0])});
    }
    for (const auto& row :
         store_->Query("SELECT DISTINCT namespace FROM iceberg_namespace_properties WHERE"
                       " catalog_name = ?1 AND (namespace = ?2 OR namespace LIKE ?3 ESCAPE '!')",
                       params)) {
      store_->Execute(
          "UPDATE iceberg_namespace_properties SET namespace = ?3 WHERE catalog_name = ?1 AND"
          " namespace = ?2",
          {name_, *row[0], renamed(*row[0])});
    }
  });
}

std::optional<std::string> SqlCatalog::MetadataLocation(const TableIdentifier& id) {
  const auto rows =
      store_->Query("SELECT metadata_location FROM iceberg_tables" + std::string(kTableRow),
                    {name_, id.ns, id.name});
  if (rows.empty() || !rows[0][0] || rows[0][0]->empty()) return std::nullopt;
  return rows[0][0];
}

std::vector<TableIdentifier> SqlCatalog::ListTables(const std::string& ns) {
  if (!NamespaceExists(ns))
    throw NotFound("no namespace '" + ns + "' in catalog '" + name_ + "' at " + store_->url());
  std::vector<TableIdentifier> out;
  for (const auto& row :
       store_->Query("SELECT table_name FROM iceberg_tables WHERE catalog_name = ?1 AND"
                     " table_namespace = ?2 ORDER BY table_name",
                     {name_, ns})) {
    out.push_back({ns, row[0].value_or("")});
  }
  return out;
}

void SqlCatalog::DropTable(const TableIdentifier& id) {
  if (store_->Execute("DELETE FROM iceberg_tables" + std::string(kTableRow),
                      {name_, id.ns, id.name}) == 0)
    throw NotFound("no table " + Describe(id));
}

void SqlCatalog::RenameTable(const TableIdentifier& from, const TableIdentifier& to) {
  store_->InTransaction([&] {
    if (!NamespaceExists(to.ns))
      throw NotFound("no namespace '" + to.ns + "' in catalog '" + name_ + "' at " + store_->url() +
                     " to rename " + from.ToString() + " into");
    if (!store_
             ->Query("SELECT 1 FROM iceberg_tables" + std::string(kTableRow),
                     {name_, to.ns, to.name})
             .empty())
      throw AlreadyExists("table " + Describe(to) + " already exists");
    if (store_->Execute("UPDATE iceberg_tables SET table_namespace = ?4, table_name = ?5" +
                            std::string(kTableRow),
                        {name_, from.ns, from.name, to.ns, to.name}) == 0)
      throw NotFound("no table " + Describe(from));
  });
}

std::shared_ptr<TableCatalog> SqlCatalog::ForTable(
    const TableIdentifier& id, std::shared_ptr<FileIO> io, const std::string& table_path,
    std::function<std::string(const std::string&)> local_path) {
  return std::make_shared<SqlTableCatalog>(shared_from_this(), id, std::move(io), table_path,
                                           std::move(local_path));
}

}  // namespace datashard
