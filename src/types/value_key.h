// Byte keys that identify tuples of values exactly, for hash sets and maps:
// partition tuples, and the rows of equality delete files. Two tuples have
// the same key iff they hold the same alternatives with equal values, where
// null equals null and every NaN equals every NaN (Java's Double.equals),
// while -0.0 and +0.0 differ.
#pragma once

#include <string>
#include <vector>

#include "datashard/value.h"

namespace datashard {

/// Appends the key of `v` to `key`.
void AppendValueKey(const Value& v, std::string* key);

/// The key of a whole tuple.
std::string TupleKey(const std::vector<Value>& tuple);

}  // namespace datashard
