// A column of values of one primitive type, stored densely for codecs and
// scans. Null slots hold a default value in the typed storage. Value type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
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
  /// Sets the row count to n. Rows kept keep their values; new rows are
  /// null. Storage being refilled is overwritten in place rather than
  /// cleared and rebuilt.
  void Resize(size_t n);
  void Clear();

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

 private:
  DataType type_;
  std::vector<uint8_t> valid_;  // 1 = value present, 0 = null
};

}  // namespace datashard
