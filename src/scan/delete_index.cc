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

// The one data file a position delete file holds rows of, when known: its
// referenced_data_file, else equal file_path bounds (written untruncated
// for this column, as Java and datashard do).
const std::string* SingleReferencedPath(const DataFile& deletes) {
  if (deletes.referenced_data_file) return &*deletes.referenced_data_file;
  const auto lower = deletes.lower_bounds.find(kDeleteFilePathId);
  const auto upper = deletes.upper_bounds.find(kDeleteFilePathId);
  if (lower != deletes.lower_bounds.end() && upper != deletes.upper_bounds.end() &&
      lower->second == upper->second) {
    return &lower->second;
  }
  return nullptr;
}

// Whether a position delete file naming several data files may hold rows
// of the one at `path`: its file_path bounds must admit the path.
bool MayReference(const DataFile& deletes, const std::string& path) {
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
  const int64_t seq = *entry.sequence_number;
  auto file = std::make_shared<const PlannedFile>(PlannedFile{std::move(entry), spec_id});
  ++size_;
  if (equality && IsUnpartitioned(metadata_.SpecById(spec_id))) {
    global_equality_.emplace(seq, std::move(file));
    return;
  }
  Partition& p = by_partition_[PartitionKey(spec_id, file->entry.data_file.partition)];
  if (equality) {
    p.equality.emplace(seq, std::move(file));
  } else if (const std::string* path = SingleReferencedPath(file->entry.data_file)) {
    p.position_by_path[*path].emplace(seq, std::move(file));
  } else {
    p.position_other.emplace(seq, std::move(file));
  }
}

DeleteFileList DeleteIndex::ForDataFile(const PlannedFile& data, size_t* examined) const {
  DeleteFileList out;
  if (size_ == 0) return out;
  const int64_t seq = data.entry.sequence_number.value_or(0);
  const std::string& path = data.entry.data_file.file_path;
  size_t looked_at = 0;
  // Position deletes apply from the data file's own sequence number on,
  // equality deletes only to data written strictly before them.
  const auto take = [&](const BySequence& files, bool strictly_after, bool check_bounds) {
    auto it = strictly_after ? files.upper_bound(seq) : files.lower_bound(seq);
    for (; it != files.end(); ++it) {
      ++looked_at;
      if (!check_bounds || MayReference(it->second->entry.data_file, path)) {
        out.push_back(it->second);
      }
    }
  };
  const auto it = by_partition_.find(PartitionKey(data.spec_id, data.entry.data_file.partition));
  if (it != by_partition_.end()) {
    const Partition& p = it->second;
    if (const auto own = p.position_by_path.find(path); own != p.position_by_path.end()) {
      take(own->second, false, false);
    }
    take(p.position_other, false, true);
    take(p.equality, true, false);
  }
  take(global_equality_, true, false);
  if (examined != nullptr) *examined += looked_at;
  return out;
}

}  // namespace datashard
