#include "format/avro/avro_schema.h"

#include <gtest/gtest.h>

#include "datashard/errors.h"

namespace datashard {
namespace {

TEST(AvroSchemaTest, ParsesIcebergManifestStyleSchemaAndKeepsAttributes) {
  const char* text = R"({"type":"record","name":"manifest_entry","fields":[
    {"name":"status","type":"int","field-id":0},
    {"name":"snapshot_id","type":["null","long"],"default":null,"field-id":1},
    {"name":"data_file","type":{"type":"record","name":"r2","fields":[
      {"name":"day","type":["null",{"type":"int","logicalType":"date"}],"default":null,"field-id":1000},
      {"name":"ts","type":{"type":"long","logicalType":"timestamp-micros","adjust-to-utc":true},"field-id":7},
      {"name":"amount","type":{"type":"fixed","name":"decimal_9_2","size":4,"logicalType":"decimal","precision":9,"scale":2},"field-id":8},
      {"name":"amount2","type":"decimal_9_2","field-id":9},
      {"name":"sizes","type":["null",{"type":"array","logicalType":"map","items":{"type":"record","name":"k117_v118","fields":[
        {"name":"key","type":"int","field-id":117},{"name":"value","type":"long","field-id":118}]}}],"default":null,"field-id":108},
      {"name":"offsets","type":{"type":"array","items":"long","element-id":133},"field-id":132},
      {"name":"props","type":{"type":"map","values":"string"}},
      {"name":"kind","type":{"type":"enum","name":"Kind","symbols":["A","B"]}}]},"field-id":2}]})";
  AvroNodePtr schema = ParseAvroSchema(std::string_view(text));
  ASSERT_EQ(schema->type, AvroType::kRecord);
  EXPECT_EQ(schema->name, "manifest_entry");
  ASSERT_EQ(schema->fields.size(), 3u);
  EXPECT_EQ(schema->fields[0].field_id(), 0);
  EXPECT_EQ(schema->FieldIndexById(2), 2);
  EXPECT_EQ(schema->FieldIndex("snapshot_id"), 1);
  EXPECT_EQ(schema->fields[1].default_value, nlohmann::ordered_json(nullptr));
  EXPECT_EQ(schema->fields[1].type->BranchIndex(AvroType::kLong), 1);
  const AvroNode& r2 = *schema->fields[2].type;
  EXPECT_EQ(r2.fields[0].type->branches[1]->logical_type, "date");
  EXPECT_EQ(r2.fields[1].type->attributes.at("adjust-to-utc"), true);
  EXPECT_EQ(r2.fields[2].type->type, AvroType::kFixed);
  EXPECT_EQ(r2.fields[2].type->size, 4);
  EXPECT_EQ(r2.fields[2].type->IntAttribute("precision"), 9);
  EXPECT_EQ(r2.fields[3].type, r2.fields[2].type);  // a reference shares the node
  const AvroNode& sizes = *r2.fields[4].type->branches[1];
  EXPECT_EQ(sizes.logical_type, "map");
  EXPECT_EQ(sizes.items->name, "k117_v118");
  EXPECT_EQ(sizes.items->fields[1].field_id(), 118);
  EXPECT_EQ(r2.fields[5].type->IntAttribute("element-id"), 133);
  EXPECT_EQ(r2.fields[6].type->values->type, AvroType::kString);
  EXPECT_EQ(r2.fields[7].type->symbols, (std::vector<std::string>{"A", "B"}));

  // Printing and parsing again gives the same JSON; the repeated named type
  // prints as its name, plain primitives as strings.
  const std::string printed = AvroSchemaToString(*schema);
  EXPECT_EQ(AvroSchemaToString(*ParseAvroSchema(printed)), printed);
  const auto json = nlohmann::ordered_json::parse(printed);
  const auto& r2_json = json["fields"][2]["type"];
  EXPECT_EQ(r2_json["fields"][3]["type"], "decimal_9_2");
  EXPECT_EQ(json["fields"][0]["type"], "int");
  EXPECT_EQ(json["fields"][0]["field-id"], 0);
  EXPECT_EQ(r2_json["fields"][1]["type"]["adjust-to-utc"], true);
  EXPECT_EQ(r2_json["fields"][5]["type"]["element-id"], 133);
  EXPECT_EQ(r2_json["fields"][4]["type"][1]["logicalType"], "map");
}

TEST(AvroSchemaTest, ResolvesNamespacesAndPrimitiveObjects) {
  AvroNodePtr s = ParseAvroSchema(std::string_view(
      R"({"type":"record","name":"a","namespace":"x.y","fields":[
          {"name":"f","type":{"type":"fixed","name":"h","size":2}},
          {"name":"g","type":"h"},{"name":"i","type":"x.y.h"},{"name":"j","type":{"type":"long"}}]})"));
  EXPECT_EQ(s->name, "x.y.a");
  EXPECT_EQ(s->fields[1].type->name, "x.y.h");
  EXPECT_EQ(s->fields[2].type, s->fields[0].type);
  EXPECT_EQ(s->fields[3].type->type, AvroType::kLong);
  EXPECT_EQ(AvroSchemaToJson(*s->fields[3].type), "long");
}

TEST(AvroSchemaTest, RejectsInvalidSchemas) {
  const char* bad[] = {
      "not json",
      R"("nosuchtype")",
      R"({"type":"record","name":"r"})",
      R"({"type":"record","name":"r","fields":[{"name":"a","type":"int"},{"name":"a","type":"int"}]})",
      R"(["null","null"])",
      R"(["null",["int"]])",
      R"([])",
      R"({"type":"fixed","name":"f"})",
      R"({"type":"fixed","name":"f","size":-1})",
      R"({"type":"enum","name":"e","symbols":["A","A"]})",
      R"({"type":"array"})",
      R"({"type":"record","name":"1bad","fields":[]})",
      R"({"type":"record","name":"r","fields":[{"name":"a","type":{"type":"fixed","name":"r","size":1}}]})",
      R"(42)",
  };
  for (const char* text : bad) {
    EXPECT_THROW(ParseAvroSchema(std::string_view(text)), InvalidArgument) << text;
  }
  EXPECT_THROW(
      ParseAvroSchema(std::string_view(
          R"({"type":"record","name":"node","fields":[{"name":"next","type":["null","node"]}]})")),
      NotSupported);
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += R"({"type":"array","items":)";
  deep += "\"int\"";
  for (int i = 0; i < 100; ++i) deep += "}";
  EXPECT_THROW(ParseAvroSchema(std::string_view(deep)), InvalidArgument);
}

// Found after fuzz/avro_reader_fuzz.cc: error messages quoted the offending
// JSON through nlohmann's recursive dump(), so a deeply nested value in a
// file's schema overflowed the stack.
TEST(AvroSchemaTest, ErrorsQuoteDeepValuesShortly) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  try {
    ParseAvroSchema(std::string_view("{\"x\":" + deep + "}"));
    FAIL() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(std::string(e.what()),
              "Avro schema: object without \"type\": {\"x\":" + std::string(72, '[') + "...");
  }
}

}  // namespace
}  // namespace datashard
