#include "util/uuid.h"

#include <cstdint>

#include "datashard/errors.h"
#include "util/hex.h"

namespace datashard {

namespace {

bool IsDashPosition(size_t i) { return i == 8 || i == 13 || i == 18 || i == 23; }

}  // namespace

Uuid Uuid::Random() { return Random(SystemRandom64); }

Uuid Uuid::Random(const RandomSource& random) {
  Uuid u;
  for (int half = 0; half < 2; ++half) {
    const uint64_t bits = random();
    for (int i = 0; i < 8; ++i) u.bytes_[half * 8 + i] = static_cast<uint8_t>(bits >> (56 - 8 * i));
  }
  u.bytes_[6] = static_cast<uint8_t>((u.bytes_[6] & 0x0f) | 0x40);  // version 4
  u.bytes_[8] = static_cast<uint8_t>((u.bytes_[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return u;
}

Uuid Uuid::Parse(std::string_view text) {
  auto fail = [&]() -> Uuid {
    throw InvalidArgument("not a canonical UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx): '" +
                          std::string(text) + "'");
  };
  if (text.size() != 36) return fail();
  Uuid u;
  size_t out = 0;
  for (size_t i = 0; i < text.size();) {
    if (IsDashPosition(i)) {
      if (text[i] != '-') return fail();
      ++i;
      continue;
    }
    const int hi = HexDigit(text[i]);
    const int lo = HexDigit(text[i + 1]);
    if (hi < 0 || lo < 0 || IsDashPosition(i + 1)) return fail();
    u.bytes_[out++] = static_cast<uint8_t>(hi << 4 | lo);
    i += 2;
  }
  return u;
}

Uuid Uuid::FromBytes(std::string_view bytes) {
  if (bytes.size() != 16) {
    throw InvalidArgument("a UUID has 16 bytes, got " + std::to_string(bytes.size()));
  }
  Uuid u;
  for (size_t i = 0; i < 16; ++i) u.bytes_[i] = static_cast<uint8_t>(bytes[i]);
  return u;
}

std::string Uuid::ToString() const {
  std::string s = HexEncode(ToBytes());
  for (size_t at : {8, 13, 18, 23}) s.insert(at, 1, '-');
  return s;
}

std::string Uuid::ToBytes() const { return std::string(bytes_.begin(), bytes_.end()); }

uint64_t Uuid::most_significant_bits() const {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | bytes_[i];
  return v;
}

uint64_t Uuid::least_significant_bits() const {
  uint64_t v = 0;
  for (int i = 8; i < 16; ++i) v = v << 8 | bytes_[i];
  return v;
}

int64_t RandomPositiveId() { return RandomPositiveId(SystemRandom64); }

int64_t RandomPositiveId(const RandomSource& random) {
  for (;;) {
    const Uuid u = Uuid::Random(random);
    const uint64_t id =
        (u.most_significant_bits() ^ u.least_significant_bits()) & static_cast<uint64_t>(INT64_MAX);
    if (id != 0) return static_cast<int64_t>(id);
  }
}

}  // namespace datashard
