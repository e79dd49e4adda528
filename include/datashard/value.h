// One typed value of an Iceberg primitive type, or null. Which alternative
// holds the value follows from the column's DataType:
//   boolean -> bool;  int, date (days since epoch) -> int32_t;
//   long, time (µs since midnight), timestamp, timestamptz (µs since epoch) -> int64_t;
//   float -> float;  double -> double;  decimal -> Int128 (the unscaled value);
//   string (UTF-8), binary, fixed, uuid (16 raw big-endian bytes) -> std::string.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "datashard/types.h"

namespace datashard {

__extension__ typedef __int128 Int128;

class Value {
 public:
  using Storage =
      std::variant<std::monostate, bool, int32_t, int64_t, float, double, std::string, Int128>;

  Value() = default;
  Value(bool v) : v_(v) {}                // NOLINT: implicit by design
  Value(int32_t v) : v_(v) {}             // NOLINT
  Value(int64_t v) : v_(v) {}             // NOLINT
  Value(float v) : v_(v) {}               // NOLINT
  Value(double v) : v_(v) {}              // NOLINT
  Value(std::string v) : v_(std::move(v)) {}  // NOLINT
  Value(const char* v) : v_(std::string(v)) {}  // NOLINT
  static Value Decimal(Int128 unscaled) { Value v; v.v_ = unscaled; return v; }
  static Value Null() { return Value(); }

  bool is_null() const { return std::holds_alternative<std::monostate>(v_); }
  bool as_bool() const { return std::get<bool>(v_); }
  int32_t as_int() const { return std::get<int32_t>(v_); }
  int64_t as_long() const { return std::get<int64_t>(v_); }
  float as_float() const { return std::get<float>(v_); }
  double as_double() const { return std::get<double>(v_); }
  const std::string& as_bytes() const { return std::get<std::string>(v_); }
  Int128 as_decimal() const { return std::get<Int128>(v_); }
  const Storage& storage() const { return v_; }

  /// True when the held alternative is the one `type` requires (null always fits).
  bool Fits(const DataType& type) const;

  bool operator==(const Value& other) const = default;

 private:
  Storage v_;
};

/// Orders two non-null values of the same type the way Iceberg and Parquet
/// statistics do: signed for numbers, unsigned byte-wise for strings and
/// binary, -0.0 before +0.0; NaN compares greater than every number.
int CompareValues(const DataType& type, const Value& a, const Value& b);

/// A row: one Value per schema field, in schema order.
using Record = std::vector<Value>;

}  // namespace datashard
