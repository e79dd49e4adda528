#include "format/json/value_json.h"

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "datashard/errors.h"

namespace datashard {
namespace {

using nlohmann::json;

std::string Line(const Value& v, const DataType& t) {
  std::string s;
  AppendValueJson(v, t, &s);
  return s;
}

// Round trip through both output paths and back through the parser.
void ExpectRoundTrip(const Value& v, const DataType& t, const std::string& expected_text) {
  const std::string text = Line(v, t);
  EXPECT_EQ(text, expected_text) << t.ToString();
  EXPECT_EQ(ValueFromJson(json::parse(text), t), v) << text;
  EXPECT_EQ(ValueFromJson(ValueToJson(v, t), t), v) << text;
  // The column path writes the same text.
  ColumnVector column(t);
  column.Append(v);
  std::string cell;
  AppendCellJson(column, 0, &cell);
  EXPECT_EQ(cell, expected_text) << t.ToString();
}

TEST(ValueJsonTest, IntegersKeepEveryBit) {
  ExpectRoundTrip(Value(int64_t{INT64_MIN}), DataType::Long(), "-9223372036854775808");
  ExpectRoundTrip(Value(int64_t{INT64_MAX}), DataType::Long(), "9223372036854775807");
  ExpectRoundTrip(Value(int32_t{INT32_MIN}), DataType::Int(), "-2147483648");
  ExpectRoundTrip(Value(int32_t{7}), DataType::Int(), "7");
}

TEST(ValueJsonTest, IntegersOutOfRangeOrNotIntegralAreRefused) {
  EXPECT_THROW(ValueFromJson(json::parse("2147483648"), DataType::Int()), InvalidArgument);
  EXPECT_THROW(ValueFromJson(json::parse("9223372036854775808"), DataType::Long()),
               InvalidArgument);
  EXPECT_THROW(ValueFromJson(json::parse("1.5"), DataType::Long()), InvalidArgument);
  EXPECT_THROW(ValueFromJson(json::parse("\"12\""), DataType::Long()), InvalidArgument);
  EXPECT_THROW(ValueFromJson(json::parse("true"), DataType::Int()), InvalidArgument);
}

TEST(ValueJsonTest, FloatingPointIncludingSpecialValues) {
  ExpectRoundTrip(Value(0.1), DataType::Double(), "0.1");
  ExpectRoundTrip(Value(-0.0), DataType::Double(), "-0.0");
  ExpectRoundTrip(Value(1.0), DataType::Double(), "1.0");
  ExpectRoundTrip(Value(0.1f), DataType::Float(), "0.1");
  ExpectRoundTrip(Value(std::numeric_limits<double>::infinity()), DataType::Double(),
                  "\"Infinity\"");
  ExpectRoundTrip(Value(-std::numeric_limits<float>::infinity()), DataType::Float(),
                  "\"-Infinity\"");
  ExpectRoundTrip(Value(std::numeric_limits<double>::max()), DataType::Double(),
                  "1.7976931348623157e+308");
  const Value nan = ValueFromJson(json("NaN"), DataType::Double());
  EXPECT_TRUE(std::isnan(nan.as_double()));
  EXPECT_EQ(Line(nan, DataType::Double()), "\"NaN\"");
  EXPECT_TRUE(std::signbit(ValueFromJson(json::parse("-0.0"), DataType::Double()).as_double()));
  EXPECT_EQ(ValueFromJson(json::parse("3"), DataType::Double()), Value(3.0));
  EXPECT_THROW(ValueFromJson(json::parse("1e39"), DataType::Float()), InvalidArgument);
  EXPECT_THROW(ValueFromJson(json("abc"), DataType::Double()), InvalidArgument);
}

TEST(ValueJsonTest, DecimalIsExactWithTheTypeScale) {
  const DataType t = DataType::Decimal(9, 2);
  ExpectRoundTrip(Value::Decimal(12345), t, "\"123.45\"");
  ExpectRoundTrip(Value::Decimal(-5), t, "\"-0.05\"");
  ExpectRoundTrip(Value::Decimal(0), t, "\"0.00\"");
  EXPECT_EQ(ValueFromJson(json("123.4"), t), Value::Decimal(12340));
  EXPECT_EQ(ValueFromJson(json("123.450"), t), Value::Decimal(12345));
  EXPECT_EQ(ValueFromJson(json::parse("7"), t), Value::Decimal(700));
  EXPECT_THROW(ValueFromJson(json("123.456"), t), InvalidArgument);
  EXPECT_THROW(ValueFromJson(json("12345678.00"), t), InvalidArgument);
  EXPECT_THROW(ValueFromJson(json::parse("1.5"), t), InvalidArgument);
  EXPECT_THROW(ValueFromJson(json("1e5"), t), InvalidArgument);
  const DataType wide = DataType::Decimal(38, 0);
  Int128 max = 1;
  for (int i = 0; i < 38; ++i) max *= 10;
  max -= 1;
  ExpectRoundTrip(Value::Decimal(max), wide, "\"99999999999999999999999999999999999999\"");
  ExpectRoundTrip(Value::Decimal(-max), wide, "\"-99999999999999999999999999999999999999\"");
  EXPECT_THROW(ValueFromJson(json("100000000000000000000000000000000000000"), wide),
               InvalidArgument);
  ExpectRoundTrip(Value::Decimal(-1), DataType::Decimal(5, 5), "\"-0.00001\"");
}

TEST(ValueJsonTest, DatesTimesAndTimestamps) {
  ExpectRoundTrip(Value(int32_t{0}), DataType::Date(), "\"1970-01-01\"");
  ExpectRoundTrip(Value(int32_t{19753}), DataType::Date(), "\"2024-01-31\"");
  ExpectRoundTrip(Value(int32_t{-719162}), DataType::Date(), "\"0001-01-01\"");
  ExpectRoundTrip(Value(int32_t{2932896}), DataType::Date(), "\"9999-12-31\"");
  ExpectRoundTrip(Value(int32_t{11016}), DataType::Date(), "\"2000-02-29\"");
  EXPECT_THROW(ValueFromJson(json("2023-02-29"), DataType::Date()), InvalidArgument);
  EXPECT_THROW(ValueFromJson(json("2024-1-31"), DataType::Date()), InvalidArgument);

  ExpectRoundTrip(Value(int64_t{0}), DataType::Time(), "\"00:00:00.000000\"");
  ExpectRoundTrip(Value(int64_t{86399999999}), DataType::Time(), "\"23:59:59.999999\"");
  EXPECT_EQ(ValueFromJson(json("12:30"), DataType::Time()), Value(int64_t{45000000000}));
  EXPECT_EQ(ValueFromJson(json("00:00:01.5"), DataType::Time()), Value(int64_t{1500000}));
  EXPECT_THROW(ValueFromJson(json("24:00:00"), DataType::Time()), InvalidArgument);
  EXPECT_THROW(ValueFromJson(json("00:00:00.0000001"), DataType::Time()), InvalidArgument);

  const int64_t ts = 1706702400000001;  // 2024-01-31T12:00:00.000001Z
  ExpectRoundTrip(Value(ts), DataType::Timestamp(), "\"2024-01-31T12:00:00.000001\"");
  ExpectRoundTrip(Value(ts), DataType::TimestampTz(), "\"2024-01-31T12:00:00.000001+00:00\"");
  ExpectRoundTrip(Value(int64_t{-1}), DataType::Timestamp(), "\"1969-12-31T23:59:59.999999\"");
  EXPECT_EQ(ValueFromJson(json("2024-01-31T12:00:00.000001Z"), DataType::TimestampTz()), Value(ts));
  EXPECT_EQ(ValueFromJson(json("2024-01-31T14:00:00.000001+02:00"), DataType::TimestampTz()),
            Value(ts));
  EXPECT_EQ(ValueFromJson(json("2024-01-31 06:30:00.000001-0530"), DataType::TimestampTz()),
            Value(ts));
  EXPECT_EQ(ValueFromJson(json("2024-01-31T12:00:00.000001"), DataType::TimestampTz()), Value(ts));
  EXPECT_THROW(ValueFromJson(json("2024-01-31T12:00:00+00:00"), DataType::Timestamp()),
               InvalidArgument);
  EXPECT_THROW(ValueFromJson(json("2024-01-31"), DataType::Timestamp()), InvalidArgument);
}

TEST(ValueJsonTest, BytesUuidAndStrings) {
  ExpectRoundTrip(Value(std::string("")), DataType::Binary(), "\"\"");
  ExpectRoundTrip(Value(std::string("\x00\xff\x10", 3)), DataType::Binary(), "\"AP8Q\"");
  ExpectRoundTrip(Value(std::string("ab")), DataType::Fixed(2), "\"YWI=\"");
  EXPECT_THROW(ValueFromJson(json("YWI="), DataType::Fixed(3)), InvalidArgument);
  EXPECT_THROW(ValueFromJson(json("YW*="), DataType::Binary()), InvalidArgument);
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Decode("Zm9vYg=="), "foob");
  EXPECT_EQ(Base64Decode("Zm9vYg"), "foob");

  const std::string uuid_bytes("\xf7\x9c\x3e\x09\x67\x7c\x4b\xbd\xa4\x79\x3f\x34\x9c\xb7\x85\xe7",
                               16);
  ExpectRoundTrip(Value(uuid_bytes), DataType::Uuid(), "\"f79c3e09-677c-4bbd-a479-3f349cb785e7\"");
  EXPECT_EQ(ValueFromJson(json("F79C3E09-677C-4BBD-A479-3F349CB785E7"), DataType::Uuid()),
            Value(uuid_bytes));
  EXPECT_THROW(ValueFromJson(json("f79c3e09677c4bbda4793f349cb785e7"), DataType::Uuid()),
               InvalidArgument);

  ExpectRoundTrip(Value(std::string("a\"b\\c\n\x01 é")), DataType::String(),
                  "\"a\\\"b\\\\c\\n\\u0001 é\"");
  EXPECT_THROW(Line(Value(std::string("\xff")), DataType::String()), InvalidArgument);
  ExpectRoundTrip(Value(true), DataType::Boolean(), "true");
  EXPECT_THROW(ValueFromJson(json(1), DataType::Boolean()), InvalidArgument);
  EXPECT_TRUE(ValueFromJson(json(nullptr), DataType::Uuid()).is_null());
  EXPECT_EQ(Line(Value::Null(), DataType::Long()), "null");
}

Schema TestSchema() {
  return SchemaFromJson(json::parse(
      R"j([{"id":1,"name":"record_id","type":"long","required":true},
          {"id":2,"name":"price","type":"decimal(9, 2)","required":false},
          {"id":3,"name":"tag","type":"string"}])j"));
}

TEST(ValueJsonTest, SchemaParsesTheDocumentedFieldList) {
  const Schema s = TestSchema();
  ASSERT_EQ(s.fields().size(), 3u);
  EXPECT_EQ(s.fields()[0].name, "record_id");
  EXPECT_TRUE(s.fields()[0].required);
  EXPECT_EQ(s.fields()[1].type, DataType::Decimal(9, 2));
  EXPECT_FALSE(s.fields()[2].required);
  EXPECT_EQ(SchemaFromJson(SchemaFieldsToJson(s)), s);
  const json obj = SchemaToJson(s);
  EXPECT_EQ(obj["type"], "struct");
  EXPECT_EQ(obj["fields"][1]["type"], "decimal(9, 2)");
  EXPECT_EQ(SchemaFromJson(obj), s);
}

TEST(ValueJsonTest, SchemaRefusesBadFields) {
  EXPECT_THROW(SchemaFromJson(json::parse(R"([{"id":1,"name":"a","type":"lng"}])")),
               InvalidArgument);
  EXPECT_THROW(SchemaFromJson(json::parse(R"([{"id":0,"name":"a","type":"long"}])")),
               InvalidArgument);
  EXPECT_THROW(SchemaFromJson(json::parse(R"([{"id":1,"name":"a","type":"long","reqd":true}])")),
               InvalidArgument);
  EXPECT_THROW(SchemaFromJson(json::parse(
                   R"([{"id":1,"name":"a","type":"long"},{"id":1,"name":"b","type":"int"}])")),
               InvalidArgument);
  EXPECT_THROW(SchemaFromJson(
                   json::parse(R"([{"id":1,"name":"a","type":{"type":"list","element":"int"}}])")),
               NotSupported);
}

TEST(ValueJsonTest, RecordParsingNamesLineFieldAndValue) {
  const Schema s = TestSchema();
  const Record r = RecordFromJsonLine(R"({"price":"1.50","record_id":9})", s, 1);
  EXPECT_EQ(r, (Record{Value(int64_t{9}), Value::Decimal(150), Value::Null()}));
  std::string out;
  AppendRecordJson(r, s, &out);
  EXPECT_EQ(out, R"({"record_id":9,"price":"1.50","tag":null})");
  EXPECT_EQ(RecordFromJson(RecordToJson(r, s), s, 1), r);

  auto message = [&](const std::string& line) {
    try {
      RecordFromJsonLine(line, s, 7);
    } catch (const InvalidArgument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message(R"({"record_id":1,"colour":"red"})"), "line 7: unknown column 'colour'");
  EXPECT_EQ(message(R"({"price":"1.00"})"), "line 7: column 'record_id' is required but missing");
  EXPECT_EQ(message(R"({"record_id":null})"), "line 7: column 'record_id' is required but null");
  EXPECT_EQ(message(R"({"record_id":"x"})"),
            "line 7: column 'record_id': value \"x\" is not a valid long: expected an integer");
  EXPECT_EQ(message(R"({"record_id":1,"price":"1.234"})"),
            "line 7: column 'price': value \"1.234\" is not a valid decimal(9, 2): invalid "
            "decimal(9, 2) '1.234': more fraction digits than the scale");
  EXPECT_EQ(message("{\"record_id\":"), "line 7: not valid JSON: '{\"record_id\":'");
  EXPECT_EQ(message("[1]"), "line 7: expected a JSON object, got [1]");
}

// Found after fuzz/json_lines_fuzz.cc: the error message of a deeply nested
// value was made with nlohmann's recursive dump(), which overflowed the stack.
TEST(ValueJsonTest, BatchJsonLinesMatchTheRecordsIncludingViewedStrings) {
  const Schema s = TestSchema();
  RecordBatch batch;
  batch.schema = s;
  batch.columns = {ColumnVector(DataType::Long()), ColumnVector(DataType::Decimal(9, 2)),
                   ColumnVector(DataType::String())};
  batch.columns[0].Append(Value(int64_t{1}));
  batch.columns[0].Append(Value(int64_t{-2}));
  batch.columns[0].Append(Value(int64_t{3}));
  batch.columns[1].Append(Value::Decimal(12345));
  batch.columns[1].AppendNull();
  batch.columns[1].Append(Value::Decimal(-5));
  // The strings as a scan holds them: views into a shared page.
  auto page = std::make_shared<const std::string>("x\"yz\n");
  ColumnVector& tag = batch.columns[2];
  tag.UseViews();
  tag.Resize(3);
  tag.views[0] = std::string_view(*page).substr(0, 2);
  tag.views[2] = std::string_view(*page).substr(2);
  tag.validity()[0] = tag.validity()[2] = 1;
  tag.buffers.push_back(page);
  std::string want;
  for (size_t r = 1; r < 3; ++r) {
    AppendRecordJson(batch.Row(r), s, &want);
    want += "\n";
  }
  std::string got;
  AppendBatchJsonLines(batch, 1, 3, &got);
  EXPECT_EQ(got, want);
  EXPECT_EQ(got,
            "{\"record_id\":-2,\"price\":null,\"tag\":null}\n"
            "{\"record_id\":3,\"price\":\"-0.05\",\"tag\":\"yz\\n\"}\n");
}

TEST(ValueJsonTest, DeeplyNestedValuesAreRefusedWithAShortExcerpt) {
  const Schema s = TestSchema();
  const std::string line =
      "{\"record_id\":1,\"tag\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  try {
    RecordFromJsonLine(line, s, 1);
    FAIL() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(std::string(e.what()), "line 1: column 'tag': value " + std::string(77, '[') +
                                         "... is not a valid string: expected a string");
  }
}

}  // namespace
}  // namespace datashard
