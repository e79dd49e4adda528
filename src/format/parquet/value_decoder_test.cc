#include "format/parquet/value_decoder.h"

#include <gtest/gtest.h>

#include "datashard/errors.h"
#include "format/parquet/delta_binary_packed.h"

namespace datashard::parquet {
namespace {

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

const uint8_t* U8(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

std::shared_ptr<const std::vector<uint8_t>> Page(const std::string& s) {
  return std::make_shared<const std::vector<uint8_t>>(s.begin(), s.end());
}

std::unique_ptr<ValueDecoder> Make(Encoding e, PhysicalType t, const std::string& data,
                                   const PhysicalValues* dict = nullptr, int length = 0) {
  return MakeValueDecoder(e, PhysicalColumn{t, length}, U8(data), data.size(), dict);
}

TEST(ValueDecoderTest, Plain) {
  const std::string ints = Bytes({0x01, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF});
  int32_t i[2];
  Make(Encoding::kPlain, PhysicalType::kInt32, ints)->DecodeInt32(i, 2);
  EXPECT_EQ(i[0], 1);
  EXPECT_EQ(i[1], -1);
  EXPECT_THROW(Make(Encoding::kPlain, PhysicalType::kInt32, ints)->DecodeInt32(i, 3), Corruption);

  const std::string bools = Bytes({0x05});
  uint8_t b[3];
  Make(Encoding::kPlain, PhysicalType::kBoolean, bools)->DecodeBool(b, 3);
  EXPECT_EQ(b[0], 1);
  EXPECT_EQ(b[1], 0);
  EXPECT_EQ(b[2], 1);

  const std::string arrays = Bytes({0x01, 0, 0, 0, 'a', 0, 0, 0, 0});
  std::string s[2];
  Make(Encoding::kPlain, PhysicalType::kByteArray, arrays)->DecodeBytes(s, 2);
  EXPECT_EQ(s[0], "a");
  EXPECT_EQ(s[1], "");
  const std::string overlong = Bytes({0x09, 0, 0, 0, 'a'});
  EXPECT_THROW(Make(Encoding::kPlain, PhysicalType::kByteArray, overlong)->DecodeBytes(s, 1),
               Corruption);

  const std::string fixed = "abcdef";
  Make(Encoding::kPlain, PhysicalType::kFixedLenByteArray, fixed, nullptr, 3)->DecodeBytes(s, 2);
  EXPECT_EQ(s[0], "abc");
  EXPECT_EQ(s[1], "def");

  const std::string doubles = Bytes({0, 0, 0, 0, 0, 0, 0xF0, 0x3F});
  double d;
  Make(Encoding::kPlain, PhysicalType::kDouble, doubles)->DecodeDouble(&d, 1);
  EXPECT_EQ(d, 1.0);
}

TEST(ValueDecoderTest, DictionaryIndices) {
  const std::string dict_page = Bytes({10, 0, 0, 0, 20, 0, 0, 0});
  const PhysicalValues dict =
      DecodeDictionary(PhysicalColumn{PhysicalType::kInt32, 0}, Page(dict_page), 2);
  // Bit width 1, then one bit-packed group holding 1, 0, 1.
  const std::string data = Bytes({0x01, 0x03, 0x05});
  int32_t v[3];
  Make(Encoding::kRleDictionary, PhysicalType::kInt32, data, &dict)->DecodeInt32(v, 3);
  EXPECT_EQ(v[0], 20);
  EXPECT_EQ(v[1], 10);
  EXPECT_EQ(v[2], 20);
  // The deprecated PLAIN_DICTIONARY id reads the same way.
  Make(Encoding::kPlainDictionary, PhysicalType::kInt32, data, &dict)->DecodeInt32(v, 3);
  EXPECT_EQ(v[0], 20);
  // Index 3 is out of the dictionary's range.
  const std::string bad = Bytes({0x02, 0x02, 0x03});
  EXPECT_THROW(Make(Encoding::kRleDictionary, PhysicalType::kInt32, bad, &dict)->DecodeInt32(v, 1),
               Corruption);
  EXPECT_THROW(Make(Encoding::kRleDictionary, PhysicalType::kInt32, data), Corruption);
  // A dictionary page that cannot hold the values its header claims.
  EXPECT_THROW(DecodeDictionary(PhysicalColumn{PhysicalType::kInt32, 0}, Page(dict_page), 3),
               Corruption);
}

TEST(ValueDecoderTest, DeltaBinaryPackedSpecExamples) {
  // Encodings.md example 1: 1..5, all deltas 1, bit width 0.
  const std::string ex1 = Bytes({0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0, 0, 0, 0});
  int64_t v[8];
  Make(Encoding::kDeltaBinaryPacked, PhysicalType::kInt64, ex1)->DecodeInt64(v, 5);
  EXPECT_EQ(std::vector<int64_t>(v, v + 5), (std::vector<int64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(DeltaBinaryPackedDecoder(U8(ex1), ex1.size()).EndPosition(), ex1.size());

  // Example 2: 7 5 3 1 2 3 4 5; min delta -2, relative deltas 0 0 0 3 3 3 3, width 2.
  const std::string ex2 =
      Bytes({0x80, 0x01, 0x04, 0x08, 0x0E, 0x03, 0x02, 0, 0, 0, 0xC0, 0x3F, 0, 0, 0, 0, 0, 0});
  int32_t w[8];
  Make(Encoding::kDeltaBinaryPacked, PhysicalType::kInt32, ex2)->DecodeInt32(w, 8);
  EXPECT_EQ(std::vector<int32_t>(w, w + 8), (std::vector<int32_t>{7, 5, 3, 1, 2, 3, 4, 5}));
  EXPECT_EQ(DeltaBinaryPackedDecoder(U8(ex2), ex2.size()).EndPosition(), ex2.size());

  EXPECT_THROW(Make(Encoding::kDeltaBinaryPacked, PhysicalType::kInt32, ex2)->DecodeInt32(w, 9),
               Corruption);
  // Block size not a multiple of 128.
  EXPECT_THROW(
      Make(Encoding::kDeltaBinaryPacked, PhysicalType::kInt32, Bytes({0x40, 0x04, 0x01, 0x00})),
      Corruption);
  // Truncated miniblock.
  const std::string cut = ex2.substr(0, 11);
  EXPECT_THROW(Make(Encoding::kDeltaBinaryPacked, PhysicalType::kInt32, cut)->DecodeInt32(w, 8),
               Corruption);
  EXPECT_THROW(Make(Encoding::kDeltaBinaryPacked, PhysicalType::kDouble, ex2), Corruption);
}

TEST(ValueDecoderTest, DeltaLengthByteArray) {
  // Lengths 5 5 6 6: first 5, deltas 0 1 0, min 0, width 1.
  const std::string data =
      Bytes({0x80, 0x01, 0x04, 0x04, 0x0A, 0x00, 0x01, 0, 0, 0, 0x02, 0, 0, 0}) +
      "HelloWorldFoobarABCDEF";
  std::string s[4];
  Make(Encoding::kDeltaLengthByteArray, PhysicalType::kByteArray, data)->DecodeBytes(s, 4);
  EXPECT_EQ(s[0], "Hello");
  EXPECT_EQ(s[1], "World");
  EXPECT_EQ(s[2], "Foobar");
  EXPECT_EQ(s[3], "ABCDEF");
  EXPECT_THROW(Make(Encoding::kDeltaLengthByteArray, PhysicalType::kByteArray,
                    data.substr(0, data.size() - 1))
                   ->DecodeBytes(s, 4),
               Corruption);
}

TEST(ValueDecoderTest, DeltaByteArray) {
  // axis, axle, babble, babyhood: prefixes 0 2 0 3 (min delta -2, relative 4 0 5,
  // width 3); suffixes axis le babble yhood, lengths 4 2 6 5 (min -2, relative 0 6 1).
  const std::string prefixes = Bytes({0x80, 0x01, 0x04, 0x04, 0x00, 0x03, 0x03, 0, 0, 0, 0x44,
                                      0x01, 0,    0,    0,    0,    0,    0,    0, 0, 0, 0});
  const std::string suffixes = Bytes({0x80, 0x01, 0x04, 0x04, 0x08, 0x03, 0x03, 0, 0, 0, 0x70,
                                      0,    0,    0,    0,    0,    0,    0,    0, 0, 0, 0}) +
                               "axislebabbleyhood";
  const std::string data = prefixes + suffixes;
  std::string s[4];
  Make(Encoding::kDeltaByteArray, PhysicalType::kByteArray, data)->DecodeBytes(s, 4);
  EXPECT_EQ(s[0], "axis");
  EXPECT_EQ(s[1], "axle");
  EXPECT_EQ(s[2], "babble");
  EXPECT_EQ(s[3], "babyhood");
  // FIXED_LEN_BYTE_ARRAY values must keep their length.
  EXPECT_THROW(Make(Encoding::kDeltaByteArray, PhysicalType::kFixedLenByteArray, data, nullptr, 4)
                   ->DecodeBytes(s, 4),
               Corruption);
}

TEST(ValueDecoderTest, ByteValuesAsViewsIntoThePageOrTheDictionary) {
  const std::string arrays = Bytes({0x01, 0, 0, 0, 'a', 0, 0, 0, 0, 0x02, 0, 0, 0, 'b', 'c'});
  std::string_view v[4];
  ASSERT_TRUE(Make(Encoding::kPlain, PhysicalType::kByteArray, arrays)->DecodeViews(v, 3));
  EXPECT_EQ(v[0], "a");
  EXPECT_EQ(v[1], "");
  EXPECT_EQ(v[2], "bc");
  EXPECT_EQ(v[2].data(), arrays.data() + 13);  // in the page, not a copy
  EXPECT_THROW(Make(Encoding::kPlain, PhysicalType::kByteArray, arrays)->DecodeViews(v, 4),
               Corruption);

  const std::string fixed = "abcdef";
  ASSERT_TRUE(Make(Encoding::kPlain, PhysicalType::kFixedLenByteArray, fixed, nullptr, 3)
                  ->DecodeViews(v, 2));
  EXPECT_EQ(v[0], "abc");
  EXPECT_EQ(v[1], "def");

  const std::string lengths =
      Bytes({0x80, 0x01, 0x04, 0x04, 0x0A, 0x00, 0x01, 0, 0, 0, 0x02, 0, 0, 0}) +
      "HelloWorldFoobarABCDEF";
  std::string_view w[4];
  ASSERT_TRUE(
      Make(Encoding::kDeltaLengthByteArray, PhysicalType::kByteArray, lengths)->DecodeViews(w, 4));
  EXPECT_EQ(w[0], "Hello");
  EXPECT_EQ(w[3], "ABCDEF");

  const PhysicalValues dict =
      DecodeDictionary(PhysicalColumn{PhysicalType::kByteArray, 0}, Page(arrays), 3);
  // Bit width 2, then one bit-packed group holding 2, 0, 2.
  const std::string indices = Bytes({0x02, 0x03, 0x22, 0x00});
  ASSERT_TRUE(
      Make(Encoding::kRleDictionary, PhysicalType::kByteArray, indices, &dict)->DecodeViews(v, 3));
  EXPECT_EQ(v[0], "bc");
  EXPECT_EQ(v[1], "a");
  // In the dictionary page itself, not a copy.
  EXPECT_EQ(v[0].data(), reinterpret_cast<const char*>(dict.page->data()) + 13);
  std::string copies[2];
  Make(Encoding::kRleDictionary, PhysicalType::kByteArray, indices, &dict)->DecodeBytes(copies, 2);
  EXPECT_EQ(copies[0], "bc");
  EXPECT_EQ(copies[1], "a");

  // DELTA_BYTE_ARRAY builds each value from the one before: no views, nothing consumed.
  const std::string prefixes = Bytes({0x80, 0x01, 0x04, 0x04, 0x00, 0x03, 0x03, 0, 0, 0, 0x44,
                                      0x01, 0,    0,    0,    0,    0,    0,    0, 0, 0, 0});
  const std::string suffixes = Bytes({0x80, 0x01, 0x04, 0x04, 0x08, 0x03, 0x03, 0, 0, 0, 0x70,
                                      0,    0,    0,    0,    0,    0,    0,    0, 0, 0, 0}) +
                               "axislebabbleyhood";
  // The decoder reads the page in place: it must outlive the decoder.
  const std::string page = prefixes + suffixes;
  auto delta = Make(Encoding::kDeltaByteArray, PhysicalType::kByteArray, page);
  EXPECT_FALSE(delta->DecodeViews(w, 4));
  std::string s[1];
  delta->DecodeBytes(s, 1);
  EXPECT_EQ(s[0], "axis");
}

TEST(ValueDecoderTest, ByteStreamSplit) {
  // 1.0f = 3F800000, 2.0f = 40000000: byte k of every value forms stream k.
  const std::string data = Bytes({0, 0, 0, 0, 0x80, 0, 0x3F, 0x40});
  float f[2];
  Make(Encoding::kByteStreamSplit, PhysicalType::kFloat, data)->DecodeFloat(f, 2);
  EXPECT_EQ(f[0], 1.0f);
  EXPECT_EQ(f[1], 2.0f);
  EXPECT_THROW(Make(Encoding::kByteStreamSplit, PhysicalType::kFloat, data)->DecodeFloat(f, 3),
               Corruption);
  EXPECT_THROW(Make(Encoding::kByteStreamSplit, PhysicalType::kDouble, data.substr(0, 7)),
               Corruption);
  std::string s[2];
  Make(Encoding::kByteStreamSplit, PhysicalType::kFixedLenByteArray, "abcd", nullptr, 2)
      ->DecodeBytes(s, 2);
  EXPECT_EQ(s[0], "ac");
  EXPECT_EQ(s[1], "bd");
}

TEST(ValueDecoderTest, RleBooleansAndUnsupportedEncodings) {
  // Length 2, then an RLE run of 3 trues.
  const std::string data = Bytes({0x02, 0, 0, 0, 0x06, 0x01});
  uint8_t b[3];
  Make(Encoding::kRle, PhysicalType::kBoolean, data)->DecodeBool(b, 3);
  EXPECT_EQ(b[0] + b[1] + b[2], 3);
  EXPECT_THROW(Make(Encoding::kBitPacked, PhysicalType::kInt32, data), NotSupported);
  EXPECT_THROW(Make(Encoding::kPlain, PhysicalType::kInt32, data)->DecodeDouble(nullptr, 1),
               Corruption);
}

}  // namespace
}  // namespace datashard::parquet
