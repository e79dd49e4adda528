#include "format/json/json_lines_reader.h"

#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "datashard/errors.h"
#include "format/json/value_json.h"

namespace datashard {
namespace {

Schema AllTypes() {
  return Schema(
      0, {Field{1, "b", DataType::Boolean(), false}, Field{2, "i", DataType::Int(), false},
          Field{3, "l", DataType::Long(), true}, Field{4, "f", DataType::Float(), false},
          Field{5, "d", DataType::Double(), false}, Field{6, "s", DataType::String(), false},
          Field{7, "dec", DataType::Decimal(9, 2), false}, Field{8, "day", DataType::Date(), false},
          Field{9, "ts", DataType::TimestampTz(), false}, Field{10, "u", DataType::Uuid(), false},
          Field{11, "bin", DataType::Binary(), false}});
}

std::vector<ColumnVector> ReadAll(const Schema& schema, const std::string& text,
                                  size_t batch_rows = 1000) {
  JsonLinesReader reader(schema, JsonLinesReader::FromText(text));
  std::vector<ColumnVector> all, batch;
  for (const Field& f : schema.fields()) all.emplace_back(f.type);
  while (reader.ReadBatch(batch_rows, &batch)) {
    for (size_t c = 0; c < batch.size(); ++c) {
      for (size_t r = 0; r < batch[c].size(); ++r) all[c].Append(batch[c].Get(r));
    }
  }
  return all;
}

// The rows RecordFromJsonLine makes of the non-blank lines of `text`.
std::vector<Record> Oracle(const Schema& schema, const std::string& text) {
  std::vector<Record> rows;
  size_t i = 0;
  int64_t line_number = 0;
  while (i < text.size()) {
    const size_t j = std::min(text.find('\n', i), text.size());
    std::string_view line(text.data() + i, j - i);
    ++line_number;
    if (line.find_first_not_of(" \t\r") != std::string_view::npos) {
      rows.push_back(RecordFromJsonLine(line, schema, line_number));
    }
    i = j + 1;
  }
  return rows;
}

// Values compared bit for bit (NaN == NaN, -0.0 != 0.0).
bool SameValue(const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return a.is_null() == b.is_null();
  if (std::holds_alternative<double>(a.storage()) && std::holds_alternative<double>(b.storage())) {
    return std::memcmp(&std::get<double>(a.storage()), &std::get<double>(b.storage()), 8) == 0;
  }
  if (std::holds_alternative<float>(a.storage()) && std::holds_alternative<float>(b.storage())) {
    return std::memcmp(&std::get<float>(a.storage()), &std::get<float>(b.storage()), 4) == 0;
  }
  return a == b;
}

void ExpectSameAsOracle(const Schema& schema, const std::string& text, size_t batch_rows = 1000) {
  const std::vector<Record> expected = Oracle(schema, text);
  const std::vector<ColumnVector> got = ReadAll(schema, text, batch_rows);
  ASSERT_EQ(got[0].size(), expected.size());
  for (size_t r = 0; r < expected.size(); ++r) {
    for (size_t c = 0; c < got.size(); ++c) {
      EXPECT_TRUE(SameValue(got[c].Get(r), expected[r][c]))
          << "row " << r << " column " << schema.fields()[c].name;
    }
  }
}

// The message of the error `fn` throws, or "" when it throws none.
template <typename Fn>
std::string ErrorOf(Fn fn) {
  try {
    fn();
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return "";
}

TEST(JsonLinesReaderTest, ReadsEveryTypeAsRecordFromJsonLineDoes) {
  const std::string text =
      R"({"b":true,"i":-2147483648,"l":9223372036854775807,"f":1.5,"d":-0.0,"s":"caf\u00e9 \"q\"\n","dec":"-12.30","day":"2024-02-29","ts":"2024-01-31T12:00:00.5+02:00","u":"f79c3e09-677c-4bbd-a479-3f349cb785e7","bin":"AAEC"})"
      "\n"
      R"({"l":-9223372036854775808})"
      "\n"
      R"({"s":null,"l":0,"b":false,"i":2147483647,"f":3,"d":18446744073709551615})"
      "\n"
      // Non-negative integers are unsigned in nlohmann's eyes: a decimal of one.
      R"({"l":-0,"dec":7,"d":-0,"f":1e-50})"
      "\n"
      R"({"l":1,"d":"NaN","f":"-Infinity","s":"\u0000"})"
      "\n"
      R"(  { "s" : "a" , "l" : 2 }  )"
      "\r\n"
      R"({"l":3,"d":1e308,"f":3.4028234663852886e38,"d":5})"
      "\n"
      "\n \t\r\n"
      R"({"\u006c":4,"d":12345678901234567890123})";
  ExpectSameAsOracle(AllTypes(), text);
}

TEST(JsonLinesReaderTest, BatchesSplitRowsAndSkipBlankLines) {
  const Schema schema(
      0, {Field{1, "id", DataType::Long(), true}, Field{2, "name", DataType::String(), false}});
  std::string text;
  for (int i = 0; i < 2500; ++i) {
    text += "{\"id\":" + std::to_string(i) + ",\"name\":\"n" + std::to_string(i % 7) + "\"}\n";
    if (i % 100 == 0) text += "\n";
  }
  JsonLinesReader reader(schema, JsonLinesReader::FromText(text));
  std::vector<ColumnVector> batch;
  std::vector<size_t> sizes;
  int64_t next = 0;
  while (reader.ReadBatch(1000, &batch)) {
    sizes.push_back(batch[0].size());
    for (size_t r = 0; r < batch[0].size(); ++r) {
      EXPECT_EQ(batch[0].longs[r], next);
      EXPECT_EQ(batch[1].bytes[r], "n" + std::to_string(next % 7));
      ++next;
    }
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{1000, 1000, 500}));
}

TEST(JsonLinesReaderTest, LinesLongerThanTheReadBlockAndNoFinalNewline) {
  const Schema schema(0, {Field{1, "s", DataType::String(), true}});
  const std::string big(3 << 20, 'x');
  const std::string text = "{\"s\":\"a\"}\n{\"s\":\"" + big + "\"}\n{\"s\":\"z\"}";
  const std::vector<ColumnVector> got = ReadAll(schema, text);
  ASSERT_EQ(got[0].size(), 3u);
  EXPECT_EQ(got[0].bytes[1], big);
  EXPECT_EQ(got[0].bytes[2], "z");
}

TEST(JsonLinesReaderTest, RefusesWhatRecordFromJsonLineRefusesWithItsMessage) {
  const Schema schema = AllTypes();
  const std::vector<std::string> bad = {
      R"({"l":1,"x":2})",               // unknown column
      R"({"l":1.5})",                   // not an integer
      R"({"l":9223372036854775808})",   // out of range
      R"({"l":1,"i":2147483648})",      // out of range for int
      R"({"i":1})",                     // required column missing
      R"({"l":null})",                  // required column null
      R"({"l":1,"f":1e39})",            // float overflow
      R"({"l":1,"d":1e400})",           // not a double JSON can hold
      R"({"l":1,"s":5})",               // wrong type
      R"({"l":1,"day":"2023-02-29"})",  // not a date
      R"({"l":1} x)",                   // trailing text
      R"({"l":1)",                      // cut short
      R"([1,2])",                       // not an object
      R"({"l":1,"s":"\ud800"})",        // lone surrogate
      "{\"l\":1,\"s\":\"a\tb\"}",       // unescaped control character
      R"({"l":01})",                    // leading zero
      R"({"l":1,"b":{"x":1}})",         // nested object
      "{\"l\":1,\"s\":" + std::string(100000, '[') + std::string(100000, ']') + "}",  // deep
  };
  for (const std::string& line : bad) {
    const std::string text = "{\"l\":0}\n\n" + line + "\n{\"l\":5}\n";
    const std::string expected = ErrorOf([&] { RecordFromJsonLine(line, schema, 3); });
    ASSERT_NE(expected, "") << line;
    EXPECT_EQ(ErrorOf([&] { ReadAll(schema, text); }), expected) << line;
  }
}

}  // namespace
}  // namespace datashard
