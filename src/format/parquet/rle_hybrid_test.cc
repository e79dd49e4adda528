#include "format/parquet/rle_hybrid.h"

#include <random>

#include <gtest/gtest.h>

#include "datashard/errors.h"
#include "format/parquet/bit_util.h"

namespace datashard::parquet {
namespace {

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

std::string Encode(int width, const std::vector<uint32_t>& values) {
  RleEncoder e(width);
  for (uint32_t v : values) e.Put(v);
  std::string out;
  e.Flush(&out);
  return out;
}

std::vector<uint32_t> Decode(int width, const std::string& data, size_t n) {
  RleDecoder d(reinterpret_cast<const uint8_t*>(data.data()), data.size(), width);
  std::vector<uint32_t> out(n);
  d.Decode(out.data(), n);
  return out;
}

TEST(RleHybridTest, BitPackedRunMatchesTheSpecExample) {
  // Encodings.md: 0..7 with bit width 3 pack to 10001000 11000110 11111010.
  const std::vector<uint32_t> v = {0, 1, 2, 3, 4, 5, 6, 7};
  const std::string enc = Encode(3, v);
  EXPECT_EQ(enc, Bytes({0x03, 0x88, 0xC6, 0xFA}));
  EXPECT_EQ(Decode(3, enc, 8), v);
}

TEST(RleHybridTest, RepeatsBecomeRleRuns) {
  EXPECT_EQ(Encode(3, std::vector<uint32_t>(10, 5)), Bytes({0x14, 0x05}));
  // 300 repeats: ULEB128(600) = D8 04; a 9-bit width takes two value bytes.
  EXPECT_EQ(Encode(9, std::vector<uint32_t>(300, 257)), Bytes({0xD8, 0x04, 0x01, 0x01}));
  // Width 0: every value is 0 and the run has no value bytes.
  EXPECT_EQ(Encode(0, std::vector<uint32_t>(4, 0)), Bytes({0x03}));
  EXPECT_EQ(Decode(0, Bytes({0x08}), 4), std::vector<uint32_t>(4, 0));
}

TEST(RleHybridTest, MixedRunsRoundTrip) {
  std::vector<uint32_t> v = {1, 1, 1};
  v.insert(v.end(), 10, 2);
  v.insert(v.end(), {0, 3, 0, 3});
  v.insert(v.end(), 20, 1);
  const std::string enc = Encode(2, v);
  EXPECT_EQ(Decode(2, enc, v.size()), v);
}

TEST(RleHybridTest, RandomDataRoundTripsForEveryWidth) {
  std::mt19937_64 rng(42);
  for (int width = 0; width <= 32; ++width) {
    const uint64_t mask = width == 32 ? 0xFFFFFFFFull : (1ull << width) - 1;
    std::vector<uint32_t> v;
    for (int i = 0; i < 3000; ++i) {
      // Alternate noise and long repeats so both run kinds occur.
      const uint32_t x = static_cast<uint32_t>(rng() & mask);
      const int reps = (rng() % 4 == 0) ? static_cast<int>(rng() % 40) : 1;
      for (int k = 0; k < reps; ++k) v.push_back(x);
    }
    const std::string enc = Encode(width, v);
    RleDecoder d(reinterpret_cast<const uint8_t*>(enc.data()), enc.size(), width);
    std::vector<uint32_t> out(v.size());
    // Decode in uneven pieces to exercise run state across calls.
    size_t done = 0;
    while (done < v.size()) {
      const size_t k = std::min<size_t>(v.size() - done, 1 + rng() % 100);
      d.Decode(out.data() + done, k);
      done += k;
    }
    EXPECT_EQ(out, v) << "width " << width;
  }
}

TEST(RleHybridTest, GroupUnpackMatchesTheScalarUnpackForEveryWidth) {
  std::mt19937_64 rng(7);
  for (int width = 1; width <= 32; ++width) {
    constexpr size_t kGroups = 37;
    std::vector<uint8_t> src(kGroups * static_cast<size_t>(width));
    for (uint8_t& b : src) b = static_cast<uint8_t>(rng());
    std::vector<uint64_t> want(kGroups * 8);
    UnpackBits(src.data(), width, want.size(), want.data());
    std::vector<uint32_t> got(kGroups * 8);
    UnpackGroups32For(width)(src.data(), kGroups, got.data());
    EXPECT_EQ(std::vector<uint64_t>(got.begin(), got.end()), want) << "width " << width;
  }
}

TEST(RleHybridTest, BitPackedRunsDecodeWholeOrCutShortInAnyPieces) {
  std::mt19937_64 rng(11);
  for (int width = 1; width <= 32; ++width) {
    const uint64_t mask = width == 32 ? 0xFFFFFFFFull : (1ull << width) - 1;
    // No value repeats its predecessor, so every run is bit-packed; the last
    // group holds one value and padding.
    std::vector<uint32_t> v(4001);
    for (size_t i = 0; i < v.size(); ++i) {
      v[i] = static_cast<uint32_t>(rng() & mask);
      if (i > 0 && v[i] == v[i - 1]) v[i] ^= 1;
    }
    const std::string enc = Encode(width, v);
    EXPECT_EQ(Decode(width, enc, v.size()), v) << "width " << width;
    // Without its last group the run still yields the values before it.
    const std::string cut = enc.substr(0, enc.size() - static_cast<size_t>(width));
    RleDecoder d(reinterpret_cast<const uint8_t*>(cut.data()), cut.size(), width);
    std::vector<uint32_t> out(v.size() - 1);
    size_t done = 0;
    while (done < out.size()) {
      const size_t k = std::min<size_t>(out.size() - done, 1 + rng() % 300);
      d.Decode(out.data() + done, k);
      done += k;
    }
    EXPECT_EQ(out, std::vector<uint32_t>(v.begin(), v.end() - 1)) << "width " << width;
    EXPECT_THROW(Decode(width, cut, v.size()), Corruption) << "width " << width;
  }
}

TEST(RleHybridTest, BadDataIsCorruption) {
  // Fewer values than requested.
  EXPECT_THROW(Decode(3, Bytes({0x14, 0x05}), 11), Corruption);
  // An RLE value that does not fit the width.
  EXPECT_THROW(Decode(2, Bytes({0x14, 0x05}), 1), Corruption);
  // A run value cut off.
  EXPECT_THROW(Decode(16, Bytes({0x14, 0x05}), 1), Corruption);
  // An unterminated varint header.
  EXPECT_THROW(Decode(1, Bytes({0x80, 0x80}), 1), Corruption);
  // Empty runs.
  EXPECT_THROW(Decode(1, Bytes({0x00}), 1), Corruption);
  EXPECT_THROW(Decode(1, Bytes({0x01}), 1), Corruption);
  // Width out of range.
  EXPECT_THROW(RleDecoder(nullptr, 0, 33), Corruption);
}

}  // namespace
}  // namespace datashard::parquet
