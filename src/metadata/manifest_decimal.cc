#include "metadata/manifest_decimal.h"

#include <cmath>

#include "datashard/errors.h"

namespace datashard {

namespace {

std::string BigEndian16(Int128 v) {
  std::string out(16, '\0');
  unsigned __int128 u = static_cast<unsigned __int128>(v);
  for (int i = 15; i >= 0; --i) {
    out[i] = static_cast<char>(static_cast<uint8_t>(u & 0xFF));
    u >>= 8;
  }
  return out;
}

}  // namespace

std::string MinimalDecimalBytes(Int128 v) {
  const std::string full = BigEndian16(v);
  size_t start = 0;
  // Drop a leading sign byte while the next byte still carries the sign.
  while (start < 15) {
    const uint8_t b = static_cast<uint8_t>(full[start]);
    const uint8_t next = static_cast<uint8_t>(full[start + 1]);
    if ((b == 0x00 && !(next & 0x80)) || (b == 0xFF && (next & 0x80))) {
      ++start;
    } else {
      break;
    }
  }
  return full.substr(start);
}

std::string FixedDecimalBytes(Int128 v, int size) {
  const std::string minimal = MinimalDecimalBytes(v);
  if (size < 1 || size > 16 || minimal.size() > static_cast<size_t>(size)) {
    throw InvalidArgument("decimal unscaled value does not fit in " + std::to_string(size) +
                          " bytes");
  }
  return BigEndian16(v).substr(16 - size);
}

Int128 DecimalFromBigEndian(const std::string& bytes) {
  unsigned __int128 u =
      (static_cast<uint8_t>(bytes[0]) & 0x80) ? ~static_cast<unsigned __int128>(0) : 0;
  for (char c : bytes) u = (u << 8) | static_cast<uint8_t>(c);
  return static_cast<Int128>(u);
}

int DecimalRequiredBytes(int precision) {
  // n bytes hold every value of floor(log10(2^(8n-1) - 1)) digits; 2^k is
  // never a power of ten, so that equals floor((8n-1) * log10(2)).
  for (int n = 1; n <= 16; ++n) {
    if (static_cast<int>(std::floor((8 * n - 1) * std::log10(2.0L))) >= precision) return n;
  }
  throw InvalidArgument("decimal precision " + std::to_string(precision) + " exceeds 38");
}

}  // namespace datashard
