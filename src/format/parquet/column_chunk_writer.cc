#include "format/parquet/column_chunk_writer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "datashard/errors.h"
#include "format/parquet/bit_util.h"
#include "format/parquet/compression.h"
#include "format/parquet/type_mapping.h"

namespace datashard::parquet {
namespace {

// parquet-java's default cap on rows per page, so pages stay seekable even
// when values are tiny.
constexpr int32_t kMaxPageRows = 20000;

CompressionCodec ThriftCodec(Codec c) {
  switch (c) {
    case Codec::kNone:
      return CompressionCodec::kUncompressed;
    case Codec::kSnappy:
      return CompressionCodec::kSnappy;
    case Codec::kGzip:
      return CompressionCodec::kGzip;
    case Codec::kZstd:
      return CompressionCodec::kZstd;
  }
  return CompressionCodec::kUncompressed;
}

// Bytes of a fixed-width PLAIN value of the physical type; 0 for byte arrays.
int PlainWidth(PhysicalType t) {
  switch (t) {
    case PhysicalType::kInt32:
    case PhysicalType::kFloat:
      return 4;
    case PhysicalType::kInt64:
    case PhysicalType::kDouble:
      return 8;
    default:
      return 0;
  }
}

template <typename To, typename From>
To BitCast(From v) {
  static_assert(sizeof(To) == sizeof(From));
  To out;
  std::memcpy(&out, &v, sizeof(To));
  return out;
}

}  // namespace

ColumnChunkWriter::ColumnChunkWriter(const Field& field, const WriterOptions& options)
    : field_(field),
      options_(options),
      leaf_(LeafForField(field)),
      physical_(*leaf_.type),
      codec_(ThriftCodec(options.codec)),
      optional_(!field.required),
      dict_(PlainWidth(physical_), physical_ == PhysicalType::kByteArray) {
  switch (field.type.id) {
    case TypeId::kBoolean:
      storage_ = Storage::kBool;
      break;
    case TypeId::kInt:
    case TypeId::kDate:
      storage_ = Storage::kInt32;
      break;
    case TypeId::kLong:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      storage_ = Storage::kInt64;
      break;
    case TypeId::kFloat:
      storage_ = Storage::kFloat;
      break;
    case TypeId::kDouble:
      storage_ = Storage::kDouble;
      break;
    case TypeId::kDecimal:
      storage_ = Storage::kDecimal;
      break;
    default:
      storage_ = Storage::kBytes;
      break;
  }
  if (physical_ == PhysicalType::kFixedLenByteArray) fixed_length_ = FixedLengthOf(field.type);
  metrics_.nan_count = (storage_ == Storage::kFloat || storage_ == Storage::kDouble)
                           ? std::optional<int64_t>(0)
                           : std::nullopt;
  StartChunk();
}

void ColumnChunkWriter::StartChunk() {
  dictionary_mode_ = options_.dictionary && storage_ != Storage::kBool;
  dictionary_decided_ = false;
  page_plain_size_ = 0;
  dict_.Clear();
  pages_.clear();
  chunk_uncompressed_ = 0;
  chunk_values_ = 0;
  dictionary_data_pages_ = 0;
  plain_data_pages_ = 0;
  page_nulls_ = 0;
  page_bounds_ = Bounds{};
  chunk_nulls_ = 0;
  chunk_nans_ = 0;
  chunk_bounds_ = Bounds{};
  page_offsets_ = OffsetIndex{};
  page_bounds_index_ = ColumnIndex{};
  page_bounds_index_.null_counts.emplace();
  page_mins_.clear();
  page_maxes_.clear();
  page_bounds_known_ = true;
}

template <typename F>
void ColumnChunkWriter::ForEachPresent(const ColumnVector& column, size_t begin, size_t end,
                                       F&& f) {
  const auto& valid = column.validity();
  for (size_t i = begin; i < end; ++i) {
    const bool present = valid[i] != 0;
    if (optional_) def_levels_.Put(present ? 1 : 0);
    ++page_values_;
    if (present) {
      f(i);
    } else {
      ++page_nulls_;
    }
  }
}

template <typename T>
void ColumnChunkWriter::UpdateMinMax(T v, T* min, T* max) {
  if (!page_bounds_.has) {
    *min = v;
    *max = v;
    page_bounds_.has = true;
    return;
  }
  if (v < *min) *min = v;
  if (*max < v) *max = v;
}

void ColumnChunkWriter::UpdateBytes(std::string_view v) {
  Bounds& b = page_bounds_;
  if (!b.has) {
    b.min_b = v;
    b.max_b = v;
    b.has = true;
  } else if (v < b.min_b) {
    b.min_b = v;
  } else if (b.max_b < v) {
    b.max_b = v;
  }
}

void ColumnChunkWriter::Merge(const Bounds& b, Bounds* into) const {
  if (!b.has) return;
  if (!into->has) {
    *into = b;
    return;
  }
  into->min_i = std::min(into->min_i, b.min_i);
  into->max_i = std::max(into->max_i, b.max_i);
  into->min_f = std::min(into->min_f, b.min_f);
  into->max_f = std::max(into->max_f, b.max_f);
  into->min_d = std::min(into->min_d, b.min_d);
  into->max_d = std::max(into->max_d, b.max_d);
  if (storage_ == Storage::kBytes) {
    if (b.min_b < into->min_b) into->min_b = b.min_b;
    if (into->max_b < b.max_b) into->max_b = b.max_b;
  }
}

void ColumnChunkWriter::PutBits(uint64_t bits, int width) {
  if (dictionary_mode_) {
    page_indices_.push_back(dict_.IndexOfBits(bits));
    page_plain_size_ += width;
    MaybeFallBack();
    return;
  }
  if (width == 4) {
    AppendLE<uint32_t>(static_cast<uint32_t>(bits), &page_plain_);
  } else {
    AppendLE<uint64_t>(bits, &page_plain_);
  }
}

void ColumnChunkWriter::PutFloating(double v, uint64_t bits, int width) {
  if (std::isnan(v)) {
    ++chunk_nans_;
  } else {
    UpdateMinMax(v, &page_bounds_.min_f, &page_bounds_.max_f);
  }
  PutBits(bits, width);
}

void ColumnChunkWriter::PutBytes(std::string_view v) {
  if (dictionary_mode_) {
    page_indices_.push_back(dict_.IndexOfBytes(v));
    page_plain_size_ += static_cast<int64_t>(v.size()) + (fixed_length_ > 0 ? 0 : 4);
    MaybeFallBack();
    return;
  }
  if (physical_ == PhysicalType::kByteArray) {
    AppendLE<uint32_t>(static_cast<uint32_t>(v.size()), &page_plain_);
  }
  page_plain_.append(v);
}

void ColumnChunkWriter::MaybeFallBack() {
  // Entry offsets are 32-bit; a larger configured limit still stops at 1 GiB.
  const int64_t limit = std::min<int64_t>(options_.dictionary_size_limit_bytes, 1ll << 30);
  if (static_cast<int64_t>(dict_.plain().size()) <= limit) return;
  // Pages written so far keep their indices; the rest of the chunk is PLAIN.
  FlushPage();
  dictionary_mode_ = false;
}

// On the first page of a chunk: keeps the dictionary only if the page is
// smaller as dictionary plus indices than as PLAIN; otherwise the page's
// values are rewritten PLAIN and the chunk gets no dictionary.
void ColumnChunkWriter::DecideDictionary() {
  dictionary_decided_ = true;
  const int64_t width = std::max(1, BitWidth(dict_.size() - 1));
  const int64_t encoded = static_cast<int64_t>(dict_.plain().size()) +
                          (static_cast<int64_t>(page_indices_.size()) * width + 7) / 8;
  if (encoded < page_plain_size_) return;
  page_plain_.clear();
  page_plain_.reserve(static_cast<size_t>(page_plain_size_));
  for (uint32_t i : page_indices_) dict_.AppendPlain(i, &page_plain_);
  page_indices_.clear();
  dict_.Clear();
  dictionary_mode_ = false;
}

// PLAIN values [begin, end) of a column without nulls in the range, copied
// as they lie in memory (little-endian); false when the slow path applies.
template <typename T>
bool ColumnChunkWriter::AppendPlainRun(const std::vector<T>& values, const ColumnVector& column,
                                       size_t begin, size_t end) {
  if (dictionary_mode_) return false;
  if (optional_) {
    const auto& valid = column.validity();
    for (size_t i = begin; i < end; ++i) {
      if (valid[i] == 0) return false;
    }
    for (size_t i = begin; i < end; ++i) def_levels_.Put(1);
  }
  page_values_ += static_cast<int32_t>(end - begin);
  page_plain_.append(reinterpret_cast<const char*>(values.data() + begin),
                     (end - begin) * sizeof(T));
  return true;
}

void ColumnChunkWriter::Append(const ColumnVector& c, size_t begin, size_t end) {
  // Pages close at exactly kMaxPageRows rows, so page boundaries do not
  // depend on how the caller slices its batches.
  while (begin < end) {
    const size_t take = std::min(end - begin, static_cast<size_t>(kMaxPageRows - page_values_));
    AppendToPage(c, begin, begin + take);
    begin += take;
  }
}

void ColumnChunkWriter::AppendToPage(const ColumnVector& c, size_t begin, size_t end) {
  switch (storage_) {
    case Storage::kBool:
      ForEachPresent(c, begin, end, [&](size_t i) {
        const int64_t v = c.bools[i] ? 1 : 0;
        UpdateMinMax(v, &page_bounds_.min_i, &page_bounds_.max_i);
        page_bools_.push_back(static_cast<uint8_t>(v));
      });
      break;
    case Storage::kInt32:
      if (AppendPlainRun(c.ints, c, begin, end)) {
        for (size_t i = begin; i < end; ++i)
          UpdateMinMax<int64_t>(c.ints[i], &page_bounds_.min_i, &page_bounds_.max_i);
        break;
      }
      ForEachPresent(c, begin, end, [&](size_t i) {
        const int32_t v = c.ints[i];
        UpdateMinMax<int64_t>(v, &page_bounds_.min_i, &page_bounds_.max_i);
        PutBits(static_cast<uint32_t>(v), 4);
      });
      break;
    case Storage::kInt64:
      if (physical_ == PhysicalType::kInt64 && AppendPlainRun(c.longs, c, begin, end)) {
        for (size_t i = begin; i < end; ++i)
          UpdateMinMax(c.longs[i], &page_bounds_.min_i, &page_bounds_.max_i);
        break;
      }
      ForEachPresent(c, begin, end, [&](size_t i) {
        const int64_t v = c.longs[i];
        UpdateMinMax(v, &page_bounds_.min_i, &page_bounds_.max_i);
        PutBits(static_cast<uint64_t>(v), 8);
      });
      break;
    case Storage::kFloat:
      if (AppendPlainRun(c.floats, c, begin, end)) {
        for (size_t i = begin; i < end; ++i) {
          if (std::isnan(c.floats[i])) {
            ++chunk_nans_;
          } else {
            UpdateMinMax<double>(c.floats[i], &page_bounds_.min_f, &page_bounds_.max_f);
          }
        }
        break;
      }
      ForEachPresent(c, begin, end, [&](size_t i) {
        const float v = c.floats[i];
        PutFloating(v, BitCast<uint32_t>(v), 4);
      });
      break;
    case Storage::kDouble:
      if (AppendPlainRun(c.doubles, c, begin, end)) {
        for (size_t i = begin; i < end; ++i) {
          if (std::isnan(c.doubles[i])) {
            ++chunk_nans_;
          } else {
            UpdateMinMax(c.doubles[i], &page_bounds_.min_f, &page_bounds_.max_f);
          }
        }
        break;
      }
      ForEachPresent(c, begin, end, [&](size_t i) {
        const double v = c.doubles[i];
        PutFloating(v, BitCast<uint64_t>(v), 8);
      });
      break;
    case Storage::kDecimal:
      ForEachPresent(c, begin, end, [&](size_t i) {
        const Int128 v = c.decimals[i];
        UpdateMinMax(v, &page_bounds_.min_d, &page_bounds_.max_d);
        switch (physical_) {
          case PhysicalType::kInt32:
            PutBits(static_cast<uint32_t>(static_cast<int32_t>(v)), 4);
            break;
          case PhysicalType::kInt64:
            PutBits(static_cast<uint64_t>(static_cast<int64_t>(v)), 8);
            break;
          default:
            PutBytes(DecimalToBytes(v, fixed_length_));
            break;
        }
      });
      break;
    case Storage::kBytes:
      ForEachPresent(c, begin, end, [&](size_t i) {
        const std::string_view v = c.bytes_at(i);
        UpdateBytes(v);
        PutBytes(v);
      });
      break;
  }
  if (OpenPageSize() >= options_.page_size_bytes || page_values_ >= kMaxPageRows) FlushPage();
}

int64_t ColumnChunkWriter::OpenPageSize() const {
  int64_t n = optional_ ? page_values_ / 8 : 0;
  if (!page_indices_.empty()) {
    n += static_cast<int64_t>(page_indices_.size()) * std::max(1, BitWidth(dict_.size())) / 8;
  }
  return n + static_cast<int64_t>(page_plain_.size() + page_bools_.size() / 8);
}

int64_t ColumnChunkWriter::BufferedSize() const {
  return chunk_uncompressed_ + OpenPageSize() + static_cast<int64_t>(dict_.plain().size());
}

void ColumnChunkWriter::AppendPage(PageType type, const std::string& body, int32_t num_values,
                                   Encoding encoding, std::string* out) {
  if (body.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max() / 2)) {
    throw InvalidArgument("column '" + field_.name + "': a page of " + std::to_string(body.size()) +
                          " bytes is too large for Parquet");
  }
  std::string compressed;
  Compress(codec_, options_.compression_level, body.data(), body.size(), &compressed);
  PageHeader h;
  h.type = type;
  h.uncompressed_page_size = static_cast<int32_t>(body.size());
  h.compressed_page_size = static_cast<int32_t>(compressed.size());
  if (type == PageType::kDictionaryPage) {
    h.dictionary_page_header = DictionaryPageHeader{num_values, Encoding::kPlain, std::nullopt};
  } else {
    DataPageHeader d;
    d.num_values = num_values;
    d.encoding = encoding;
    h.data_page_header = d;
  }
  const size_t start = out->size();
  SerializePageHeader(h, out);
  chunk_uncompressed_ += static_cast<int64_t>(out->size() - start + body.size());
  out->append(compressed);
}

void ColumnChunkWriter::FlushPage() {
  if (page_values_ == 0) return;
  if (dictionary_mode_ && !dictionary_decided_) DecideDictionary();
  std::string body;
  if (optional_) {
    std::string levels;
    def_levels_.Flush(&levels);
    AppendLE<uint32_t>(static_cast<uint32_t>(levels.size()), &body);
    body += levels;
  }
  Encoding encoding = Encoding::kPlain;
  // A page of only nulls in a chunk with a dictionary is a dictionary page
  // of no indices, so that the chunk's data pages stay all dictionary-encoded.
  if (!page_indices_.empty() || (dictionary_mode_ && dict_.size() > 0)) {
    const int width = std::max(1, BitWidth(dict_.size() - 1));
    body.push_back(static_cast<char>(width));
    RleEncoder::Encode(page_indices_.data(), page_indices_.size(), width, &body);
    encoding = Encoding::kRleDictionary;
    ++dictionary_data_pages_;
  } else {
    if (storage_ == Storage::kBool) {
      BitWriter w(&body);
      for (uint8_t b : page_bools_) w.Put(b, 1);
      w.Flush();
    } else {
      body += page_plain_;
    }
    ++plain_data_pages_;
  }
  const size_t offset = pages_.size();
  AppendPage(PageType::kDataPage, body, page_values_, encoding, &pages_);
  IndexPage(offset);
  chunk_values_ += page_values_;
  chunk_nulls_ += page_nulls_;
  Merge(page_bounds_, &chunk_bounds_);
  page_values_ = 0;
  page_nulls_ = 0;
  page_bounds_ = Bounds{};
  page_plain_size_ = 0;
  page_indices_.clear();
  page_plain_.clear();
  page_bools_.clear();
}

void ColumnChunkWriter::IndexPage(size_t offset) {
  PageLocation loc;
  loc.offset = static_cast<int64_t>(offset);
  loc.compressed_page_size = static_cast<int32_t>(pages_.size() - offset);
  loc.first_row_index = chunk_values_;
  page_offsets_.page_locations.push_back(loc);
  if (!page_bounds_known_) return;
  ColumnIndex& index = page_bounds_index_;
  const bool all_null = page_nulls_ == page_values_;
  index.null_pages.push_back(all_null);
  index.null_counts->push_back(page_nulls_);
  if (all_null) {
    index.min_values.emplace_back();
    index.max_values.emplace_back();
    return;
  }
  const std::optional<Value> lo = MinOf(page_bounds_), hi = MaxOf(page_bounds_);
  if (!lo || (storage_ == Storage::kBytes && (page_bounds_.min_b.size() > kMaxIndexedValueBytes ||
                                              page_bounds_.max_b.size() > kMaxIndexedValueBytes))) {
    page_bounds_known_ = false;  // only NaN, or too long to repeat per page
    return;
  }
  index.min_values.push_back(StatisticsBytes(*lo, field_.type));
  index.max_values.push_back(StatisticsBytes(*hi, field_.type));
  page_mins_.push_back(*lo);
  page_maxes_.push_back(*hi);
}

std::optional<Value> ColumnChunkWriter::MinOf(const Bounds& b) const {
  if (!b.has) return std::nullopt;
  switch (storage_) {
    case Storage::kBool:
      return Value(b.min_i != 0);
    case Storage::kInt32:
      return Value(static_cast<int32_t>(b.min_i));
    case Storage::kInt64:
      return Value(b.min_i);
    // A zero minimum is written as -0.0 so it bounds both zeros.
    case Storage::kFloat:
      return Value(b.min_f == 0 ? -0.0f : static_cast<float>(b.min_f));
    case Storage::kDouble:
      return Value(b.min_f == 0 ? -0.0 : b.min_f);
    case Storage::kDecimal:
      return Value::Decimal(b.min_d);
    case Storage::kBytes:
      return Value(b.min_b);
  }
  return std::nullopt;
}

std::optional<Value> ColumnChunkWriter::MaxOf(const Bounds& b) const {
  if (!b.has) return std::nullopt;
  switch (storage_) {
    case Storage::kBool:
      return Value(b.max_i != 0);
    case Storage::kInt32:
      return Value(static_cast<int32_t>(b.max_i));
    case Storage::kInt64:
      return Value(b.max_i);
    case Storage::kFloat:
      return Value(b.max_f == 0 ? 0.0f : static_cast<float>(b.max_f));
    case Storage::kDouble:
      return Value(b.max_f == 0 ? 0.0 : b.max_f);
    case Storage::kDecimal:
      return Value::Decimal(b.max_d);
    case Storage::kBytes:
      return Value(b.max_b);
  }
  return std::nullopt;
}

ColumnChunk ColumnChunkWriter::Flush(WritableFile* file, int64_t offset, ChunkPageIndex* index) {
  FlushPage();
  ColumnMetaData md;
  md.type = physical_;
  md.path_in_schema = {field_.name};
  md.codec = codec_;
  md.num_values = chunk_values_;
  std::string dict_page;
  const bool dictionary = dictionary_data_pages_ > 0;
  if (dictionary) {
    AppendPage(PageType::kDictionaryPage, dict_.plain(), static_cast<int32_t>(dict_.size()),
               Encoding::kPlain, &dict_page);
    md.dictionary_page_offset = offset;
    file->Append(dict_page);
  }
  md.data_page_offset = offset + static_cast<int64_t>(dict_page.size());
  file->Append(pages_);
  md.total_compressed_size = static_cast<int64_t>(dict_page.size() + pages_.size());
  md.total_uncompressed_size = chunk_uncompressed_;
  // Which pages are dictionary-encoded, so that a reader knows whether every
  // value of the chunk is in the dictionary (dictionary filtering).
  md.encoding_stats.emplace();
  if (dictionary) {
    md.encodings = {Encoding::kPlain, Encoding::kRle, Encoding::kRleDictionary};
    md.encoding_stats->push_back({PageType::kDictionaryPage, Encoding::kPlain, 1});
    md.encoding_stats->push_back(
        {PageType::kDataPage, Encoding::kRleDictionary, dictionary_data_pages_});
  } else {
    md.encodings = {Encoding::kPlain, Encoding::kRle};
  }
  if (plain_data_pages_ > 0) {
    md.encoding_stats->push_back({PageType::kDataPage, Encoding::kPlain, plain_data_pages_});
  }
  Statistics stats;
  stats.null_count = chunk_nulls_;
  const std::optional<Value> lo = MinOf(chunk_bounds_), hi = MaxOf(chunk_bounds_);
  if (lo) {
    stats.min_value = StatisticsBytes(*lo, field_.type);
    stats.max_value = StatisticsBytes(*hi, field_.type);
  }
  md.statistics = stats;

  index->offsets = std::move(page_offsets_);
  for (PageLocation& p : index->offsets.page_locations) p.offset += md.data_page_offset;
  index->bounds.reset();
  if (page_bounds_known_) {
    page_bounds_index_.boundary_order = BoundaryOrderOf();
    index->bounds = std::move(page_bounds_index_);
  }

  metrics_.compressed_size += md.total_compressed_size;
  metrics_.value_count += chunk_values_;
  metrics_.null_count += chunk_nulls_;
  if (metrics_.nan_count) *metrics_.nan_count += chunk_nans_;
  if (lo && (!metrics_.lower_bound || CompareValues(field_.type, *lo, *metrics_.lower_bound) < 0)) {
    metrics_.lower_bound = lo;
  }
  if (hi && (!metrics_.upper_bound || CompareValues(field_.type, *hi, *metrics_.upper_bound) > 0)) {
    metrics_.upper_bound = hi;
  }

  StartChunk();
  ColumnChunk chunk;
  chunk.file_offset = 0;
  chunk.meta_data = std::move(md);
  return chunk;
}

BoundaryOrder ColumnChunkWriter::BoundaryOrderOf() const {
  bool ascending = true, descending = true;
  for (size_t i = 1; i < page_mins_.size(); ++i) {
    const int mins = CompareValues(field_.type, page_mins_[i - 1], page_mins_[i]);
    const int maxes = CompareValues(field_.type, page_maxes_[i - 1], page_maxes_[i]);
    ascending = ascending && mins <= 0 && maxes <= 0;
    descending = descending && mins >= 0 && maxes >= 0;
  }
  if (ascending) return BoundaryOrder::kAscending;
  if (descending) return BoundaryOrder::kDescending;
  return BoundaryOrder::kUnordered;
}

ColumnMetrics ColumnChunkWriter::Metrics() const { return metrics_; }

}  // namespace datashard::parquet
