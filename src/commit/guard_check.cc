#include "commit/guard_check.h"

#include <algorithm>
#include <map>
#include <memory>

#include "datashard/errors.h"
#include "metadata/manifest.h"
#include "metadata/name_mapping.h"
#include "scan/row_deletes.h"
#include "scan/scan_executor.h"
#include "scan/scan_plan.h"
#include "scan/scan_pruning.h"

namespace datashard {
namespace {

constexpr int64_t kEmptyTable = -1;  // datashard::kNoSnapshot

std::string SnapshotName(int64_t id) {
  return id == kEmptyTable ? std::string("(the empty table)") : std::to_string(id);
}

// The snapshots committed after `since` up to the current one, oldest
// first; nullopt when `since` is not an ancestor of the current snapshot
// (rolled back) or the history between them expired.
std::optional<std::vector<const Snapshot*>> SnapshotsSince(const TableMetadata& m, int64_t since) {
  std::vector<const Snapshot*> out;
  std::optional<int64_t> id = m.current_snapshot_id;
  while (id && *id != since) {
    const Snapshot* s = m.SnapshotById(*id);
    if (s == nullptr) return std::nullopt;
    out.push_back(s);
    id = s->parent_snapshot_id;
  }
  if (!id && since != kEmptyTable) return std::nullopt;
  std::reverse(out.begin(), out.end());
  return out;
}

std::string Describe(const Snapshot& s) {
  std::string text = "snapshot " + std::to_string(s.snapshot_id) + " (operation " +
                     (s.operation().empty() ? std::string("unknown") : s.operation());
  const int64_t added = s.SummaryLong("added-records", -1);
  const int64_t deleted = s.SummaryLong("deleted-records", -1);
  if (added >= 0) text += ", " + std::to_string(added) + " rows added";
  if (deleted >= 0) text += ", " + std::to_string(deleted) + " rows deleted";
  return text + ")";
}

// What `s` itself added or removed that may hold rows `filter` matches,
// judged by partition values and column statistics only; nullopt when
// nothing. Delete files carry no statistics of data columns: their
// partition decides.
std::optional<std::string> FirstChangeInScope(FileIO& io, const TableMetadata& m, const Snapshot& s,
                                              const Expression& filter) {
  const Schema& schema = m.CurrentSchema();
  for (const ManifestFile& manifest : ReadManifestList(io, s.manifest_list)) {
    if (manifest.added_snapshot_id != s.snapshot_id) continue;
    const PartitionSpec* spec = m.SpecById(manifest.partition_spec_id);
    for (const ManifestEntry& e : ReadManifest(io, manifest)) {
      if (e.status == EntryStatus::kExisting ||
          e.snapshot_id.value_or(manifest.added_snapshot_id) != s.snapshot_id)
        continue;
      if (spec != nullptr && !DataFileMightMatch(filter, schema, *spec, e.data_file)) continue;
      const bool data = manifest.content == FileContent::kData;
      const bool added = e.status == EntryStatus::kAdded;
      return std::string(added ? "added " : "removed ") + (data ? "data file " : "delete file ") +
             e.data_file.file_path;
    }
  }
  return std::nullopt;
}

// The guarded rows of `snapshot` (nullptr: the empty table), projected on
// the guard's columns, counted by value.
std::map<std::string, int64_t> ScopeRows(FileIO& io, const TableMetadata& m,
                                         const Snapshot* snapshot, const CommitGuard& guard) {
  std::map<std::string, int64_t> rows;
  if (snapshot == nullptr) return rows;
  const Schema& schema = m.CurrentSchema();
  std::vector<size_t> indices;
  std::vector<DataType> types;
  for (size_t i = 0; i < schema.fields().size(); ++i) {
    const int id = schema.fields()[i].id;
    if (!guard.columns.empty() &&
        std::find(guard.columns.begin(), guard.columns.end(), id) == guard.columns.end())
      continue;
    indices.push_back(i);
    types.push_back(schema.fields()[i].type);
  }
  // The scan finishes inside this call: the FileIO outlives it.
  ScanExecution e{.io = std::shared_ptr<FileIO>(std::shared_ptr<FileIO>(), &io), .metadata = m};
  e.name_mapping = NameMapping::FromProperties(m.properties);
  e.filter = guard.filter;
  e.plan = PlanScan(io, m, schema, *snapshot, e.filter);
  for (const ScanTask& t : e.plan.tasks) {
    if (!t.deletes.empty()) {
      e.deletes = std::make_shared<DeleteLoader>(io, m, e.name_mapping);
      break;
    }
  }
  e.read_schema = schema;
  e.output_schema = schema;
  e.ordered = true;
  std::unique_ptr<ScanReader> reader = NewScanExecutor(std::move(e));
  RecordBatch batch;
  std::vector<Value> tuple(indices.size());
  while (reader->Next(&batch)) {
    for (size_t r = 0; r < batch.num_rows(); ++r) {
      for (size_t c = 0; c < indices.size(); ++c) tuple[c] = batch.columns[indices[c]].Get(r);
      ++rows[PartitionTupleKey(types, tuple)];
    }
  }
  return rows;
}

}  // namespace

GuardCheck::GuardCheck(CommitGuard guard, std::string table)
    : guard_(std::move(guard)),
      table_(std::move(table)),
      checked_through_(guard_.expected_snapshot_id) {
  if (guard_.filter) guard_.filter = guard_.filter->PushNotDown();
}

void GuardCheck::Check(FileIO& io, const TableMetadata& current, std::optional<int64_t> base_id,
                       int retries) {
  const std::optional<int64_t> now = current.current_snapshot_id;
  const auto conflict = [&](const std::string& what, std::optional<int64_t> by) {
    throw CommitConflict("commit to " + table_ + " refused: " + guard_.description +
                             " changed since expected snapshot " +
                             SnapshotName(guard_.expected_snapshot_id) + ": " + what +
                             "; nothing of this transaction was committed (read again, then redo)",
                         base_id, now, by, retries);
  };
  const std::optional<std::vector<const Snapshot*>> since =
      SnapshotsSince(current, checked_through_);
  if (!since) {
    conflict("it is no longer in the history of current snapshot " +
                 SnapshotName(now.value_or(kEmptyTable)) + " (rolled back, or its history expired)",
             now);
  }
  if (since->empty()) return;
  if (!guard_.filter) {
    const size_t later = since->size() - 1;
    conflict(Describe(*since->front()) + " was committed" +
                 (later > 0 ? " (and " + std::to_string(later) + " more since)" : ""),
             since->front()->snapshot_id);
  }
  const Snapshot* first = nullptr;
  std::string change;
  for (const Snapshot* s : *since) {
    if (std::optional<std::string> c = FirstChangeInScope(io, current, *s, *guard_.filter)) {
      first = s;
      change = std::move(*c);
      break;
    }
  }
  if (first != nullptr) {
    const Snapshot* before_snapshot = nullptr;
    if (checked_through_ != kEmptyTable) {
      before_snapshot = current.SnapshotById(checked_through_);
      if (before_snapshot == nullptr)
        conflict("the snapshot expired, so its rows cannot be compared", first->snapshot_id);
    }
    const std::map<std::string, int64_t> before = ScopeRows(io, current, before_snapshot, guard_);
    const std::map<std::string, int64_t> after =
        ScopeRows(io, current, current.CurrentSnapshot(), guard_);
    if (before != after) {
      int64_t gone = 0;
      int64_t came = 0;
      for (const auto& [key, n] : before) {
        const auto it = after.find(key);
        gone += std::max<int64_t>(0, n - (it == after.end() ? 0 : it->second));
      }
      for (const auto& [key, n] : after) {
        const auto it = before.find(key);
        came += std::max<int64_t>(0, n - (it == before.end() ? 0 : it->second));
      }
      conflict(Describe(*first) + " " + change + "; " + std::to_string(gone) +
                   " guarded row(s) no longer as they were, " + std::to_string(came) +
                   " new or changed",
               first->snapshot_id);
    }
  }
  checked_through_ = now.value_or(kEmptyTable);
}

}  // namespace datashard
