// Iceberg's single-value binary serialization (spec Appendix D), declared in
// manifest.h: the byte form of bounds and partition summaries.
#include <cstring>

#include "datashard/errors.h"
#include "metadata/manifest.h"
#include "metadata/manifest_decimal.h"

namespace datashard {

namespace {

template <typename T>
std::string LittleEndian(T v) {
  std::string out(sizeof(T), '\0');
  std::memcpy(out.data(), &v, sizeof(T));  // every supported target is little-endian
  return out;
}

template <typename T>
T FromLittleEndian(const std::string& bytes) {
  T v;
  std::memcpy(&v, bytes.data(), sizeof(T));
  return v;
}

[[noreturn]] void BadLength(const DataType& type, const std::string& bytes) {
  throw Corruption("single-value bytes of length " + std::to_string(bytes.size()) +
                   " cannot be a " + type.ToString());
}

}  // namespace

std::string SerializeSingleValue(const DataType& type, const Value& value) {
  if (value.is_null())
    throw InvalidArgument("a null " + type.ToString() + " has no single-value form");
  if (!value.Fits(type)) throw InvalidArgument("value does not fit type " + type.ToString());
  switch (type.id) {
    case TypeId::kBoolean:
      return std::string(1, value.as_bool() ? '\x01' : '\x00');
    case TypeId::kInt:
    case TypeId::kDate:
      return LittleEndian(value.as_int());
    case TypeId::kLong:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      return LittleEndian(value.as_long());
    case TypeId::kFloat:
      return LittleEndian(value.as_float());
    case TypeId::kDouble:
      return LittleEndian(value.as_double());
    case TypeId::kDecimal:
      return MinimalDecimalBytes(value.as_decimal());
    case TypeId::kString:
    case TypeId::kUuid:
    case TypeId::kFixed:
    case TypeId::kBinary:
      return value.as_bytes();
  }
  throw InvalidArgument("unsupported type " + type.ToString());
}

Value DeserializeSingleValue(const DataType& type, const std::string& bytes) {
  switch (type.id) {
    case TypeId::kBoolean:
      if (bytes.size() != 1) BadLength(type, bytes);
      return Value(bytes[0] != 0);
    case TypeId::kInt:
    case TypeId::kDate:
      if (bytes.size() != 4) BadLength(type, bytes);
      return Value(FromLittleEndian<int32_t>(bytes));
    case TypeId::kLong:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      // A 4-byte bound was written while the column was an int (promotion).
      if (bytes.size() == 4 && type.id == TypeId::kLong) {
        return Value(int64_t{FromLittleEndian<int32_t>(bytes)});
      }
      if (bytes.size() != 8) BadLength(type, bytes);
      return Value(FromLittleEndian<int64_t>(bytes));
    case TypeId::kFloat:
      if (bytes.size() != 4) BadLength(type, bytes);
      return Value(FromLittleEndian<float>(bytes));
    case TypeId::kDouble:
      // A 4-byte bound was written while the column was a float (promotion).
      if (bytes.size() == 4) return Value(double{FromLittleEndian<float>(bytes)});
      if (bytes.size() != 8) BadLength(type, bytes);
      return Value(FromLittleEndian<double>(bytes));
    case TypeId::kDecimal:
      if (bytes.empty() || bytes.size() > 16) BadLength(type, bytes);
      return Value::Decimal(DecimalFromBigEndian(bytes));
    case TypeId::kUuid:
      if (bytes.size() != 16) BadLength(type, bytes);
      return Value(bytes);
    case TypeId::kFixed:
      if (bytes.size() != static_cast<size_t>(type.length)) BadLength(type, bytes);
      return Value(bytes);
    case TypeId::kString:
    case TypeId::kBinary:
      return Value(bytes);
  }
  throw Corruption("unsupported type " + type.ToString());
}

std::string PartitionTupleKey(const std::vector<DataType>& types, const std::vector<Value>& tuple) {
  std::string key;
  for (size_t i = 0; i < tuple.size(); ++i) {
    if (tuple[i].is_null()) {
      key += "n;";
    } else {
      const std::string bytes = SerializeSingleValue(types[i], tuple[i]);
      key += "v" + std::to_string(bytes.size()) + ":" + bytes;
    }
  }
  return key;
}

}  // namespace datashard
