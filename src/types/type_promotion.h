// Iceberg's type promotions as they apply to values read from older files:
// a column written as int reads as long, float as double. Thread-safe.
#pragma once

#include "datashard/types.h"
#include "datashard/value.h"

namespace datashard {

/// Converts `v` to `type` where Iceberg allows the promotion (int -> long,
/// float -> double); returns it unchanged otherwise.
Value PromoteValue(const Value& v, const DataType& type);

/// Whether a file column of `from` reads as a table column of `to`: equal
/// types, or the promotions int -> long and float -> double.
bool ReadsAs(const DataType& from, const DataType& to);

}  // namespace datashard
