// Compaction as a transaction (Table::Compact): the rows of the files
// PlanCompaction picks are rewritten, packed per partition, and the commit
// replaces the old files with the new ones.
#include "maintenance/compact.h"

#include <algorithm>
#include <map>
#include <set>

#include "commit/data_file_writer.h"
#include "commit/position_delete_writer.h"
#include "commit/row_changes.h"
#include "datashard/errors.h"
#include "table/transaction_impl.h"

namespace datashard {

CompactReport Transaction::Impl::Compact(const CompactOptions& options) {
  CompactReport report;
  const Snapshot* snapshot = base->CurrentSnapshot();
  if (snapshot == nullptr) return report;
  const int64_t target = options.target_file_size_bytes > 0
                             ? options.target_file_size_bytes
                             : base->PropertyLong(table_properties::kTargetFileSizeBytes,
                                                  table_properties::kTargetFileSizeBytesDefault);
  if (target <= 0)
    throw InvalidArgument("compaction target file size of " + state->path() + " is " +
                          std::to_string(target) + " bytes; it must be positive");
  const CompactionPlan plan = PlanCompaction(state->io(), *base, *snapshot, target);
  if (plan.files.empty()) return report;

  RowChangeRequest request;
  request.filter = Expression::True().Bind(base->CurrentSchema());
  request.mode = RowChangeMode::kCopyOnWrite;
  request.update = true;  // matched rows are written again, unchanged
  request.select_file = [&](const PlannedFile& f) {
    return plan.files.count(f.entry.data_file.file_path) > 0;
  };
  // Delete files applied to every file they apply to leave with them
  // (Iceberg's rewrite with delete-file removal).
  request.find_obsolete_deletes = true;
  CompactionPacker packer(plan.rows_per_file,
                          base->DefaultSpec().ResultTypes(base->CurrentSchema()));
  // One new file per packed group; its runs of rows remember their input.
  const auto write = [&](std::vector<PackedGroup> packed) {
    for (PackedGroup& g : packed) {
      const size_t output = files.size();
      std::vector<PartitionGroup> one;
      one.push_back(std::move(g.rows));
      WriteGroups(std::move(one));
      int64_t first = 0;
      for (const auto& [source, rows] : g.sources) {
        compacted_from[source].push_back({output, first, rows});
        first += rows;
      }
    }
  };
  RowChangeResult result;
  try {
    result = ApplyRowChanges(
        state->io(), *base, *snapshot, request,
        [&](const PlannedFile& source, std::vector<PartitionGroup> groups) {
          write(packer.Add(source.entry.data_file.file_path, std::move(groups)));
        },
        &own_files);
    write(packer.Finish());
  } catch (...) {
    Abort();
    throw;
  }
  changed_rows = true;
  compaction = true;
  log_mode = false;  // a snapshot, not a log record: the log keeps its tail
  for (const PlannedFile& f : result.obsolete_deletes) removed_deletes.push_back(f.entry.data_file);
  for (const PlannedFile& f : result.removed) removed.push_back(f.entry.data_file);
  ConflictScope conflict_scope;
  conflict_scope.base_snapshot_id = base->current_snapshot_id;
  conflict_scope.base_sequence_number = base->last_sequence_number;
  conflict_scope.touched = std::move(result.touched);
  scope = std::move(conflict_scope);
  Commit();
  // What committed: inputs given back stay, their rows masked in the new files.
  report.snapshot_id = committed->snapshot_id;
  report.files_rewritten = static_cast<int64_t>(removed.size());
  report.files_given_back = given_back_files;
  report.files_written = static_cast<int64_t>(files.size());
  report.delete_files_removed = static_cast<int64_t>(removed_deletes.size());
  report.rows = records - position_deletes;
  int64_t rows_before = 0;
  for (const DataFile& f : removed) {
    report.bytes_before += f.file_size_in_bytes;
    rows_before += f.record_count;
  }
  report.deleted_rows = rows_before - report.rows;
  for (const DataFile& f : files) report.bytes_after += f.file_size_in_bytes;
  return report;
}

void Transaction::Impl::GiveBackChangedInputs(const TableMetadata& current, SnapshotInput& input) {
  const std::set<std::string> changed = ChangedSinceBase(state->io(), current, *scope);
  if (changed.empty()) return;
  const auto is_changed = [&](const std::string& path) { return changed.count(path) > 0; };
  std::erase_if(removed, [&](const DataFile& f) { return is_changed(f.file_path); });
  std::erase_if(scope->touched,
                [&](const PlannedFile& f) { return is_changed(f.entry.data_file.file_path); });
  if (removed.empty()) {
    throw CommitConflict("compaction of " + state->path() + ": commits since its base snapshot " +
                             SnapshotText(scope->base_snapshot_id) +
                             " changed every file it rewrote, e.g. " + *changed.begin(),
                         scope->base_snapshot_id, current.current_snapshot_id,
                         current.current_snapshot_id, retries);
  }
  given_back_files += static_cast<int64_t>(changed.size());
  std::map<size_t, std::vector<int64_t>> masked;  // new file -> row positions
  for (const std::string& path : changed) {
    const auto it = compacted_from.find(path);
    if (it == compacted_from.end()) continue;  // none of its rows were live
    for (const CompactedRows& run : it->second) {
      std::vector<int64_t>& positions = masked[run.output];
      for (int64_t p = run.first; p < run.first + run.rows; ++p) positions.push_back(p);
    }
    compacted_from.erase(it);
  }
  FileIO& io = state->io();
  std::vector<ManifestEntry> entries;
  for (auto& [output, positions] : masked) {
    std::sort(positions.begin(), positions.end());
    PlannedFile planned;
    planned.entry.status = EntryStatus::kAdded;
    planned.entry.data_file = WritePositionDeleteFile(io, *base, files[output], positions);
    planned.spec_id = base->default_spec_id;
    const DataFile& d = planned.entry.data_file;
    own_files.push_back(d.file_path);
    position_deletes += d.record_count;
    input.added_delete_files += 1;
    input.added_position_deletes += d.record_count;
    input.added_delete_size += d.file_size_in_bytes;
    entries.push_back(planned.entry);
    entries.back().snapshot_id = input.snapshot_id;
    delete_files.push_back(std::move(planned));
  }
  if (!entries.empty()) {
    const std::string path = state->catalog().metadata_dir() + "/" + input.commit_uuid + "-g" +
                             std::to_string(++give_back_rounds) + ".avro";
    own_files.push_back(path);
    input.new_manifests.push_back(WriteManifest(
        io, path, NewManifestContext(*base, base->DefaultSpec(), FileContent::kPositionDeletes),
        input.snapshot_id, entries));
  }
  // Delete files applied to given-back inputs still apply to them; keeping
  // every one is safe (the new files' sequence number is above theirs).
  removed_deletes.clear();
  input.removed_deletes.clear();
  input.removed_data = removed;
}

}  // namespace datashard
