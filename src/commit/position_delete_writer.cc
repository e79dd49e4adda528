#include "commit/position_delete_writer.h"

#include "datashard/errors.h"
#include "format/parquet/parquet_writer.h"
#include "util/uuid.h"

namespace datashard {

DataFile WritePositionDeleteFile(FileIO& io, const TableMetadata& metadata, const DataFile& data,
                                 const std::vector<int64_t>& positions) {
  if (positions.empty()) throw InvalidArgument("no positions to delete from " + data.file_path);
  const size_t slash = data.file_path.rfind('/');
  if (slash == std::string::npos)
    throw InvalidArgument("data file path '" + data.file_path + "' has no folder");
  const std::string dir = data.file_path.substr(0, slash);
  const std::string path = dir + "/" + Uuid::Random().ToString() + "-deletes.parquet";
  const Schema schema(0, {Field{kDeleteFilePathFieldId, "file_path", DataType::String(), true, ""},
                          Field{kDeletePosFieldId, "pos", DataType::Long(), true, ""}});
  ColumnVector paths(DataType::String());
  ColumnVector pos(DataType::Long());
  paths.Reserve(positions.size());
  pos.Reserve(positions.size());
  for (int64_t p : positions) {
    paths.Append(Value(data.file_path));
    pos.Append(Value(p));
  }
  parquet::WriterOptions options;
  options.codec = parquet::ParseCodec(metadata.Property(
      table_properties::kParquetCompression, table_properties::kParquetCompressionDefault));
  parquet::WriteResult result;
  {
    parquet::ParquetWriter writer(io.Create(path), schema, options);
    writer.Write({paths, pos});
    result = writer.Finish();
  }
  io.SyncDir(dir);  // the file's name, not only its bytes, must be durable

  DataFile file;
  file.content = FileContent::kPositionDeletes;
  file.file_path = path;
  file.partition = data.partition;
  file.record_count = result.record_count;
  file.file_size_in_bytes = result.file_size;
  file.split_offsets = result.row_group_offsets;
  file.referenced_data_file = data.file_path;
  for (const Field& f : schema.fields()) {
    const auto it = result.columns.find(f.id);
    if (it == result.columns.end()) continue;
    const parquet::ColumnMetrics& m = it->second;
    file.column_sizes[f.id] = m.compressed_size;
    file.value_counts[f.id] = m.value_count;
    file.null_value_counts[f.id] = m.null_count;
    // Full bounds: readers match a delete file to data files by its
    // file_path bounds, which truncation would widen.
    if (m.lower_bound) file.lower_bounds[f.id] = SerializeSingleValue(f.type, *m.lower_bound);
    if (m.upper_bound) file.upper_bounds[f.id] = SerializeSingleValue(f.type, *m.upper_bound);
  }
  return file;
}

}  // namespace datashard
