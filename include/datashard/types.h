// Iceberg primitive types (DESIGN.md §3) and their text form ("long",
// "decimal(18, 3)", "fixed[16]"). Value type; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace datashard {

enum class TypeId {
  kBoolean,
  kInt,
  kLong,
  kFloat,
  kDouble,
  kDecimal,
  kDate,
  kTime,
  kTimestamp,
  kTimestampTz,
  kString,
  kUuid,
  kFixed,
  kBinary,
};

/// A primitive Iceberg type. precision/scale are set for decimal, length for fixed.
struct DataType {
  TypeId id = TypeId::kLong;
  int precision = 0;
  int scale = 0;
  int length = 0;

  static DataType Boolean() { return {TypeId::kBoolean}; }
  static DataType Int() { return {TypeId::kInt}; }
  static DataType Long() { return {TypeId::kLong}; }
  static DataType Float() { return {TypeId::kFloat}; }
  static DataType Double() { return {TypeId::kDouble}; }
  static DataType Decimal(int precision, int scale) {
    return {TypeId::kDecimal, precision, scale, 0};
  }
  static DataType Date() { return {TypeId::kDate}; }
  static DataType Time() { return {TypeId::kTime}; }
  static DataType Timestamp() { return {TypeId::kTimestamp}; }
  static DataType TimestampTz() { return {TypeId::kTimestampTz}; }
  static DataType String() { return {TypeId::kString}; }
  static DataType Uuid() { return {TypeId::kUuid}; }
  static DataType Fixed(int length) { return {TypeId::kFixed, 0, 0, length}; }
  static DataType Binary() { return {TypeId::kBinary}; }

  /// Parses Iceberg's type string; spaces inside parentheses are optional.
  /// Throws InvalidArgument naming the text when it is not a known type.
  static DataType Parse(std::string_view text);

  /// Iceberg's canonical type string: "decimal(18, 3)", "fixed[16]", "timestamptz".
  std::string ToString() const;

  /// How a Value of this type is held: see value.h.
  bool operator==(const DataType&) const = default;
};

}  // namespace datashard
