// Test-only: one set of sample manifest entries that the manifest unit tests
// and the Avro interop tool both write, so the values other readers check are
// the values the round-trip tests check.
#pragma once

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "metadata/manifest.h"
#include "util/uuid.h"

namespace datashard::samples {

/// One identity partition field of every result type that has its own Avro
/// form, in spec order.
inline std::vector<PartitionFieldType> PartitionFields() {
  return {{1000, "b", DataType::Boolean()},
          {1001, "i", DataType::Int()},
          {1002, "l", DataType::Long()},
          {1003, "f", DataType::Float()},
          {1004, "d", DataType::Double()},
          {1005, "dec", DataType::Decimal(9, 2)},
          {1006, "dec38", DataType::Decimal(38, 4)},
          {1007, "day", DataType::Date()},
          {1008, "t", DataType::Time()},
          {1009, "ts", DataType::Timestamp()},
          {1010, "tstz", DataType::TimestampTz()},
          {1011, "s", DataType::String()},
          {1012, "u", DataType::Uuid()},
          {1013, "fx", DataType::Fixed(3)},
          {1014, "bin", DataType::Binary()}};
}

inline std::string UuidBytes() {
  return Uuid::Parse("f79c3e09-677c-4bbd-a479-3f349cb785e7").ToBytes();
}

/// Extreme and non-ASCII values, one per field of PartitionFields().
inline std::vector<Value> PartitionA() {
  return {Value(true),
          Value(int32_t{-7}),
          Value(std::numeric_limits<int64_t>::max()),
          Value(1.5f),
          Value(-2.25),
          Value::Decimal(1420),
          Value::Decimal(-(Int128{1} << 100)),
          Value(int32_t{19000}),
          Value(int64_t{3600000000}),
          Value(int64_t{1700000000123456}),
          Value(int64_t{-1}),
          Value("héllo"),
          Value(UuidBytes()),
          Value(std::string("\0\1\2", 3)),
          Value(std::string("\xff\x00", 2))};
}

/// Nulls, a NaN and empty values, one per field of PartitionFields().
inline std::vector<Value> PartitionB() {
  return {Value(false),        Value(int32_t{9}),
          Value::Null(),       Value(std::nanf("")),
          Value(10.0),         Value::Decimal(-99999),
          Value::Decimal(1),   Value(int32_t{-1}),
          Value::Null(),       Value::Null(),
          Value(int64_t{5}),   Value("a"),
          Value::Null(),       Value(std::string("abc")),
          Value(std::string())};
}

/// A data file with every optional metric set.
inline DataFile FullDataFile(const std::string& path, std::vector<Value> partition) {
  DataFile f;
  f.file_path = path;
  f.partition = std::move(partition);
  f.record_count = 1234;
  f.file_size_in_bytes = int64_t{1} << 33;
  f.column_sizes = {{1, 100}, {2, 200}};
  f.value_counts = {{1, 1234}, {2, 1234}};
  f.null_value_counts = {{1, 0}, {2, 17}};
  f.nan_value_counts = {{2, 3}};
  f.lower_bounds = {{1, SerializeSingleValue(DataType::Long(), Value(int64_t{-5}))}, {2, "a"}};
  f.upper_bounds = {{1, SerializeSingleValue(DataType::Long(), Value(int64_t{99}))}, {2, "zz"}};
  f.split_offsets = {4, 1000};
  f.sort_order_id = 0;
  return f;
}

/// Three entries under `data_dir`, one of each status: ADDED (a full file,
/// PartitionA, inheriting its numbers), EXISTING (PartitionB, explicit
/// numbers) and DELETED (all-null partition).
inline std::vector<ManifestEntry> Entries(const std::string& data_dir) {
  std::vector<ManifestEntry> entries(3);
  entries[0].data_file = FullDataFile(data_dir + "/a.parquet", PartitionA());
  entries[1].status = EntryStatus::kExisting;
  entries[1].snapshot_id = 11;
  entries[1].sequence_number = 4;
  entries[1].file_sequence_number = 5;
  entries[1].data_file.file_path = data_dir + "/b.parquet";
  entries[1].data_file.partition = PartitionB();
  entries[1].data_file.record_count = 10;
  entries[1].data_file.file_size_in_bytes = 500;
  entries[2].status = EntryStatus::kDeleted;
  entries[2].snapshot_id = 77;
  entries[2].sequence_number = 2;
  entries[2].file_sequence_number = 3;
  entries[2].data_file.file_path = data_dir + "/c.parquet";
  entries[2].data_file.partition = std::vector<Value>(PartitionFields().size(), Value::Null());
  entries[2].data_file.record_count = 3;
  entries[2].data_file.file_size_in_bytes = 600;
  return entries;
}

}  // namespace datashard::samples
