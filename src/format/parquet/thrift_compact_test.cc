#include "format/parquet/thrift_compact.h"

#include <gtest/gtest.h>

#include "datashard/errors.h"
#include "format/parquet/parquet_thrift.h"
#include "util/address_limit_test_util.h"
#include "util/sanitizers.h"

namespace datashard::parquet {
namespace {

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

const uint8_t* U8(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

TEST(ThriftCompactTest, WriterEmitsShortAndLongFieldHeaders) {
  std::string out;
  CompactWriter w(&out);
  w.BeginStruct();
  w.FieldI32(1, -1);      // delta 1, i32: zigzag(-1) = 1
  w.FieldI64(20, 300);    // delta 19 > 15: type byte, then zigzag id 40, value 600
  w.FieldBool(21, true);  // the value is the type nibble
  w.FieldBinary(22, "ab");
  w.EndStruct();
  EXPECT_EQ(out, Bytes({0x15, 0x01, 0x06, 0x28, 0xD8, 0x04, 0x11, 0x18, 0x02, 'a', 'b', 0x00}));
}

TEST(ThriftCompactTest, ReaderDecodesTheSameBytes) {
  const std::string in =
      Bytes({0x15, 0x01, 0x06, 0x28, 0xD8, 0x04, 0x11, 0x18, 0x02, 'a', 'b', 0x00});
  CompactReader r(U8(in), in.size(), "test", 100);
  r.BeginStruct();
  CType t;
  int16_t id;
  ASSERT_TRUE(r.ReadFieldHeader(&t, &id));
  EXPECT_EQ(id, 1);
  EXPECT_EQ(r.ReadI32(), -1);
  ASSERT_TRUE(r.ReadFieldHeader(&t, &id));
  EXPECT_EQ(id, 20);
  EXPECT_EQ(r.ReadI64(), 300);
  ASSERT_TRUE(r.ReadFieldHeader(&t, &id));
  EXPECT_EQ(id, 21);
  EXPECT_TRUE(r.ReadBool(t));
  ASSERT_TRUE(r.ReadFieldHeader(&t, &id));
  EXPECT_EQ(id, 22);
  EXPECT_EQ(r.ReadBinary(), "ab");
  EXPECT_FALSE(r.ReadFieldHeader(&t, &id));
  r.EndStruct();
  EXPECT_EQ(r.position(), in.size());
}

TEST(ThriftCompactTest, SchemaElementMatchesTheSpecExample) {
  // An optional string column `name` with field id 2.
  FileMetaData m;
  SchemaElement leaf;
  leaf.type = PhysicalType::kByteArray;
  leaf.repetition = Repetition::kOptional;
  leaf.name = "name";
  leaf.converted_type = ConvertedType::kUtf8;
  leaf.field_id = 2;
  leaf.logical_type = LogicalType{};  // STRING
  m.schema.push_back(leaf);
  std::string out;
  SerializeFileMetaData(m, &out);
  const std::string expected = Bytes({0x15, 0x0C, 0x25, 0x02, 0x18, 0x04, 'n', 'a', 'm', 'e', 0x25,
                                      0x00, 0x35, 0x04, 0x1C, 0x1C, 0x00, 0x00, 0x00});
  // FileMetaData: version field (15 02), then the schema list header (19 1C).
  EXPECT_EQ(out.substr(0, 4), Bytes({0x15, 0x02, 0x19, 0x1C}));
  EXPECT_EQ(out.substr(4, expected.size()), expected);

  CompactReader r(U8(out), out.size(), "test", 0);
  const FileMetaData back = ParseFileMetaData(&r);
  ASSERT_EQ(back.schema.size(), 1u);
  EXPECT_EQ(back.schema[0].name, "name");
  EXPECT_EQ(back.schema[0].field_id, 2);
  EXPECT_EQ(back.schema[0].repetition, Repetition::kOptional);
  ASSERT_TRUE(back.schema[0].logical_type.has_value());
  EXPECT_EQ(back.schema[0].logical_type->kind, LogicalType::Kind::kString);
}

TEST(ThriftCompactTest, LongListsAndNestedStructsRoundTrip) {
  FileMetaData m;
  m.num_rows = -5;
  for (int i = 0; i < 20; ++i) {  // more than 14 elements: long list header
    SchemaElement e;
    e.name = "c" + std::to_string(i);
    e.type = PhysicalType::kInt64;
    e.logical_type = LogicalType{LogicalType::Kind::kTimestamp, 0, 0, true, TimeUnit::kMicros};
    m.schema.push_back(e);
  }
  RowGroup g;
  g.num_rows = 1ll << 40;
  ColumnChunk c;
  ColumnMetaData md;
  md.type = PhysicalType::kDouble;
  md.encodings = {Encoding::kPlain, Encoding::kRle};
  md.path_in_schema = {"x"};
  md.codec = CompressionCodec::kZstd;
  md.dictionary_page_offset = 4;
  md.statistics = Statistics{std::nullopt, std::nullopt, 3, std::nullopt, "hi", "lo"};
  c.meta_data = md;
  g.columns.push_back(c);
  m.row_groups.push_back(g);
  m.key_value_metadata.push_back({"k", "v"});
  m.created_by = "me";
  m.column_orders = {ColumnOrder::kTypeOrder};
  std::string out;
  SerializeFileMetaData(m, &out);
  CompactReader r(U8(out), out.size(), "test", 0);
  const FileMetaData b = ParseFileMetaData(&r);
  EXPECT_EQ(r.position(), out.size());
  ASSERT_EQ(b.schema.size(), 20u);
  EXPECT_EQ(b.schema[19].name, "c19");
  EXPECT_TRUE(b.schema[19].logical_type->adjusted_to_utc);
  EXPECT_EQ(b.schema[19].logical_type->unit, TimeUnit::kMicros);
  EXPECT_EQ(b.num_rows, -5);
  EXPECT_EQ(b.row_groups[0].num_rows, 1ll << 40);
  const ColumnMetaData& bm = *b.row_groups[0].columns[0].meta_data;
  EXPECT_EQ(bm.codec, CompressionCodec::kZstd);
  EXPECT_EQ(bm.encodings.size(), 2u);
  EXPECT_EQ(bm.dictionary_page_offset, 4);
  EXPECT_EQ(bm.statistics->null_count, 3);
  EXPECT_EQ(bm.statistics->min_value, "lo");
  EXPECT_EQ(b.key_value_metadata[0].value, "v");
  EXPECT_EQ(b.created_by, "me");
  ASSERT_EQ(b.column_orders.size(), 1u);
  EXPECT_EQ(b.column_orders[0], ColumnOrder::kTypeOrder);
}

TEST(ThriftCompactTest, UnknownFieldsAreSkipped) {
  // PageHeader with an unknown field 30 (a list of two i32) between known ones.
  const std::string in = Bytes({0x15, 0x00,                    // 1: type DATA_PAGE
                                0x15, 0x08,                    // 2: uncompressed 4
                                0x15, 0x08,                    // 3: compressed 4
                                0x09, 0x3C, 0x25, 0x02, 0x04,  // 30: list<i32> [1, 2]
                                0x0C, 0x40,                    // 32: struct
                                0x18, 0x01, 'z', 0x00,         //   { 1: "z" }
                                0x00});
  CompactReader r(U8(in), in.size(), "test", 0);
  const PageHeader h = ParsePageHeader(&r);
  EXPECT_EQ(h.uncompressed_page_size, 4);
  EXPECT_EQ(h.compressed_page_size, 4);
  EXPECT_EQ(r.position(), in.size());
}

TEST(ThriftCompactTest, MalformedInputIsCorruptionWithOffset) {
  // Truncated: binary length 10 with 2 bytes left.
  const std::string in = Bytes({0x18, 0x0A, 'a', 'b'});
  CompactReader r(U8(in), in.size(), "f.parquet: footer", 1000);
  r.BeginStruct();
  CType t;
  int16_t id;
  ASSERT_TRUE(r.ReadFieldHeader(&t, &id));
  try {
    r.ReadBinary();
    FAIL() << "no error";
  } catch (const Corruption& e) {
    EXPECT_EQ(std::string(e.what()),
              "f.parquet: footer: corrupt Thrift data at offset 1002: binary length 10 exceeds "
              "the 2 bytes left");
  }
  // A list claiming more elements than bytes.
  const std::string list = Bytes({0x29, 0xF5, 0xFF, 0xFF, 0x03});
  CompactReader l(U8(list), list.size(), "x", 0);
  EXPECT_THROW(ParseFileMetaData(&l), Corruption);
  // Missing required fields.
  const std::string empty = Bytes({0x00});
  CompactReader e(U8(empty), empty.size(), "x", 0);
  EXPECT_THROW(ParsePageHeader(&e), Corruption);
  // Deep nesting is bounded.
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += Bytes({0xFC});  // unknown struct field 15
  CompactReader d(U8(deep), deep.size(), "x", 0);
  EXPECT_THROW(ParsePageHeader(&d), Corruption);
  // A varint that never ends.
  const std::string varint =
      Bytes({0x15, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01});
  CompactReader v(U8(varint), varint.size(), "x", 0);
  EXPECT_THROW(ParsePageHeader(&v), Corruption);
}

// Issue 17 item 5, a real bug: a list's claimed count (bounded only by the
// bytes left, one per element) reserved that many decoded structs up front,
// 120 times the footer's size for schema elements: a 64 MiB footer asked for
// 7.5 GiB and got std::bad_alloc, not Corruption, under a memory limit.
TEST(ThriftCompactTest, AListCountReservesNoMoreThanItsBytesCanHold) {
  if (kAddressSanitizer) GTEST_SKIP() << "an address-space limit cannot hold ASan's shadow memory";
  const uint32_t n = 64u << 20;
  // FileMetaData.schema (field 2): a list header of n structs, then n stop
  // bytes (empty structs, which lack the required name).
  std::string footer = Bytes({0x29, 0xFC, 0x80, 0x80, 0x80, 0x20});
  footer.append(n, '\0');
  EXPECT_EQ(DecodeUnderAddressLimit(size_t{2} << 30,
                                    [&] {
                                      CompactReader r(U8(footer), footer.size(), "x", 0);
                                      ParseFileMetaData(&r);
                                    }),
            0)
      << "1: std::bad_alloc, 2: no error";
}

}  // namespace
}  // namespace datashard::parquet
