// A column of values of one primitive type, stored densely for codecs and
// scans. Null slots hold a default value in the typed storage. Value type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "datashard/types.h"
#include "datashard/value.h"

namespace datashard {

class ColumnVector {
 public:
  ColumnVector() = default;
  explicit ColumnVector(DataType type) : type_(type) {}

  const DataType& type() const { return type_; }
  size_t size() const { return valid_.size(); }
  bool is_null(size_t i) const { return valid_[i] == 0; }
  size_t null_count() const;
  void Reserve(size_t n);
  /// Rows the column can hold without allocating.
  size_t capacity() const;
  /// Sets the row count to n. Rows kept keep their values; new rows are
  /// null. Storage being refilled is overwritten in place rather than
  /// cleared and rebuilt.
  void Resize(size_t n);
  void Clear();

  /// Byte values (string, binary, fixed, uuid) are held either as owned
  /// strings in `bytes`, or, as scans read them, as `views` into `buffers`
  /// (decoded Parquet pages and dictionaries the column shares, alive while
  /// any copy of the column holds them) with `bytes` empty. bytes_at() reads
  /// either form.
  bool holds_views() const { return holds_views_; }
  std::string_view bytes_at(size_t i) const { return holds_views_ ? views[i] : bytes[i]; }
  /// Switches to views: drops the rows and buffers held; Resize() then sizes
  /// `views`.
  void UseViews();
  /// Copies viewed values into `bytes` and drops the views and buffers; no-op
  /// when the column holds no views.
  void OwnBytes();

  /// Appends a value; throws InvalidArgument if it does not fit the type.
  void Append(const Value& v);
  void AppendNull();
  Value Get(size_t i) const;

  // Typed storage; exactly one is used, by type: boolean -> bools; int, date -> ints;
  // long, time, timestamp(tz) -> longs; float -> floats; double -> doubles;
  // decimal -> decimals; string, binary, fixed, uuid -> bytes.
  std::vector<uint8_t>& validity() { return valid_; }
  const std::vector<uint8_t>& validity() const { return valid_; }
  std::vector<uint8_t> bools;
  std::vector<int32_t> ints;
  std::vector<int64_t> longs;
  std::vector<float> floats;
  std::vector<double> doubles;
  std::vector<Int128> decimals;
  std::vector<std::string> bytes;
  std::vector<std::string_view> views;
  std::vector<std::shared_ptr<const void>> buffers;

 private:
  DataType type_;
  bool holds_views_ = false;
  std::vector<uint8_t> valid_;  // 1 = value present, 0 = null
};

}  // namespace datashard
