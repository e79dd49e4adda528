#include "format/parquet/parquet_writer.h"

#include <algorithm>

#include "datashard/errors.h"
#include "format/parquet/bit_util.h"
#include "format/parquet/column_chunk_writer.h"
#include "format/parquet/parquet_thrift.h"
#include "format/parquet/type_mapping.h"

#ifndef DATASHARD_VERSION
#define DATASHARD_VERSION "0.0.0"
#endif
#ifndef DATASHARD_BUILD_ID
#define DATASHARD_BUILD_ID "unknown"
#endif

namespace datashard::parquet {
namespace {

constexpr char kMagic[] = "PAR1";
// Rows encoded between row-group size checks, adapted to the target size.
constexpr size_t kMaxSliceRows = 4096;

Int128 Pow10(int n) {
  Int128 v = 1;
  for (int i = 0; i < n; ++i) v *= 10;
  return v;
}

}  // namespace

Codec ParseCodec(const std::string& name) {
  if (name == "zstd") return Codec::kZstd;
  if (name == "snappy") return Codec::kSnappy;
  if (name == "gzip") return Codec::kGzip;
  if (name == "none" || name == "uncompressed") return Codec::kNone;
  throw InvalidArgument("unknown codec '" + name + "': expected zstd, snappy, gzip or none");
}

class ParquetWriter::Impl {
 public:
  Impl(std::unique_ptr<WritableFile> file, Schema schema, WriterOptions options)
      : path_(file->path()),
        file_(std::move(file)),
        schema_(std::move(schema)),
        options_(std::move(options)) {
    if (options_.row_group_size_bytes <= 0 || options_.page_size_bytes <= 0) {
      throw InvalidArgument("row group and page sizes must be positive");
    }
    if (schema_.fields().empty()) {
      throw InvalidArgument("cannot write a Parquet file with no columns");
    }
    for (const Field& f : schema_.fields()) columns_.emplace_back(f, options_);
    file_->Append(kMagic, 4);
  }

  void Write(const std::vector<ColumnVector>& columns) {
    if (finished_) throw InvalidArgument(path_ + ": Write after Finish");
    Validate(columns);
    const size_t n = columns.empty() ? 0 : columns[0].size();
    size_t off = 0;
    while (off < n) {
      const size_t take = std::min(n - off, slice_rows_);
      for (size_t c = 0; c < columns_.size(); ++c) columns_[c].Append(columns[c], off, off + take);
      off += take;
      group_rows_ += static_cast<int64_t>(take);
      total_rows_ += static_cast<int64_t>(take);
      int64_t buffered = 0;
      for (const ColumnChunkWriter& c : columns_) buffered += c.BufferedSize();
      if (buffered >= options_.row_group_size_bytes) {
        FlushRowGroup();
        continue;
      }
      // Take the next slice no larger than what should fill the row group.
      const int64_t per_row = std::max<int64_t>(1, buffered / std::max<int64_t>(1, group_rows_));
      const int64_t fit = (options_.row_group_size_bytes - buffered) / per_row;
      slice_rows_ = static_cast<size_t>(std::clamp<int64_t>(fit, 1, kMaxSliceRows));
    }
  }

  WriteResult Finish() {
    if (finished_) throw InvalidArgument(path_ + ": Finish called twice");
    finished_ = true;
    if (group_rows_ > 0) FlushRowGroup();
    if (options_.write_page_index) WritePageIndex();
    FileMetaData meta;
    meta.version = 1;
    SchemaElement root;
    root.name = "schema";
    root.num_children = static_cast<int32_t>(schema_.fields().size());
    meta.schema.push_back(root);
    for (const Field& f : schema_.fields()) {
      meta.schema.push_back(LeafForField(f));
      if (!options_.write_field_ids) meta.schema.back().field_id.reset();
    }
    meta.num_rows = total_rows_;
    meta.row_groups = std::move(row_groups_);
    for (const auto& [k, v] : options_.key_value_metadata)
      meta.key_value_metadata.push_back({k, v});
    meta.created_by = std::string("datashard version ") + DATASHARD_VERSION + " (build " +
                      DATASHARD_BUILD_ID + ")";
    meta.column_orders.assign(schema_.fields().size(), ColumnOrder::kTypeOrder);
    std::string footer;
    SerializeFileMetaData(meta, &footer);
    AppendLE<uint32_t>(static_cast<uint32_t>(footer.size()), &footer);
    footer.append(kMagic, 4);
    file_->Append(footer);
    if (options_.sync_group != nullptr) {
      options_.sync_group->Add(std::move(file_));
    } else {
      file_->Sync();
      file_->Close();
    }

    WriteResult result;
    result.record_count = total_rows_;
    result.file_size = static_cast<int64_t>(offset_ + footer.size());
    result.row_group_offsets = std::move(row_group_offsets_);
    for (size_t i = 0; i < columns_.size(); ++i) {
      result.columns[schema_.fields()[i].id] = columns_[i].Metrics();
    }
    return result;
  }

 private:
  // Refuses a batch that does not match the schema before anything of it is
  // encoded, naming the column and the row (counted over the whole file).
  void Validate(const std::vector<ColumnVector>& columns) const {
    const auto& fields = schema_.fields();
    if (columns.size() != fields.size()) {
      throw SchemaMismatch(file_->path() + ": got " + std::to_string(columns.size()) +
                           " columns for a schema of " + std::to_string(fields.size()));
    }
    const size_t n = columns[0].size();
    for (size_t c = 0; c < fields.size(); ++c) {
      const Field& f = fields[c];
      const ColumnVector& v = columns[c];
      const std::string where = file_->path() + ": column '" + f.name + "'";
      if (!(v.type() == f.type)) {
        throw SchemaMismatch(where + " is " + f.type.ToString() + " but the batch holds " +
                             v.type().ToString());
      }
      if (v.size() != n) {
        throw SchemaMismatch(where + " has " + std::to_string(v.size()) + " rows, column '" +
                             fields[0].name + "' " + std::to_string(n));
      }
      const auto row = [&](size_t i) {
        return std::to_string(total_rows_ + static_cast<int64_t>(i));
      };
      if (f.required) {
        for (size_t i = 0; i < n; ++i) {
          if (v.is_null(i))
            throw SchemaMismatch(where + " is required but row " + row(i) + " is null");
        }
      }
      if (f.type.id == TypeId::kFixed || f.type.id == TypeId::kUuid) {
        const size_t len = static_cast<size_t>(FixedLengthOf(f.type));
        for (size_t i = 0; i < n; ++i) {
          if (!v.is_null(i) && v.bytes_at(i).size() != len) {
            throw SchemaMismatch(where + " row " + row(i) + " has " +
                                 std::to_string(v.bytes_at(i).size()) + " bytes, the type " +
                                 std::to_string(len));
          }
        }
      }
      if (f.type.id == TypeId::kDecimal) {
        const Int128 limit = Pow10(f.type.precision);
        for (size_t i = 0; i < n; ++i) {
          if (!v.is_null(i) && (v.decimals[i] >= limit || v.decimals[i] <= -limit)) {
            throw SchemaMismatch(where + " row " + row(i) + " has more digits than " +
                                 f.type.ToString() + " allows");
          }
        }
      }
    }
  }

  // Writes the page index of every chunk between the last row group and the
  // footer, column indexes first, then offset indexes (as parquet-java lays
  // them out), and points the chunks at them.
  void WritePageIndex() {
    std::string out;
    for (size_t g = 0; g < row_groups_.size(); ++g) {
      for (size_t c = 0; c < row_groups_[g].columns.size(); ++c) {
        const std::optional<ColumnIndex>& bounds = page_indexes_[g][c].bounds;
        if (!bounds) continue;
        const size_t start = out.size();
        SerializeColumnIndex(*bounds, &out);
        row_groups_[g].columns[c].column_index_offset = offset_ + static_cast<int64_t>(start);
        row_groups_[g].columns[c].column_index_length = static_cast<int32_t>(out.size() - start);
      }
    }
    for (size_t g = 0; g < row_groups_.size(); ++g) {
      for (size_t c = 0; c < row_groups_[g].columns.size(); ++c) {
        const size_t start = out.size();
        SerializeOffsetIndex(page_indexes_[g][c].offsets, &out);
        row_groups_[g].columns[c].offset_index_offset = offset_ + static_cast<int64_t>(start);
        row_groups_[g].columns[c].offset_index_length = static_cast<int32_t>(out.size() - start);
      }
    }
    file_->Append(out);
    offset_ += static_cast<int64_t>(out.size());
    page_indexes_.clear();
  }

  void FlushRowGroup() {
    RowGroup g;
    g.num_rows = group_rows_;
    g.file_offset = offset_;
    row_group_offsets_.push_back(offset_);
    const int64_t start = offset_;
    std::vector<ChunkPageIndex>& indexes = page_indexes_.emplace_back(columns_.size());
    for (size_t i = 0; i < columns_.size(); ++i) {
      ColumnChunk chunk = columns_[i].Flush(file_.get(), offset_, &indexes[i]);
      const ColumnMetaData& md = *chunk.meta_data;
      offset_ += md.total_compressed_size;
      g.total_byte_size += md.total_uncompressed_size;
      g.columns.push_back(std::move(chunk));
    }
    g.total_compressed_size = offset_ - start;
    if (row_groups_.size() <= static_cast<size_t>(INT16_MAX)) {
      g.ordinal = static_cast<int16_t>(row_groups_.size());
    }
    row_groups_.push_back(std::move(g));
    group_rows_ = 0;
  }

  const std::string path_;
  std::unique_ptr<WritableFile> file_;  // handed to options_.sync_group by Finish
  Schema schema_;
  WriterOptions options_;
  std::vector<ColumnChunkWriter> columns_;
  std::vector<RowGroup> row_groups_;
  std::vector<std::vector<ChunkPageIndex>> page_indexes_;  // [row group][column]
  std::vector<int64_t> row_group_offsets_;
  int64_t offset_ = 4;
  int64_t group_rows_ = 0;
  int64_t total_rows_ = 0;
  size_t slice_rows_ = 1024;
  bool finished_ = false;
};

ParquetWriter::ParquetWriter(std::unique_ptr<WritableFile> file, Schema schema,
                             WriterOptions options)
    : impl_(std::make_unique<Impl>(std::move(file), std::move(schema), std::move(options))) {}

ParquetWriter::~ParquetWriter() = default;

void ParquetWriter::Write(const std::vector<ColumnVector>& columns) { impl_->Write(columns); }

WriteResult ParquetWriter::Finish() { return impl_->Finish(); }

}  // namespace datashard::parquet
