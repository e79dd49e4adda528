#include "metadata/name_mapping.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "datashard/errors.h"

namespace datashard {
namespace {

parquet::FileColumn Column(const std::string& name, std::optional<int> id = std::nullopt) {
  parquet::FileColumn c;
  c.name = name;
  c.field_id = id;
  c.type = DataType::Long();
  return c;
}

std::string ParseError(const std::string& json) {
  try {
    NameMapping::Parse(json);
  } catch (const Corruption& e) {
    return e.what();
  }
  return "no error";
}

TEST(NameMappingTest, ParsesTheSpecsShapeAndIgnoresNestedFields) {
  const NameMapping m = NameMapping::Parse(R"([
    {"field-id": 1, "names": ["id", "record_id"]},
    {"field-id": 2, "names": ["data"]},
    {"field-id": 3, "names": ["location"], "fields": [
      {"field-id": 4, "names": ["latitude", "lat"]},
      {"field-id": 5, "names": ["longitude", "long"]}]},
    {"names": ["ignored_column"]},
    {"field-id": 6, "names": []}])");
  ASSERT_EQ(m.fields().size(), 5u);
  EXPECT_EQ(m.fields()[0].names, (std::vector<std::string>{"id", "record_id"}));
  EXPECT_FALSE(m.fields()[3].field_id.has_value());
  EXPECT_EQ(m.FieldIdOf("id"), 1);
  EXPECT_EQ(m.FieldIdOf("record_id"), 1);
  EXPECT_EQ(m.FieldIdOf("location"), 3);
  EXPECT_EQ(m.FieldIdOf("lat"), std::nullopt);  // nested: not a top-level column
  EXPECT_EQ(m.FieldIdOf("ignored_column"), std::nullopt);
  EXPECT_EQ(m.FieldIdOf("ID"), std::nullopt);  // names are case-sensitive
  EXPECT_TRUE(NameMapping::Parse("[]").fields().empty());
}

TEST(NameMappingTest, FromPropertiesIsNullWithoutTheProperty) {
  EXPECT_EQ(NameMapping::FromProperties({{"write.format.default", "parquet"}}), nullptr);
  const auto m = NameMapping::FromProperties(
      {{"schema.name-mapping.default", R"([{"field-id": 7, "names": ["a.b"]}])"}});
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->FieldIdOf("a.b"), 7);  // a dot is part of the name
  EXPECT_EQ(m->FieldIdOf("b"), std::nullopt);
}

TEST(NameMappingTest, BadMappingsNameThePropertyAndTheEntry) {
  const std::string p = "table property schema.name-mapping.default";
  EXPECT_EQ(ParseError(R"({"field-id": 1})"),
            p + " must be a JSON list of field mappings, not {\"field-id\":1}");
  EXPECT_EQ(ParseError(R"([{"field-id": 1, "names": ["a"]}, {"field-id": 2}])"),
            p + ", entry [1]: has no 'names' list");
  EXPECT_EQ(ParseError(R"([{"field-id": 1, "names": ["a", 5]}])"),
            p + ", entry [0]: name 5 is not a string");
  EXPECT_EQ(ParseError(R"([{"field-id": "1", "names": ["a"]}])"),
            p + ", entry [0]: field-id \"1\" is not a 32-bit integer");
  EXPECT_EQ(ParseError(R"([{"field-id": 4294967297, "names": ["a"]}])"),
            p + ", entry [0]: field-id 4294967297 is not a 32-bit integer");
  EXPECT_EQ(
      ParseError(R"([{"field-id": 1, "names": ["a"]}, {"field-id": 2, "names": ["b", "a"]}])"),
      p + ", entry [1]: name 'a' is already mapped by entry [0]");
  EXPECT_EQ(ParseError(R"([{"field-id": 1, "names": ["a"]}, {"field-id": 1, "names": ["b"]}])"),
            p + ", entry [1]: field-id 1 is already mapped by entry [0]");
  EXPECT_EQ(ParseError(R"([3])"), p + ", entry [0]: is 3, not an object");
  EXPECT_EQ(
      ParseError(R"([{"field-id": 1, "names": ["s"], "fields": [{"field-id": 2, "names": [1]}]}])"),
      p + ", entry [0].fields[0]: name 1 is not a string");
  EXPECT_EQ(ParseError(R"([{"field-id": 1, "names": ["s"], "fields": {}}])"),
            p + ", entry [0]: 'fields' is {}, not a list");
  const std::string bad_json = ParseError("[{\"field-id\": 1,");
  EXPECT_EQ(bad_json.rfind(p + " is not valid JSON: ", 0), 0u) << bad_json;
}

// Found with the fuzz targets' deep inputs: nested levels were parsed by
// recursion with a path growing per level, so a deep mapping exhausted the
// stack (and memory, the paths being quadratic in the depth).
TEST(NameMappingTest, NestingIsBoundedAt1000Levels) {
  auto nested = [](int levels) {
    std::string text;
    for (int i = 0; i < levels; ++i) text += R"([{"names": ["a"], "fields": )";
    text += "[]";
    for (int i = 0; i < levels; ++i) text += "}]";
    return text;
  };
  EXPECT_EQ(NameMapping::Parse(nested(999)).fields().size(), 1u);
  const std::string error = ParseError(nested(10000));
  EXPECT_NE(error.find(": nests deeper than 1000 levels"), std::string::npos)
      << error.substr(0, 200);
}

TEST(FileColumnResolverTest, FilesWithIdsAreReadByIdOnly) {
  const NameMapping m = NameMapping::Parse(R"([{"field-id": 1, "names": ["x"]},
                                               {"field-id": 2, "names": ["y"]}])");
  // Column y has no id: in a file with ids it holds no field, mapping or not.
  const std::vector<parquet::FileColumn> columns = {Column("y"), Column("x", 2), Column("z", 1)};
  const FileColumnResolver r(columns, &m, "data file f");
  EXPECT_EQ(r.Find(1), 2);
  EXPECT_EQ(r.Find(2), 1);
  EXPECT_EQ(r.Find(3), -1);
}

TEST(FileColumnResolverTest, FilesWithoutIdsAreReadThroughTheMapping) {
  const NameMapping m = NameMapping::Parse(R"([{"field-id": 1, "names": ["id", "key"]},
                                               {"field-id": 2, "names": ["old_name"]},
                                               {"names": ["extra"]}])");
  const std::vector<parquet::FileColumn> columns = {Column("extra"), Column("old_name"),
                                                    Column("key"), Column("unmapped")};
  const FileColumnResolver r(columns, &m, "data file f");
  EXPECT_EQ(r.Find(1), 2);
  EXPECT_EQ(r.Find(2), 1);
  EXPECT_EQ(r.Find(3), -1);
}

TEST(FileColumnResolverTest, FilesWithoutIdsOrMappingHoldNoField) {
  const std::vector<parquet::FileColumn> columns = {Column("id"), Column("v")};
  const FileColumnResolver r(columns, nullptr, "data file f");
  EXPECT_EQ(r.Find(1), -1);
  EXPECT_EQ(r.Find(2), -1);
}

TEST(FileColumnResolverTest, PositionDeleteColumnsAreFoundByTheirReservedNames) {
  const std::vector<parquet::FileColumn> columns = {Column("pos"), Column("file_path")};
  const FileColumnResolver r(columns, &NameMapping::PositionDeleteColumns(), "delete file d");
  EXPECT_EQ(r.Find(2147483546), 1);
  EXPECT_EQ(r.Find(2147483545), 0);
}

TEST(FileColumnResolverTest, TwoColumnsOfOneFieldAreRefused) {
  const NameMapping m = NameMapping::Parse(R"([{"field-id": 1, "names": ["id", "key"]}])");
  try {
    FileColumnResolver({Column("id"), Column("key")}, &m, "data file f.parquet");
    FAIL() << "no error";
  } catch (const Corruption& e) {
    EXPECT_EQ(std::string(e.what()),
              "data file f.parquet has columns 'id' and 'key' that both hold field id 1 by the "
              "table's schema.name-mapping.default");
  }
  EXPECT_THROW(FileColumnResolver({Column("a", 4), Column("b", 4)}, nullptr, "data file g"),
               Corruption);
}

}  // namespace
}  // namespace datashard
