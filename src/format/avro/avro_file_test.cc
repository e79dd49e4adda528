#include "format/avro/avro_file.h"

#include <gtest/gtest.h>

#include "datashard/errors.h"
#include "format/avro/avro_encoding.h"

namespace datashard {
namespace {

AvroNodePtr RowSchema() {
  return ParseAvroSchema(std::string_view(R"({"type":"record","name":"row","fields":[
      {"name":"id","type":"long","field-id":1},
      {"name":"name","type":["null","string"],"default":null,"field-id":2}]})"));
}

AvroValue Row(int64_t id) {
  return AvroValue::Record(
      {AvroValue::Long(id),
       id % 3 == 0 ? AvroValue::Null() : AvroValue::String("name-" + std::to_string(id))});
}

std::vector<AvroValue> ReadAll(AvroFileReader& reader) {
  std::vector<AvroValue> out;
  AvroValue v;
  while (reader.Next(&v)) out.push_back(v);
  return out;
}

class AvroFileCodecTest : public ::testing::TestWithParam<AvroCodec> {};

TEST_P(AvroFileCodecTest, RoundTripsObjectsAndMetadataAcrossBlocks) {
  AvroFileWriter writer(RowSchema(), GetParam(), {{"format-version", "2"}, {"content", "data"}});
  const int kRows = 20000;  // several 64 KiB blocks
  for (int i = 0; i < kRows; ++i) writer.Append(Row(i));
  const std::string file = writer.Finish();
  ASSERT_EQ(file.substr(0, 4), std::string("Obj\x01", 4));

  AvroFileReader reader(file, "rows.avro");
  EXPECT_EQ(reader.codec(), GetParam());
  ASSERT_NE(reader.Metadata("format-version"), nullptr);
  EXPECT_EQ(*reader.Metadata("format-version"), "2");
  EXPECT_EQ(*reader.Metadata("content"), "data");
  EXPECT_EQ(*reader.Metadata("avro.codec"), AvroCodecName(GetParam()));
  EXPECT_EQ(reader.Metadata("missing"), nullptr);
  EXPECT_EQ(AvroSchemaToString(*reader.schema()), AvroSchemaToString(*RowSchema()));
  const auto rows = ReadAll(reader);
  ASSERT_EQ(rows.size(), static_cast<size_t>(kRows));
  for (int i = 0; i < kRows; ++i) ASSERT_EQ(rows[i], Row(i)) << i;
  AvroValue v;
  EXPECT_FALSE(reader.Next(&v));
}

INSTANTIATE_TEST_SUITE_P(Codecs, AvroFileCodecTest,
                         ::testing::Values(AvroCodec::kNull, AvroCodec::kDeflate,
                                           AvroCodec::kSnappy, AvroCodec::kZstandard),
                         [](const auto& info) { return std::string(AvroCodecName(info.param)); });

TEST(AvroFileTest, EmptyFileHasHeaderOnly) {
  AvroFileWriter writer(RowSchema(), AvroCodec::kDeflate, {});
  AvroFileReader reader(writer.Finish(), "empty.avro");
  EXPECT_TRUE(ReadAll(reader).empty());
}

TEST(AvroFileTest, SyncMarkersDifferBetweenFiles) {
  AvroFileWriter a(RowSchema(), AvroCodec::kNull, {});
  AvroFileWriter b(RowSchema(), AvroCodec::kNull, {});
  EXPECT_NE(a.Finish(), b.Finish());
}

TEST(AvroFileTest, RejectsReservedMetadataKeysAndBadValues) {
  EXPECT_THROW(AvroFileWriter(RowSchema(), AvroCodec::kNull, {{"avro.schema", "x"}}),
               InvalidArgument);
  AvroFileWriter writer(RowSchema(), AvroCodec::kNull, {});
  EXPECT_THROW(writer.Append(AvroValue::Record({AvroValue::String("x"), AvroValue::Null()})),
               InvalidArgument);
  writer.Append(Row(1));
  AvroFileReader reader(writer.Finish(), "f.avro");
  EXPECT_EQ(ReadAll(reader).size(), 1u);
}

std::string HeaderWith(const std::vector<std::pair<std::string, std::string>>& meta) {
  std::string out("Obj\x01", 4);
  AvroEncoder enc(&out);
  enc.WriteLong(static_cast<int64_t>(meta.size()));
  for (const auto& [k, v] : meta) {
    enc.WriteBytes(k);
    enc.WriteBytes(v);
  }
  enc.WriteLong(0);
  out.append(16, 'S');
  return out;
}

TEST(AvroFileTest, HeaderProblemsAreReported) {
  EXPECT_THROW(AvroFileReader("Obj", "a.avro"), Corruption);
  EXPECT_THROW(AvroFileReader("PAR1xxxxxxxxxxxxxxxxxxxx", "a.avro"), Corruption);
  EXPECT_THROW(AvroFileReader(HeaderWith({}), "a.avro"), Corruption);  // no avro.schema
  EXPECT_THROW(AvroFileReader(HeaderWith({{"avro.schema", "{bad"}}), "a.avro"), Corruption);
  EXPECT_THROW(
      AvroFileReader(HeaderWith({{"avro.schema", "\"long\""}, {"avro.codec", "lzo"}}), "a.avro"),
      NotSupported);
  // A header whose metadata uses a negative block count with a byte size.
  std::string out("Obj\x01", 4);
  AvroEncoder enc(&out);
  std::string entry;
  AvroEncoder(&entry).WriteBytes("avro.schema");
  AvroEncoder(&entry).WriteBytes("\"long\"");
  enc.WriteLong(-1);
  enc.WriteLong(static_cast<int64_t>(entry.size()));
  out += entry;
  enc.WriteLong(0);
  out.append(16, 'S');
  AvroFileReader reader(out, "neg.avro");
  EXPECT_EQ(reader.schema()->type, AvroType::kLong);
  EXPECT_EQ(reader.codec(), AvroCodec::kNull);
}

TEST(AvroFileTest, EveryTruncationIsCorruptionOrAShorterValidFile) {
  for (AvroCodec codec : {AvroCodec::kNull, AvroCodec::kDeflate, AvroCodec::kSnappy}) {
    AvroFileWriter writer(RowSchema(), codec, {{"k", "v"}});
    for (int i = 0; i < 50; ++i) writer.Append(Row(i));
    const std::string file = writer.Finish();
    const size_t header_size = AvroFileWriter(RowSchema(), codec, {{"k", "v"}}).Finish().size();
    std::vector<size_t> readable;
    for (size_t n = 0; n < file.size(); ++n) {
      try {
        AvroFileReader reader(file.substr(0, n), "t.avro");
        ReadAll(reader);
        readable.push_back(n);
      } catch (const Corruption& e) {
        EXPECT_NE(std::string(e.what()).find("t.avro"), std::string::npos) << e.what();
      }
    }
    // Only the cut right after the header (no blocks at all) reads successfully.
    EXPECT_EQ(readable, std::vector<size_t>{header_size}) << AvroCodecName(codec);
  }
}

TEST(AvroFileTest, DetectsWrongSyncMarkerAndSnappyChecksum) {
  AvroFileWriter writer(RowSchema(), AvroCodec::kSnappy, {});
  writer.Append(Row(1));
  std::string file = writer.Finish();
  std::string bad_sync = file;
  bad_sync.back() ^= 1;
  AvroFileReader r1(bad_sync, "s.avro");
  AvroValue v;
  EXPECT_THROW(r1.Next(&v), Corruption);
  std::string bad_crc = file;
  bad_crc[bad_crc.size() - 17] ^= 1;  // last byte of the block's CRC32
  AvroFileReader r2(bad_crc, "c.avro");
  try {
    r2.Next(&v);
    FAIL();
  } catch (const Corruption& e) {
    EXPECT_NE(std::string(e.what()).find("CRC32"), std::string::npos) << e.what();
  }
}

TEST(AvroFileTest, TrailingBytesInABlockAreCorruption) {
  // A block that says one object but carries two.
  AvroFileWriter writer(RowSchema(), AvroCodec::kNull, {});
  std::string file = writer.Finish();
  AvroFileReader header(file, "h.avro");
  std::string objects;
  EncodeAvroValue(*RowSchema(), Row(1), &objects);
  EncodeAvroValue(*RowSchema(), Row(2), &objects);
  const std::string sync = file.substr(file.size() - 16);
  AvroEncoder enc(&file);
  enc.WriteLong(1);
  enc.WriteLong(static_cast<int64_t>(objects.size()));
  file += objects + sync;
  AvroFileReader reader(file, "x.avro");
  AvroValue v;
  EXPECT_TRUE(reader.Next(&v));
  EXPECT_THROW(reader.Next(&v), Corruption);
}

// Issue 17 item 5: a block claiming 2^62 objects, or 2^62 bytes, is refused
// with Corruption before anything is allocated for it.
TEST(AvroFileTest, BlocksClaimingHugeCountsOrSizesAreCorruption) {
  const std::string header = AvroFileWriter(RowSchema(), AvroCodec::kNull, {}).Finish();
  const std::string sync = header.substr(header.size() - 16);
  const int64_t huge = int64_t{1} << 62;
  const auto zigzag = [](int64_t v) {
    std::string out;
    AvroEncoder(&out).WriteLong(v);
    return out;
  };
  const std::string body("\x02\x00", 2);
  const auto error = [](const std::string& file) -> std::string {
    try {
      AvroFileReader reader(file, "h.avro");
      ReadAll(reader);
    } catch (const Corruption& e) {
      return e.what();
    }
    return "no error";
  };
  const std::string objects = header + zigzag(huge) + zigzag(2) + body + sync;
  EXPECT_EQ(error(objects), "h.avro: offset " + std::to_string(header.size()) +
                                ": block claims 4611686018427387904 objects in 2 bytes");
  const std::string bytes = header + zigzag(1) + zigzag(huge) + body + sync;
  EXPECT_NE(error(bytes).find("block size 4611686018427387904 exceeds"), std::string::npos)
      << error(bytes);
}

}  // namespace
}  // namespace datashard
