// Command groups of the datashard CLI (DESIGN.md §11). Each group lives in
// its own file and adds its subcommands to the app; main() maps errors to
// exit codes, so commands just throw.
#pragma once

#include <CLI/CLI.hpp>

namespace datashard::cli {

/// Exit codes of the CLI contract.
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitCommitConflict = 3;
inline constexpr int kExitLockNotAcquired = 4;

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
