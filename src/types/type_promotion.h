// Iceberg's type promotions as they apply to values read from older files:
// a column written as int reads as long, float as double, decimal(P,S) as
// decimal(P',S) with P' >= P. Thread-safe.
#pragma once

#include "datashard/types.h"
#include "datashard/value.h"

namespace datashard {

/// Converts `v` to `type` where Iceberg allows the promotion (int -> long,
/// float -> double; a decimal's unscaled value needs no change); returns it
/// unchanged otherwise.
Value PromoteValue(const Value& v, const DataType& type);

/// Whether a file column of `from` reads as a table column of `to`: equal
/// types, or the promotions int -> long, float -> double and a decimal of
/// the same scale and no larger precision.
bool ReadsAs(const DataType& from, const DataType& to);

}  // namespace datashard
