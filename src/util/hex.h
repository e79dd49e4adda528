// Lower-case hexadecimal text of bytes and back (UUID text, test vectors,
// diagnostics). Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace datashard {

/// "00ff..." for the bytes of `bytes`.
std::string HexEncode(std::string_view bytes);

/// The value 0-15 of hex digit `c` (either case), or -1.
int HexDigit(char c);

/// The bytes `text` (an even number of hex digits, either case) spells;
/// InvalidArgument naming the text otherwise.
std::string HexDecode(std::string_view text);

}  // namespace datashard
