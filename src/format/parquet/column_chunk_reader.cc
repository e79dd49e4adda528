#include "format/parquet/column_chunk_reader.h"

#include <algorithm>
#include <atomic>

#include "datashard/errors.h"
#include "format/parquet/bit_util.h"
#include "format/parquet/compression.h"

namespace datashard::parquet {
namespace {

// Writes n rows at `at` of `dst`: the next source value where present, a
// default where null (`defs` null: every row is present).
template <typename Src, typename Dst, typename Conv>
void Scatter(size_t n, const uint32_t* defs, Src* src, std::vector<Dst>* dst, size_t at,
             Conv&& conv) {
  Dst* out = dst->data() + at;
  if (defs == nullptr) {
    for (size_t i = 0; i < n; ++i) out[i] = conv(src[i]);
    return;
  }
  size_t j = 0;
  for (size_t i = 0; i < n; ++i) out[i] = defs[i] != 0 ? conv(src[j++]) : Dst{};
}

// Decodes n values of a column without nulls or conversion straight into
// `dst` at `at`, without a scratch copy.
template <typename T, typename Decode>
void DecodeInto(size_t n, std::vector<T>* dst, size_t at, Decode&& decode) {
  decode(dst->data() + at, n);
}

int64_t MillisToMicros(int64_t v) {
  int64_t out = 0;
  if (__builtin_mul_overflow(v, 1000, &out)) {
    throw Corruption("millisecond value " + std::to_string(v) + " overflows microseconds");
  }
  return out;
}

// Readies `c` to be refilled with views: views it holds are overwritten in
// place (not cleared and zero-filled again); the buffers they pointed into
// are let go.
void RefillViews(ColumnVector* c) {
  if (c->holds_views()) {
    c->buffers.clear();
  } else {
    c->UseViews();
  }
}

// Buffers a pool keeps for reuse; more in use at once are not kept.
constexpr size_t kPooledBuffers = 16;
// Rows skipped inside a page are decoded this many at a time.
constexpr size_t kSkipRows = 4096;

}  // namespace

std::shared_ptr<std::vector<uint8_t>> PageBufferPool::Take() {
  for (const auto& b : buffers_) {
    if (b.use_count() == 1) {
      // The last other holder let go (a release decrement): its reads of the
      // buffer happen before the refill.
      std::atomic_thread_fence(std::memory_order_acquire);
      return b;
    }
  }
  auto b = std::make_shared<std::vector<uint8_t>>();
  if (buffers_.size() < kPooledBuffers) buffers_.push_back(b);
  return b;
}

ColumnChunkReader::ColumnChunkReader(const RandomAccessFile& file, const LeafColumn& leaf,
                                     const ColumnMetaData& meta, int64_t begin, int64_t size,
                                     int64_t num_rows, PageCounts* counts, PageBufferPool* views,
                                     bool on_demand)
    : file_(file),
      leaf_(leaf),
      meta_(meta),
      begin_(begin),
      counts_(counts),
      rows_left_(num_rows),
      pool_(views),
      views_(views != nullptr &&
             (*leaf.element.type == PhysicalType::kByteArray ||
              *leaf.element.type == PhysicalType::kFixedLenByteArray) &&
             leaf.mapping.conversion != LeafConversion::kDecimalBytes),
      page_(std::make_shared<std::vector<uint8_t>>()),
      discard_(leaf.mapping.type) {
  physical_.type = *leaf.element.type;
  physical_.type_length = leaf.element.type_length.value_or(0);
  chunk_size_ = static_cast<size_t>(size);
  chunk_ = std::make_unique_for_overwrite<uint8_t[]>(chunk_size_);
  if (!on_demand) Load(0, chunk_size_);
}

void ColumnChunkReader::Load(size_t from, size_t n) {
  const size_t to = from + n;
  if (from >= loaded_begin_ && to <= loaded_end_) return;
  // Pages are read in file order: a range that starts inside the last one
  // read continues it.
  if (from >= loaded_begin_ && from <= loaded_end_) {
    from = loaded_end_;
  } else {
    loaded_begin_ = from;
  }
  file_.ReadAt(static_cast<uint64_t>(begin_) + from, to - from,
               reinterpret_cast<char*>(chunk_.get()) + from);
  loaded_end_ = to;
}

void ColumnChunkReader::Fail(const std::string& why) const {
  throw Corruption(file_.path() + ": column '" + leaf_.element.name + "', page at offset " +
                   std::to_string(begin_ + static_cast<int64_t>(page_offset_)) + ": " + why);
}

void ColumnChunkReader::Read(size_t n, ColumnVector* out) {
  if (views_) RefillViews(out);
  out->Resize(n);
  Advance(n, out);
}

void ColumnChunkReader::Skip(size_t n) { Advance(n, nullptr); }

bool ColumnChunkReader::ReadDictionary(ColumnVector* out) {
  if (pos_ != 0) throw InvalidArgument(file_.path() + ": dictionary read after the first page");
  try {
    NextPage(0);
    if (!dictionary_) return false;
    const std::vector<uint8_t>& page = *dictionary_->page;
    values_ = MakeValueDecoder(Encoding::kPlain, physical_, page.data(), page.size(), nullptr);
    out->Resize(dictionary_->size);
    DecodeRows(dictionary_->size, out, 0, false);
    values_.reset();
  } catch (const Corruption& e) {
    const std::string what = e.what();
    if (what.rfind(file_.path() + ":", 0) == 0) throw;
    Fail(what);
  }
  return true;
}

void ColumnChunkReader::Advance(size_t n, ColumnVector* out) {
  if (static_cast<int64_t>(n) > rows_left_) {
    throw InvalidArgument(file_.path() + ": read past the end of a row group");
  }
  size_t at = 0;  // next row of `out`
  try {
    while (n > 0) {
      if (page_left_ == 0) {
        const size_t skipped = NextPage(out == nullptr ? n : 0);
        n -= skipped;
        rows_left_ -= static_cast<int64_t>(skipped);
        continue;
      }
      size_t k = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(n), page_left_));
      if (out != nullptr) {
        DecodeRows(k, out, at);
        at += k;
      } else {
        // Skipped rows are decoded a few at a time into storage that stays
        // small and cached, not into a fresh buffer as large as the skip.
        k = std::min(k, kSkipRows);
        if (views_) RefillViews(&discard_);
        discard_.Resize(k);
        DecodeRows(k, &discard_, 0);
      }
      n -= k;
      page_left_ -= static_cast<int64_t>(k);
      rows_left_ -= static_cast<int64_t>(k);
    }
  } catch (const Corruption& e) {
    // Thrift errors already name the file and offset; add them to the rest.
    const std::string what = e.what();
    if (what.rfind(file_.path() + ":", 0) == 0) throw;
    Fail(what);
  }
}

size_t ColumnChunkReader::NextPage(size_t skippable) {
  if (pos_ >= chunk_size_) Fail("the column chunk ends before all rows of the row group");
  page_offset_ = pos_;
  // A header is read within the bytes loaded past it (a few kilobytes when
  // pages are read on demand); one that runs past them is read again with
  // the rest of the chunk loaded.
  const size_t rest = chunk_size_ - pos_;
  Load(pos_, std::min(kHeaderBytes, rest));
  PageHeader h;
  for (;;) {
    const size_t window = loaded_end_ - pos_;
    CompactReader r(chunk_.get() + pos_, window,
                    file_.path() + ": column '" + leaf_.element.name + "' page header",
                    static_cast<uint64_t>(begin_) + pos_);
    try {
      h = ParsePageHeader(&r);
    } catch (const Corruption&) {
      if (window == rest) throw;
      Load(pos_, rest);
      continue;
    }
    pos_ += r.position();
    break;
  }
  if (h.compressed_page_size < 0 || h.uncompressed_page_size < 0) Fail("negative page size");
  if (static_cast<size_t>(h.compressed_page_size) > chunk_size_ - pos_) {
    Fail("page of " + std::to_string(h.compressed_page_size) + " bytes runs past the column chunk");
  }
  const uint8_t* body = chunk_.get() + pos_;
  const size_t body_size = static_cast<size_t>(h.compressed_page_size);
  const size_t body_at = pos_;
  pos_ += body_size;
  switch (h.type) {
    case PageType::kDictionaryPage: {
      if (!h.dictionary_page_header) Fail("dictionary page without its header");
      if (dictionary_) Fail("a second dictionary page in one column chunk");
      const Encoding e = h.dictionary_page_header->encoding;
      if (e != Encoding::kPlain && e != Encoding::kPlainDictionary) {
        Fail(std::string("dictionary page encoding ") + EncodingName(e));
      }
      Load(body_at, body_size);
      auto page = std::make_shared<std::vector<uint8_t>>();
      Decompress(meta_.codec, body, body_size, static_cast<size_t>(h.uncompressed_page_size),
                 page.get());
      dictionary_ = std::make_shared<const PhysicalValues>(
          DecodeDictionary(physical_, std::move(page), h.dictionary_page_header->num_values));
      return 0;
    }
    case PageType::kDataPage:
    case PageType::kDataPageV2: {
      // A flat column's page holds one value (or null) per row.
      int64_t rows = 0;
      if (h.type == PageType::kDataPage && h.data_page_header) {
        rows = h.data_page_header->num_values;
      } else if (h.type == PageType::kDataPageV2 && h.data_page_header_v2) {
        rows = h.data_page_header_v2->num_rows;
      }
      if (rows > 0 && static_cast<uint64_t>(rows) <= skippable) {
        ++counts_->skipped;
        return static_cast<size_t>(rows);
      }
      Load(body_at, body_size);
      LoadPage(h, body, body_size);
      ++counts_->read;
      return 0;
    }
    default:
      return 0;  // index pages and unknown page types carry no values
  }
}

void ColumnChunkReader::LoadPage(const PageHeader& h, const uint8_t* body, size_t body_size) {
  const bool optional = leaf_.max_definition_level > 0;
  // Columns may still view the last page; it is left to them.
  if (views_) page_ = pool_->Take();
  if (h.type == PageType::kDataPage) {
    if (!h.data_page_header) Fail("data page without its header");
    const DataPageHeader& d = *h.data_page_header;
    if (d.num_values < 0) Fail("negative value count");
    Decompress(meta_.codec, body, body_size, static_cast<size_t>(h.uncompressed_page_size),
               page_.get());
    const uint8_t* p = page_->data();
    size_t left = page_->size();
    if (optional) {
      if (d.definition_level_encoding != Encoding::kRle) {
        throw NotSupported(file_.path() + ": column '" + leaf_.element.name +
                           "': definition levels encoded as " +
                           EncodingName(d.definition_level_encoding));
      }
      if (left < 4) Fail("definition levels have no length prefix");
      const uint32_t len = LoadLE<uint32_t>(p);
      if (len > left - 4)
        Fail("definition levels of " + std::to_string(len) + " bytes run past the page");
      def_levels_ = RleDecoder(p + 4, len, 1);
      p += 4 + len;
      left -= 4 + len;
    }
    values_ = MakeValueDecoder(d.encoding, physical_, p, left, dictionary_.get());
    ViewsInto(d.encoding);
    page_left_ = d.num_values;
    return;
  }
  if (!h.data_page_header_v2) Fail("data page v2 without its header");
  const DataPageHeaderV2& d = *h.data_page_header_v2;
  if (d.num_values < 0 || d.definition_levels_byte_length < 0 ||
      d.repetition_levels_byte_length < 0) {
    Fail("negative count in a data page v2 header");
  }
  const size_t levels = static_cast<size_t>(d.definition_levels_byte_length) +
                        static_cast<size_t>(d.repetition_levels_byte_length);
  if (levels > body_size || levels > static_cast<size_t>(h.uncompressed_page_size)) {
    Fail("levels of " + std::to_string(levels) + " bytes exceed the page");
  }
  if (optional) {
    def_levels_ = RleDecoder(body + d.repetition_levels_byte_length,
                             static_cast<size_t>(d.definition_levels_byte_length), 1);
  }
  const uint8_t* values = body + levels;
  const size_t compressed = body_size - levels;
  const size_t uncompressed = static_cast<size_t>(h.uncompressed_page_size) - levels;
  if (d.is_compressed) {
    Decompress(meta_.codec, values, compressed, uncompressed, page_.get());
  } else {
    Decompress(CompressionCodec::kUncompressed, values, compressed, uncompressed, page_.get());
  }
  values_ =
      MakeValueDecoder(d.encoding, physical_, page_->data(), page_->size(), dictionary_.get());
  ViewsInto(d.encoding);
  page_left_ = d.num_values;
}

void ColumnChunkReader::ViewsInto(Encoding encoding) {
  if (encoding == Encoding::kPlainDictionary || encoding == Encoding::kRleDictionary) {
    view_owner_ = dictionary_;
  } else {
    view_owner_ = page_;
  }
}

void ColumnChunkReader::DecodeRows(size_t n, ColumnVector* out, size_t at, bool levels) {
  const uint32_t* defs = nullptr;
  size_t present = n;
  auto& valid = out->validity();
  std::fill(valid.begin() + static_cast<std::ptrdiff_t>(at),
            valid.begin() + static_cast<std::ptrdiff_t>(at + n), uint8_t{1});
  if (levels && leaf_.max_definition_level > 0) {
    defs_.resize(n);
    def_levels_.Decode(defs_.data(), n);
    present = 0;
    for (size_t i = 0; i < n; ++i) {
      valid[at + i] = defs_[i] != 0 ? 1 : 0;
      present += valid[at + i];
    }
    if (present != n) defs = defs_.data();
  }
  const LeafConversion conv = leaf_.mapping.conversion;
  const auto same = [](auto v) { return v; };
  ValueDecoder& values = *values_;
  switch (physical_.type) {
    case PhysicalType::kBoolean:
      if (defs == nullptr) {
        DecodeInto(n, &out->bools, at, [&](uint8_t* d, size_t k) { values.DecodeBool(d, k); });
        return;
      }
      scratch_.bools.resize(present);
      values.DecodeBool(scratch_.bools.data(), present);
      Scatter(n, defs, scratch_.bools.data(), &out->bools, at, same);
      return;
    case PhysicalType::kInt32:
      if (defs == nullptr && conv == LeafConversion::kNone) {
        DecodeInto(n, &out->ints, at, [&](int32_t* d, size_t k) { values.DecodeInt32(d, k); });
        return;
      }
      scratch_.i32.resize(present);
      values.DecodeInt32(scratch_.i32.data(), present);
      switch (conv) {
        case LeafConversion::kMillisToMicros:
          Scatter(n, defs, scratch_.i32.data(), &out->longs, at,
                  [](int32_t v) { return int64_t{v} * 1000; });
          return;
        case LeafConversion::kUint32ToLong:
          Scatter(n, defs, scratch_.i32.data(), &out->longs, at,
                  [](int32_t v) { return static_cast<int64_t>(static_cast<uint32_t>(v)); });
          return;
        case LeafConversion::kDecimalInt32:
          Scatter(n, defs, scratch_.i32.data(), &out->decimals, at,
                  [](int32_t v) { return static_cast<Int128>(v); });
          return;
        default:
          Scatter(n, defs, scratch_.i32.data(), &out->ints, at, same);
          return;
      }
    case PhysicalType::kInt64:
      if (defs == nullptr && conv == LeafConversion::kNone) {
        DecodeInto(n, &out->longs, at, [&](int64_t* d, size_t k) { values.DecodeInt64(d, k); });
        return;
      }
      scratch_.i64.resize(present);
      values.DecodeInt64(scratch_.i64.data(), present);
      switch (conv) {
        case LeafConversion::kMillisToMicros:
          Scatter(n, defs, scratch_.i64.data(), &out->longs, at, MillisToMicros);
          return;
        case LeafConversion::kDecimalInt64:
          Scatter(n, defs, scratch_.i64.data(), &out->decimals, at,
                  [](int64_t v) { return static_cast<Int128>(v); });
          return;
        default:
          Scatter(n, defs, scratch_.i64.data(), &out->longs, at, same);
          return;
      }
    case PhysicalType::kFloat:
      if (defs == nullptr) {
        DecodeInto(n, &out->floats, at, [&](float* d, size_t k) { values.DecodeFloat(d, k); });
        return;
      }
      scratch_.f32.resize(present);
      values.DecodeFloat(scratch_.f32.data(), present);
      Scatter(n, defs, scratch_.f32.data(), &out->floats, at, same);
      return;
    case PhysicalType::kDouble:
      if (defs == nullptr) {
        DecodeInto(n, &out->doubles, at, [&](double* d, size_t k) { values.DecodeDouble(d, k); });
        return;
      }
      scratch_.f64.resize(present);
      values.DecodeDouble(scratch_.f64.data(), present);
      Scatter(n, defs, scratch_.f64.data(), &out->doubles, at, same);
      return;
    case PhysicalType::kByteArray:
    case PhysicalType::kFixedLenByteArray:
      if (out->holds_views()) {
        DecodeViewRows(n, defs, present, out, at);
        return;
      }
      if (defs == nullptr && conv != LeafConversion::kDecimalBytes) {
        DecodeInto(n, &out->bytes, at, [&](std::string* d, size_t k) { values.DecodeBytes(d, k); });
        return;
      }
      scratch_.bytes.resize(present);
      values.DecodeBytes(scratch_.bytes.data(), present);
      if (conv == LeafConversion::kDecimalBytes) {
        Scatter(n, defs, scratch_.bytes.data(), &out->decimals, at, [](const std::string& b) {
          return DecimalFromBytes(reinterpret_cast<const uint8_t*>(b.data()), b.size());
        });
      } else {
        Scatter(n, defs, scratch_.bytes.data(), &out->bytes, at,
                [](std::string& b) { return std::move(b); });
      }
      return;
    case PhysicalType::kInt96:
      throw NotSupported("INT96 values are not supported");
  }
}

void ColumnChunkReader::DecodeViewRows(size_t n, const uint32_t* defs, size_t present,
                                       ColumnVector* out, size_t at) {
  std::string_view* dst = out->views.data() + at;
  if (defs != nullptr) {
    view_scratch_.resize(present);
    dst = view_scratch_.data();
  }
  if (values_->DecodeViews(dst, present)) {
    if (out->buffers.empty() || out->buffers.back() != view_owner_) {
      out->buffers.push_back(view_owner_);
    }
  } else {
    // The encoding builds each value: they are kept in a buffer of their own.
    scratch_.bytes.resize(present);
    values_->DecodeBytes(scratch_.bytes.data(), present);
    size_t total = 0;
    for (const std::string& b : scratch_.bytes) total += b.size();
    auto owned = std::make_shared<std::string>();
    owned->reserve(total);
    for (size_t i = 0; i < present; ++i) {
      dst[i] = std::string_view(owned->data() + owned->size(), scratch_.bytes[i].size());
      owned->append(scratch_.bytes[i]);
    }
    out->buffers.push_back(std::move(owned));
  }
  if (defs != nullptr) {
    Scatter(n, defs, view_scratch_.data(), &out->views, at, [](std::string_view v) { return v; });
  }
}

}  // namespace datashard::parquet
