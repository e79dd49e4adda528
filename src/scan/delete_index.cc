#include "scan/delete_index.h"

#include "datashard/errors.h"
#include "types/type_promotion.h"
#include "types/value_key.h"

namespace datashard {

namespace {

// Reserved field id of a position delete file's file_path column.
constexpr int kDeleteFilePathId = 2147483546;

// A spec with no fields, or only void ones, puts every file in one partition.
bool IsUnpartitioned(const PartitionSpec* spec) {
  if (spec == nullptr) return false;
  for (const PartitionField& f : spec->fields()) {
    if (f.transform.kind() != TransformKind::kVoid) return false;
  }
  return true;
}

// Whether a position delete file may hold rows of the data file at `path`:
// its referenced_data_file, else its file_path bounds (written untruncated
// for this column), must admit the path.
bool MayReference(const DataFile& deletes, const std::string& path) {
  if (deletes.referenced_data_file) return *deletes.referenced_data_file == path;
  const auto lower = deletes.lower_bounds.find(kDeleteFilePathId);
  if (lower != deletes.lower_bounds.end() && path < lower->second) return false;
  const auto upper = deletes.upper_bounds.find(kDeleteFilePathId);
  if (upper != deletes.upper_bounds.end() && path > upper->second) return false;
  return true;
}

}  // namespace

std::string DeleteIndex::PartitionKey(int spec_id, const std::vector<Value>& partition) const {
  std::string key = std::to_string(spec_id) + "|";
  const PartitionSpec* spec = metadata_.SpecById(spec_id);
  for (size_t i = 0; i < partition.size(); ++i) {
    Value v = partition[i];
    if (spec != nullptr && i < spec->fields().size()) {
      const PartitionField& field = spec->fields()[i];
      const int index = schema_.IndexOfId(field.source_id);
      if (index >= 0) {
        const DataType& source = schema_.fields()[static_cast<size_t>(index)].type;
        if (field.transform.CanApplyTo(source)) {
          v = PromoteValue(v, field.transform.ResultType(source));
        }
      }
    }
    AppendValueKey(v, &key);
  }
  return key;
}

void DeleteIndex::Add(const std::string& manifest_path, ManifestEntry entry, int spec_id) {
  const DataFile& f = entry.data_file;
  if (f.content == FileContent::kData) {
    throw Corruption("delete manifest " + manifest_path + " lists data file " + f.file_path);
  }
  if (f.file_format != "PARQUET" && f.file_format != "parquet") {
    throw NotSupported("delete file " + f.file_path + " has format " + f.file_format +
                       "; datashard applies Parquet delete files only");
  }
  if (f.content == FileContent::kEqualityDeletes && f.equality_ids.empty()) {
    throw Corruption("equality delete file " + f.file_path + " in manifest " + manifest_path +
                     " has no equality_ids");
  }
  if (!entry.sequence_number) {
    throw Corruption("delete file " + f.file_path + " in manifest " + manifest_path +
                     " has no data sequence number");
  }
  const bool equality = f.content == FileContent::kEqualityDeletes;
  auto file = std::make_shared<const PlannedFile>(PlannedFile{std::move(entry), spec_id});
  ++size_;
  if (equality && IsUnpartitioned(metadata_.SpecById(spec_id))) {
    global_equality_.push_back(std::move(file));
    return;
  }
  Partition& p = by_partition_[PartitionKey(spec_id, file->entry.data_file.partition)];
  (equality ? p.equality : p.position).push_back(std::move(file));
}

DeleteFileList DeleteIndex::ForDataFile(const PlannedFile& data) const {
  DeleteFileList out;
  if (size_ == 0) return out;
  const int64_t seq = data.entry.sequence_number.value_or(0);
  const std::string& path = data.entry.data_file.file_path;
  const auto it = by_partition_.find(PartitionKey(data.spec_id, data.entry.data_file.partition));
  if (it != by_partition_.end()) {
    for (const auto& d : it->second.position) {
      if (seq <= *d->entry.sequence_number && MayReference(d->entry.data_file, path)) {
        out.push_back(d);
      }
    }
    for (const auto& d : it->second.equality) {
      if (seq < *d->entry.sequence_number) out.push_back(d);
    }
  }
  for (const auto& d : global_equality_) {
    if (seq < *d->entry.sequence_number) out.push_back(d);
  }
  return out;
}

}  // namespace datashard
