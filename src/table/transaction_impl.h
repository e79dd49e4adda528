// Private state of a Transaction: its base metadata, the data files it wrote
// and the commit loop of DESIGN.md §4. Used by one thread at a time.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "commit/append_input.h"
#include "datashard/errors.h"
#include "datashard/transaction.h"
#include "metadata/manifest.h"
#include "table/table_state.h"

namespace datashard {

class Transaction::Impl {
 public:
  Impl(std::shared_ptr<TableState> state, TableMetadata base, int64_t base_version,
       TransactionOptions options);

  /// Writes the validated rows of `input` as data files of this transaction.
  void Append(AppendInput& input);
  bool Commit();
  /// Removes the files this transaction wrote; idempotent, never throws.
  void Abort() noexcept;

  std::shared_ptr<TableState> state;
  TableMetadata base;
  int64_t base_version = 0;
  TransactionOptions options;
  std::string commit_id;
  std::vector<DataFile> files;
  std::set<std::string> partitions;
  int64_t records = 0;
  std::vector<std::string> own_files;  // data files and the commit's manifest
  bool done = false;
  std::optional<Snapshot> committed;
  int retries = 0;

 private:
  static std::optional<int64_t> CurrentId(const TableMetadata& m);
  bool ResolveUnknown(const CommitStateUnknown& e, double seconds);
};

}  // namespace datashard
