#include "format/parquet/rle_hybrid.h"

#include <algorithm>
#include <cstring>

#include "datashard/errors.h"
#include "format/parquet/bit_util.h"

namespace datashard::parquet {
namespace {

constexpr size_t kMinRleRun = 8;
// Bit-packed runs are capped so their header stays small; any size works.
constexpr size_t kMaxPackedGroups = 1024;

void AppendRleRun(uint32_t value, size_t count, int bit_width, std::string* out) {
  AppendUleb128(static_cast<uint64_t>(count) << 1, out);
  const int bytes = (bit_width + 7) / 8;
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

// Bit-packs values[begin, end), padded with zeros to whole groups of 8: a
// group of 8 values of w bits is exactly w bytes.
void AppendBitPackedRun(const uint32_t* values, size_t begin, size_t end, int bit_width,
                        std::string* out) {
  const size_t groups = (end - begin + 7) / 8;
  AppendUleb128((static_cast<uint64_t>(groups) << 1) | 1, out);
  const size_t w = static_cast<size_t>(bit_width);
  size_t at = out->size();
  out->resize(at + groups * w);
  char* dst = out->data() + at;
  for (size_t g = 0; g < groups; ++g, dst += w) {
    uint32_t v[8] = {};
    const size_t first = begin + g * 8;
    const size_t k = std::min<size_t>(8, end - first);
    std::memcpy(v, values + first, k * sizeof(uint32_t));
    // 8 x 32 bits fit in 256: pack into four 64-bit words.
    uint64_t words[4] = {};
    for (size_t i = 0; i < 8; ++i) {
      const size_t bit = i * w;
      words[bit / 64] |= static_cast<uint64_t>(v[i]) << (bit % 64);
      if (bit % 64 + w > 64) words[bit / 64 + 1] |= static_cast<uint64_t>(v[i]) >> (64 - bit % 64);
    }
    std::memcpy(dst, words, w);
  }
}

}  // namespace

void RleEncoder::Flush(std::string* out) {
  Encode(values_.data(), values_.size(), bit_width_, out);
  values_.clear();
}

void RleEncoder::Encode(const uint32_t* values, size_t n, int bit_width, std::string* out) {
  auto run_at = [&](size_t i) {
    size_t j = i + 1;
    while (j < n && values[j] == values[i]) ++j;
    return j - i;
  };
  size_t i = 0;
  while (i < n) {
    const size_t run = run_at(i);
    if (run >= kMinRleRun) {
      AppendRleRun(values[i], run, bit_width, out);
      i += run;
      continue;
    }
    // Bit-pack whole groups of 8 until a long run starts at a group boundary.
    const size_t begin = i;
    while (i < n && (i - begin) < kMaxPackedGroups * 8) {
      if ((i - begin) % 8 == 0 && i != begin) {
        size_t k = i + 1;
        while (k < n && k - i < kMinRleRun && values[k] == values[i]) ++k;
        if (k - i >= kMinRleRun) break;
      }
      ++i;
    }
    // A run may only be padded at the very end of the data.
    if (i < n) i = begin + (i - begin) / 8 * 8;
    AppendBitPackedRun(values, begin, i, bit_width, out);
  }
}

RleDecoder::RleDecoder(const uint8_t* data, size_t size, int bit_width)
    : data_(data), size_(size), bit_width_(bit_width) {
  if (bit_width < 0 || bit_width > 32) {
    throw Corruption("RLE bit width " + std::to_string(bit_width) + " is not in [0, 32]");
  }
}

void RleDecoder::NextRun() {
  const uint64_t header = ReadUleb128(data_, size_, &pos_);
  if (header & 1) {
    const uint64_t groups = header >> 1;
    if (groups == 0) throw Corruption("empty bit-packed run in RLE data");
    const uint64_t bytes = groups * static_cast<uint64_t>(bit_width_);
    // The last run may be cut short: writers must pad, but readers only need
    // the values they use. Keep what is present; Decode checks the end.
    if (groups > (uint64_t{1} << 40)) throw Corruption("bit-packed run too long in RLE data");
    const uint64_t avail = size_ - pos_;
    packed_ = data_ + pos_;
    packed_left_ = groups * 8;
    if (bytes > avail) {
      // Only whole values that fit in the remaining bytes are usable.
      packed_left_ = bit_width_ == 0 ? packed_left_ : avail * 8 / static_cast<uint64_t>(bit_width_);
      pos_ = size_;
    } else {
      pos_ += bytes;
    }
    packed_index_ = 0;
  } else {
    rle_left_ = header >> 1;
    if (rle_left_ == 0) throw Corruption("empty RLE run");
    const size_t bytes = static_cast<size_t>((bit_width_ + 7) / 8);
    if (bytes > size_ - pos_) throw Corruption("RLE run value runs past the end of the data");
    uint32_t v = 0;
    for (size_t i = 0; i < bytes; ++i) v |= static_cast<uint32_t>(data_[pos_ + i]) << (8 * i);
    pos_ += bytes;
    if (bit_width_ < 32 && (v >> bit_width_) != 0) {
      throw Corruption("RLE run value " + std::to_string(v) + " exceeds bit width " +
                       std::to_string(bit_width_));
    }
    rle_value_ = v;
  }
}

void RleDecoder::Decode(uint32_t* out, size_t n) {
  uint64_t scratch[64];
  while (n > 0) {
    if (rle_left_ == 0 && packed_left_ == 0) {
      if (pos_ >= size_) throw Corruption("RLE data ends before all values were read");
      NextRun();
    }
    if (rle_left_ > 0) {
      const size_t k = static_cast<size_t>(std::min<uint64_t>(rle_left_, n));
      std::fill(out, out + k, rle_value_);
      out += k;
      n -= k;
      rle_left_ -= k;
      continue;
    }
    if (packed_index_ % 8 == 0 && n >= 8 && packed_left_ >= 8 && bit_width_ > 0) {
      // Whole groups go straight to `out`.
      const size_t groups = static_cast<size_t>(std::min<uint64_t>(packed_left_, n) / 8);
      UnpackGroups32For(bit_width_)(packed_ + packed_index_ / 8 * static_cast<uint64_t>(bit_width_),
                                    groups, out);
      out += groups * 8;
      n -= groups * 8;
      packed_index_ += groups * 8;
      packed_left_ -= groups * 8;
      continue;
    }
    // Unpack from the start of the group holding packed_index_.
    const uint64_t group_start = packed_index_ / 8 * 8;
    const size_t skip = static_cast<size_t>(packed_index_ - group_start);
    const size_t avail = static_cast<size_t>(std::min<uint64_t>(packed_left_, 64 - skip));
    const size_t k = std::min(avail, n);
    const uint8_t* src = packed_ + group_start / 8 * static_cast<uint64_t>(bit_width_);
    UnpackBits(src, bit_width_, skip + k, scratch);
    for (size_t i = 0; i < k; ++i) out[i] = static_cast<uint32_t>(scratch[skip + i]);
    out += k;
    n -= k;
    packed_index_ += k;
    packed_left_ -= k;
  }
}

}  // namespace datashard::parquet
