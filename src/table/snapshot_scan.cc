#include "table/snapshot_scan.h"

#include "datashard/errors.h"
#include "table/scan_file_reader.h"

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

  // Each file goes through the scan's per-file reader, without a filter.
  bool Next(RecordBatch* batch) override {
    for (;;) {
      if (!current_) {
        if (next_ >= files_.size()) return false;
        const PlannedFile& f = files_[next_++];
        current_ = std::make_unique<ScanFileReader>(*io_, f, metadata_.SpecById(f.spec_id),
                                                    projection_, std::nullopt, batch_size_,
                                                    &counters_);
      }
      if (current_->Next(batch)) return true;
      current_.reset();
    }
  }

 private:
  std::shared_ptr<FileIO> io_;
  TableMetadata metadata_;
  std::vector<PlannedFile> files_;
  Schema projection_;
  int64_t batch_size_;
  size_t next_ = 0;
  ScanCounters counters_;
  std::unique_ptr<ScanFileReader> current_;
};

}  // namespace

std::unique_ptr<BatchReader> NewDataFileReader(std::shared_ptr<FileIO> io, TableMetadata metadata,
                                               std::vector<PlannedFile> files, Schema projection,
                                               int64_t batch_size) {
  return std::make_unique<DataFileReader>(std::move(io), std::move(metadata), std::move(files),
                                          std::move(projection), batch_size);
}

}  // namespace datashard
