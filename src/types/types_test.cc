#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "datashard/column_vector.h"
#include "datashard/errors.h"
#include "datashard/schema.h"
#include "datashard/types.h"
#include "datashard/value.h"

namespace datashard {
namespace {

TEST(DataTypeTest, ParsesEveryPrimitiveAndPrintsCanonicalForm) {
  for (const char* s : {"boolean", "int", "long", "float", "double", "date", "time", "timestamp",
                        "timestamptz", "string", "uuid", "binary"}) {
    EXPECT_EQ(DataType::Parse(s).ToString(), s);
  }
  EXPECT_EQ(DataType::Parse("decimal(18,3)"), DataType::Decimal(18, 3));
  EXPECT_EQ(DataType::Parse("decimal( 18 , 3 )").ToString(), "decimal(18, 3)");
  EXPECT_EQ(DataType::Parse("fixed[16]"), DataType::Fixed(16));
  EXPECT_EQ(DataType::Fixed(16).ToString(), "fixed[16]");
}

TEST(DataTypeTest, RejectsUnknownAndMalformedTypes) {
  EXPECT_THROW(DataType::Parse("varchar"), InvalidArgument);
  EXPECT_THROW(DataType::Parse("decimal(39, 2)"), InvalidArgument);
  EXPECT_THROW(DataType::Parse("decimal(5, 6)"), InvalidArgument);
  EXPECT_THROW(DataType::Parse("fixed[0]"), InvalidArgument);
  EXPECT_THROW(DataType::Parse("fixed[x]"), InvalidArgument);
}

TEST(ValueTest, FitsChecksTheAlternativeForTheType) {
  EXPECT_TRUE(Value(int64_t{5}).Fits(DataType::Long()));
  EXPECT_FALSE(Value(int32_t{5}).Fits(DataType::Long()));
  EXPECT_TRUE(Value::Null().Fits(DataType::Uuid()));
  EXPECT_FALSE(Value("short").Fits(DataType::Uuid()));
  EXPECT_TRUE(Value(std::string(16, 'x')).Fits(DataType::Uuid()));
  EXPECT_TRUE(Value::Decimal(1234).Fits(DataType::Decimal(9, 2)));
}

TEST(ValueTest, CompareFollowsStatisticsOrder) {
  const auto d = DataType::Double();
  EXPECT_LT(CompareValues(d, Value(-0.0), Value(0.0)), 0);
  EXPECT_GT(CompareValues(d, Value(std::nan("")), Value(1e308)), 0);
  const auto s = DataType::String();
  EXPECT_LT(CompareValues(s, Value("a"), Value("\xc3\xa9")), 0);  // unsigned bytes
  EXPECT_LT(CompareValues(s, Value("ab"), Value("abc")), 0);
  EXPECT_EQ(CompareValues(s, Value("abc"), Value("abc")), 0);
}

TEST(ColumnVectorTest, AppendAndGetRoundTripWithNulls) {
  ColumnVector c(DataType::String());
  c.Append(Value("x"));
  c.AppendNull();
  c.Append(Value(""));
  EXPECT_EQ(c.size(), 3u);
  EXPECT_EQ(c.null_count(), 1u);
  EXPECT_EQ(c.Get(0), Value("x"));
  EXPECT_TRUE(c.Get(1).is_null());
  EXPECT_EQ(c.Get(2), Value(""));
  EXPECT_THROW(c.Append(Value(int64_t{1})), InvalidArgument);
}

TEST(ColumnVectorTest, ViewsReadLikeOwnedBytesAndBecomeThemOnAppend) {
  auto page = std::make_shared<const std::string>("alphabet");
  ColumnVector c(DataType::String());
  c.UseViews();
  c.Resize(3);
  c.views[0] = std::string_view(*page).substr(0, 5);
  c.views[2] = std::string_view(*page).substr(5);
  c.validity()[0] = c.validity()[2] = 1;
  c.buffers.push_back(page);
  page.reset();  // the column keeps the page alive
  ASSERT_TRUE(c.holds_views());
  EXPECT_TRUE(c.bytes.empty());
  EXPECT_EQ(c.bytes_at(0), "alpha");
  EXPECT_EQ(c.Get(0), Value("alpha"));
  EXPECT_TRUE(c.Get(1).is_null());
  EXPECT_EQ(c.Get(2), Value("bet"));
  const ColumnVector copy = c;  // shares the page
  c.Append(Value("gamma"));     // appending turns the views into owned strings
  EXPECT_FALSE(c.holds_views());
  EXPECT_TRUE(c.buffers.empty());
  ASSERT_EQ(c.bytes.size(), 4u);
  EXPECT_EQ(c.bytes[0], "alpha");
  EXPECT_EQ(c.bytes[3], "gamma");
  EXPECT_EQ(copy.bytes_at(2), "bet");
  c.Clear();
  EXPECT_FALSE(c.holds_views());
}

TEST(SchemaTest, RejectsDuplicateIdsAndNames) {
  EXPECT_THROW(Schema(1, {{1, "a", DataType::Long(), true}, {1, "b", DataType::Long(), true}}),
               InvalidArgument);
  EXPECT_THROW(Schema(1, {{1, "a", DataType::Long(), true}, {2, "a", DataType::Long(), true}}),
               InvalidArgument);
  Schema s(1, {{1, "a", DataType::Long(), true}, {7, "b", DataType::String(), false}});
  EXPECT_EQ(s.IndexOf("b"), 1);
  EXPECT_EQ(s.IndexOfId(7), 1);
  EXPECT_EQ(s.highest_field_id(), 7);
  EXPECT_THROW(s.FieldByName("c"), InvalidArgument);
}

}  // namespace
}  // namespace datashard
