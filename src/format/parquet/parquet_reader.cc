#include "format/parquet/parquet_reader.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>

#include "datashard/errors.h"
#include "format/parquet/bit_util.h"
#include "format/parquet/column_chunk_reader.h"
#include "format/parquet/parquet_thrift.h"
#include "format/parquet/type_mapping.h"

namespace datashard::parquet {
namespace {

constexpr uint64_t kMinFileSize = 12;  // "PAR1" + footer length + "PAR1"

// Byte range of a column chunk within the file.
struct ChunkRange {
  int64_t begin = 0;
  int64_t size = 0;
};

// The application and version a file's created_by names, in the form
// "<application> version <major>.<minor>.<patch>[...] [(build ...)]"; a
// negative major when it does not parse.
struct WriterVersion {
  std::string application;
  int major = -1;
  int minor = 0;
  int patch = 0;
};

WriterVersion ParseCreatedBy(const std::string& created_by) {
  WriterVersion v;
  const std::string marker = " version ";
  const size_t at = created_by.find(marker);
  if (at == std::string::npos) return v;
  v.application = created_by.substr(0, at);
  int parts[3] = {-1, 0, 0};
  size_t i = at + marker.size();
  for (int k = 0; k < 3; ++k) {
    if (i >= created_by.size() || !std::isdigit(static_cast<unsigned char>(created_by[i]))) break;
    int n = 0;
    while (i < created_by.size() && std::isdigit(static_cast<unsigned char>(created_by[i])) &&
           n < 100000) {
      n = n * 10 + (created_by[i++] - '0');
    }
    parts[k] = n;
    if (i >= created_by.size() || created_by[i] != '.') break;
    ++i;
  }
  v.major = parts[0];
  v.minor = parts[1];
  v.patch = parts[2];
  return v;
}

// PARQUET-1655: parquet-cpp (Arrow's Parquet writer) before 4.0.0 ordered
// decimals stored as BYTE_ARRAY / FIXED_LEN_BYTE_ARRAY as unsigned bytes,
// so files it wrote with negative decimals carry wrong min/max.
bool WritesUnsignedDecimalStatistics(const WriterVersion& w) {
  return (w.application == "parquet-cpp" || w.application == "parquet-cpp-arrow") && w.major >= 0 &&
         w.major < 4;
}

// Turns raw statistics into Iceberg values; a bound that cannot be trusted
// (NaN, wrong size, unsigned order, an order the file does not declare or
// this reader does not know, a writer known to order it wrongly) is dropped
// rather than guessed. `order` is the column's ColumnOrder, null when the
// file lists none for it.
ChunkStatistics StatisticsOf(const ColumnMetaData& md, const LeafColumn& leaf,
                             const ColumnOrder* order, const WriterVersion& writer) {
  ChunkStatistics s;
  s.num_values = md.num_values;
  s.compressed_size = md.total_compressed_size;
  s.uncompressed_size = md.total_uncompressed_size;
  if (!md.statistics) return s;
  const Statistics& st = *md.statistics;
  s.null_count = st.null_count;
  const PhysicalType pt = *leaf.element.type;
  const bool bytes = pt == PhysicalType::kByteArray || pt == PhysicalType::kFixedLenByteArray;
  if (bytes && leaf.mapping.type.id == TypeId::kDecimal &&
      WritesUnsignedDecimalStatistics(writer)) {
    return s;
  }
  // min_value/max_value follow the column's ColumnOrder; without a known one
  // their order is undefined, unless they are equal (one value in any order).
  const bool floating = pt == PhysicalType::kFloat || pt == PhysicalType::kDouble;
  const bool known_order = order && (*order == ColumnOrder::kTypeOrder ||
                                     (*order == ColumnOrder::kIeee754TotalOrder && floating));
  const std::optional<std::string>* lo = &st.min_value;
  const std::optional<std::string>* hi = &st.max_value;
  const bool have_new = lo->has_value() && hi->has_value();
  if (!have_new || (!known_order && **lo != **hi)) {
    // Legacy min/max always use signed order: right for the signed types
    // only (unsigned integers are refused by the mapping).
    if (bytes) return s;
    lo = &st.min;
    hi = &st.max;
  }
  if (!lo->has_value() || !hi->has_value()) return s;
  std::optional<Value> min = ValueFromStatisticsBytes(**lo, leaf.element, leaf.mapping);
  std::optional<Value> max = ValueFromStatisticsBytes(**hi, leaf.element, leaf.mapping);
  if (!min || !max) return s;
  const TypeId id = leaf.mapping.type.id;
  if (id == TypeId::kFloat) {
    float a = min->as_float(), b = max->as_float();
    if (std::isnan(a) || std::isnan(b)) return s;
    if (a == 0) a = -0.0f;
    if (b == 0) b = 0.0f;
    min = Value(a);
    max = Value(b);
  } else if (id == TypeId::kDouble) {
    double a = min->as_double(), b = max->as_double();
    if (std::isnan(a) || std::isnan(b)) return s;
    if (a == 0) a = -0.0;
    if (b == 0) b = 0.0;
    min = Value(a);
    max = Value(b);
  }
  s.min = std::move(min);
  s.max = std::move(max);
  return s;
}

}  // namespace

class ParquetReader::Impl {
 public:
  explicit Impl(std::unique_ptr<RandomAccessFile> file) : file_(std::move(file)) {
    ReadFooter();
    MapSchema();
    CheckRowGroups();
  }

  std::unique_ptr<RandomAccessFile> file_;
  FileMetaData meta_;
  uint64_t footer_begin_ = 0;
  std::vector<LeafColumn> leaves_;
  std::vector<FileColumn> columns_;
  std::vector<RowGroupInfo> row_groups_;
  std::vector<std::vector<ChunkRange>> ranges_;  // [row group][column]
  std::string created_by_;

  // Read cursor.
  ReadOptions options_;
  std::vector<int> selected_;
  std::vector<int> groups_;
  size_t group_index_ = 0;
  int64_t group_rows_left_ = 0;
  std::vector<std::unique_ptr<ColumnChunkReader>> readers_;
  size_t batch_rows_ = 0;         // rows of the current batch
  std::vector<uint8_t> pending_;  // per selected column: not yet read or skipped

  [[noreturn]] void Fail(uint64_t offset, const std::string& why) const {
    throw Corruption(file_->path() + ": offset " + std::to_string(offset) + ": " + why);
  }

  void ReadFooter() {
    const uint64_t size = file_->Size();
    if (size < kMinFileSize) {
      Fail(0, "file of " + std::to_string(size) + " bytes is too small to be Parquet");
    }
    char head[4];
    file_->ReadAt(0, 4, head);
    if (std::memcmp(head, "PAR1", 4) != 0) Fail(0, "missing the PAR1 magic at the start");
    uint8_t tail[8];
    file_->ReadAt(size - 8, 8, reinterpret_cast<char*>(tail));
    if (std::memcmp(tail + 4, "PAR1", 4) != 0) Fail(size - 4, "missing the PAR1 magic at the end");
    const uint32_t len = LoadLE<uint32_t>(tail);
    if (len > size - kMinFileSize) {
      Fail(size - 8, "footer length " + std::to_string(len) + " exceeds the file");
    }
    footer_begin_ = size - 8 - len;
    std::vector<uint8_t> footer(len);
    file_->ReadAt(footer_begin_, len, reinterpret_cast<char*>(footer.data()));
    CompactReader r(footer.data(), footer.size(), file_->path() + ": footer", footer_begin_);
    meta_ = ParseFileMetaData(&r);
    created_by_ = meta_.created_by.value_or("");
  }

  void MapSchema() {
    const auto& schema = meta_.schema;
    if (schema.empty()) Fail(footer_begin_, "the schema is empty");
    const int32_t children = schema[0].num_children.value_or(0);
    // Walk the tree depth-first so nested columns are named, not misread.
    size_t i = 1;
    for (int32_t c = 0; c < children; ++c) {
      if (i >= schema.size()) Fail(footer_begin_, "the schema has fewer elements than it declares");
      const SchemaElement& e = schema[i];
      if (e.num_children.value_or(0) > 0 || !e.type) {
        throw NotSupported(file_->path() + ": column '" + e.name +
                           "' is a nested group (struct, list or map), which datashard does "
                           "not read");
      }
      LeafColumn leaf;
      leaf.element = e;
      try {
        leaf.mapping = MapLeaf(e);
      } catch (const NotSupported& ex) {
        throw NotSupported(file_->path() + ": " + ex.what());
      } catch (const Corruption& ex) {
        Fail(footer_begin_, ex.what());
      }
      leaf.max_definition_level = e.repetition == Repetition::kRequired ? 0 : 1;
      FileColumn fc;
      fc.name = e.name;
      fc.field_id = e.field_id;
      fc.type = leaf.mapping.type;
      fc.required = leaf.max_definition_level == 0;
      columns_.push_back(fc);
      leaves_.push_back(std::move(leaf));
      ++i;
    }
    if (i != schema.size()) {
      Fail(footer_begin_, "the schema has " + std::to_string(schema.size()) +
                              " elements, its root declares " + std::to_string(children) +
                              " children");
    }
  }

  void CheckRowGroups() {
    const WriterVersion writer = ParseCreatedBy(created_by_);
    int64_t total = 0;
    for (size_t g = 0; g < meta_.row_groups.size(); ++g) {
      const RowGroup& rg = meta_.row_groups[g];
      const std::string where = "row group " + std::to_string(g);
      if (rg.columns.size() != leaves_.size()) {
        Fail(footer_begin_, where + " has " + std::to_string(rg.columns.size()) +
                                " columns, the schema " + std::to_string(leaves_.size()));
      }
      if (rg.num_rows < 0) Fail(footer_begin_, where + " has a negative row count");
      if (__builtin_add_overflow(total, rg.num_rows, &total)) {
        Fail(footer_begin_, "row counts overflow");
      }
      RowGroupInfo info;
      info.num_rows = rg.num_rows;
      std::vector<ChunkRange> ranges;
      for (size_t c = 0; c < leaves_.size(); ++c) {
        const ColumnChunk& chunk = rg.columns[c];
        const std::string col = where + ", column '" + leaves_[c].element.name + "'";
        if (chunk.file_path) {
          throw NotSupported(file_->path() + ": " + col + " lives in another file");
        }
        if (!chunk.meta_data) Fail(footer_begin_, col + " has no metadata");
        const ColumnMetaData& md = *chunk.meta_data;
        if (md.type != *leaves_[c].element.type) {
          Fail(footer_begin_, col + " has physical type " + std::to_string(int(md.type)) +
                                  ", the schema " + std::to_string(int(*leaves_[c].element.type)));
        }
        ChunkRange r;
        r.begin = md.data_page_offset;
        if (md.dictionary_page_offset && *md.dictionary_page_offset > 0 &&
            *md.dictionary_page_offset < r.begin) {
          r.begin = *md.dictionary_page_offset;
        }
        r.size = md.total_compressed_size;
        if (r.begin < 4 || r.size < 0 || static_cast<uint64_t>(r.begin) > footer_begin_ ||
            static_cast<uint64_t>(r.size) > footer_begin_ - static_cast<uint64_t>(r.begin)) {
          Fail(footer_begin_, col + " spans bytes [" + std::to_string(r.begin) + ", +" +
                                  std::to_string(r.size) + ") outside the data of the file");
        }
        ranges.push_back(r);
        const ColumnOrder* order =
            c < meta_.column_orders.size() ? &meta_.column_orders[c] : nullptr;
        info.columns.push_back(StatisticsOf(md, leaves_[c], order, writer));
      }
      info.file_offset = rg.file_offset.value_or(ranges.empty() ? 4 : ranges[0].begin);
      row_groups_.push_back(std::move(info));
      ranges_.push_back(std::move(ranges));
    }
    if (total != meta_.num_rows) {
      Fail(footer_begin_, "the row groups hold " + std::to_string(total) +
                              " rows, the footer declares " + std::to_string(meta_.num_rows));
    }
  }

  void Start(const ReadOptions& options) {
    if (options.batch_size <= 0) throw InvalidArgument("batch size must be positive");
    options_ = options;
    selected_.clear();
    if (options.columns.empty()) {
      for (size_t c = 0; c < columns_.size(); ++c) selected_.push_back(static_cast<int>(c));
    } else {
      for (int c : options.columns) {
        if (c < 0 || static_cast<size_t>(c) >= columns_.size()) {
          throw InvalidArgument(file_->path() + ": no column " + std::to_string(c) + " (file has " +
                                std::to_string(columns_.size()) + ")");
        }
        selected_.push_back(c);
      }
    }
    groups_.clear();
    if (options.row_groups.empty()) {
      for (size_t g = 0; g < row_groups_.size(); ++g) groups_.push_back(static_cast<int>(g));
    } else {
      for (int g : options.row_groups) {
        if (g < 0 || static_cast<size_t>(g) >= row_groups_.size()) {
          throw InvalidArgument(file_->path() + ": no row group " + std::to_string(g) +
                                " (file has " + std::to_string(row_groups_.size()) + ")");
        }
        groups_.push_back(g);
      }
    }
    group_index_ = 0;
    group_rows_left_ = 0;
    readers_.clear();
    pending_.clear();
  }

  size_t NextBatch() {
    for (size_t i = 0; i < pending_.size(); ++i) {
      if (pending_[i]) SkipColumn(i);
    }
    while (group_rows_left_ == 0) {
      readers_.clear();
      if (group_index_ >= groups_.size()) return 0;
      const int g = groups_[group_index_++];
      group_rows_left_ = row_groups_[static_cast<size_t>(g)].num_rows;
      for (int c : selected_) {
        const ChunkRange& r = ranges_[static_cast<size_t>(g)][static_cast<size_t>(c)];
        const ColumnMetaData& md =
            *meta_.row_groups[static_cast<size_t>(g)].columns[static_cast<size_t>(c)].meta_data;
        readers_.push_back(std::make_unique<ColumnChunkReader>(
            *file_, leaves_[static_cast<size_t>(c)], md, r.begin, r.size, group_rows_left_));
      }
    }
    batch_rows_ = static_cast<size_t>(std::min(options_.batch_size, group_rows_left_));
    group_rows_left_ -= static_cast<int64_t>(batch_rows_);
    pending_.assign(selected_.size(), 1);
    return batch_rows_;
  }

  void ReadColumn(size_t i, ColumnVector* out) {
    Take(i);
    const DataType& type = columns_[static_cast<size_t>(selected_[i])].type;
    if (out->type() == type) {
      out->Clear();
    } else {
      *out = ColumnVector(type);
    }
    out->Reserve(batch_rows_);
    readers_[i]->Read(batch_rows_, out);
  }

  void SkipColumn(size_t i) {
    Take(i);
    readers_[i]->Skip(batch_rows_);
  }

  bool Next(std::vector<ColumnVector>* out) {
    if (NextBatch() == 0) return false;
    out->resize(selected_.size());
    for (size_t i = 0; i < selected_.size(); ++i) ReadColumn(i, &(*out)[i]);
    return true;
  }

 private:
  // Marks column i of the current batch as read or skipped.
  void Take(size_t i) {
    if (i >= pending_.size() || !pending_[i]) {
      throw InvalidArgument(file_->path() + ": column " + std::to_string(i) +
                            " of the batch is not pending");
    }
    pending_[i] = 0;
  }
};

std::unique_ptr<ParquetReader> ParquetReader::Open(std::unique_ptr<RandomAccessFile> file) {
  std::unique_ptr<ParquetReader> r(new ParquetReader());
  r->impl_ = std::make_unique<Impl>(std::move(file));
  return r;
}

ParquetReader::ParquetReader() = default;
ParquetReader::~ParquetReader() = default;

const std::vector<FileColumn>& ParquetReader::columns() const { return impl_->columns_; }
int64_t ParquetReader::num_rows() const { return impl_->meta_.num_rows; }
const std::vector<RowGroupInfo>& ParquetReader::row_groups() const { return impl_->row_groups_; }
const std::string& ParquetReader::created_by() const { return impl_->created_by_; }
void ParquetReader::Start(const ReadOptions& options) { impl_->Start(options); }
bool ParquetReader::Next(std::vector<ColumnVector>* out) { return impl_->Next(out); }
size_t ParquetReader::NextBatch() { return impl_->NextBatch(); }
void ParquetReader::ReadColumn(size_t i, ColumnVector* out) { impl_->ReadColumn(i, out); }
void ParquetReader::SkipColumn(size_t i) { impl_->SkipColumn(i); }

}  // namespace datashard::parquet
