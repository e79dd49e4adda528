// A list of partition spec changes to commit together (Table::UpdateSpec),
// with Iceberg v2's rules of partition evolution: the changes make a new
// spec that becomes the table's default, so new appends use it, while every
// file written before keeps the spec it was written with (its manifest
// names it) and reads and prunes as before. An added field gets the id a
// field of the same source and transform had in an earlier spec, otherwise
// the next id after last-partition-id; a removed field leaves the new spec
// (v2 needs no void transform in its place). Value type; thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "datashard/partition_spec.h"

namespace datashard {

struct PartitionSpecChange {
  enum class Kind { kAddField, kRemoveField };
  Kind kind = Kind::kAddField;
  std::string source;   // add: the source column's name
  Transform transform;  // add
  std::string name;     // add: the field's name (empty: the default); remove: the field's name
  bool operator==(const PartitionSpecChange&) const = default;
};

class PartitionSpecUpdate {
 public:
  /// Adds a field partitioning by `transform` of column `source`, named
  /// `name`, or by default as `datashard create --partition-by` names it
  /// (col, col_bucket, col_trunc, col_year, col_month, col_day, col_hour).
  PartitionSpecUpdate& AddField(const std::string& source,
                                const Transform& transform = Transform::Identity(),
                                const std::string& name = "");
  /// Adds the field one term of the CLI's partition spec text describes:
  /// `col`, `bucket(N,col)`, `truncate(W,col)`, `year(col)`, `month(col)`,
  /// `day(col)` or `hour(col)`. InvalidArgument naming the term when it does
  /// not parse.
  PartitionSpecUpdate& AddFieldTerm(const std::string& term, const std::string& name = "");
  /// Removes the partition field of this name from the default spec.
  PartitionSpecUpdate& RemoveField(const std::string& name);

  /// The changes in the order given; later changes see earlier ones.
  const std::vector<PartitionSpecChange>& changes() const { return changes_; }
  bool empty() const { return changes_.empty(); }

 private:
  std::vector<PartitionSpecChange> changes_;
};

}  // namespace datashard
