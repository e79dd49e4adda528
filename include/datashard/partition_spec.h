// Iceberg partition specs and transforms (spec "Partitioning"): identity,
// bucket[N] (murmur3_x86_32), truncate[W], year, month, day, hour and void. Value types; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "datashard/schema.h"
#include "datashard/types.h"
#include "datashard/value.h"

namespace datashard {

enum class TransformKind { kIdentity, kBucket, kTruncate, kYear, kMonth, kDay, kHour, kVoid };

/// One partition transform; `param` is N of bucket[N] or W of truncate[W].
class Transform {
 public:
  Transform() = default;  // identity
  static Transform Identity() { return Transform(TransformKind::kIdentity, 0); }
  /// InvalidArgument unless n > 0.
  static Transform Bucket(int n);
  /// InvalidArgument unless width > 0.
  static Transform Truncate(int width);
  static Transform Year() { return Transform(TransformKind::kYear, 0); }
  static Transform Month() { return Transform(TransformKind::kMonth, 0); }
  static Transform Day() { return Transform(TransformKind::kDay, 0); }
  static Transform Hour() { return Transform(TransformKind::kHour, 0); }
  static Transform Void() { return Transform(TransformKind::kVoid, 0); }

  /// Parses Iceberg's transform string: "identity", "bucket[16]",
  /// "truncate[4]", "year", "month", "day", "hour", "void".
  static Transform Parse(std::string_view text);
  /// Iceberg's transform string, the inverse of Parse.
  std::string ToString() const;

  TransformKind kind() const { return kind_; }
  int param() const { return param_; }

  /// Whether the transform accepts a source column of this type.
  bool CanApplyTo(const DataType& source) const;
  /// Type of the transform's result for `source` (int for bucket and the time
  /// transforms, the source type otherwise). InvalidArgument if not applicable.
  DataType ResultType(const DataType& source) const;
  /// Applies the transform to a value of type `source`; null gives null.
  Value Apply(const DataType& source, const Value& value) const;
  /// The value Iceberg shows in partition paths ("2024-01" for month,
  /// "2024-01-05-13" for hour, the decimal string for bucket); "null" for null.
  std::string HumanString(const DataType& source, const Value& result) const;

  bool operator==(const Transform&) const = default;

 private:
  Transform(TransformKind kind, int param) : kind_(kind), param_(param) {}
  TransformKind kind_ = TransformKind::kIdentity;
  int param_ = 0;
};

/// Iceberg's bucket hash: murmur3_x86_32 (seed 0) of the value's hash bytes
/// (ints, longs, dates, times and timestamps as 8-byte little-endian longs;
/// strings as UTF-8; uuids big-endian; decimals as minimal big-endian
/// two's-complement unscaled bytes). The spec's test vectors hold.
int32_t IcebergBucketHash(const DataType& type, const Value& value);

struct PartitionField {
  int source_id = 0;
  int field_id = 0;  // 1000 and up
  std::string name;
  Transform transform;

  bool operator==(const PartitionField&) const = default;
};

class PartitionSpec {
 public:
  /// The unpartitioned spec (spec id 0, no fields).
  PartitionSpec() = default;
  /// Checks field ids are >= 1000 and unique and names unique and non-empty;
  /// InvalidArgument naming the field otherwise.
  PartitionSpec(int spec_id, std::vector<PartitionField> fields);

  /// Builds a spec from the CLI text of DESIGN.md §11: a comma list of
  /// `col | bucket(N,col) | truncate(W,col) | year(col) | month(col) | day(col)
  /// | hour(col)`. Field ids start at 1000; names follow Iceberg's defaults
  /// (col, col_bucket, col_trunc, col_year, col_month, col_day, col_hour).
  /// InvalidArgument naming the term that does not parse or apply.
  static PartitionSpec Parse(std::string_view text, const Schema& schema, int spec_id = 0);

  int spec_id() const { return spec_id_; }
  const std::vector<PartitionField>& fields() const { return fields_; }
  bool is_unpartitioned() const { return fields_.empty(); }
  /// Highest partition field id; 999 when unpartitioned (Iceberg's convention).
  int last_field_id() const;

  /// Checks every field's source column exists in `schema` and its transform
  /// applies to the column's type; InvalidArgument naming the field otherwise.
  void Validate(const Schema& schema) const;
  /// Result type of each partition field, in spec order.
  std::vector<DataType> ResultTypes(const Schema& schema) const;
  /// The partition tuple of one record (values in `schema` field order).
  std::vector<Value> PartitionOf(const Schema& schema, const Record& record) const;
  /// Iceberg's partition path "name=value/name2=value2" with human-readable,
  /// URL-escaped values; empty when unpartitioned.
  std::string PartitionPath(const Schema& schema, const std::vector<Value>& tuple) const;

  /// Same fields (source ids, field ids, names, transforms), spec id ignored.
  bool SameFields(const PartitionSpec& other) const { return fields_ == other.fields_; }
  /// "[1000: day(ts), 1001: id_bucket bucket[16](id)]"-style text for messages.
  std::string Describe(const Schema& schema) const;
  bool operator==(const PartitionSpec&) const = default;

 private:
  int spec_id_ = 0;
  std::vector<PartitionField> fields_;
};

}  // namespace datashard
