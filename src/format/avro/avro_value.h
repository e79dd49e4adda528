// A generic Avro datum: the value of one schema node. Which accessor applies
// follows from the node's type; accessors allow Avro's promotions (int to
// long, float or double; long to float or double; float to double; string
// and bytes interchangeably) and throw InvalidArgument on any other mismatch.
// A value decoded from a union remembers its branch. Value type.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "format/avro/avro_schema.h"

namespace datashard {

class AvroValue {
 public:
  using Array = std::vector<AvroValue>;
  using Map = std::vector<std::pair<std::string, AvroValue>>;

  AvroValue() = default;  // null
  static AvroValue Null() { return AvroValue(); }
  static AvroValue Boolean(bool v) { return AvroValue(AvroType::kBoolean, v); }
  static AvroValue Int(int32_t v) { return AvroValue(AvroType::kInt, int64_t{v}); }
  static AvroValue Long(int64_t v) { return AvroValue(AvroType::kLong, v); }
  static AvroValue Float(float v) { return AvroValue(AvroType::kFloat, double{v}); }
  static AvroValue Double(double v) { return AvroValue(AvroType::kDouble, v); }
  static AvroValue String(std::string v) { return AvroValue(AvroType::kString, std::move(v)); }
  static AvroValue Bytes(std::string v) { return AvroValue(AvroType::kBytes, std::move(v)); }
  static AvroValue Fixed(std::string v) { return AvroValue(AvroType::kFixed, std::move(v)); }
  static AvroValue Enum(int64_t index) { return AvroValue(AvroType::kEnum, index); }
  static AvroValue MakeArray(Array items) { return AvroValue(AvroType::kArray, std::move(items)); }
  static AvroValue MakeMap(Map entries) { return AvroValue(AvroType::kMap, std::move(entries)); }
  /// A record's field values, in the order of the schema's fields.
  static AvroValue Record(Array fields) { return AvroValue(AvroType::kRecord, std::move(fields)); }

  AvroType type() const { return type_; }
  bool is_null() const { return type_ == AvroType::kNull; }
  /// The union branch this value was decoded from or is to be written as; -1
  /// lets the encoder pick the first branch of the value's type.
  int branch() const { return branch_; }
  void set_branch(int branch) { branch_ = branch; }

  bool AsBool() const;
  int32_t AsInt() const;
  int64_t AsLong() const;
  float AsFloat() const;
  double AsDouble() const;
  /// The bytes of a string, bytes or fixed value.
  const std::string& AsBytes() const;
  int64_t AsEnum() const;
  const Array& AsArray() const;
  const Map& AsMap() const;
  /// A record's field values, in the order of its schema's fields.
  const Array& AsRecord() const;

  /// Same type and data; the union branch is not compared.
  bool operator==(const AvroValue& other) const {
    return type_ == other.type_ && data_ == other.data_;
  }

 private:
  using Storage = std::variant<std::monostate, bool, int64_t, double, std::string, Array, Map>;
  template <typename T>
  AvroValue(AvroType type, T v) : type_(type), data_(std::move(v)) {}
  [[noreturn]] void Mismatch(const char* wanted) const;

  AvroType type_ = AvroType::kNull;
  Storage data_;
  int branch_ = -1;
};

}  // namespace datashard
