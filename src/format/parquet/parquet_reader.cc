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

// Min and max of a chunk or page as Iceberg values; nullopt for a bound
// that cannot be trusted (NaN, wrong size, unsigned order, an order the file
// does not declare or this reader does not know, a writer known to order it
// wrongly) rather than guessed. `lo`/`hi` follow the column's ColumnOrder
// (`order`, null when the file lists none); `legacy_lo`/`legacy_hi` are the
// signed-order Statistics.min/max (null where there are none).
struct Bounds {
  Value min;
  Value max;
};

std::optional<Bounds> TrustedBounds(const std::optional<std::string>* lo,
                                    const std::optional<std::string>* hi,
                                    const std::optional<std::string>* legacy_lo,
                                    const std::optional<std::string>* legacy_hi,
                                    const LeafColumn& leaf, const ColumnOrder* order,
                                    const WriterVersion& writer) {
  const PhysicalType pt = *leaf.element.type;
  const bool bytes = pt == PhysicalType::kByteArray || pt == PhysicalType::kFixedLenByteArray;
  if (bytes && leaf.mapping.type.id == TypeId::kDecimal &&
      WritesUnsignedDecimalStatistics(writer)) {
    return std::nullopt;
  }
  // min_value/max_value follow the column's ColumnOrder; without a known one
  // their order is undefined, unless they are equal (one value in any order).
  const bool floating = pt == PhysicalType::kFloat || pt == PhysicalType::kDouble;
  const bool known_order = order && (*order == ColumnOrder::kTypeOrder ||
                                     (*order == ColumnOrder::kIeee754TotalOrder && floating));
  const bool have_new = lo->has_value() && hi->has_value();
  if (!have_new || (!known_order && **lo != **hi)) {
    // Legacy min/max always use signed order: right for the signed types
    // only (unsigned integers are refused by the mapping).
    if (bytes || legacy_lo == nullptr) return std::nullopt;
    lo = legacy_lo;
    hi = legacy_hi;
  }
  if (!lo->has_value() || !hi->has_value()) return std::nullopt;
  std::optional<Value> min = ValueFromStatisticsBytes(**lo, leaf.element, leaf.mapping);
  std::optional<Value> max = ValueFromStatisticsBytes(**hi, leaf.element, leaf.mapping);
  if (!min || !max) return std::nullopt;
  const TypeId id = leaf.mapping.type.id;
  if (id == TypeId::kFloat) {
    float a = min->as_float(), b = max->as_float();
    if (std::isnan(a) || std::isnan(b)) return std::nullopt;
    if (a == 0) a = -0.0f;
    if (b == 0) b = 0.0f;
    min = Value(a);
    max = Value(b);
  } else if (id == TypeId::kDouble) {
    double a = min->as_double(), b = max->as_double();
    if (std::isnan(a) || std::isnan(b)) return std::nullopt;
    if (a == 0) a = -0.0;
    if (b == 0) b = 0.0;
    min = Value(a);
    max = Value(b);
  }
  return Bounds{std::move(*min), std::move(*max)};
}

// Turns raw statistics into Iceberg values (untrusted bounds are dropped).
ChunkStatistics StatisticsOf(const ColumnMetaData& md, const LeafColumn& leaf,
                             const ColumnOrder* order, const WriterVersion& writer) {
  ChunkStatistics s;
  s.num_values = md.num_values;
  s.compressed_size = md.total_compressed_size;
  s.uncompressed_size = md.total_uncompressed_size;
  if (!md.statistics) return s;
  const Statistics& st = *md.statistics;
  s.null_count = st.null_count;
  std::optional<Bounds> b =
      TrustedBounds(&st.min_value, &st.max_value, &st.min, &st.max, leaf, order, writer);
  if (b) {
    s.min = std::move(b->min);
    s.max = std::move(b->max);
  }
  return s;
}

// Whether every data page of the chunk is dictionary-encoded.
bool AllPagesDictionaryEncoded(const ColumnMetaData& md) {
  const auto dictionary = [](Encoding e) {
    return e == Encoding::kPlainDictionary || e == Encoding::kRleDictionary;
  };
  if (md.encoding_stats) {
    bool has_dictionary = false;
    for (const PageEncodingStats& s : *md.encoding_stats) {
      if (s.page_type == PageType::kDictionaryPage) {
        has_dictionary = has_dictionary || s.count > 0;
      } else if ((s.page_type == PageType::kDataPage || s.page_type == PageType::kDataPageV2) &&
                 s.count > 0 && !dictionary(s.encoding)) {
        return false;
      }
    }
    return has_dictionary;
  }
  // Without encoding stats only v1 dictionary encoding tells: RLE_DICTIONARY
  // chunks list PLAIN for their dictionary page, the same as a fallback.
  bool plain_dictionary = false;
  for (Encoding e : md.encodings) {
    if (e == Encoding::kPlainDictionary) {
      plain_dictionary = true;
    } else if (e != Encoding::kRle && e != Encoding::kBitPacked) {
      return false;
    }
  }
  return plain_dictionary;
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
  WriterVersion writer_;

  // Read cursor.
  ReadOptions options_;
  std::vector<int> selected_;
  std::vector<int> groups_;
  size_t group_index_ = 0;              // next entry of groups_
  std::vector<RowRange> group_ranges_;  // of the current group
  size_t range_index_ = 0;              // next or current entry of group_ranges_
  int64_t group_row_ = 0;               // rows of the current group read or skipped
  PageBufferPool page_buffers_;         // for string_views; outlives readers_
  std::vector<std::unique_ptr<ColumnChunkReader>> readers_;
  PageCounts page_counts_;
  int64_t columns_allocated_ = 0;
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
    writer_ = ParseCreatedBy(created_by_);
    const WriterVersion& writer = writer_;
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
    if (!options.row_ranges.empty() && options.row_ranges.size() != groups_.size()) {
      throw InvalidArgument(file_->path() + ": " + std::to_string(options.row_ranges.size()) +
                            " row range lists for " + std::to_string(groups_.size()) +
                            " row groups");
    }
    for (size_t k = 0; k < options.row_ranges.size(); ++k) {
      const int64_t rows = row_groups_[static_cast<size_t>(groups_[k])].num_rows;
      int64_t end = 0;
      for (const RowRange& r : options.row_ranges[k]) {
        if (r.begin < end || r.end <= r.begin || r.end > rows) {
          throw InvalidArgument(file_->path() + ": row range [" + std::to_string(r.begin) + ", " +
                                std::to_string(r.end) + ") of row group " +
                                std::to_string(groups_[k]) +
                                " is empty, unsorted or past its rows");
        }
        end = r.end;
      }
    }
    group_index_ = 0;
    group_ranges_.clear();
    range_index_ = 0;
    readers_.clear();
    pending_.clear();
    page_counts_ = PageCounts{};
    columns_allocated_ = 0;
  }

  size_t NextBatch() {
    for (size_t i = 0; i < pending_.size(); ++i) {
      if (pending_[i]) SkipColumn(i);
    }
    for (;;) {
      if (range_index_ < group_ranges_.size()) {
        const RowRange& r = group_ranges_[range_index_];
        if (group_row_ < r.begin) {
          // Rows between ranges: whole pages are passed over undecompressed.
          for (auto& reader : readers_) reader->Skip(static_cast<size_t>(r.begin - group_row_));
          group_row_ = r.begin;
        }
        batch_rows_ = static_cast<size_t>(std::min(options_.batch_size, r.end - group_row_));
        group_row_ += static_cast<int64_t>(batch_rows_);
        if (group_row_ == r.end) ++range_index_;
        pending_.assign(selected_.size(), 1);
        return batch_rows_;
      }
      readers_.clear();
      if (group_index_ >= groups_.size()) return 0;
      const size_t k = group_index_++;
      const int g = groups_[k];
      const int64_t rows = row_groups_[static_cast<size_t>(g)].num_rows;
      group_ranges_.clear();
      if (options_.row_ranges.empty()) {
        if (rows > 0) group_ranges_.push_back(RowRange{0, rows});
      } else {
        group_ranges_ = options_.row_ranges[k];
      }
      range_index_ = 0;
      group_row_ = 0;
      if (group_ranges_.empty()) continue;
      // Only some rows wanted: pages are read as they are reached, so those
      // passed over are never read.
      const bool on_demand = !(group_ranges_.size() == 1 && group_ranges_[0].begin == 0 &&
                               group_ranges_[0].end == rows);
      for (int c : selected_) {
        const ChunkRange& r = ranges_[static_cast<size_t>(g)][static_cast<size_t>(c)];
        const ColumnMetaData& md =
            *meta_.row_groups[static_cast<size_t>(g)].columns[static_cast<size_t>(c)].meta_data;
        readers_.push_back(std::make_unique<ColumnChunkReader>(
            *file_, leaves_[static_cast<size_t>(c)], md, r.begin, r.size, rows, &page_counts_,
            options_.string_views ? &page_buffers_ : nullptr, on_demand));
      }
    }
  }

  void ReadColumn(size_t i, ColumnVector* out) {
    Take(i);
    const DataType& type = columns_[static_cast<size_t>(selected_[i])].type;
    if (!(out->type() == type)) *out = ColumnVector(type);
    if (out->capacity() < batch_rows_) ++columns_allocated_;
    readers_[i]->Read(batch_rows_, out);
  }

  void SkipColumn(size_t i) {
    Take(i);
    readers_[i]->Skip(batch_rows_);
  }

  std::vector<PageInfo> PageIndex(int group, int column) const {
    if (group < 0 || static_cast<size_t>(group) >= row_groups_.size() || column < 0 ||
        static_cast<size_t>(column) >= columns_.size()) {
      throw InvalidArgument(file_->path() + ": no column " + std::to_string(column) +
                            " in row group " + std::to_string(group));
    }
    const size_t g = static_cast<size_t>(group), c = static_cast<size_t>(column);
    const ColumnChunk& chunk = meta_.row_groups[g].columns[c];
    const std::string where =
        "row group " + std::to_string(g) + ", column '" + leaves_[c].element.name + "': ";
    std::vector<PageInfo> pages;
    if (!chunk.offset_index_offset || !chunk.offset_index_length) return pages;
    const std::vector<uint8_t> offsets =
        ReadIndex(*chunk.offset_index_offset, *chunk.offset_index_length, where + "offset index");
    CompactReader r(offsets.data(), offsets.size(), file_->path() + ": " + where + "offset index",
                    static_cast<uint64_t>(*chunk.offset_index_offset));
    const OffsetIndex index = ParseOffsetIndex(&r);
    const int64_t rows = row_groups_[g].num_rows;
    const ChunkRange& range = ranges_[g][c];
    for (size_t i = 0; i < index.page_locations.size(); ++i) {
      const PageLocation& loc = index.page_locations[i];
      const int64_t next =
          i + 1 < index.page_locations.size() ? index.page_locations[i + 1].first_row_index : rows;
      if ((i == 0 && loc.first_row_index != 0) || next <= loc.first_row_index || next > rows ||
          loc.offset < range.begin || loc.offset >= range.begin + range.size) {
        Fail(static_cast<uint64_t>(*chunk.offset_index_offset),
             where + "offset index page " + std::to_string(i) +
                 " does not lie in the chunk's rows and bytes");
      }
      PageInfo page;
      page.first_row = loc.first_row_index;
      page.num_rows = next - loc.first_row_index;
      pages.push_back(std::move(page));
    }
    if (pages.empty() || !chunk.column_index_offset || !chunk.column_index_length) return pages;
    const std::vector<uint8_t> bounds =
        ReadIndex(*chunk.column_index_offset, *chunk.column_index_length, where + "column index");
    CompactReader cr(bounds.data(), bounds.size(), file_->path() + ": " + where + "column index",
                     static_cast<uint64_t>(*chunk.column_index_offset));
    const ColumnIndex ci = ParseColumnIndex(&cr);
    const size_t n = pages.size();
    if (ci.null_pages.size() != n || ci.min_values.size() != n || ci.max_values.size() != n ||
        (ci.null_counts && ci.null_counts->size() != n)) {
      Fail(static_cast<uint64_t>(*chunk.column_index_offset),
           where + "column index lists a different number of pages than the offset index (" +
               std::to_string(n) + ")");
    }
    const ColumnOrder* order = c < meta_.column_orders.size() ? &meta_.column_orders[c] : nullptr;
    for (size_t i = 0; i < n; ++i) {
      PageInfo& page = pages[i];
      if (ci.null_counts) page.null_count = (*ci.null_counts)[i];
      page.all_null = ci.null_pages[i];
      if (page.all_null) {
        page.null_count = page.num_rows;
        continue;
      }
      const std::optional<std::string> lo = ci.min_values[i], hi = ci.max_values[i];
      std::optional<Bounds> b =
          TrustedBounds(&lo, &hi, nullptr, nullptr, leaves_[c], order, writer_);
      if (b) {
        page.min = std::move(b->min);
        page.max = std::move(b->max);
      }
    }
    return pages;
  }

  std::optional<ColumnVector> ChunkDictionary(int group, int column) const {
    if (group < 0 || static_cast<size_t>(group) >= row_groups_.size() || column < 0 ||
        static_cast<size_t>(column) >= columns_.size()) {
      throw InvalidArgument(file_->path() + ": no column " + std::to_string(column) +
                            " in row group " + std::to_string(group));
    }
    const size_t g = static_cast<size_t>(group), c = static_cast<size_t>(column);
    const ColumnMetaData& md = *meta_.row_groups[g].columns[c].meta_data;
    if (!AllPagesDictionaryEncoded(md)) return std::nullopt;
    // The dictionary page ends where the first data page starts, when the
    // file says so; otherwise the whole chunk is read.
    const ChunkRange& r = ranges_[g][c];
    int64_t size = r.size;
    if (md.data_page_offset > r.begin && md.data_page_offset - r.begin < size) {
      size = md.data_page_offset - r.begin;
    }
    PageCounts counts;
    ColumnChunkReader reader(*file_, leaves_[c], md, r.begin, size, row_groups_[g].num_rows,
                             &counts);
    ColumnVector values(columns_[c].type);
    if (!reader.ReadDictionary(&values)) return std::nullopt;
    return values;
  }

  bool Next(std::vector<ColumnVector>* out) {
    if (NextBatch() == 0) return false;
    out->resize(selected_.size());
    for (size_t i = 0; i < selected_.size(); ++i) ReadColumn(i, &(*out)[i]);
    return true;
  }

 private:
  // The bytes of a page index structure, checked to lie in the file's data.
  std::vector<uint8_t> ReadIndex(int64_t offset, int32_t length, const std::string& what) const {
    if (offset < 4 || length < 0 || static_cast<uint64_t>(offset) > footer_begin_ ||
        static_cast<uint64_t>(length) > footer_begin_ - static_cast<uint64_t>(offset)) {
      Fail(footer_begin_, what + " spans bytes [" + std::to_string(offset) + ", +" +
                              std::to_string(length) + ") outside the data of the file");
    }
    std::vector<uint8_t> bytes(static_cast<size_t>(length));
    file_->ReadAt(static_cast<uint64_t>(offset), bytes.size(),
                  reinterpret_cast<char*>(bytes.data()));
    return bytes;
  }

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
std::vector<PageInfo> ParquetReader::PageIndex(int group, int column) const {
  return impl_->PageIndex(group, column);
}
std::optional<ColumnVector> ParquetReader::ChunkDictionary(int group, int column) const {
  return impl_->ChunkDictionary(group, column);
}
int64_t ParquetReader::pages_read() const { return impl_->page_counts_.read; }
int64_t ParquetReader::pages_skipped() const { return impl_->page_counts_.skipped; }
int64_t ParquetReader::columns_allocated() const { return impl_->columns_allocated_; }
void ParquetReader::Start(const ReadOptions& options) { impl_->Start(options); }
bool ParquetReader::Next(std::vector<ColumnVector>* out) { return impl_->Next(out); }
size_t ParquetReader::NextBatch() { return impl_->NextBatch(); }
void ParquetReader::ReadColumn(size_t i, ColumnVector* out) { impl_->ReadColumn(i, out); }
void ParquetReader::SkipColumn(size_t i) { impl_->SkipColumn(i); }

}  // namespace datashard::parquet
