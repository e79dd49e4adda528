// Shared by the fuzz targets: a check that stops the run with a message (a
// finding), and a schema with one column of every Iceberg primitive type and
// a spec with every transform for the targets that need them (expressions,
// JSON Lines, log records); seed corpora and dictionaries use these names.
#pragma once

#include <cstdio>
#include <cstdlib>

#include "datashard/partition_spec.h"
#include "datashard/schema.h"

#define FUZZ_CHECK(condition)                                                                 \
  do {                                                                                        \
    if (!(condition)) {                                                                       \
      std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                           \
    }                                                                                         \
  } while (0)

namespace datashard::fuzz {

inline Schema AllTypesSchema() {
  return Schema(
      1,
      {Field{1, "b", DataType::Boolean(), false, ""}, Field{2, "i", DataType::Int(), true, ""},
       Field{3, "l", DataType::Long(), false, ""}, Field{4, "f", DataType::Float(), false, ""},
       Field{5, "d", DataType::Double(), false, ""},
       Field{6, "dec", DataType::Decimal(9, 2), false, ""},
       Field{7, "big", DataType::Decimal(38, 10), false, ""},
       Field{8, "day", DataType::Date(), false, ""}, Field{9, "t", DataType::Time(), false, ""},
       Field{10, "ts", DataType::Timestamp(), false, ""},
       Field{11, "tz", DataType::TimestampTz(), false, ""},
       Field{12, "s", DataType::String(), false, ""}, Field{13, "u", DataType::Uuid(), false, ""},
       Field{14, "fx", DataType::Fixed(4), false, ""},
       Field{15, "bin", DataType::Binary(), false, ""}});
}

/// A spec over AllTypesSchema() with every transform, so that partition values
/// of each result type occur.
inline PartitionSpec AllTransformsSpec() {
  return PartitionSpec::Parse(
      "i,bucket(8,l),truncate(3,s),truncate(100,dec),year(day),month(ts),day(tz),hour(ts),"
      "bucket(4,u),truncate(2,bin)",
      AllTypesSchema());
}

}  // namespace datashard::fuzz
