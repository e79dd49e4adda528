// UTF-8 validation of strings that become Iceberg string values. Thread-safe.
#pragma once

#include <string>

namespace datashard {

/// Whether `s` is valid UTF-8 (no overlong forms, surrogates or code points
/// above U+10FFFF).
bool IsValidUtf8(const std::string& s);

}  // namespace datashard
