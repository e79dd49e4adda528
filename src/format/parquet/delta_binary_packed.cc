#include "format/parquet/delta_binary_packed.h"

#include <algorithm>

#include "datashard/errors.h"
#include "format/parquet/bit_util.h"

namespace datashard::parquet {
namespace {

// Writers use 32..2048 values per miniblock; a larger one is treated as
// corrupt so a bad header cannot make us allocate much.
constexpr uint64_t kMaxPerMiniblock = 1 << 16;

// Bytes a miniblock occupies: the full padded size when present, but a
// final miniblock may stop after its last needed value.
size_t MiniblockBytes(uint64_t per_miniblock, uint64_t needed, int width, size_t available,
                      size_t* consumed) {
  const uint64_t full = per_miniblock * static_cast<uint64_t>(width) / 8;
  const uint64_t need = (needed * static_cast<uint64_t>(width) + 7) / 8;
  if (need > available) throw Corruption("DELTA_BINARY_PACKED miniblock runs past the data");
  *consumed = static_cast<size_t>(std::min<uint64_t>(full, available));
  return static_cast<size_t>(need);
}

}  // namespace

DeltaBinaryPackedDecoder::DeltaBinaryPackedDecoder(const uint8_t* data, size_t size)
    : data_(data), size_(size) {
  block_size_ = ReadUleb128(data_, size_, &pos_);
  miniblocks_ = ReadUleb128(data_, size_, &pos_);
  total_ = ReadUleb128(data_, size_, &pos_);
  last_ = static_cast<uint64_t>(ZigZagDecode(ReadUleb128(data_, size_, &pos_)));
  if (block_size_ == 0 || block_size_ % 128 != 0 || miniblocks_ == 0 ||
      block_size_ % miniblocks_ != 0) {
    throw Corruption("DELTA_BINARY_PACKED header has block size " + std::to_string(block_size_) +
                     " and " + std::to_string(miniblocks_) + " miniblocks");
  }
  per_miniblock_ = block_size_ / miniblocks_;
  if (per_miniblock_ % 32 != 0 || per_miniblock_ > kMaxPerMiniblock) {
    throw Corruption("DELTA_BINARY_PACKED miniblocks of " + std::to_string(per_miniblock_) +
                     " values");
  }
  header_end_ = pos_;
  miniblock_index_ = miniblocks_;  // forces a block header before the first delta
}

void DeltaBinaryPackedDecoder::StartBlock() {
  min_delta_ = static_cast<uint64_t>(ZigZagDecode(ReadUleb128(data_, size_, &pos_)));
  if (miniblocks_ > size_ - pos_) throw Corruption("DELTA_BINARY_PACKED block header truncated");
  widths_.assign(data_ + pos_, data_ + pos_ + miniblocks_);
  pos_ += miniblocks_;
  miniblock_index_ = 0;
}

void DeltaBinaryPackedDecoder::StartMiniblock() {
  if (miniblock_index_ == miniblocks_) StartBlock();
  const int width = widths_[miniblock_index_++];
  if (width > 64) {
    throw Corruption("DELTA_BINARY_PACKED bit width " + std::to_string(width) + " exceeds 64");
  }
  const uint64_t needed = std::min<uint64_t>(per_miniblock_, total_ - produced_);
  size_t consumed = 0;
  MiniblockBytes(per_miniblock_, needed, width, size_ - pos_, &consumed);
  deltas_.resize(static_cast<size_t>(needed));
  UnpackBits(data_ + pos_, width, deltas_.size(), deltas_.data());
  pos_ += consumed;
  delta_pos_ = 0;
}

void DeltaBinaryPackedDecoder::Decode(int64_t* out, size_t n) {
  if (n > remaining()) throw Corruption("DELTA_BINARY_PACKED stream has too few values");
  for (size_t i = 0; i < n; ++i) {
    if (produced_ > 0) {
      if (delta_pos_ == deltas_.size()) StartMiniblock();
      last_ += min_delta_ + deltas_[delta_pos_++];
    }
    out[i] = static_cast<int64_t>(last_);
    ++produced_;
  }
}

size_t DeltaBinaryPackedDecoder::EndPosition() const {
  size_t pos = header_end_;
  uint64_t left = total_ > 0 ? total_ - 1 : 0;
  while (left > 0) {
    ReadUleb128(data_, size_, &pos);
    if (miniblocks_ > size_ - pos) throw Corruption("DELTA_BINARY_PACKED block header truncated");
    const uint8_t* widths = data_ + pos;
    pos += miniblocks_;
    for (uint64_t m = 0; m < miniblocks_ && left > 0; ++m) {
      if (widths[m] > 64) throw Corruption("DELTA_BINARY_PACKED bit width exceeds 64");
      const uint64_t needed = std::min<uint64_t>(per_miniblock_, left);
      size_t consumed = 0;
      MiniblockBytes(per_miniblock_, needed, widths[m], size_ - pos, &consumed);
      pos += consumed;
      left -= needed;
    }
  }
  return pos;
}

}  // namespace datashard::parquet
