// Command groups of the datashard CLI (DESIGN.md §11). Each group lives in
// its own file and adds its subcommands to the app; main() maps errors to
// exit codes, so commands just throw.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "datashard/lock_manager.h"
#include "datashard/table.h"

namespace datashard::cli {

/// Exit codes of the CLI contract.
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitCommitConflict = 3;
inline constexpr int kExitLockNotAcquired = 4;

/// The lock backend --backend URL names, else the default one (DESIGN.md
/// §11), creating the default SQLite database's folder.
std::unique_ptr<LockManager> OpenLockBackend(const std::string& given);
/// TABLE and --catalog URL of a table command (DESIGN.md §11): a table
/// folder, or with --catalog an identifier namespace.table (table_argument.cc).
struct TableArgument {
  std::string table;
  std::string catalog;   // empty: the file catalog
  std::string location;  // create and stress with --catalog: the table folder
};
/// Adds TABLE (described by `help`, the catalog form appended) and
/// --catalog to `command`.
void AddTableArgument(CLI::App* command, TableArgument& arg, const std::string& help);
/// Adds --location (create, stress).
void AddLocationOption(CLI::App* command, TableArgument& arg);
/// Opens the table TABLE names.
Table OpenTableArgument(const TableArgument& arg);
/// Creates (or opens, when it exists alike) the table TABLE names;
/// InvalidArgument when --catalog is given without --location or the other
/// way round.
Table CreateTableArgument(const TableArgument& arg, const Schema& schema, const PartitionSpec& spec,
                          const std::map<std::string, std::string>& properties);
/// Table properties given as KEY=VALUE (create and stress --property);
/// InvalidArgument naming one without a key or '='.
std::map<std::string, std::string> ParsePropertyArguments(const std::vector<std::string>& given);
/// `datashard catalog ...` (catalog_command.cc).
void AddCatalogCommands(CLI::App& app);
/// `datashard lock ...` (lock_command.cc).
void AddLockCommands(CLI::App& app);
/// `datashard parquet ...` (parquet_command.cc).
void AddParquetCommands(CLI::App& app);
/// create, append, scan, count, history, stats (table_command.cc).
void AddTableCommands(CLI::App& app);
/// `datashard alter` and `datashard expire` (alter_command.cc).
void AddAlterCommands(CLI::App& app);
/// `datashard stress` (stress_command.cc).
void AddStressCommand(CLI::App& app);

}  // namespace datashard::cli
