#include "datashard/partition_spec.h"

#include <gtest/gtest.h>

#include "datashard/errors.h"
#include "format/json/value_json.h"

namespace datashard {
namespace {

// Test vectors of the Iceberg spec, Appendix B.
TEST(BucketHashTest, MatchesSpecTestVectors) {
  EXPECT_EQ(IcebergBucketHash(DataType::Int(), Value(int32_t{34})), 2017239379);
  EXPECT_EQ(IcebergBucketHash(DataType::Long(), Value(int64_t{34})), 2017239379);
  EXPECT_EQ(IcebergBucketHash(DataType::String(), Value("iceberg")), 1210000089);
  EXPECT_EQ(IcebergBucketHash(DataType::Date(), Value(ParseDate("2017-11-16"))), -653330422);
  EXPECT_EQ(IcebergBucketHash(DataType::Decimal(9, 2), Value::Decimal(1420)), -500754589);
  EXPECT_EQ(IcebergBucketHash(DataType::Binary(), Value(std::string("\x00\x01\x02\x03", 4))),
            -188683207);
  EXPECT_EQ(IcebergBucketHash(DataType::Fixed(4), Value(std::string("\x00\x01\x02\x03", 4))),
            -188683207);
  EXPECT_EQ(
      IcebergBucketHash(DataType::Uuid(), Value(ParseUuid("f79c3e09-677c-4bbd-a479-3f349cb785e7"))),
      1488055340);
  EXPECT_EQ(
      IcebergBucketHash(DataType::Timestamp(), Value(ParseTimestamp("2017-11-16T22:31:08", false))),
      -2047944441);
  EXPECT_EQ(IcebergBucketHash(DataType::TimestampTz(),
                              Value(ParseTimestamp("2017-11-16T14:31:08-08:00", true))),
            -2047944441);
  EXPECT_EQ(IcebergBucketHash(DataType::Time(), Value(ParseTime("22:31:08"))), -662762989);
}

TEST(TransformTest, BucketIsHashModN) {
  const Transform t = Transform::Bucket(16);
  EXPECT_EQ(t.Apply(DataType::Long(), Value(int64_t{34})),
            Value(int32_t{(2017239379 & 0x7fffffff) % 16}));
  EXPECT_EQ(t.Apply(DataType::Long(), Value::Null()), Value::Null());
  EXPECT_EQ(t.ResultType(DataType::String()), DataType::Int());
  EXPECT_FALSE(t.CanApplyTo(DataType::Double()));
  EXPECT_THROW(t.ResultType(DataType::Boolean()), InvalidArgument);
}

TEST(TransformTest, TruncateFloorsNumbersAndCutsCodePoints) {
  const Transform t = Transform::Truncate(10);
  EXPECT_EQ(t.Apply(DataType::Int(), Value(int32_t{1})), Value(int32_t{0}));
  EXPECT_EQ(t.Apply(DataType::Int(), Value(int32_t{-1})), Value(int32_t{-10}));
  EXPECT_EQ(t.Apply(DataType::Long(), Value(int64_t{19})), Value(int64_t{10}));
  EXPECT_EQ(t.Apply(DataType::Decimal(9, 2), Value::Decimal(1065)), Value::Decimal(1060));
  EXPECT_EQ(Transform::Truncate(3).Apply(DataType::String(), Value("iceberg")), Value("ice"));
  // Three code points of multi-byte UTF-8 stay whole.
  EXPECT_EQ(Transform::Truncate(2).Apply(DataType::String(), Value("\xc3\xa9\xe2\x82\xac!")),
            Value("\xc3\xa9\xe2\x82\xac"));
  EXPECT_EQ(Transform::Truncate(2).Apply(DataType::Binary(), Value(std::string("abc"))),
            Value("ab"));
}

TEST(TransformTest, TimeTransformsCountFromEpochWithFloor) {
  const Value day(ParseDate("2024-03-05"));
  EXPECT_EQ(Transform::Year().Apply(DataType::Date(), day), Value(int32_t{54}));
  EXPECT_EQ(Transform::Month().Apply(DataType::Date(), day), Value(int32_t{54 * 12 + 2}));
  EXPECT_EQ(Transform::Day().Apply(DataType::Date(), day), day);
  const Value ts(ParseTimestamp("2024-03-05T13:10:00", false));
  EXPECT_EQ(Transform::Hour().Apply(DataType::Timestamp(), ts),
            Value(static_cast<int32_t>(ParseDate("2024-03-05") * 24 + 13)));
  EXPECT_EQ(Transform::Day().Apply(DataType::Timestamp(), ts), day);
  // One microsecond before the epoch is day -1 and hour -1.
  EXPECT_EQ(Transform::Day().Apply(DataType::Timestamp(), Value(int64_t{-1})), Value(int32_t{-1}));
  EXPECT_EQ(Transform::Hour().Apply(DataType::Timestamp(), Value(int64_t{-1})), Value(int32_t{-1}));
  EXPECT_EQ(Transform::Year().Apply(DataType::Timestamp(), Value(int64_t{-1})), Value(int32_t{-1}));
  EXPECT_FALSE(Transform::Hour().CanApplyTo(DataType::Date()));
  EXPECT_EQ(Transform::Day().ResultType(DataType::Timestamp()), DataType::Date());
}

TEST(TransformTest, HumanStringsMatchIcebergPaths) {
  EXPECT_EQ(Transform::Month().HumanString(DataType::Date(), Value(int32_t{54 * 12 + 2})),
            "2024-03");
  EXPECT_EQ(Transform::Year().HumanString(DataType::Date(), Value(int32_t{54})), "2024");
  EXPECT_EQ(
      Transform::Hour().HumanString(DataType::Timestamp(),
                                    Value(static_cast<int32_t>(ParseDate("2024-03-05") * 24 + 13))),
      "2024-03-05-13");
  EXPECT_EQ(Transform::Identity().HumanString(DataType::String(), Value::Null()), "null");
}

TEST(TransformTest, ParsesAndPrintsEveryTransform) {
  for (const char* s :
       {"identity", "bucket[16]", "truncate[4]", "year", "month", "day", "hour", "void"}) {
    EXPECT_EQ(Transform::Parse(s).ToString(), s);
  }
  EXPECT_THROW(Transform::Parse("bucket[0]"), InvalidArgument);
  EXPECT_THROW(Transform::Parse("bucket[x]"), InvalidArgument);
  EXPECT_THROW(Transform::Parse("zorder"), InvalidArgument);
}

Schema TestSchema() {
  return Schema(
      1, {Field{1, "id", DataType::Long(), true}, Field{2, "name", DataType::String(), false},
          Field{3, "ts", DataType::Timestamp(), false},
          Field{4, "partition", DataType::String(), true}});
}

TEST(PartitionSpecTest, ParsesCliSpecWithIcebergNames) {
  const Schema schema = TestSchema();
  const PartitionSpec spec =
      PartitionSpec::Parse("partition, bucket(16, id), truncate(4,name), day(ts)", schema);
  ASSERT_EQ(spec.fields().size(), 4u);
  EXPECT_EQ(spec.fields()[0], (PartitionField{4, 1000, "partition", Transform::Identity()}));
  EXPECT_EQ(spec.fields()[1], (PartitionField{1, 1001, "id_bucket", Transform::Bucket(16)}));
  EXPECT_EQ(spec.fields()[2], (PartitionField{2, 1002, "name_trunc", Transform::Truncate(4)}));
  EXPECT_EQ(spec.fields()[3], (PartitionField{3, 1003, "ts_day", Transform::Day()}));
  EXPECT_EQ(spec.last_field_id(), 1003);
  EXPECT_EQ(PartitionSpec().last_field_id(), 999);
}

TEST(PartitionSpecTest, RefusesBadTermsNamingThem) {
  const Schema schema = TestSchema();
  try {
    PartitionSpec::Parse("hour(nope)", schema);
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("hour(nope)"), std::string::npos);
  }
  EXPECT_THROW(PartitionSpec::Parse("hour(name)", schema), InvalidArgument);
  EXPECT_THROW(PartitionSpec::Parse("bucket(id)", schema), InvalidArgument);
  EXPECT_THROW(PartitionSpec::Parse("id,,name", schema), InvalidArgument);
  EXPECT_THROW(PartitionSpec::Parse("id, id", schema), InvalidArgument);
  EXPECT_THROW(PartitionSpec(0, {PartitionField{1, 999, "x", Transform::Identity()}}),
               InvalidArgument);
}

TEST(PartitionSpecTest, ComputesTuplesAndPaths) {
  const Schema schema = TestSchema();
  const PartitionSpec spec = PartitionSpec::Parse("partition, month(ts)", schema);
  const Record r{Value(int64_t{7}), Value("a b"),
                 Value(ParseTimestamp("2024-01-31T23:59:59", false)), Value("2024/01")};
  const std::vector<Value> tuple = spec.PartitionOf(schema, r);
  ASSERT_EQ(tuple.size(), 2u);
  EXPECT_EQ(tuple[0], Value("2024/01"));
  EXPECT_EQ(tuple[1], Value(int32_t{54 * 12}));
  EXPECT_EQ(spec.PartitionPath(schema, tuple), "partition=2024%2F01/ts_month=2024-01");
  EXPECT_EQ(spec.PartitionPath(schema, {Value::Null(), Value::Null()}),
            "partition=null/ts_month=null");
  EXPECT_EQ(spec.Describe(schema),
            "[1000: partition identity(partition), 1001: ts_month month(ts)]");
}

}  // namespace
}  // namespace datashard
