#include "format/json/json_excerpt.h"

#include <gtest/gtest.h>

namespace datashard {
namespace {

using nlohmann::json;

TEST(JsonExcerptTest, ShortValuesReadAsTheirCompactText) {
  for (const char* text : {"1", "-2.5", "null", "true", "\"a\\\"b\"", "[]", "{}", "[1,[2,{}]]",
                           R"({"a":[1,2],"b":{"c":null}})"}) {
    const json j = json::parse(text);
    EXPECT_EQ(JsonExcerpt(j), j.dump()) << text;
  }
}

TEST(JsonExcerptTest, LongValuesAreCut) {
  json j = json::array();
  for (int i = 0; i < 100; ++i) j.push_back(i);
  EXPECT_EQ(JsonExcerpt(j), j.dump().substr(0, 77) + "...");
  EXPECT_EQ(JsonExcerpt(j, 10), "[0,1,2,...");
  EXPECT_EQ(JsonExcerpt(json(std::string(200, 'x'))), "\"" + std::string(76, 'x') + "...");
}

// dump() recurses once per level: a value nested 100,000 deep would
// overflow the stack.
TEST(JsonExcerptTest, DeepValuesDoNotRecurse) {
  const std::string text = std::string(100000, '[') + std::string(100000, ']');
  const json j = json::parse(text);
  EXPECT_EQ(JsonExcerpt(j), std::string(77, '[') + "...");
}

}  // namespace
}  // namespace datashard
