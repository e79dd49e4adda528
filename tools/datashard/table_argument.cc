// TABLE of the table commands: a folder (file catalog), or with --catalog
// URL an identifier namespace.table in that SQL catalog (DESIGN.md §11).
#include "commands.h"
#include "datashard/catalog.h"
#include "datashard/errors.h"

namespace datashard::cli {

void AddTableArgument(CLI::App* command, TableArgument& arg, const std::string& help) {
  command->add_option("TABLE", arg.table, help + "; with --catalog: namespace.table")->required();
  command
      ->add_option("--catalog", arg.catalog,
                   "SQL catalog holding TABLE: sqlite:PATH or postgresql://... (PyIceberg's "
                   "SqlCatalog layout, catalog name 'datashard')")
      ->type_name("URL");
}

void AddLocationOption(CLI::App* command, TableArgument& arg) {
  command
      ->add_option("--location", arg.location,
                   "With --catalog: the folder that holds the table's files")
      ->type_name("PATH");
}

Table OpenTableArgument(const TableArgument& arg) {
  if (arg.catalog.empty()) return OpenTable(arg.table);
  return Catalog::Open(arg.catalog).LoadTable(arg.table);
}

Table CreateTableArgument(const TableArgument& arg, const Schema& schema, const PartitionSpec& spec,
                          const std::map<std::string, std::string>& properties) {
  if (arg.catalog.empty()) {
    if (!arg.location.empty())
      throw InvalidArgument("--location is for tables of a --catalog; without it TABLE (" +
                            arg.table + ") is the folder");
    return CreateTable(arg.table, schema, spec, properties);
  }
  if (arg.location.empty())
    throw InvalidArgument("creating " + arg.table +
                          " in a --catalog needs --location PATH, the folder for its files");
  return Catalog::Open(arg.catalog).CreateTable(arg.table, arg.location, schema, spec, properties);
}

std::map<std::string, std::string> ParsePropertyArguments(const std::vector<std::string>& given) {
  std::map<std::string, std::string> properties;
  for (const std::string& p : given) {
    const size_t eq = p.find('=');
    if (eq == std::string::npos || eq == 0)
      throw InvalidArgument("--property '" + p + "' is not KEY=VALUE");
    properties[p.substr(0, eq)] = p.substr(eq + 1);
  }
  return properties;
}

}  // namespace datashard::cli
