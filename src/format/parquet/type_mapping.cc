#include "format/parquet/type_mapping.h"

#include "datashard/errors.h"
#include "format/parquet/bit_util.h"

namespace datashard::parquet {
namespace {

using Kind = LogicalType::Kind;

LogicalType Logical(Kind kind) {
  LogicalType t;
  t.kind = kind;
  return t;
}

LogicalType TimeLogical(Kind kind, bool utc) {
  LogicalType t = Logical(kind);
  t.adjusted_to_utc = utc;
  t.unit = TimeUnit::kMicros;
  return t;
}

[[noreturn]] void Unsupported(const SchemaElement& leaf, const std::string& what) {
  throw NotSupported("column '" + leaf.name + "' is " + what +
                     ", which has no Iceberg v2 type datashard reads");
}

bool IsDecimal(const SchemaElement& e) {
  return (e.logical_type && e.logical_type->kind == Kind::kDecimal) ||
         (!e.logical_type && e.converted_type == ConvertedType::kDecimal);
}

DataType DecimalTypeOf(const SchemaElement& e) {
  int precision = 0, scale = 0;
  if (e.logical_type && e.logical_type->kind == Kind::kDecimal) {
    precision = e.logical_type->precision;
    scale = e.logical_type->scale;
  } else {
    precision = e.precision.value_or(0);
    scale = e.scale.value_or(0);
  }
  if (precision < 1 || precision > 38 || scale < 0 || scale > precision) {
    throw NotSupported("column '" + e.name + "' is decimal(" + std::to_string(precision) + ", " +
                       std::to_string(scale) + "): Iceberg decimals have precision 1..38");
  }
  return DataType::Decimal(precision, scale);
}

// The unit of a TIME/TIMESTAMP annotation; converted types imply their unit.
TimeUnit UnitOf(const SchemaElement& e) {
  if (e.logical_type) return e.logical_type->unit;
  if (e.converted_type == ConvertedType::kTimeMillis ||
      e.converted_type == ConvertedType::kTimestampMillis) {
    return TimeUnit::kMillis;
  }
  return TimeUnit::kMicros;
}

std::string UnitName(TimeUnit u) {
  return u == TimeUnit::kMillis ? "MILLIS" : u == TimeUnit::kMicros ? "MICROS" : "NANOS";
}

LeafMapping MapInt32(const SchemaElement& e) {
  if (IsDecimal(e)) return {DecimalTypeOf(e), LeafConversion::kDecimalInt32};
  const auto& lt = e.logical_type;
  const auto ct = e.converted_type;
  if (lt) {
    switch (lt->kind) {
      case Kind::kDate:
        return {DataType::Date()};
      case Kind::kTime:
        if (lt->unit == TimeUnit::kMillis) {
          return {DataType::Time(), LeafConversion::kMillisToMicros};
        }
        Unsupported(e, "INT32 TIME(" + UnitName(lt->unit) + ")");
      case Kind::kInteger:
        if (lt->is_signed || lt->bit_width < 32) return {DataType::Int()};
        return {DataType::Long(), LeafConversion::kUint32ToLong, true};
      default:
        Unsupported(e, "an INT32 with logical type " + std::to_string(int(lt->kind)));
    }
  }
  if (!ct) return {DataType::Int()};
  switch (*ct) {
    case ConvertedType::kDate:
      return {DataType::Date()};
    case ConvertedType::kTimeMillis:
      return {DataType::Time(), LeafConversion::kMillisToMicros};
    case ConvertedType::kInt8:
    case ConvertedType::kInt16:
    case ConvertedType::kInt32:
    case ConvertedType::kUint8:
    case ConvertedType::kUint16:
      return {DataType::Int()};
    case ConvertedType::kUint32:
      return {DataType::Long(), LeafConversion::kUint32ToLong, true};
    default:
      Unsupported(e, "an INT32 with converted type " + std::to_string(int(*ct)));
  }
}

LeafMapping MapInt64(const SchemaElement& e) {
  if (IsDecimal(e)) return {DecimalTypeOf(e), LeafConversion::kDecimalInt64};
  const auto& lt = e.logical_type;
  const auto ct = e.converted_type;
  const bool is_timestamp =
      lt ? lt->kind == Kind::kTimestamp
         : (ct == ConvertedType::kTimestampMicros || ct == ConvertedType::kTimestampMillis);
  const bool is_time = lt ? lt->kind == Kind::kTime : ct == ConvertedType::kTimeMicros;
  if (is_timestamp || is_time) {
    const TimeUnit unit = UnitOf(e);
    // Converted TIMESTAMP_* types are UTC-normalised (LogicalTypes.md).
    const bool utc = lt ? lt->adjusted_to_utc : true;
    const DataType type =
        is_time ? DataType::Time() : (utc ? DataType::TimestampTz() : DataType::Timestamp());
    if (unit == TimeUnit::kMicros) return {type};
    if (unit == TimeUnit::kMillis) return {type, LeafConversion::kMillisToMicros};
    Unsupported(e, std::string("INT64 ") + (is_time ? "TIME" : "TIMESTAMP") + "(NANOS)");
  }
  if (lt) {
    if (lt->kind == Kind::kInteger) {
      if (lt->is_signed) return {DataType::Long()};
      Unsupported(e, "an unsigned 64-bit integer");
    }
    Unsupported(e, "an INT64 with logical type " + std::to_string(int(lt->kind)));
  }
  if (!ct || *ct == ConvertedType::kInt64 || *ct == ConvertedType::kInt32 ||
      *ct == ConvertedType::kInt16 || *ct == ConvertedType::kInt8) {
    return {DataType::Long()};
  }
  if (*ct == ConvertedType::kUint64) Unsupported(e, "an unsigned 64-bit integer");
  Unsupported(e, "an INT64 with converted type " + std::to_string(int(*ct)));
}

LeafMapping MapByteArray(const SchemaElement& e) {
  if (IsDecimal(e)) return {DecimalTypeOf(e), LeafConversion::kDecimalBytes};
  const auto& lt = e.logical_type;
  if (lt) {
    switch (lt->kind) {
      case Kind::kString:
      case Kind::kEnum:
      case Kind::kJson:
        return {DataType::String()};
      case Kind::kBson:
        return {DataType::Binary()};
      default:
        Unsupported(e, "a BYTE_ARRAY with logical type " + std::to_string(int(lt->kind)));
    }
  }
  const auto ct = e.converted_type;
  if (!ct) return {DataType::Binary()};
  switch (*ct) {
    case ConvertedType::kUtf8:
    case ConvertedType::kEnum:
    case ConvertedType::kJson:
      return {DataType::String()};
    case ConvertedType::kBson:
      return {DataType::Binary()};
    default:
      Unsupported(e, "a BYTE_ARRAY with converted type " + std::to_string(int(*ct)));
  }
}

LeafMapping MapFixed(const SchemaElement& e) {
  const int len = e.type_length.value_or(0);
  if (len <= 0) {
    throw Corruption("column '" + e.name + "' is FIXED_LEN_BYTE_ARRAY without a positive length");
  }
  if (IsDecimal(e)) return {DecimalTypeOf(e), LeafConversion::kDecimalBytes};
  const auto& lt = e.logical_type;
  if (lt) {
    if (lt->kind == Kind::kUuid) {
      if (len != 16)
        throw Corruption("column '" + e.name + "' is a UUID of length " + std::to_string(len));
      return {DataType::Uuid()};
    }
    if (lt->kind == Kind::kFloat16) Unsupported(e, "FLOAT16");
    Unsupported(e, "a FIXED_LEN_BYTE_ARRAY with logical type " + std::to_string(int(lt->kind)));
  }
  if (e.converted_type == ConvertedType::kInterval) Unsupported(e, "an INTERVAL");
  if (e.converted_type) {
    Unsupported(
        e, "a FIXED_LEN_BYTE_ARRAY with converted type " + std::to_string(int(*e.converted_type)));
  }
  return {DataType::Fixed(len)};
}

}  // namespace

PhysicalType PhysicalTypeOf(const DataType& type) {
  switch (type.id) {
    case TypeId::kBoolean:
      return PhysicalType::kBoolean;
    case TypeId::kInt:
    case TypeId::kDate:
      return PhysicalType::kInt32;
    case TypeId::kLong:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      return PhysicalType::kInt64;
    case TypeId::kFloat:
      return PhysicalType::kFloat;
    case TypeId::kDouble:
      return PhysicalType::kDouble;
    case TypeId::kDecimal:
      if (type.precision <= 9) return PhysicalType::kInt32;
      if (type.precision <= 18) return PhysicalType::kInt64;
      return PhysicalType::kFixedLenByteArray;
    case TypeId::kString:
    case TypeId::kBinary:
      return PhysicalType::kByteArray;
    case TypeId::kUuid:
    case TypeId::kFixed:
      return PhysicalType::kFixedLenByteArray;
  }
  return PhysicalType::kByteArray;
}

int FixedLengthOf(const DataType& type) {
  if (type.id == TypeId::kUuid) return 16;
  if (type.id == TypeId::kFixed) return type.length;
  // Smallest b with 2^(8b-1) > 10^precision - 1.
  unsigned __int128 max = 1;
  for (int i = 0; i < type.precision; ++i) max *= 10;
  max -= 1;
  for (int b = 1; b < 16; ++b) {
    if ((static_cast<unsigned __int128>(1) << (8 * b - 1)) > max) return b;
  }
  return 16;
}

SchemaElement LeafForField(const Field& f) {
  SchemaElement e;
  e.name = f.name;
  e.field_id = f.id;
  e.repetition = f.required ? Repetition::kRequired : Repetition::kOptional;
  e.type = PhysicalTypeOf(f.type);
  switch (f.type.id) {
    case TypeId::kString:
      e.logical_type = Logical(Kind::kString);
      e.converted_type = ConvertedType::kUtf8;
      break;
    case TypeId::kDate:
      e.logical_type = Logical(Kind::kDate);
      e.converted_type = ConvertedType::kDate;
      break;
    case TypeId::kTime:
      e.logical_type = TimeLogical(Kind::kTime, false);
      e.converted_type = ConvertedType::kTimeMicros;
      break;
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      e.logical_type = TimeLogical(Kind::kTimestamp, f.type.id == TypeId::kTimestampTz);
      e.converted_type = ConvertedType::kTimestampMicros;
      break;
    case TypeId::kDecimal: {
      LogicalType lt = Logical(Kind::kDecimal);
      lt.precision = f.type.precision;
      lt.scale = f.type.scale;
      e.logical_type = lt;
      e.converted_type = ConvertedType::kDecimal;
      e.precision = f.type.precision;
      e.scale = f.type.scale;
      if (*e.type == PhysicalType::kFixedLenByteArray) e.type_length = FixedLengthOf(f.type);
      break;
    }
    case TypeId::kUuid:
      e.logical_type = Logical(Kind::kUuid);
      e.type_length = 16;
      break;
    case TypeId::kFixed:
      e.type_length = f.type.length;
      break;
    default:
      break;
  }
  return e;
}

LeafMapping MapLeaf(const SchemaElement& leaf) {
  if (!leaf.type) throw Corruption("schema leaf '" + leaf.name + "' has no physical type");
  if (leaf.repetition == Repetition::kRepeated) Unsupported(leaf, "a repeated field");
  switch (*leaf.type) {
    case PhysicalType::kBoolean:
      return {DataType::Boolean()};
    case PhysicalType::kInt32:
      return MapInt32(leaf);
    case PhysicalType::kInt64:
      return MapInt64(leaf);
    case PhysicalType::kInt96:
      Unsupported(leaf, "INT96 (a legacy timestamp)");
    case PhysicalType::kFloat:
      return {DataType::Float()};
    case PhysicalType::kDouble:
      return {DataType::Double()};
    case PhysicalType::kByteArray:
      return MapByteArray(leaf);
    case PhysicalType::kFixedLenByteArray:
      return MapFixed(leaf);
  }
  throw Corruption("schema leaf '" + leaf.name + "' has unknown physical type " +
                   std::to_string(static_cast<int>(*leaf.type)));
}

std::string DecimalToBytes(Int128 v, int width) {
  std::string out(static_cast<size_t>(width), '\0');
  auto u = static_cast<unsigned __int128>(v);
  for (int i = width - 1; i >= 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<char>(static_cast<uint8_t>(u & 0xFF));
    u >>= 8;
  }
  return out;
}

Int128 DecimalFromBytes(const uint8_t* p, size_t n) {
  if (n == 0) return 0;
  const bool negative = (p[0] & 0x80) != 0;
  // Leading sign bytes beyond 16 must be pure sign extension.
  while (n > 16) {
    if (p[0] != (negative ? 0xFF : 0x00)) throw Corruption("decimal value exceeds 128 bits");
    ++p;
    --n;
  }
  if (n == 16 && ((p[0] & 0x80) != 0) != negative) {
    throw Corruption("decimal value exceeds 128 bits");
  }
  unsigned __int128 u = negative ? ~static_cast<unsigned __int128>(0) : 0;
  for (size_t i = 0; i < n; ++i) u = (u << 8) | p[i];
  return static_cast<Int128>(u);
}

std::string StatisticsBytes(const Value& v, const DataType& type) {
  std::string out;
  switch (type.id) {
    case TypeId::kBoolean:
      out.push_back(v.as_bool() ? 1 : 0);
      break;
    case TypeId::kInt:
    case TypeId::kDate:
      AppendLE<int32_t>(v.as_int(), &out);
      break;
    case TypeId::kLong:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      AppendLE<int64_t>(v.as_long(), &out);
      break;
    case TypeId::kFloat:
      AppendLE<float>(v.as_float(), &out);
      break;
    case TypeId::kDouble:
      AppendLE<double>(v.as_double(), &out);
      break;
    case TypeId::kDecimal:
      switch (PhysicalTypeOf(type)) {
        case PhysicalType::kInt32:
          AppendLE<int32_t>(static_cast<int32_t>(v.as_decimal()), &out);
          break;
        case PhysicalType::kInt64:
          AppendLE<int64_t>(static_cast<int64_t>(v.as_decimal()), &out);
          break;
        default:
          out = DecimalToBytes(v.as_decimal(), FixedLengthOf(type));
          break;
      }
      break;
    case TypeId::kString:
    case TypeId::kBinary:
    case TypeId::kUuid:
    case TypeId::kFixed:
      out = v.as_bytes();
      break;
  }
  return out;
}

std::optional<Value> ValueFromStatisticsBytes(const std::string& bytes, const SchemaElement& leaf,
                                              const LeafMapping& m) {
  if (m.unsigned_order) return std::nullopt;
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t n = bytes.size();
  switch (*leaf.type) {
    case PhysicalType::kBoolean:
      if (n != 1) return std::nullopt;
      return Value(p[0] != 0);
    case PhysicalType::kInt32: {
      if (n != 4) return std::nullopt;
      const int32_t v = LoadLE<int32_t>(p);
      switch (m.conversion) {
        case LeafConversion::kMillisToMicros:
          return Value(int64_t{v} * 1000);
        case LeafConversion::kDecimalInt32:
          return Value::Decimal(v);
        default:
          return Value(v);
      }
    }
    case PhysicalType::kInt64: {
      if (n != 8) return std::nullopt;
      const int64_t v = LoadLE<int64_t>(p);
      switch (m.conversion) {
        case LeafConversion::kMillisToMicros: {
          int64_t micros = 0;
          if (__builtin_mul_overflow(v, 1000, &micros)) return std::nullopt;
          return Value(micros);
        }
        case LeafConversion::kDecimalInt64:
          return Value::Decimal(v);
        default:
          return Value(v);
      }
    }
    case PhysicalType::kFloat:
      if (n != 4) return std::nullopt;
      return Value(LoadLE<float>(p));
    case PhysicalType::kDouble:
      if (n != 8) return std::nullopt;
      return Value(LoadLE<double>(p));
    case PhysicalType::kByteArray:
    case PhysicalType::kFixedLenByteArray:
      if (m.conversion == LeafConversion::kDecimalBytes) {
        try {
          return Value::Decimal(DecimalFromBytes(p, n));
        } catch (const Corruption&) {
          return std::nullopt;
        }
      }
      if (*leaf.type == PhysicalType::kFixedLenByteArray &&
          n != static_cast<size_t>(leaf.type_length.value_or(0))) {
        return std::nullopt;
      }
      return Value(bytes);
    default:
      return std::nullopt;
  }
}

}  // namespace datashard::parquet
