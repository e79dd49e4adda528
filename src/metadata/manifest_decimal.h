// Byte forms of decimal unscaled values used by manifests: the minimal
// two's-complement big-endian form (single-value serialization) and the
// fixed-size form of Avro's decimal logical type.
#pragma once

#include <string>

#include "datashard/value.h"

namespace datashard {

/// Fewest big-endian two's-complement bytes that hold `v` (at least one).
std::string MinimalDecimalBytes(Int128 v);
/// `v` sign-extended to exactly `size` bytes; InvalidArgument if it does not fit.
std::string FixedDecimalBytes(Int128 v, int size);
/// Reads 1 to 16 big-endian two's-complement bytes (caller checks the length).
Int128 DecimalFromBigEndian(const std::string& bytes);
/// Bytes of Avro's fixed for decimal(precision, s), as Java's
/// TypeUtil.decimalRequiredBytes computes it.
int DecimalRequiredBytes(int precision);

}  // namespace datashard
