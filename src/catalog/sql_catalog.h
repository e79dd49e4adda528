// The SQL catalog (DESIGN.md §4): namespaces and tables registered in a
// database in PyIceberg's SqlCatalog layout. A table's row holds the
// location of its current metadata file; a commit writes and syncs
// <table>/metadata/<NNNNN>-<uuid>.metadata.json, then swaps the row with
// UPDATE ... WHERE metadata_location = <the base's>, the compare-and-swap
// that replaces the file catalog's link(). Fencing tokens ride on it: they
// are recorded in the metadata, so the swap from the base whose tokens the
// commit checked is refused once a commit with a newer token published.
// Namespaces are dot-joined strings ("a.b"); a namespace exists while a
// table or a property row names it or a namespace below it. Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "catalog/sql_catalog_store.h"
#include "catalog/table_catalog.h"
#include "datashard/file_io.h"

namespace datashard {

/// `namespace.table`: the table name after the last dot.
struct TableIdentifier {
  std::string ns;
  std::string name;
  /// InvalidArgument naming `text` unless it is namespace.table with no
  /// empty part.
  static TableIdentifier Parse(const std::string& text);
  std::string ToString() const { return ns + "." + name; }
};

class SqlCatalog : public std::enable_shared_from_this<SqlCatalog> {
 public:
  /// Opens the catalog `name` in the database `url` (sqlite:PATH or
  /// postgresql://...), creating the catalog tables if missing.
  /// InvalidArgument for another URL; Unavailable when the server cannot be
  /// reached.
  static std::shared_ptr<SqlCatalog> Open(const std::string& url, const std::string& name);
  SqlCatalog(std::unique_ptr<SqlCatalogStore> store, std::string name);

  /// The database URL without password, and the catalog name.
  std::string url() const { return store_->url(); }
  const std::string& name() const { return name_; }
  /// "ns.table in catalog NAME at URL", for messages.
  std::string Describe(const TableIdentifier& id) const;

  bool NamespaceExists(const std::string& ns);
  /// AlreadyExists if it exists. Without properties, records PyIceberg's
  /// minimal "exists" = "true".
  void CreateNamespace(const std::string& ns, const std::map<std::string, std::string>& properties);
  /// The namespaces one level below `parent` ("" for the top level), sorted.
  std::vector<std::string> ListNamespaces(const std::string& parent);
  std::map<std::string, std::string> NamespaceProperties(const std::string& ns);
  /// NotFound if absent; InvalidArgument while a table is in it or below it.
  void DropNamespace(const std::string& ns);
  /// Renames `from` and every namespace below it, with their tables, in one
  /// transaction. NotFound / AlreadyExists naming the namespace.
  void RenameNamespace(const std::string& from, const std::string& to);

  /// The table's current metadata location, nullopt when not registered.
  std::optional<std::string> MetadataLocation(const TableIdentifier& id);
  /// Tables of namespace `ns` (not below it), sorted by name.
  std::vector<TableIdentifier> ListTables(const std::string& ns);
  /// Removes the table from the catalog; its files stay. NotFound if absent.
  void DropTable(const TableIdentifier& id);
  /// NotFound for a missing table or target namespace; AlreadyExists when
  /// `to` is taken.
  void RenameTable(const TableIdentifier& from, const TableIdentifier& to);

  /// The TableCatalog of table `id`, whose folder is `table_path`.
  /// `local_path` maps a metadata location as the row holds it (a path or a
  /// file: URI, as other writers record it) to a path `io` reads.
  std::shared_ptr<TableCatalog> ForTable(const TableIdentifier& id, std::shared_ptr<FileIO> io,
                                         const std::string& table_path,
                                         std::function<std::string(const std::string&)> local_path);

  SqlCatalogStore& store() { return *store_; }

 private:
  std::unique_ptr<SqlCatalogStore> store_;
  std::string name_;
};

}  // namespace datashard
