#include "scan/row_deletes.h"

#include <algorithm>

#include "datashard/errors.h"
#include "format/parquet/parquet_reader.h"
#include "metadata/file_location.h"
#include "types/type_promotion.h"
#include "types/value_key.h"

namespace datashard {

namespace {

// Reserved field ids of a position delete file's columns.
constexpr int kFilePathId = 2147483546;
constexpr int kPosId = 2147483545;

std::unique_ptr<parquet::ParquetReader> OpenDeleteFile(FileIO& io, const DataFile& file) {
  return parquet::ParquetReader::Open(io.OpenRead(LocalFilePath(file.file_path, "delete file")));
}

}  // namespace

Field FindTableField(const TableMetadata& metadata, int field_id) {
  const Schema& current = metadata.CurrentSchema();
  if (const int i = current.IndexOfId(field_id); i >= 0)
    return current.fields()[static_cast<size_t>(i)];
  const Schema* newest = nullptr;
  for (const Schema& s : metadata.schemas) {
    if (s.IndexOfId(field_id) >= 0 && (newest == nullptr || s.schema_id() > newest->schema_id())) {
      newest = &s;
    }
  }
  if (newest == nullptr) {
    throw NotFound("table " + metadata.location + " has no field with id " +
                   std::to_string(field_id) + " in any schema");
  }
  return newest->fields()[static_cast<size_t>(newest->IndexOfId(field_id))];
}

template <typename T, typename Load>
std::shared_ptr<const T> DeleteLoader::Cached(
    std::map<std::string, std::shared_future<std::shared_ptr<const T>>>& cache,
    const std::string& key, Load load) {
  std::promise<std::shared_ptr<const T>> promise;
  std::shared_future<std::shared_ptr<const T>> future;
  bool loads = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache.find(key);
    if (it == cache.end()) {
      future = promise.get_future().share();
      cache.emplace(key, future);
      loads = true;
    } else {
      future = it->second;
    }
  }
  if (loads) {
    try {
      promise.set_value(load());
    } catch (...) {
      promise.set_exception(std::current_exception());
    }
  }
  return future.get();
}

std::shared_ptr<const PositionDeletes> DeleteLoader::Positions(const PlannedFile& file) {
  const DataFile& df = file.entry.data_file;
  return Cached(positions_, df.file_path, [&] {
    auto out = std::make_shared<PositionDeletes>();
    std::unique_ptr<parquet::ParquetReader> reader = OpenDeleteFile(io_, df);
    // Files without ids are read by the names the spec gives these columns.
    const FileColumnResolver resolver(reader->columns(), &NameMapping::PositionDeleteColumns(),
                                      "position delete file " + df.file_path);
    const int path_col = resolver.Find(kFilePathId);
    const int pos_col = resolver.Find(kPosId);
    if (path_col < 0 || pos_col < 0) {
      throw Corruption("position delete file " + df.file_path + " lacks the " +
                       (path_col < 0 ? "file_path" : "pos") + " column");
    }
    const DataType& path_type = reader->columns()[static_cast<size_t>(path_col)].type;
    const DataType& pos_type = reader->columns()[static_cast<size_t>(pos_col)].type;
    if (path_type.id != TypeId::kString || pos_type.id != TypeId::kLong) {
      throw Corruption("position delete file " + df.file_path + " stores file_path as " +
                       path_type.ToString() + " and pos as " + pos_type.ToString() +
                       "; the spec requires string and long");
    }
    parquet::ReadOptions options;
    options.columns = {path_col, pos_col};
    reader->Start(options);
    std::vector<ColumnVector> batch;
    int64_t row = 0;
    while (reader->Next(&batch)) {
      const ColumnVector& paths = batch[0];
      const ColumnVector& positions = batch[1];
      for (size_t i = 0; i < paths.size(); ++i, ++row) {
        if (paths.is_null(i) || positions.is_null(i) || positions.longs[i] < 0) {
          throw Corruption("position delete file " + df.file_path + " row " + std::to_string(row) +
                           " has a null file_path, a null pos or a negative pos");
        }
        out->by_path[std::string(paths.bytes_at(i))].push_back(positions.longs[i]);
      }
    }
    for (auto& [path, list] : out->by_path) std::sort(list.begin(), list.end());
    return std::shared_ptr<const PositionDeletes>(std::move(out));
  });
}

std::shared_ptr<const EqualityDeletes> DeleteLoader::Equality(const PlannedFile& file) {
  const DataFile& df = file.entry.data_file;
  return Cached(equality_, df.file_path, [&] {
    auto out = std::make_shared<EqualityDeletes>();
    out->field_ids = df.equality_ids;
    std::unique_ptr<parquet::ParquetReader> reader = OpenDeleteFile(io_, df);
    parquet::ReadOptions options;
    std::vector<DataType> types;
    const FileColumnResolver resolver(reader->columns(), name_mapping_.get(),
                                      "equality delete file " + df.file_path);
    for (int id : df.equality_ids) {
      const Field field = FindTableField(metadata_, id);
      const int col = resolver.Find(id);
      if (col < 0) {
        throw Corruption("equality delete file " + df.file_path + " lacks column '" + field.name +
                         "' (field id " + std::to_string(id) + ") named in its equality_ids");
      }
      const parquet::FileColumn& fc = reader->columns()[static_cast<size_t>(col)];
      if (!ReadsAs(fc.type, field.type)) {
        throw Corruption("equality delete file " + df.file_path + " stores column '" + field.name +
                         "'" + FileColumnNote(fc, field) + " as " + fc.type.ToString() +
                         " but the table type is " + field.type.ToString());
      }
      options.columns.push_back(col);
      types.push_back(field.type);
    }
    reader->Start(options);
    std::vector<ColumnVector> batch;
    std::string key;
    while (reader->Next(&batch)) {
      const size_t rows = batch.empty() ? 0 : batch[0].size();
      for (size_t i = 0; i < rows; ++i) {
        key.clear();
        for (size_t c = 0; c < batch.size(); ++c)
          AppendValueKey(PromoteValue(batch[c].Get(i), types[c]), &key);
        out->keys.insert(key);
      }
    }
    return std::shared_ptr<const EqualityDeletes>(std::move(out));
  });
}

RowDeleteFilter::RowDeleteFilter(DeleteLoader& loader, const PlannedFile& data,
                                 const DeleteFileList& deletes, const Schema& read_schema) {
  const std::string& path = data.entry.data_file.file_path;
  for (const auto& d : deletes) {
    if (d->entry.data_file.content == FileContent::kPositionDeletes) {
      const std::shared_ptr<const PositionDeletes> p = loader.Positions(*d);
      const auto it = p->by_path.find(path);
      if (it != p->by_path.end())
        positions_.insert(positions_.end(), it->second.begin(), it->second.end());
      continue;
    }
    Equality e{loader.Equality(*d), {}};
    for (int id : e.deletes->field_ids) {
      const int c = read_schema.IndexOfId(id);
      if (c < 0) {
        throw InvalidArgument("the scan of " + path +
                              " reads no column for equality delete field " + std::to_string(id));
      }
      e.columns.push_back(static_cast<size_t>(c));
    }
    if (!e.deletes->keys.empty()) equality_.push_back(std::move(e));
  }
  std::sort(positions_.begin(), positions_.end());
  positions_.erase(std::unique(positions_.begin(), positions_.end()), positions_.end());
}

int64_t RowDeleteFilter::Apply(const RecordBatch& batch, const std::vector<int64_t>& row_positions,
                               std::vector<uint8_t>* selection) const {
  int64_t cleared = 0;
  std::vector<uint8_t>& sel = *selection;
  if (!positions_.empty()) {
    // Both the batch's positions and the deleted ones ascend: one merge pass.
    auto next = std::lower_bound(positions_.begin(), positions_.end(),
                                 row_positions.empty() ? 0 : row_positions.front());
    for (size_t i = 0; i < row_positions.size() && next != positions_.end(); ++i) {
      while (next != positions_.end() && *next < row_positions[i]) ++next;
      if (next != positions_.end() && *next == row_positions[i] && sel[i]) {
        sel[i] = 0;
        ++cleared;
      }
    }
  }
  std::string key;
  for (const Equality& e : equality_) {
    for (size_t i = 0; i < sel.size(); ++i) {
      if (!sel[i]) continue;
      key.clear();
      for (size_t c : e.columns) AppendValueKey(batch.columns[c].Get(i), &key);
      if (e.deletes->keys.count(key) != 0) {
        sel[i] = 0;
        ++cleared;
      }
    }
  }
  return cleared;
}

}  // namespace datashard
