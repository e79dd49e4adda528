// Reads JSON Lines rows of one schema straight into column vectors, for
// `datashard parquet write` and `append`: simdjson parses each line into its
// reused tape and values go into the columns' typed storage, with no JSON
// document or Value per cell. It accepts and refuses exactly what
// RecordFromJsonLine does, with the same errors: a line the fast path is not
// sure of (an error, a NaN spelled as a string, a repeated key) is handed to
// RecordFromJsonLine. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "datashard/column_vector.h"
#include "datashard/schema.h"

namespace datashard {

class JsonLinesReader {
 public:
  /// Fills up to `n` bytes at `buf` and returns how many; 0 at the end.
  using ReadFn = std::function<size_t(char* buf, size_t n)>;

  JsonLinesReader(Schema schema, ReadFn read);
  ~JsonLinesReader();
  JsonLinesReader(const JsonLinesReader&) = delete;
  JsonLinesReader& operator=(const JsonLinesReader&) = delete;

  /// Replaces `columns` with one vector per schema field holding the next
  /// rows, at most `max_rows` of them; false when no row was left. Blank
  /// lines are skipped (they still count for line numbers). InvalidArgument
  /// naming the line for a row RecordFromJsonLine refuses.
  bool ReadBatch(size_t max_rows, std::vector<ColumnVector>* columns);

  /// A reader over text held in memory (which must outlive the reader).
  static ReadFn FromText(std::string_view text);

 private:
  // The next line without its newline (nor a trailing '\r'), followed in
  // memory by at least the padding simdjson reads past a document; false at
  // the end of the input.
  bool NextLine(std::string_view* line);
  void AppendLine(std::string_view line, std::vector<ColumnVector>* columns);

  class Parser;
  Schema schema_;
  ReadFn read_;
  std::unique_ptr<Parser> parser_;
  std::string buf_;  // bytes [pos_, end_) not yet consumed, then padding
  size_t pos_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  int64_t line_number_ = 0;
};

}  // namespace datashard
