// A SQL catalog (DESIGN.md §4): tables registered by name (namespace.table)
// in a SQLite file or a PostgreSQL database, in PyIceberg's SqlCatalog
// layout, so writers on several machines can share tables on a shared
// folder and PyIceberg, Spark and Trino can find them through the same
// database (docs/scale-out.md). A table's files live in its folder (its
// location) as with the file catalog; the database holds the pointer to its
// current metadata file, swapped with compare-and-swap on every commit.
// Catalog is a cheap handle: copies share one database connection. Safe
// from many threads.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "datashard/file_io.h"
#include "datashard/partition_spec.h"
#include "datashard/schema.h"
#include "datashard/table.h"

namespace datashard {

struct CatalogOptions {
  /// The catalog name every row carries (PyIceberg's and Java's catalog
  /// name): several catalogs can share one database.
  std::string name = "datashard";
  /// Where table files are read and written; nullptr means DefaultFileIO().
  std::shared_ptr<FileIO> io;
};

class Catalog {
 public:
  /// Opens the catalog in `url`: sqlite:PATH (the file is created if
  /// missing) or postgresql://... (a libpq URL), creating the catalog tables
  /// if missing. InvalidArgument for another URL; Unavailable when the
  /// server cannot be reached; IOError when the file cannot be opened.
  static Catalog Open(const std::string& url, CatalogOptions options = {});

  /// The database URL (without password) and the catalog name.
  std::string url() const;
  const std::string& name() const;

  /// Creates table `identifier` (namespace.table; its namespace comes into
  /// being with it) with its files in folder `location`, publishing
  /// <location>/metadata/00000-<uuid>.metadata.json. Like CreateTable:
  /// exactly one of several concurrent creators creates it; the others, and
  /// a create of an existing table, get it when schema, spec and location
  /// match, and AlreadyExists naming the difference otherwise.
  /// AlreadyExists, too, for a folder holding a file-catalog table.
  /// InvalidArgument for a bad identifier, schema, spec or property, before
  /// anything is written.
  Table CreateTable(const std::string& identifier, const std::string& location,
                    const Schema& schema, const PartitionSpec& spec = PartitionSpec(),
                    const std::map<std::string, std::string>& properties = {});
  /// Opens table `identifier` at its current metadata. NotFound naming it
  /// when the catalog has no such table.
  Table LoadTable(const std::string& identifier);
  bool TableExists(const std::string& identifier);
  /// Identifiers (namespace.table) of the tables of `ns`, not below it,
  /// sorted. NotFound for a namespace that does not exist.
  std::vector<std::string> ListTables(const std::string& ns);
  /// Removes the table from the catalog; its folder and files stay (remove
  /// them yourself when no reader needs them). NotFound if absent. Open
  /// handles of it fail their next refresh or commit with NotFound.
  void DropTable(const std::string& identifier);
  /// Renames a table (its files stay where they are). NotFound for a
  /// missing table or target namespace; AlreadyExists when `to` is taken.
  void RenameTable(const std::string& from, const std::string& to);

  /// Creates an empty namespace (a.b for nested ones), with properties
  /// (without: PyIceberg's "exists" = "true"). AlreadyExists if it exists.
  void CreateNamespace(const std::string& ns,
                       const std::map<std::string, std::string>& properties = {});
  /// True while a table or a property names it or a namespace below it.
  bool NamespaceExists(const std::string& ns);
  /// Namespaces one level below `parent` ("" for the top level), sorted.
  std::vector<std::string> ListNamespaces(const std::string& parent = "");
  std::map<std::string, std::string> NamespaceProperties(const std::string& ns);
  /// NotFound if absent; InvalidArgument while tables or namespaces are in
  /// it or below it.
  void DropNamespace(const std::string& ns);
  /// Renames `from` and everything below it in one transaction. NotFound /
  /// AlreadyExists naming the namespace.
  void RenameNamespace(const std::string& from, const std::string& to);

 private:
  struct Impl;
  explicit Catalog(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace datashard
