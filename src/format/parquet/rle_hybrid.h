// The RLE / bit-packing hybrid of Parquet's Encodings.md: definition levels
// and dictionary indices. The encoder buffers values and emits RLE runs for
// repeats of 8 or more and bit-packed groups of 8 otherwise; the decoder is a
// streaming cursor that checks every run against the bytes it was given.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace datashard::parquet {

class RleEncoder {
 public:
  /// bit_width in [0, 32].
  explicit RleEncoder(int bit_width) : bit_width_(bit_width) {}
  void Put(uint32_t v) { values_.push_back(v); }
  size_t size() const { return values_.size(); }
  /// Appends the encoding of every value put so far (no length prefix) to
  /// `out` and clears the encoder.
  void Flush(std::string* out);
  /// Appends the encoding of values[0, n) (each below 2^bit_width) to `out`.
  static void Encode(const uint32_t* values, size_t n, int bit_width, std::string* out);

 private:
  int bit_width_;
  std::vector<uint32_t> values_;
};

class RleDecoder {
 public:
  RleDecoder() = default;
  /// Decodes from [data, data+size) with values of bit_width in [0, 32].
  RleDecoder(const uint8_t* data, size_t size, int bit_width);

  /// Decodes exactly n values into out; Corruption if the data ends first or
  /// a value exceeds the bit width.
  void Decode(uint32_t* out, size_t n);
  /// Bytes consumed so far (up to the end of the current run).
  size_t position() const { return pos_; }

 private:
  void NextRun();

  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t pos_ = 0;
  int bit_width_ = 0;
  // Current run: either `rle_left` repeats of rle_value, or bit-packed
  // values starting at packed_ (a run of whole groups of 8).
  uint64_t rle_left_ = 0;
  uint32_t rle_value_ = 0;
  uint64_t packed_left_ = 0;
  const uint8_t* packed_ = nullptr;
  uint64_t packed_index_ = 0;
};

}  // namespace datashard::parquet
