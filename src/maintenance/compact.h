// Compaction (`datashard compact`, DESIGN.md §6): which data files to
// rewrite, and how to pack their rows into files of the target size. Per
// partition, the candidates are files smaller than three quarters of the
// target and files that delete files apply to (Iceberg's bin-packing
// rewrite); a partition is rewritten when it has two candidates or one with
// deletes. The rewrite itself is an ordinary optimistic commit (operation
// replace) made by the transaction. Thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "commit/append_input.h"
#include "datashard/file_io.h"
#include "datashard/snapshot.h"
#include "datashard/table_metadata.h"

namespace datashard {

struct CompactionPlan {
  std::set<std::string> files;  // data file paths to rewrite
  int64_t rows_per_file = 1;    // rows that make about one target-size file
  int64_t bytes = 0;            // of the files to rewrite
};

CompactionPlan PlanCompaction(FileIO& io, const TableMetadata& metadata, const Snapshot& snapshot,
                              int64_t target_file_size_bytes);

/// Rows a packer hands out for one new file, with where they came from.
struct PackedGroup {
  PartitionGroup rows;
  /// The data file each run of rows was read from, in row order, with the
  /// run's length: a compaction that gives an input back masks its rows.
  std::vector<std::pair<std::string, int64_t>> sources;
};

/// Gathers rewritten rows per partition tuple (of the current spec, whose
/// result types are `partition_types`) and hands them out in groups of
/// rows_per_file rows (the rest at Finish).
class CompactionPacker {
 public:
  CompactionPacker(int64_t rows_per_file, std::vector<DataType> partition_types)
      : rows_per_file_(rows_per_file), partition_types_(std::move(partition_types)) {}
  /// Adds `groups`, read from data file `source`; returns the groups that
  /// reached rows_per_file rows.
  std::vector<PackedGroup> Add(const std::string& source, std::vector<PartitionGroup> groups);
  /// Every row still gathered, one group per partition.
  std::vector<PackedGroup> Finish();

 private:
  struct Pending {
    std::vector<PartitionGroup> parts;
    std::vector<std::pair<std::string, int64_t>> sources;  // one per part
    int64_t rows = 0;
  };
  static PackedGroup Concatenate(Pending pending);
  int64_t rows_per_file_;
  std::vector<DataType> partition_types_;
  std::map<std::string, Pending> pending_;  // by partition tuple
};

}  // namespace datashard
