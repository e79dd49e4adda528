// How Iceberg primitive types map to Parquet schema elements (Iceberg spec
// Appendix A) when writing, and how the leaves of other writers' files
// (DuckDB, parquet-java) map back to Iceberg types when reading. Also the PLAIN bytes
// of single values, used by statistics. Stateless.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "datashard/schema.h"
#include "datashard/types.h"
#include "datashard/value.h"
#include "format/parquet/parquet_thrift.h"

namespace datashard::parquet {

/// Physical type of an Iceberg type (decimals by precision).
PhysicalType PhysicalTypeOf(const DataType& type);

/// Bytes of the FIXED_LEN_BYTE_ARRAY holding a decimal of this precision
/// (the minimal two's-complement width), or the fixed/uuid length.
int FixedLengthOf(const DataType& type);

/// The schema element of a top-level column: physical type, LogicalType and
/// the matching ConvertedType, repetition and field id.
SchemaElement LeafForField(const Field& field);

/// How stored physical values become values of the mapped Iceberg type.
enum class LeafConversion {
  kNone,            // stored as the Iceberg type holds it
  kMillisToMicros,  // INT32 TIME_MILLIS or INT64 TIMESTAMP_MILLIS
  kUint32ToLong,    // INT32 holding an unsigned 32-bit value
  kDecimalInt32,    // INT32 unscaled decimal
  kDecimalInt64,    // INT64 unscaled decimal
  kDecimalBytes,    // BYTE_ARRAY / FLBA big-endian two's complement
};

struct LeafMapping {
  DataType type;
  LeafConversion conversion = LeafConversion::kNone;
  bool unsigned_order = false;  // statistics of unsigned ints are not used
};

/// Maps a primitive leaf of a file to an Iceberg type. NotSupported naming
/// the column (and what it is) for INT96, unsigned 64-bit, nanosecond
/// times, intervals and anything else Iceberg v2 has no type for.
LeafMapping MapLeaf(const SchemaElement& leaf);

/// Big-endian two's complement of `v` in exactly `width` bytes (1..16).
std::string DecimalToBytes(Int128 v, int width);
/// Sign-extends big-endian two's complement bytes; Corruption if more than
/// 16 bytes carry significant digits.
Int128 DecimalFromBytes(const uint8_t* p, size_t n);

/// The PLAIN encoding (no length prefix) of one non-null value, as Parquet
/// statistics store it.
std::string StatisticsBytes(const Value& v, const DataType& type);

/// Decodes statistics bytes of a leaf mapped by `m`; nullopt when the bytes
/// do not have the size the type needs.
std::optional<Value> ValueFromStatisticsBytes(const std::string& bytes, const SchemaElement& leaf,
                                              const LeafMapping& m);

}  // namespace datashard::parquet
