// Row-level deletes applied while a data file is read: the row positions
// that position delete files remove from it, and the rows whose values
// equality delete files list (null matches null). Each delete file is read
// once per scan by whichever thread needs it first and shared by all.
#pragma once

#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "datashard/file_io.h"
#include "datashard/record_batch.h"
#include "datashard/schema.h"
#include "datashard/table_metadata.h"
#include "metadata/name_mapping.h"
#include "scan/delete_index.h"

namespace datashard {

/// A position delete file: the deleted positions of each data file it names.
struct PositionDeletes {
  std::unordered_map<std::string, std::vector<int64_t>> by_path;  // each sorted
};

/// An equality delete file: the keys (table-typed values of its equality
/// fields, in equality_ids order) of the rows it deletes.
struct EqualityDeletes {
  std::vector<int> field_ids;
  std::unordered_set<std::string> keys;
};

/// The table field with `field_id`: from the current schema, else from the
/// newest older schema that has it (a dropped column). NotFound if none has.
Field FindTableField(const TableMetadata& metadata, int field_id);

/// Reads delete files for the threads of one scan. Thread-safe.
class DeleteLoader {
 public:
  /// `name_mapping`: the table's, nullptr if none; equality delete files
  /// without field ids are read through it.
  DeleteLoader(FileIO& io, TableMetadata metadata,
               std::shared_ptr<const NameMapping> name_mapping = nullptr)
      : io_(io), metadata_(std::move(metadata)), name_mapping_(std::move(name_mapping)) {}

  std::shared_ptr<const PositionDeletes> Positions(const PlannedFile& file);
  std::shared_ptr<const EqualityDeletes> Equality(const PlannedFile& file);

 private:
  // Loads each file once; concurrent callers wait for the first load.
  template <typename T, typename Load>
  std::shared_ptr<const T> Cached(
      std::map<std::string, std::shared_future<std::shared_ptr<const T>>>& cache,
      const std::string& key, Load load);

  FileIO& io_;
  TableMetadata metadata_;
  std::shared_ptr<const NameMapping> name_mapping_;
  std::mutex mu_;
  std::map<std::string, std::shared_future<std::shared_ptr<const PositionDeletes>>> positions_;
  std::map<std::string, std::shared_future<std::shared_ptr<const EqualityDeletes>>> equality_;
};

/// The deletes of one data file, applied batch by batch.
class RowDeleteFilter {
 public:
  /// `deletes`: the delete files that apply to `data`; `read_schema`: the
  /// schema of its batches, which holds every equality field.
  RowDeleteFilter(DeleteLoader& loader, const PlannedFile& data, const DeleteFileList& deletes,
                  const Schema& read_schema);

  /// Deleted positions of the data file, sorted and unique.
  const std::vector<int64_t>& positions() const { return positions_; }
  bool has_equality() const { return !equality_.empty(); }

  /// Clears selection[i] for each selected row i of `batch` that is deleted;
  /// `row_positions[i]` is the row's position in the file. Returns how many
  /// it cleared.
  int64_t Apply(const RecordBatch& batch, const std::vector<int64_t>& row_positions,
                std::vector<uint8_t>* selection) const;

 private:
  struct Equality {
    std::shared_ptr<const EqualityDeletes> deletes;
    std::vector<size_t> columns;  // batch columns of its field ids
  };
  std::vector<int64_t> positions_;
  std::vector<Equality> equality_;
};

}  // namespace datashard
