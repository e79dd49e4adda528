// The datashard command-line tool. Parses arguments, runs one command and
// maps datashard errors to the exit codes of DESIGN.md §11.
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "datashard/errors.h"

namespace datashard::cli {
namespace {

int ExitCodeFor(const Error& e) {
  switch (e.code()) {
    case ErrorCode::kCommitConflict:
      return kExitCommitConflict;
    case ErrorCode::kLockNotAcquired:
      return kExitLockNotAcquired;
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kSchemaMismatch:
      return kExitUsage;
    default:
      return kExitFailure;
  }
}

}  // namespace
}  // namespace datashard::cli

int main(int argc, char** argv) {
  using namespace datashard::cli;
  CLI::App app{"datashard: ACID Iceberg tables on a plain filesystem, and a lock manager"};
  app.set_version_flag("--version", "datashard 0.1.0");
  app.require_subcommand(1);
  AddLockCommands(app);
  AddParquetCommands(app);
  AddTableCommands(app);
  AddAlterCommands(app);
  AddStressCommand(app);
  AddCatalogCommands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  } catch (const datashard::Error& e) {
    std::cerr << "datashard: " << datashard::ErrorCodeName(e.code()) << ": " << e.what() << "\n";
    return ExitCodeFor(e);
  } catch (const std::exception& e) {
    std::cerr << "datashard: " << e.what() << "\n";
    return kExitFailure;
  }
  return 0;
}
