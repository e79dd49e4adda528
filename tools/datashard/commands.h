// Command groups of the datashard CLI (DESIGN.md §11). Each group lives in
// its own file and adds its subcommands to the app; main() maps errors to
// exit codes, so commands just throw.
#pragma once

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "datashard/lock_manager.h"

namespace datashard::cli {

/// Exit codes of the CLI contract.
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitCommitConflict = 3;
inline constexpr int kExitLockNotAcquired = 4;

/// The lock backend --backend URL names, else the default one (DESIGN.md
/// §11), creating the default SQLite database's folder.
std::unique_ptr<LockManager> OpenLockBackend(const std::string& given);
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
