#include "format/parquet/compression.h"

#include <gtest/gtest.h>

#include "datashard/errors.h"

namespace datashard::parquet {
namespace {

class CompressionTest : public ::testing::TestWithParam<CompressionCodec> {};

TEST_P(CompressionTest, RoundTripsAndChecksSizes) {
  std::string input;
  for (int i = 0; i < 10000; ++i) input += "value " + std::to_string(i % 97) + ";";
  std::string compressed;
  Compress(GetParam(), 3, input.data(), input.size(), &compressed);
  std::vector<uint8_t> out;
  const auto* in = reinterpret_cast<const uint8_t*>(compressed.data());
  Decompress(GetParam(), in, compressed.size(), input.size(), &out);
  EXPECT_EQ(std::string(out.begin(), out.end()), input);
  EXPECT_THROW(Decompress(GetParam(), in, compressed.size(), input.size() + 1, &out), Corruption);
  if (GetParam() != CompressionCodec::kUncompressed) {
    EXPECT_LT(compressed.size(), input.size());
    std::string broken = compressed;
    broken.resize(broken.size() / 2);
    EXPECT_THROW(Decompress(GetParam(), reinterpret_cast<const uint8_t*>(broken.data()),
                            broken.size(), input.size(), &out),
                 Corruption);
  }
  // Empty input.
  compressed.clear();
  Compress(GetParam(), 3, "", 0, &compressed);
  Decompress(GetParam(), reinterpret_cast<const uint8_t*>(compressed.data()), compressed.size(), 0,
             &out);
  EXPECT_TRUE(out.empty());
}

INSTANTIATE_TEST_SUITE_P(Codecs, CompressionTest,
                         ::testing::Values(CompressionCodec::kUncompressed,
                                           CompressionCodec::kSnappy, CompressionCodec::kGzip,
                                           CompressionCodec::kZstd));

TEST(CompressionTest, GzipIsRfc1952) {
  std::string compressed;
  Compress(CompressionCodec::kGzip, 6, "abc", 3, &compressed);
  ASSERT_GE(compressed.size(), 18u);
  EXPECT_EQ(static_cast<uint8_t>(compressed[0]), 0x1F);
  EXPECT_EQ(static_cast<uint8_t>(compressed[1]), 0x8B);
  EXPECT_EQ(compressed[2], 8);  // deflate
}

TEST(CompressionTest, UnsupportedCodecs) {
  std::vector<uint8_t> out;
  EXPECT_THROW(Decompress(CompressionCodec::kLz4Raw, nullptr, 0, 0, &out), NotSupported);
  std::string s;
  EXPECT_THROW(Compress(CompressionCodec::kBrotli, 0, "", 0, &s), NotSupported);
}

}  // namespace
}  // namespace datashard::parquet
