#include "format/avro/avro_encoding.h"

#include <gtest/gtest.h>

#include <limits>

#include "datashard/errors.h"
#include "util/hex.h"

namespace datashard {
namespace {

std::string EncodeLong(int64_t v) {
  std::string out;
  AvroEncoder(&out).WriteLong(v);
  return out;
}

TEST(AvroEncodingTest, LongsAreZigzagVarints) {
  EXPECT_EQ(HexEncode(EncodeLong(0)), "00");
  EXPECT_EQ(HexEncode(EncodeLong(-1)), "01");
  EXPECT_EQ(HexEncode(EncodeLong(1)), "02");
  EXPECT_EQ(HexEncode(EncodeLong(-64)), "7f");
  EXPECT_EQ(HexEncode(EncodeLong(64)), "8001");
  EXPECT_EQ(HexEncode(EncodeLong(std::numeric_limits<int64_t>::max())), "feffffffffffffffff01");
  EXPECT_EQ(HexEncode(EncodeLong(std::numeric_limits<int64_t>::min())), "ffffffffffffffffff01");
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{300}, int64_t{-300}, int64_t{1} << 40,
                    std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}) {
    const std::string bytes = EncodeLong(v);
    AvroDecoder in(bytes.data(), bytes.size(), "test");
    EXPECT_EQ(in.ReadLong(), v);
    EXPECT_EQ(in.remaining(), 0u);
  }
}

TEST(AvroEncodingTest, EncodesPrimitivesAsTheSpecSays) {
  std::string out;
  EncodeAvroValue(*MakeAvroPrimitive(AvroType::kString), AvroValue::String("foo"), &out);
  EXPECT_EQ(HexEncode(out), "06666f6f");
  out.clear();
  EncodeAvroValue(*MakeAvroOptional(MakeAvroPrimitive(AvroType::kLong)), AvroValue::Long(2), &out);
  EncodeAvroValue(*MakeAvroOptional(MakeAvroPrimitive(AvroType::kLong)), AvroValue::Null(), &out);
  EXPECT_EQ(HexEncode(out), "020400");
  out.clear();
  EncodeAvroValue(*MakeAvroPrimitive(AvroType::kFloat), AvroValue::Float(1.0f), &out);
  EncodeAvroValue(*MakeAvroPrimitive(AvroType::kDouble), AvroValue::Double(-2.0), &out);
  EncodeAvroValue(*MakeAvroPrimitive(AvroType::kBoolean), AvroValue::Boolean(true), &out);
  EXPECT_EQ(HexEncode(out), "0000803f00000000000000c001");
  out.clear();
  AvroNodePtr arr = ParseAvroSchema(std::string_view(R"({"type":"array","items":"long"})"));
  EncodeAvroValue(*arr, AvroValue::MakeArray({AvroValue::Long(3), AvroValue::Long(27)}), &out);
  EXPECT_EQ(HexEncode(out), "04063600");
}

TEST(AvroEncodingTest, RoundTripsEveryKindOfValue) {
  AvroNodePtr schema = ParseAvroSchema(std::string_view(R"({"type":"record","name":"r","fields":[
      {"name":"n","type":"null"},{"name":"b","type":"boolean"},{"name":"i","type":"int"},
      {"name":"l","type":"long"},{"name":"f","type":"float"},{"name":"d","type":"double"},
      {"name":"by","type":"bytes"},{"name":"s","type":"string"},
      {"name":"fx","type":{"type":"fixed","name":"f3","size":3}},
      {"name":"e","type":{"type":"enum","name":"E","symbols":["X","Y","Z"]}},
      {"name":"a","type":{"type":"array","items":["null","string"]}},
      {"name":"m","type":{"type":"map","values":"int"}},
      {"name":"u","type":["null","int","string"]},
      {"name":"sub","type":{"type":"record","name":"s","fields":[{"name":"x","type":"long"}]}}]})"));
  AvroValue value =
      AvroValue::Record({AvroValue::Null(), AvroValue::Boolean(true), AvroValue::Int(-5),
                         AvroValue::Long(int64_t{1} << 50), AvroValue::Float(1.5f),
                         AvroValue::Double(-0.25), AvroValue::Bytes(std::string("\0\xff", 2)),
                         AvroValue::String("héllo"), AvroValue::Fixed("abc"), AvroValue::Enum(2),
                         AvroValue::MakeArray({AvroValue::String("a"), AvroValue::Null()}),
                         AvroValue::MakeMap({{"k1", AvroValue::Int(1)}, {"k2", AvroValue::Int(2)}}),
                         AvroValue::String("u"), AvroValue::Record({AvroValue::Long(7)})});
  std::string bytes;
  EncodeAvroValue(*schema, value, &bytes);
  AvroDecoder in(bytes.data(), bytes.size(), "test");
  AvroValue back = DecodeAvroValue(*schema, in);
  EXPECT_EQ(back, value);
  EXPECT_EQ(in.remaining(), 0u);
  EXPECT_EQ(back.AsRecord()[12].branch(), 2);
  EXPECT_EQ(back.AsRecord()[10].AsArray()[1].branch(), 0);
  EXPECT_EQ(back.AsRecord()[3].AsDouble(), static_cast<double>(int64_t{1} << 50));
  EXPECT_EQ(back.AsRecord()[2].AsLong(), -5);
  EXPECT_THROW(back.AsRecord()[7].AsLong(), InvalidArgument);
}

TEST(AvroEncodingTest, EncoderRejectsValuesThatDoNotFit) {
  std::string out;
  EXPECT_THROW(EncodeAvroValue(*MakeAvroPrimitive(AvroType::kInt), AvroValue::Long(1), &out),
               InvalidArgument);
  EXPECT_THROW(EncodeAvroValue(*MakeAvroOptional(MakeAvroPrimitive(AvroType::kInt)),
                               AvroValue::String("x"), &out),
               InvalidArgument);
  AvroNodePtr fixed = ParseAvroSchema(std::string_view(R"({"type":"fixed","name":"f","size":2})"));
  EXPECT_THROW(EncodeAvroValue(*fixed, AvroValue::Fixed("abc"), &out), InvalidArgument);
  AvroNodePtr rec = ParseAvroSchema(
      std::string_view(R"({"type":"record","name":"r","fields":[{"name":"a","type":"int"}]})"));
  EXPECT_THROW(EncodeAvroValue(*rec, AvroValue::Record({}), &out), InvalidArgument);
  try {
    EncodeAvroValue(*rec, AvroValue::Record({AvroValue::String("x")}), &out);
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("r.a"), std::string::npos) << e.what();
  }
}

TEST(AvroEncodingTest, ReadsBlocksWithNegativeCountsAndByteSizes) {
  AvroNodePtr arr = ParseAvroSchema(std::string_view(R"({"type":"array","items":"long"})"));
  // Block of -2 items spanning 2 bytes, then a block of 1 item, then the end.
  std::string bytes = EncodeLong(-2) + EncodeLong(2) + EncodeLong(3) + EncodeLong(4) +
                      EncodeLong(1) + EncodeLong(5) + EncodeLong(0);
  AvroDecoder in(bytes.data(), bytes.size(), "test");
  AvroValue v = DecodeAvroValue(*arr, in);
  EXPECT_EQ(v, AvroValue::MakeArray({AvroValue::Long(3), AvroValue::Long(4), AvroValue::Long(5)}));
  AvroNodePtr map = ParseAvroSchema(std::string_view(R"({"type":"map","values":"int"})"));
  bytes = EncodeLong(-1) + EncodeLong(3) + std::string("\x02k\x06", 3) + EncodeLong(0);
  AvroDecoder in2(bytes.data(), bytes.size(), "test");
  EXPECT_EQ(DecodeAvroValue(*map, in2), AvroValue::MakeMap({{"k", AvroValue::Int(3)}}));
}

void ExpectCorruption(const AvroNode& schema, const std::string& bytes, const std::string& needle) {
  AvroDecoder in(bytes.data(), bytes.size(), "f.avro", 100);
  try {
    DecodeAvroValue(schema, in);
    ADD_FAILURE() << "decoded " << HexEncode(bytes);
  } catch (const Corruption& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("f.avro: offset "), std::string::npos) << e.what();
  }
}

TEST(AvroEncodingTest, MalformedInputIsCorruptionNamingTheOffset) {
  AvroNodePtr lng = MakeAvroPrimitive(AvroType::kLong);
  ExpectCorruption(*lng, "", "truncated");
  ExpectCorruption(*lng, "\x80\x80", "truncated");
  ExpectCorruption(*lng, std::string(11, '\xff'), "varint");
  ExpectCorruption(*MakeAvroPrimitive(AvroType::kInt), EncodeLong(int64_t{1} << 40),
                   "int out of range");
  ExpectCorruption(*MakeAvroPrimitive(AvroType::kBoolean), "\x02", "boolean");
  ExpectCorruption(*MakeAvroPrimitive(AvroType::kString), EncodeLong(-3), "negative length");
  ExpectCorruption(*MakeAvroPrimitive(AvroType::kString), EncodeLong(1000) + "ab", "truncated");
  ExpectCorruption(*MakeAvroPrimitive(AvroType::kDouble), "1234", "truncated");
  ExpectCorruption(*MakeAvroOptional(lng), EncodeLong(2), "union branch 2");
  AvroNodePtr e =
      ParseAvroSchema(std::string_view(R"({"type":"enum","name":"E","symbols":["A"]})"));
  ExpectCorruption(*e, EncodeLong(1), "no symbol 1");
  AvroNodePtr arr = ParseAvroSchema(std::string_view(R"({"type":"array","items":"long"})"));
  // A forged count far beyond the bytes present fails before any allocation.
  ExpectCorruption(*arr, EncodeLong(int64_t{1} << 60) + "\x02", "cannot fit");
  ExpectCorruption(*arr, EncodeLong(std::numeric_limits<int64_t>::min()), "out of range");
  ExpectCorruption(*arr, EncodeLong(-1) + EncodeLong(50) + "\x02", "byte size");
  AvroNodePtr nulls = ParseAvroSchema(std::string_view(R"({"type":"array","items":"null"})"));
  ExpectCorruption(*nulls, EncodeLong(int64_t{1} << 40) + EncodeLong(0), "empty items");
}

}  // namespace
}  // namespace datashard
