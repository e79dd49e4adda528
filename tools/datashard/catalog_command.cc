// `datashard catalog list | drop | rename`: the tables and namespaces of a
// SQL catalog (tables are created with `create --catalog`, namespaces come
// into being with their tables). Parsing and printing only.
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "datashard/catalog.h"

namespace datashard::cli {
namespace {

struct CatalogArgs {
  std::string catalog;
  std::string name;
  std::string to;
  bool is_namespace = false;
  bool json = false;
};

void AddCatalogOption(CLI::App* command, CatalogArgs& a) {
  command->add_option("--catalog", a.catalog, "SQL catalog: sqlite:PATH or postgresql://...")
      ->type_name("URL")
      ->required();
}

void RunList(const CatalogArgs& a) {
  Catalog catalog = Catalog::Open(a.catalog);
  const std::vector<std::string> namespaces = catalog.ListNamespaces(a.name);
  const std::vector<std::string> tables =
      a.name.empty() ? std::vector<std::string>{} : catalog.ListTables(a.name);
  if (a.json) {
    std::cout << nlohmann::json{{"namespaces", namespaces}, {"tables", tables}}.dump() << "\n";
    return;
  }
  for (const std::string& ns : namespaces) std::cout << ns << "/\n";
  for (const std::string& t : tables) std::cout << t << "\n";
}

}  // namespace

void AddCatalogCommands(CLI::App& app) {
  auto a = std::make_shared<CatalogArgs>();
  CLI::App* group = app.add_subcommand(
      "catalog", "List, drop and rename the tables and namespaces of a SQL catalog");
  group->require_subcommand(1);

  CLI::App* list = group->add_subcommand(
      "list",
      "Print the namespaces one level below NAMESPACE (followed by '/'; the top level without "
      "it), then the tables in NAMESPACE");
  AddCatalogOption(list, *a);
  list->add_option("NAMESPACE", a->name, "A namespace (a or a.b); default: the top level");
  list->add_flag("--json", a->json, "One JSON object: namespaces, tables (namespace.table)");
  list->callback([a] { RunList(*a); });

  CLI::App* drop = group->add_subcommand(
      "drop",
      "Remove a table from the catalog (its files stay in its folder), or with --namespace an "
      "empty namespace");
  AddCatalogOption(drop, *a);
  drop->add_option("NAME", a->name, "namespace.table, or the namespace")->required();
  drop->add_flag("--namespace", a->is_namespace, "NAME is a namespace");
  drop->callback([a] {
    Catalog catalog = Catalog::Open(a->catalog);
    if (a->is_namespace) {
      catalog.DropNamespace(a->name);
    } else {
      catalog.DropTable(a->name);
    }
  });

  CLI::App* rename = group->add_subcommand(
      "rename",
      "Rename a table (its files stay where they are), or with --namespace a namespace and "
      "everything below it");
  AddCatalogOption(rename, *a);
  rename->add_option("FROM", a->name, "namespace.table, or the namespace")->required();
  rename->add_option("TO", a->to, "The new name")->required();
  rename->add_flag("--namespace", a->is_namespace, "FROM and TO are namespaces");
  rename->callback([a] {
    Catalog catalog = Catalog::Open(a->catalog);
    if (a->is_namespace) {
      catalog.RenameNamespace(a->name, a->to);
    } else {
      catalog.RenameTable(a->name, a->to);
    }
  });
}

}  // namespace datashard::cli
