// The dictionary of one column chunk being written: distinct values in the
// order first seen, their PLAIN encoding (the dictionary page body) and an
// open-addressing index from value to entry, so that encoding a value costs
// one hash probe and no allocation. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace datashard::parquet {

class DictionaryBuilder {
 public:
  /// `width`: bytes of each fixed-width value (4 or 8), or 0 for byte
  /// arrays; `length_prefix`: byte arrays are PLAIN-encoded with a 4-byte
  /// length (BYTE_ARRAY), not without (FIXED_LEN_BYTE_ARRAY).
  DictionaryBuilder(int width, bool length_prefix);

  /// The entry of a fixed-width value (its low `width` bytes), added if new.
  uint32_t IndexOfBits(uint64_t bits);
  /// The entry of a byte array, added if new.
  uint32_t IndexOfBytes(std::string_view v);

  size_t size() const { return count_; }
  /// The dictionary page body: every entry PLAIN-encoded.
  const std::string& plain() const { return plain_; }
  /// Appends the PLAIN encoding of entry `i` to `out`.
  void AppendPlain(uint32_t i, std::string* out) const;
  /// Bytes the PLAIN encoding of entry `i` takes.
  size_t PlainSize(uint32_t i) const;
  void Clear();

 private:
  void Grow();
  uint32_t* Probe(size_t hash, uint64_t bits, std::string_view bytes);

  int width_;
  bool length_prefix_;
  std::string plain_;
  std::vector<uint64_t> bits_;     // fixed-width entries
  std::vector<uint32_t> offsets_;  // byte arrays: value start in plain_ ...
  std::vector<uint32_t> lengths_;  // ... and length
  std::vector<uint32_t> slots_;    // entry + 1, 0 = free; a power of two long
  size_t count_ = 0;
};

}  // namespace datashard::parquet
