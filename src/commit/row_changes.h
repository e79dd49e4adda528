// Row-level changes (DESIGN.md §5): the rows of a snapshot that a filter
// matches are deleted, or replaced by updated copies, the way the table's
// write mode says. Copy-on-write rewrites each data file holding a matched
// row without those rows (files whose rows all survive are untouched; files
// whose rows all match are dropped whole); merge-on-read leaves data files
// as they are and writes a position delete file per changed data file.
// Rows already deleted by the snapshot's delete files stay deleted. The
// caller writes the rows that need new data files and commits the result.
// Thread-compatible.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "commit/append_input.h"
#include "datashard/expression.h"
#include "datashard/file_io.h"
#include "datashard/snapshot.h"
#include "datashard/table_metadata.h"
#include "scan/delete_index.h"

namespace datashard {

enum class RowChangeMode { kCopyOnWrite, kMergeOnRead };

/// The mode a table property (write.delete.mode, write.update.mode) names:
/// "copy-on-write" (the default when absent) or "merge-on-read";
/// InvalidArgument naming the property otherwise.
RowChangeMode RowChangeModeOf(const TableMetadata& metadata, const std::string& property);

struct RowChangeRequest {
  Expression filter;  // bound to the table's current schema
  RowChangeMode mode = RowChangeMode::kCopyOnWrite;
  bool update = false;
  /// For an update: the new value of each assigned column of a matched row,
  /// by index in the current schema (values already of the column's type).
  /// An update without assignments rewrites the matched rows as they are
  /// (compaction).
  std::vector<std::pair<size_t, Value>> assignments;
  /// The data files to consider (all when empty); others stay untouched.
  std::function<bool(const PlannedFile&)> select_file;
  /// Also find the delete files that only removed data files needed
  /// (RowChangeResult::obsolete_deletes). Needs a filter every data file
  /// passes (compaction), so that every data file a delete applies to is
  /// planned.
  bool find_obsolete_deletes = false;
};

struct RowChangeResult {
  std::vector<PlannedFile> removed;       // data files the change drops from the table
  std::vector<PlannedFile> touched;       // removed ones and those given position deletes
  std::vector<PlannedFile> delete_files;  // position delete files written, ADDED
  /// Live delete files of the snapshot that apply to removed data files
  /// only: the change applied them, and no data file left needs them.
  std::vector<PlannedFile> obsolete_deletes;
  int64_t matched_rows = 0;  // live rows the filter matched
  int64_t position_deletes = 0;
};

/// Applies `request` to `snapshot` of `base`. Rows that need new data files
/// (copy-on-write survivors, updated rows) go to `write_rows` as partition
/// groups of the current spec, file by file, with the data file they were
/// read from; every file this call writes
/// itself is added to `written` as soon as it exists, so that the caller
/// can remove them if anything fails.
RowChangeResult ApplyRowChanges(
    FileIO& io, const TableMetadata& base, const Snapshot& snapshot,
    const RowChangeRequest& request,
    const std::function<void(const PlannedFile& source, std::vector<PartitionGroup>)>& write_rows,
    std::vector<std::string>* written);

}  // namespace datashard
