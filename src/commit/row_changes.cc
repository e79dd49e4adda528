#include "commit/row_changes.h"

#include <map>
#include <memory>
#include <set>

#include "commit/position_delete_writer.h"
#include "datashard/errors.h"
#include "metadata/name_mapping.h"
#include "scan/row_deletes.h"
#include "scan/scan_file_reader.h"
#include "scan/scan_plan.h"

namespace datashard {
namespace {

constexpr int64_t kBatchRows = 64 * 1024;

// The rows of `batch` whose `selection` byte is 1, as table columns.
std::vector<ColumnVector> Select(const RecordBatch& batch, const std::vector<uint8_t>& selection,
                                 size_t kept) {
  std::vector<ColumnVector> out;
  out.reserve(batch.columns.size());
  for (const ColumnVector& c : batch.columns) {
    out.push_back(c);
    CompactColumn(selection, kept, &out.back());
  }
  return out;
}

}  // namespace

RowChangeMode RowChangeModeOf(const TableMetadata& metadata, const std::string& property) {
  const std::string mode = metadata.Property(property, "copy-on-write");
  if (mode == "copy-on-write") return RowChangeMode::kCopyOnWrite;
  if (mode == "merge-on-read") return RowChangeMode::kMergeOnRead;
  throw InvalidArgument("table property " + property + " of " + metadata.location + " is '" + mode +
                        "'; expected copy-on-write or merge-on-read");
}

RowChangeResult ApplyRowChanges(
    FileIO& io, const TableMetadata& base, const Snapshot& snapshot,
    const RowChangeRequest& request,
    const std::function<void(const PlannedFile& source, std::vector<PartitionGroup>)>& write_rows,
    std::vector<std::string>* written) {
  const Schema& schema = base.CurrentSchema();
  const PartitionSpec& spec = base.DefaultSpec();
  const Expression filter = request.filter.PushNotDown();
  const ScanPlan plan = PlanScan(io, base, schema, snapshot, filter);
  const std::shared_ptr<const NameMapping> mapping = NameMapping::FromProperties(base.properties);
  DeleteLoader loader(io, base, mapping);
  ScanCounters counters;
  RowChangeResult result;
  const bool cow = request.mode == RowChangeMode::kCopyOnWrite;

  for (const ScanTask& task : plan.tasks) {
    if (request.select_file && !request.select_file(task.file)) continue;
    const DataFile& data = task.file.entry.data_file;
    // Every row matches and none is deleted yet: the file goes whole, in
    // either mode, without reading it.
    if (task.all_rows_match && task.deletes.empty() && !request.update) {
      result.removed.push_back(task.file);
      result.touched.push_back(task.file);
      result.matched_rows += data.record_count;
      continue;
    }
    ScanFileReader reader(io, task.file, base.SpecById(task.file.spec_id), schema, std::nullopt,
                          kBatchRows, &counters, {}, nullptr, mapping.get());
    std::unique_ptr<RowDeleteFilter> deleted;
    if (!task.deletes.empty())
      deleted = std::make_unique<RowDeleteFilter>(loader, task.file, task.deletes, schema);
    AppendInput survivors(schema, spec, schema, {});
    AppendInput updated(schema, spec, schema, {});
    std::vector<int64_t> matched;
    std::vector<int64_t> positions;
    std::vector<uint8_t> alive;
    std::vector<uint8_t> hit;
    std::vector<uint8_t> keep;
    int64_t next_position = 0;
    RecordBatch batch;
    while (reader.Next(&batch)) {
      const size_t n = batch.num_rows();
      positions.resize(n);
      for (size_t i = 0; i < n; ++i) positions[i] = next_position++;
      alive.assign(n, 1);
      if (deleted) deleted->Apply(batch, positions, &alive);
      filter.Select(batch, &hit);
      keep.assign(n, 0);
      size_t hits = 0;
      size_t kept = 0;
      for (size_t i = 0; i < n; ++i) {
        hit[i] = hit[i] & alive[i];
        keep[i] = static_cast<uint8_t>(alive[i] && !hit[i]);
        if (hit[i]) matched.push_back(positions[i]);
        hits += hit[i];
        kept += keep[i];
      }
      if (cow && kept > 0) survivors.AddColumns(Select(batch, keep, kept));
      if (request.update && hits > 0) {
        std::vector<ColumnVector> rows = Select(batch, hit, hits);
        for (const auto& [column, value] : request.assignments) {
          ColumnVector assigned(schema.fields()[column].type);
          assigned.Reserve(hits);
          for (size_t i = 0; i < hits; ++i) assigned.Append(value);
          rows[column] = std::move(assigned);
        }
        updated.AddColumns(rows);
      }
    }
    if (matched.empty()) continue;
    result.matched_rows += static_cast<int64_t>(matched.size());
    result.touched.push_back(task.file);
    if (cow) {
      result.removed.push_back(task.file);
      write_rows(task.file, survivors.TakeGroups());
    } else {
      DataFile deletes = WritePositionDeleteFile(io, base, data, matched);
      written->push_back(deletes.file_path);
      result.position_deletes += deletes.record_count;
      PlannedFile planned;
      planned.entry.status = EntryStatus::kAdded;
      planned.entry.data_file = std::move(deletes);
      planned.spec_id = task.file.spec_id;
      result.delete_files.push_back(std::move(planned));
    }
    if (request.update) write_rows(task.file, updated.TakeGroups());
  }
  if (request.find_obsolete_deletes) {
    std::set<std::string> removed;
    for (const PlannedFile& f : result.removed) removed.insert(f.entry.data_file.file_path);
    // Each delete file, and whether a data file that stays still needs it.
    std::map<std::string, std::pair<const PlannedFile*, bool>> applied;
    for (const ScanTask& task : plan.tasks) {
      const bool stays = !removed.count(task.file.entry.data_file.file_path);
      for (const auto& d : task.deletes) {
        auto& [file, needed] = applied[d->entry.data_file.file_path];
        file = d.get();
        needed = needed || stays;
      }
    }
    for (const auto& [path, use] : applied) {
      if (!use.second) result.obsolete_deletes.push_back(*use.first);
    }
  }
  return result;
}

}  // namespace datashard
