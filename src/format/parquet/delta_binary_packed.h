// DELTA_BINARY_PACKED (Encodings.md): blocks of bit-packed deltas, read as a
// stream. Also the length stream inside DELTA_LENGTH_BYTE_ARRAY and
// DELTA_BYTE_ARRAY. Arithmetic wraps like the writers' (two's complement).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace datashard::parquet {

class DeltaBinaryPackedDecoder {
 public:
  /// Reads the header at data[0]; Corruption if it is malformed.
  DeltaBinaryPackedDecoder(const uint8_t* data, size_t size);

  /// Values the stream declares.
  uint64_t total_values() const { return total_; }
  uint64_t remaining() const { return total_ - produced_; }
  /// Decodes the next n values (n <= remaining()); Corruption if the data ends.
  void Decode(int64_t* out, size_t n);
  /// Offset just past the last miniblock holding a value, found by walking
  /// the block headers (no values are decoded). Corruption if truncated.
  size_t EndPosition() const;

 private:
  void StartBlock();
  void StartMiniblock();

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  uint64_t block_size_ = 0;
  uint64_t miniblocks_ = 0;
  uint64_t per_miniblock_ = 0;
  uint64_t total_ = 0;
  uint64_t produced_ = 0;
  uint64_t last_ = 0;
  size_t header_end_ = 0;
  // Current block and miniblock.
  uint64_t min_delta_ = 0;
  std::vector<uint8_t> widths_;
  size_t miniblock_index_ = 0;
  std::vector<uint64_t> deltas_;
  size_t delta_pos_ = 0;
};

}  // namespace datashard::parquet
