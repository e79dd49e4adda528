// Bit-level helpers of the Parquet encodings: LSB-first bit packing, ULEB128
// varints and little-endian loads. Header-only; no state beyond arguments.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

#include "datashard/errors.h"

namespace datashard::parquet {

/// Number of bits needed for values up to max (0 for max == 0).
inline int BitWidth(uint64_t max) { return max == 0 ? 0 : 64 - __builtin_clzll(max); }

inline void AppendUleb128(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

/// Reads a ULEB128 at *pos, advancing it; Corruption when it runs past `size`
/// or overflows 64 bits.
inline uint64_t ReadUleb128(const uint8_t* data, size_t size, size_t* pos) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*pos >= size) throw Corruption("varint runs past the end of the data");
    const uint8_t b = data[(*pos)++];
    if (shift == 63 && (b & 0x7E) != 0) throw Corruption("varint overflows 64 bits");
    v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) return v;
  }
  throw Corruption("varint longer than 10 bytes");
}

inline int64_t ZigZagDecode(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

template <typename T>
inline T LoadLE(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

template <typename T>
inline void AppendLE(T v, std::string* out) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  out->append(buf, sizeof(T));
}

/// Appends values LSB-first with a fixed bit width (<= 64).
class BitWriter {
 public:
  explicit BitWriter(std::string* out) : out_(out) {}
  void Put(uint64_t v, int bits) {
    for (int done = 0; done < bits;) {
      const int take = std::min(bits - done, 64 - used_);
      const uint64_t part = (take == 64) ? v : (v >> done) & ((uint64_t{1} << take) - 1);
      acc_ |= part << used_;  // used_ < 8 here, so the shift is defined
      used_ += take;
      done += take;
      while (used_ >= 8) {
        out_->push_back(static_cast<char>(acc_ & 0xFF));
        acc_ >>= 8;
        used_ -= 8;
      }
    }
  }
  /// Pads the last byte with zero bits.
  void Flush() {
    if (used_ > 0) out_->push_back(static_cast<char>(acc_ & 0xFF));
    acc_ = 0;
    used_ = 0;
  }

 private:
  std::string* out_;
  uint64_t acc_ = 0;
  int used_ = 0;
};

/// Unpacks `count` values of `bits` (<= 64) bits each, LSB-first, from `src`,
/// starting at bit 0. The caller guarantees ceil(count*bits/8) readable bytes.
inline void UnpackBits(const uint8_t* src, int bits, size_t count, uint64_t* out) {
  if (bits == 0) {
    std::memset(out, 0, count * sizeof(uint64_t));
    return;
  }
  const uint64_t mask = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
  const size_t total_bytes = (count * static_cast<size_t>(bits) + 7) / 8;
  size_t bit = 0;
  for (size_t i = 0; i < count; ++i, bit += static_cast<size_t>(bits)) {
    const size_t byte = bit / 8;
    const int shift = static_cast<int>(bit % 8);
    uint64_t word = 0;
    if (byte + 8 <= total_bytes) {
      std::memcpy(&word, src + byte, 8);
    } else {
      std::memcpy(&word, src + byte, total_bytes - byte);
    }
    uint64_t v = word >> shift;
    if (shift + bits > 64) {
      // The value straddles the 8-byte window: its top bits are in byte+8.
      v |= static_cast<uint64_t>(src[byte + 8]) << (64 - shift);
    }
    out[i] = v & mask;
  }
}

/// Unpacks `groups` groups of 8 values of kBits (1 to 32) bits each,
/// LSB-first, from `src` (groups * kBits bytes) into `out`. With the width a
/// constant, each group is a few loads and constant shifts.
template <int kBits>
void UnpackGroups32(const uint8_t* src, size_t groups, uint32_t* out) {
  static_assert(kBits >= 1 && kBits <= 32);
  constexpr uint64_t kMask = (uint64_t{1} << kBits) - 1;
  // While 8 more bytes follow a group, each value is one unaligned 64-bit
  // load and a shift (it spans at most 39 bits from its first byte): the
  // loads are independent, unlike the shifts of one word below.
  constexpr size_t kTail = (8 + kBits - 1) / kBits;  // groups that hold 8 bytes
  size_t g = 0;
  for (; g + kTail < groups; ++g, src += kBits, out += 8) {
    // Unrolled, so that each offset and shift is a constant (-O2 would not).
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) {
      uint64_t w;
      std::memcpy(&w, src + i * kBits / 8, sizeof w);
      out[i] = static_cast<uint32_t>((w >> (i * kBits % 8)) & kMask);
    }
  }
  for (; g < groups; ++g, src += kBits, out += 8) {
    uint64_t words[5] = {};  // a group spans at most 32 bytes
    std::memcpy(words, src, kBits);
    for (int i = 0; i < 8; ++i) {
      const int bit = i * kBits;
      uint64_t v = words[bit / 64] >> (bit % 64);
      if (bit % 64 + kBits > 64) v |= words[bit / 64 + 1] << (64 - bit % 64);
      out[i] = static_cast<uint32_t>(v & kMask);
    }
  }
}

using UnpackGroups32Fn = void (*)(const uint8_t*, size_t, uint32_t*);

/// UnpackGroups32 for a width in [1, 32] chosen at run time.
inline UnpackGroups32Fn UnpackGroups32For(int bits) {
  static constexpr auto kTable = []<size_t... W>(std::index_sequence<W...>) {
    return std::array<UnpackGroups32Fn, 32>{&UnpackGroups32<static_cast<int>(W) + 1>...};
  }
  (std::make_index_sequence<32>{});
  return kTable[static_cast<size_t>(bits - 1)];
}

}  // namespace datashard::parquet
