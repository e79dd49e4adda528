#include "table/snapshot_scan.h"

#include "datashard/errors.h"
#include "format/parquet/parquet_reader.h"
#include "table/record_input.h"

namespace datashard {

std::vector<PlannedFile> PlanDataFiles(FileIO& io, const Snapshot& snapshot) {
  std::vector<PlannedFile> out;
  for (const ManifestFile& m : ReadManifestList(io, snapshot.manifest_list)) {
    if (m.content != FileContent::kData) {
      throw NotSupported("snapshot " + std::to_string(snapshot.snapshot_id) +
                         " has delete manifest " + m.manifest_path +
                         "; datashard's scan does not apply row-level deletes yet");
    }
    for (ManifestEntry& e : ReadManifest(io, m)) {
      if (e.status == EntryStatus::kDeleted) continue;
      out.push_back(PlannedFile{std::move(e), m.partition_spec_id});
    }
  }
  return out;
}

namespace {

class DataFileReader final : public BatchReader {
 public:
  DataFileReader(std::shared_ptr<FileIO> io, TableMetadata metadata, std::vector<PlannedFile> files,
                 Schema projection, int64_t batch_size)
      : io_(std::move(io)),
        metadata_(std::move(metadata)),
        files_(std::move(files)),
        projection_(std::move(projection)),
        batch_size_(batch_size) {}

  const Schema& schema() const override { return projection_; }

  bool Next(RecordBatch* batch) override {
    for (;;) {
      if (!reader_ && !OpenNext()) return false;
      std::vector<ColumnVector> read;
      size_t n = 0;
      if (reads_columns_) {
        if (!reader_->Next(&read)) {
          reader_.reset();
          continue;
        }
        n = read.empty() ? 0 : read[0].size();
      } else {
        // Nothing to read from the file itself; rows come from its row count.
        n = static_cast<size_t>(std::min(remaining_rows_, batch_size_));
        remaining_rows_ -= static_cast<int64_t>(n);
        if (n == 0) reader_.reset();
      }
      if (n == 0) continue;
      batch->schema = projection_;
      batch->columns.clear();
      for (size_t c = 0; c < projection_.fields().size(); ++c) {
        const DataType& type = projection_.fields()[c].type;
        const Source& src = sources_[c];
        if (src.read_index >= 0) {
          ColumnVector& col = read[static_cast<size_t>(src.read_index)];
          if (col.type() == type) {
            batch->columns.push_back(std::move(col));
          } else {
            ColumnVector widened(type);
            widened.Reserve(col.size());
            for (size_t i = 0; i < col.size(); ++i) widened.Append(PromoteValue(col.Get(i), type));
            batch->columns.push_back(std::move(widened));
          }
        } else {
          ColumnVector constant(type);
          constant.Reserve(n);
          for (size_t i = 0; i < n; ++i) constant.Append(src.constant);
          batch->columns.push_back(std::move(constant));
        }
      }
      return true;
    }
  }

 private:
  struct Source {
    int read_index = -1;  // index into the reader's selected columns
    Value constant;       // when the file lacks the column
  };

  bool OpenNext() {
    if (next_ >= files_.size()) return false;
    const PlannedFile& f = files_[next_++];
    const DataFile& df = f.entry.data_file;
    reader_ = parquet::ParquetReader::Open(io_->OpenRead(df.file_path));
    const auto& file_columns = reader_->columns();
    bool file_has_ids = false;
    for (const auto& c : file_columns) file_has_ids = file_has_ids || c.field_id.has_value();
    const PartitionSpec* spec = metadata_.SpecById(f.spec_id);
    parquet::ReadOptions options;
    options.batch_size = batch_size_;
    sources_.assign(projection_.fields().size(), Source{});
    for (size_t c = 0; c < projection_.fields().size(); ++c) {
      const Field& field = projection_.fields()[c];
      int found = -1;
      for (size_t k = 0; k < file_columns.size(); ++k) {
        const bool match = file_has_ids ? file_columns[k].field_id == field.id
                                        : file_columns[k].name == field.name;
        if (match) found = static_cast<int>(k);
      }
      if (found >= 0) {
        const DataType& ft = file_columns[static_cast<size_t>(found)].type;
        const bool ok = ft == field.type || (ft.id == TypeId::kInt && field.type.id == TypeId::kLong) ||
                        (ft.id == TypeId::kFloat && field.type.id == TypeId::kDouble);
        if (!ok) {
          throw Corruption("data file " + df.file_path + " stores column '" + field.name + "' as " +
                           ft.ToString() + " but the table type is " + field.type.ToString());
        }
        sources_[c].read_index = static_cast<int>(options.columns.size());
        options.columns.push_back(found);
        continue;
      }
      if (spec != nullptr) {
        for (size_t p = 0; p < spec->fields().size() && p < df.partition.size(); ++p) {
          const PartitionField& pf = spec->fields()[p];
          if (pf.source_id == field.id && pf.transform.kind() == TransformKind::kIdentity) {
            sources_[c].constant = PromoteValue(df.partition[p], field.type);
          }
        }
      }
    }
    remaining_rows_ = reader_->num_rows();
    reads_columns_ = !options.columns.empty();
    if (reads_columns_) reader_->Start(options);
    return true;
  }

  std::shared_ptr<FileIO> io_;
  TableMetadata metadata_;
  std::vector<PlannedFile> files_;
  Schema projection_;
  int64_t batch_size_;
  size_t next_ = 0;
  std::unique_ptr<parquet::ParquetReader> reader_;
  std::vector<Source> sources_;
  int64_t remaining_rows_ = 0;
  bool reads_columns_ = false;
};

}  // namespace

std::unique_ptr<BatchReader> NewDataFileReader(std::shared_ptr<FileIO> io, TableMetadata metadata,
                                               std::vector<PlannedFile> files, Schema projection,
                                               int64_t batch_size) {
  return std::make_unique<DataFileReader>(std::move(io), std::move(metadata), std::move(files),
                                          std::move(projection), batch_size);
}

}  // namespace datashard
