// Which delete files of a snapshot apply to which data file (Iceberg spec
// "Scan Planning"). A position delete file applies to a data file when the
// data file's data sequence number is <= the delete file's, both have the
// same partition spec and partition tuple, and the delete file may name the
// data file (referenced_data_file, file_path bounds). An equality delete
// file applies when the data file's data sequence number is strictly
// smaller, and the partitions are equal or the delete file's spec is
// unpartitioned (a global delete). Immutable once built; thread-safe reads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "datashard/table_metadata.h"
#include "metadata/manifest.h"

namespace datashard {

/// One live file of a snapshot, data or delete, and the spec its partition
/// tuple follows.
struct PlannedFile {
  ManifestEntry entry;
  int spec_id = 0;
};

using DeleteFileList = std::vector<std::shared_ptr<const PlannedFile>>;

class DeleteIndex {
 public:
  /// An empty index for the specs of `metadata`, whose partition values are
  /// compared as the transform results of `schema`'s columns: a value stored
  /// before its source column was promoted (int -> long, float -> double)
  /// equals the promoted value. Both must outlive the index.
  DeleteIndex(const TableMetadata& metadata, const Schema& schema)
      : metadata_(metadata), schema_(schema) {}

  /// Adds a live delete file from a delete manifest of spec `spec_id`.
  /// NotSupported naming the file for formats other than Parquet (deletion
  /// vectors in Puffin files are format version 3); Corruption for a data
  /// file in a delete manifest or an equality delete without equality ids.
  void Add(const std::string& manifest_path, ManifestEntry entry, int spec_id);

  /// The delete files that apply to `data`, position deletes first. Looks
  /// only at the deletes of its partition that name its path (or may, by
  /// their bounds) and have a large enough sequence number, not at every
  /// delete of the partition.
  /// `examined`, when given, is increased by the number of delete files
  /// whose predicates were evaluated (what planning costs).
  DeleteFileList ForDataFile(const PlannedFile& data, size_t* examined = nullptr) const;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  // Delete files by data sequence number, so a data file finds those with a
  // number at least (position) or above (equality) its own by a search.
  using BySequence = std::multimap<int64_t, std::shared_ptr<const PlannedFile>>;

  struct Partition {
    // Position deletes that hold rows of one data file only: its
    // referenced_data_file, or equal file_path bounds.
    std::map<std::string, BySequence, std::less<>> position_by_path;
    BySequence position_other;  // may name several files: bounds decide
    BySequence equality;
  };

  // The key of a partition tuple of spec `spec_id`, its values promoted to
  // the spec's result types under schema_.
  std::string PartitionKey(int spec_id, const std::vector<Value>& partition) const;

  const TableMetadata& metadata_;
  const Schema& schema_;
  std::map<std::string, Partition> by_partition_;  // by PartitionKey
  BySequence global_equality_;
  size_t size_ = 0;
};

}  // namespace datashard
