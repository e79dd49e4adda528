// Reads the values of one column chunk, page by page: dictionary page, data
// pages v1 and v2, any codec the build supports, every value encoding of
// value_decoder.h. Holds the chunk's compressed bytes and one decompressed
// page; values are decoded only as rows are requested. Byte values are
// either copied into strings or viewed in the decompressed pages and the
// dictionary, which the columns then share. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "datashard/column_vector.h"
#include "datashard/file_io.h"
#include "format/parquet/parquet_thrift.h"
#include "format/parquet/rle_hybrid.h"
#include "format/parquet/type_mapping.h"
#include "format/parquet/value_decoder.h"

namespace datashard::parquet {

/// A leaf column of the file as the reader needs it.
struct LeafColumn {
  SchemaElement element;
  LeafMapping mapping;
  int max_definition_level = 0;  // 0 required, 1 optional
};

/// Data pages a reader decompressed, and passed over without doing so.
struct PageCounts {
  int64_t read = 0;
  int64_t skipped = 0;
};

/// Decompressed page buffers that columns holding views share with the
/// readers: a buffer is refilled only once no column holds it any more, so
/// that a long scan neither allocates nor faults in a buffer per page. One
/// thread at a time (the columns may be released on any thread).
class PageBufferPool {
 public:
  std::shared_ptr<std::vector<uint8_t>> Take();

 private:
  std::vector<std::shared_ptr<std::vector<uint8_t>>> buffers_;
};

class ColumnChunkReader {
 public:
  /// Reads the chunk's bytes [begin, begin+size) from `file` (checked by the
  /// caller to lie inside the file). `num_rows` is the row group's count.
  /// Pages are counted into `counts`, which must outlive the reader.
  /// `views`: byte values are read as views (ColumnVector::holds_views) into
  /// page buffers from `views` (which must outlive the reader); nullptr:
  /// as strings. `on_demand`: the chunk is read page by page as rows are
  /// asked for, not whole now, so that pages Skip passes over are not read
  /// at all (a scan of a few rows of a large chunk).
  ColumnChunkReader(const RandomAccessFile& file, const LeafColumn& leaf,
                    const ColumnMetaData& meta, int64_t begin, int64_t size, int64_t num_rows,
                    PageCounts* counts, PageBufferPool* views = nullptr, bool on_demand = false);

  /// Fills `out` (typed as leaf.mapping.type, resized to n rows, its storage
  /// overwritten in place) with the next n rows.
  /// Corruption naming the file, column and page offset on bad data.
  void Read(size_t n, ColumnVector* out);
  /// Moves past the next n rows; data pages that lie wholly inside them are
  /// neither decompressed nor decoded.
  void Skip(size_t n);
  /// Before any Read or Skip: when the chunk starts with a dictionary page,
  /// appends its entries to `out` (typed as leaf.mapping.type) and returns
  /// true; false when it has none.
  bool ReadDictionary(ColumnVector* out);

 private:
  // Bytes read past a page header's start before parsing it.
  static constexpr size_t kHeaderBytes = 4096;
  // Makes chunk bytes [from, from+n) present in chunk_, reading what is not.
  void Load(size_t from, size_t n);
  // Reads (out != nullptr) or skips the next n rows.
  void Advance(size_t n, ColumnVector* out);
  // Moves to the next page; a data page of at most `skippable` rows is
  // passed over unread. Returns the rows passed over.
  size_t NextPage(size_t skippable);
  void LoadPage(const PageHeader& header, const uint8_t* body, size_t body_size);
  // Sets what the views of a page of `encoding` point into: the dictionary
  // or the page.
  void ViewsInto(Encoding encoding);
  // Decodes n rows of the current page into rows [at, at+n) of `out`, which
  // holds them already; `levels` false: n values without definition levels
  // (a dictionary page).
  void DecodeRows(size_t n, ColumnVector* out, size_t at, bool levels = true);
  // The byte values of DecodeRows into a column holding views: `present` of
  // the n rows have a value (`defs` null: all of them).
  void DecodeViewRows(size_t n, const uint32_t* defs, size_t present, ColumnVector* out, size_t at);
  [[noreturn]] void Fail(const std::string& why) const;

  const RandomAccessFile& file_;
  const LeafColumn& leaf_;
  const ColumnMetaData& meta_;
  PhysicalColumn physical_;
  int64_t begin_;
  PageCounts* counts_;
  // The chunk's bytes, read over whole or as pages need them: never
  // zero-filled, so bytes not read cost no memory.
  std::unique_ptr<uint8_t[]> chunk_;
  size_t chunk_size_ = 0;
  size_t loaded_begin_ = 0;  // chunk_ holds the bytes in [loaded_begin_, loaded_end_)
  size_t loaded_end_ = 0;
  size_t pos_ = 0;          // next page header within chunk_
  size_t page_offset_ = 0;  // current page header within chunk_ (for messages)
  int64_t rows_left_;

  PageBufferPool* pool_;
  bool views_;  // byte values are read as views
  std::shared_ptr<const PhysicalValues> dictionary_;
  std::shared_ptr<std::vector<uint8_t>> page_;  // decompressed page (v1) or values (v2)
  std::shared_ptr<const void> view_owner_;      // what the current page's views point into
  std::vector<uint8_t> levels_;                 // v2 definition levels
  RleDecoder def_levels_;
  std::unique_ptr<ValueDecoder> values_;
  int64_t page_left_ = 0;

  // Scratch, reused between calls.
  std::vector<uint32_t> defs_;
  PhysicalValues scratch_;
  std::vector<std::string_view> view_scratch_;
  ColumnVector discard_;  // rows decoded only to be skipped
};

}  // namespace datashard::parquet
