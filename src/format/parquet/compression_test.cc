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

// Issue 17 item 5, a real bug: a tiny page whose header and whose own
// stream both claim 2 GiB had a 2 GiB buffer allocated and zero-filled
// before decoding failed.
TEST(CompressionTest, ClaimsBeyondTheCodecsBestRatioAreRefusedBeforeAllocating) {
  const uint32_t huge = (uint32_t{1} << 31) - 1;
  const std::string le(reinterpret_cast<const char*>(&huge), 4);  // little-endian hosts
  // snappy: the varint length, then one 3-byte literal.
  const std::string snappy = std::string("\xff\xff\xff\xff\x07\x08") + "abc";
  // gzip: a real member of 40 bytes' input whose ISIZE trailer says 2^31 - 1.
  std::string gzip;
  Compress(CompressionCodec::kGzip, 6, "0123456789012345678901234567890123456789", 40, &gzip);
  gzip.replace(gzip.size() - 4, 4, le);
  // zstd: a single-segment frame header with a 4-byte content size, then
  // one last RLE block of 16 bytes.
  const std::string zstd =
      std::string("\x28\xb5\x2f\xfd\xa0", 5) + le + std::string("\x83\x00\x00x", 4);
  for (const auto& [codec, page] :
       {std::pair{CompressionCodec::kSnappy, snappy}, std::pair{CompressionCodec::kGzip, gzip},
        std::pair{CompressionCodec::kZstd, zstd}}) {
    std::vector<uint8_t> out;
    try {
      Decompress(codec, reinterpret_cast<const uint8_t*>(page.data()), page.size(), huge, &out);
      ADD_FAILURE() << CodecName(codec);
    } catch (const Corruption& e) {
      EXPECT_EQ(std::string(e.what()), std::string(CodecName(codec)) + " page of " +
                                           std::to_string(page.size()) + " bytes cannot hold the " +
                                           std::to_string(huge) + " bytes its header claims");
    }
    EXPECT_EQ(out.capacity(), 0u) << CodecName(codec);
  }
  // zstd's best ratio (RLE blocks) stays readable: 8 MiB of zeros.
  const std::string zeros(8 << 20, '\0');
  std::string page;
  Compress(CompressionCodec::kZstd, 3, zeros.data(), zeros.size(), &page);
  std::vector<uint8_t> out;
  Decompress(CompressionCodec::kZstd, reinterpret_cast<const uint8_t*>(page.data()), page.size(),
             zeros.size(), &out);
  EXPECT_EQ(out.size(), zeros.size());
}

TEST(CompressionTest, UnsupportedCodecs) {
  std::vector<uint8_t> out;
  EXPECT_THROW(Decompress(CompressionCodec::kLz4Raw, nullptr, 0, 0, &out), NotSupported);
  std::string s;
  EXPECT_THROW(Compress(CompressionCodec::kBrotli, 0, "", 0, &s), NotSupported);
}

}  // namespace
}  // namespace datashard::parquet
