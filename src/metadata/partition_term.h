// One term of the CLI's partition spec text (DESIGN.md §11) and the name
// a field gets by default: shared by PartitionSpec::Parse (which implements
// them, in partition_spec.cc) and partition spec evolution. Stateless.
#pragma once

#include <string>

#include "datashard/partition_spec.h"

namespace datashard {

/// A term split into its column name and transform: `col`, `bucket(N,col)`,
/// `truncate(W,col)`, `year(col)`, `month(col)`, `day(col)`, `hour(col)` or
/// `void(col)`. InvalidArgument naming the term when it does not parse; the
/// column is not looked up.
struct PartitionTerm {
  std::string column;
  Transform transform;
};
PartitionTerm ParsePartitionTerm(const std::string& term);

/// The name `datashard create --partition-by` gives a field of `transform`
/// of `column`: column, column_bucket, column_trunc, column_year, ...
std::string DefaultPartitionFieldName(const std::string& column, const Transform& transform);

}  // namespace datashard
