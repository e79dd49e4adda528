#include "util/hex.h"

#include "datashard/errors.h"

namespace datashard {

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string HexDecode(std::string_view text) {
  std::string out;
  bool ok = text.size() % 2 == 0;
  for (size_t i = 0; ok && i < text.size(); i += 2) {
    const int hi = HexDigit(text[i]);
    const int lo = HexDigit(text[i + 1]);
    ok = hi >= 0 && lo >= 0;
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  if (!ok) throw InvalidArgument("not an even number of hex digits: '" + std::string(text) + "'");
  return out;
}

}  // namespace datashard
