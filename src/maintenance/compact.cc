#include "maintenance/compact.h"

#include <algorithm>

#include "metadata/manifest.h"
#include "scan/scan_plan.h"

namespace datashard {

CompactionPlan PlanCompaction(FileIO& io, const TableMetadata& metadata, const Snapshot& snapshot,
                              int64_t target_file_size_bytes) {
  const Schema& schema = metadata.CurrentSchema();
  const ScanPlan plan = PlanScan(io, metadata, schema, snapshot, std::nullopt);
  const int64_t small = target_file_size_bytes / 4 * 3;
  struct Partition {
    std::vector<const ScanTask*> candidates;
    bool has_deletes = false;
  };
  std::map<std::string, Partition> partitions;
  for (const ScanTask& task : plan.tasks) {
    const DataFile& f = task.file.entry.data_file;
    const bool deletes = !task.deletes.empty();
    if (f.file_size_in_bytes >= small && !deletes) continue;
    const PartitionSpec* spec = metadata.SpecById(task.file.spec_id);
    const std::string key =
        std::to_string(task.file.spec_id) + ":" +
        (spec ? PartitionTupleKey(spec->ResultTypes(schema), f.partition) : std::string());
    Partition& p = partitions[key];
    p.candidates.push_back(&task);
    p.has_deletes = p.has_deletes || deletes;
  }
  CompactionPlan out;
  int64_t rows = 0;
  for (const auto& [key, p] : partitions) {
    if (p.candidates.size() < 2 && !p.has_deletes) continue;
    for (const ScanTask* task : p.candidates) {
      const DataFile& f = task->file.entry.data_file;
      out.files.insert(f.file_path);
      out.bytes += f.file_size_in_bytes;
      rows += f.record_count;
    }
  }
  if (rows > 0) {
    const double bytes_per_row = static_cast<double>(out.bytes) / static_cast<double>(rows);
    out.rows_per_file = std::max<int64_t>(
        1, static_cast<int64_t>(static_cast<double>(target_file_size_bytes) / bytes_per_row));
  }
  return out;
}

std::vector<PackedGroup> CompactionPacker::Add(const std::string& source,
                                               std::vector<PartitionGroup> groups) {
  std::vector<PackedGroup> full;
  for (PartitionGroup& g : groups) {
    if (g.num_rows() == 0) continue;
    const std::string key = PartitionTupleKey(partition_types_, g.partition);
    Pending& p = pending_[key];
    const auto rows = static_cast<int64_t>(g.num_rows());
    p.rows += rows;
    p.sources.emplace_back(source, rows);
    p.parts.push_back(std::move(g));
    if (p.rows >= rows_per_file_) {
      full.push_back(Concatenate(std::move(p)));
      pending_.erase(key);
    }
  }
  return full;
}

std::vector<PackedGroup> CompactionPacker::Finish() {
  std::vector<PackedGroup> out;
  for (auto& [key, p] : pending_) out.push_back(Concatenate(std::move(p)));
  pending_.clear();
  return out;
}

PackedGroup CompactionPacker::Concatenate(Pending pending) {
  PackedGroup out;
  out.sources = std::move(pending.sources);
  out.rows = std::move(pending.parts.front());
  for (size_t k = 1; k < pending.parts.size(); ++k) {
    for (size_t c = 0; c < out.rows.columns.size(); ++c) {
      const ColumnVector& from = pending.parts[k].columns[c];
      for (size_t i = 0; i < from.size(); ++i) out.rows.columns[c].Append(from.Get(i));
    }
  }
  return out;
}

}  // namespace datashard
