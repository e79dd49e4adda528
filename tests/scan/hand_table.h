// Builds table snapshots by hand, the way another engine's table looks to
// datashard: Parquet files written directly (any row group size, any file
// schema), manifests through the manifest API, and the next metadata version
// published through the file catalog. For tests only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "catalog/file_catalog.h"
#include "commit/data_file_writer.h"
#include "datashard/table.h"
#include "format/parquet/parquet_writer.h"
#include "metadata/manifest.h"
#include "metadata/table_metadata_json.h"
#include "util/uuid.h"

namespace datashard::testing {

/// id long (required), v string (optional): the schema of tests' hand-written
/// files of ids.
inline Schema IdValueSchema() {
  return Schema(1,
                {Field{1, "id", DataType::Long(), true}, Field{2, "v", DataType::String(), false}});
}

class HandTable {
 public:
  /// Creates an empty table at `path` with `schema` and `spec`.
  HandTable(const std::string& path, const Schema& schema, const PartitionSpec& spec = {},
            const std::map<std::string, std::string>& properties = {})
      : io_(DefaultFileIO()), catalog_(io_, path) {
    Table t = CreateTable(path, schema, spec, properties);
    metadata_ = t.metadata();
    version_ = t.metadata_version();
  }

  /// Takes over the existing table at `path`, at its latest version.
  explicit HandTable(const std::string& path) : io_(DefaultFileIO()), catalog_(io_, path) {
    Table t = OpenTable(path);
    metadata_ = t.metadata();
    version_ = t.metadata_version();
  }

  const TableMetadata& metadata() const { return metadata_; }
  FileIO& io() { return *io_; }

  /// Writes `columns` (of `file_schema`, which may differ from the table's)
  /// as a Parquet file under data/ and describes it, with full column metrics
  /// when `metrics` is set, else only counts of rows. Without `field_ids` the
  /// file has no Parquet field ids, as engines unaware of Iceberg write.
  DataFile WriteDataFile(const Schema& file_schema, const std::vector<ColumnVector>& columns,
                         std::vector<Value> partition = {}, int64_t row_group_bytes = 128 << 20,
                         bool metrics = true, bool field_ids = true) {
    parquet::WriterOptions options;
    options.write_field_ids = field_ids;
    options.row_group_size_bytes = row_group_bytes;
    options.page_size_bytes = std::min<int64_t>(row_group_bytes, options.page_size_bytes);
    return WriteDataFileWith(file_schema, columns, options, std::move(partition), metrics);
  }

  /// The same, written with `options`.
  DataFile WriteDataFileWith(const Schema& file_schema, const std::vector<ColumnVector>& columns,
                             const parquet::WriterOptions& options,
                             std::vector<Value> partition = {}, bool metrics = true) {
    const std::string path = metadata_.location + "/data/" + Uuid::Random().ToString() + ".parquet";
    io_->CreateDirs(metadata_.location + "/data");
    parquet::WriteResult result;
    {
      parquet::ParquetWriter writer(io_->Create(path), file_schema, options);
      writer.Write(columns);
      result = writer.Finish();
    }
    DataFile f;
    f.file_path = path;
    f.partition = std::move(partition);
    f.record_count = result.record_count;
    f.file_size_in_bytes = result.file_size;
    f.split_offsets = result.row_group_offsets;
    if (metrics) {
      for (const auto& [id, m] : result.columns) {
        const int idx = file_schema.IndexOfId(id);
        const DataType& type = file_schema.fields()[static_cast<size_t>(idx)].type;
        f.value_counts[id] = m.value_count;
        f.null_value_counts[id] = m.null_count;
        if (m.nan_count) f.nan_value_counts[id] = *m.nan_count;
        if (m.lower_bound) f.lower_bounds[id] = SerializeSingleValue(type, *m.lower_bound);
        if (m.upper_bound) f.upper_bounds[id] = SerializeSingleValue(type, *m.upper_bound);
      }
    }
    return f;
  }

  /// Commits a snapshot adding `data` files (in a manifest of the default
  /// spec) and `deletes` (in a delete manifest of spec `delete_spec_id`,
  /// default spec when -1) on top of the current one; returns its id.
  int64_t Commit(const std::vector<DataFile>& data, const std::vector<DataFile>& deletes = {},
                 int delete_spec_id = -1) {
    const int64_t snapshot_id = next_snapshot_id_++;
    const int64_t seq = metadata_.last_sequence_number + 1;
    std::vector<ManifestFile> manifests;
    if (const Snapshot* cur = metadata_.CurrentSnapshot()) {
      manifests = ReadManifestList(*io_, cur->manifest_list);
    }
    const std::string meta = metadata_.location + "/metadata/";
    auto write = [&](const std::vector<DataFile>& files, FileContent content, int spec_id) {
      std::vector<ManifestEntry> entries;
      for (const DataFile& f : files)
        entries.push_back(ManifestEntry{EntryStatus::kAdded, snapshot_id, {}, {}, f});
      const PartitionSpec* spec =
          metadata_.SpecById(spec_id < 0 ? metadata_.default_spec_id : spec_id);
      const ManifestContext context = NewManifestContext(metadata_, *spec, content);
      ManifestFile mf = WriteManifest(*io_, meta + Uuid::Random().ToString() + "-m0.avro", context,
                                      snapshot_id, entries);
      mf.sequence_number = seq;
      mf.min_sequence_number = seq;
      manifests.insert(manifests.begin(), mf);
    };
    if (!data.empty()) write(data, FileContent::kData, -1);
    if (!deletes.empty()) write(deletes, FileContent::kPositionDeletes, delete_spec_id);
    const std::string list =
        meta + "snap-" + std::to_string(snapshot_id) + "-" + Uuid::Random().ToString() + ".avro";
    WriteManifestList(*io_, list, snapshot_id, metadata_.current_snapshot_id, seq, manifests);
    Snapshot s;
    s.snapshot_id = snapshot_id;
    s.parent_snapshot_id = metadata_.current_snapshot_id;
    s.sequence_number = seq;
    s.timestamp_ms = metadata_.last_updated_ms + 1;
    s.manifest_list = list;
    s.summary = {{"operation", deletes.empty() ? "append" : "overwrite"}};
    s.schema_id = metadata_.current_schema_id;
    metadata_.snapshots.push_back(s);
    metadata_.snapshot_log.push_back(SnapshotLogEntry{s.timestamp_ms, snapshot_id});
    metadata_.current_snapshot_id = snapshot_id;
    metadata_.refs["main"] = SnapshotRef{snapshot_id, "branch"};
    metadata_.last_sequence_number = seq;
    metadata_.last_updated_ms = s.timestamp_ms;
    Publish();
    return snapshot_id;
  }

  /// Adds `spec` (with a new spec id) and makes it the default.
  void EvolveSpec(const PartitionSpec& spec) {
    metadata_.partition_specs.push_back(spec);
    metadata_.default_spec_id = spec.spec_id();
    metadata_.last_partition_id = std::max(metadata_.last_partition_id, spec.last_field_id());
    Publish();
  }

  /// Replaces the current schema (renamed, reordered or added columns).
  void EvolveSchema(const Schema& schema) {
    metadata_.schemas.push_back(schema);
    metadata_.current_schema_id = schema.schema_id();
    metadata_.last_column_id = std::max(metadata_.last_column_id, schema.highest_field_id());
    Publish();
  }

 private:
  void Publish() {
    ++version_;
    EXPECT_EQ(catalog_.Publish(version_, TableMetadataToJson(metadata_)),
              FileCatalog::PublishResult::kPublished);
  }

  std::shared_ptr<FileIO> io_;
  FileCatalog catalog_;
  TableMetadata metadata_;
  int64_t version_ = 0;
  int64_t next_snapshot_id_ = 1000;
};

}  // namespace datashard::testing
