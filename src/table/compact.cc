// Compaction as a transaction (Table::Compact): the rows of the files
// PlanCompaction picks are rewritten, packed per partition, and the commit
// replaces the old files with the new ones.
#include "maintenance/compact.h"

#include "commit/row_changes.h"
#include "datashard/errors.h"
#include "table/transaction_impl.h"

namespace datashard {

CompactReport Transaction::Impl::Compact(const CompactOptions& options) {
  CompactReport report;
  const Snapshot* snapshot = base.CurrentSnapshot();
  if (snapshot == nullptr) return report;
  const int64_t target = options.target_file_size_bytes > 0
                             ? options.target_file_size_bytes
                             : base.PropertyLong(table_properties::kTargetFileSizeBytes,
                                                 table_properties::kTargetFileSizeBytesDefault);
  if (target <= 0)
    throw InvalidArgument("compaction target file size of " + state->path() + " is " +
                          std::to_string(target) + " bytes; it must be positive");
  const CompactionPlan plan = PlanCompaction(state->io(), base, *snapshot, target);
  if (plan.files.empty()) return report;

  RowChangeRequest request;
  request.filter = Expression::True().Bind(base.CurrentSchema());
  request.mode = RowChangeMode::kCopyOnWrite;
  request.update = true;  // matched rows are written again, unchanged
  request.select_file = [&](const PlannedFile& f) {
    return plan.files.count(f.entry.data_file.file_path) > 0;
  };
  // Delete files applied to every file they apply to leave with them
  // (Iceberg's rewrite with delete-file removal).
  request.find_obsolete_deletes = true;
  CompactionPacker packer(plan.rows_per_file, base.DefaultSpec().ResultTypes(base.CurrentSchema()));
  RowChangeResult result;
  try {
    result = ApplyRowChanges(
        state->io(), base, *snapshot, request,
        [&](std::vector<PartitionGroup> groups) { WriteGroups(packer.Add(std::move(groups))); },
        &own_files);
    WriteGroups(packer.Finish());
  } catch (...) {
    Abort();
    throw;
  }
  changed_rows = true;
  compaction = true;
  log_mode = false;  // a snapshot, not a log record: the log keeps its tail
  for (const PlannedFile& f : result.obsolete_deletes) {
    removed_deletes.push_back(f.entry.data_file);
    ++report.delete_files_removed;
  }
  for (const PlannedFile& f : result.removed) {
    removed.push_back(f.entry.data_file);
    report.bytes_before += f.entry.data_file.file_size_in_bytes;
    report.deleted_rows += f.entry.data_file.record_count;
  }
  ConflictScope conflict_scope;
  conflict_scope.base_snapshot_id = base.current_snapshot_id;
  conflict_scope.base_sequence_number = base.last_sequence_number;
  conflict_scope.touched = std::move(result.touched);
  scope = std::move(conflict_scope);
  report.files_rewritten = static_cast<int64_t>(removed.size());
  report.files_written = static_cast<int64_t>(files.size());
  report.rows = records;
  report.deleted_rows -= records;
  for (const DataFile& f : files) report.bytes_after += f.file_size_in_bytes;
  Commit();
  report.snapshot_id = committed->snapshot_id;
  return report;
}

}  // namespace datashard
