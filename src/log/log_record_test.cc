#include "log/log_record.h"

#include <gtest/gtest.h>

#include "datashard/errors.h"
#include "format/avro/avro_encoding.h"
#include "util/address_limit_test_util.h"
#include "util/sanitizers.h"

namespace datashard {
namespace {

Schema AllTypes() {
  const std::vector<DataType> types = {
      DataType::Boolean(),   DataType::Int(),          DataType::Long(),   DataType::Float(),
      DataType::Double(),    DataType::Decimal(20, 3), DataType::Date(),   DataType::Time(),
      DataType::Timestamp(), DataType::TimestampTz(),  DataType::String(), DataType::Uuid(),
      DataType::Fixed(3),    DataType::Binary()};
  std::vector<Field> fields;
  for (size_t i = 0; i < types.size(); ++i) {
    fields.push_back({static_cast<int>(i + 1), "c" + std::to_string(i), types[i], false, ""});
  }
  return Schema(7, fields);
}

std::vector<Value> Row(int i) {
  return {Value(i % 2 == 0),
          Value(int32_t{-i}),
          Value(int64_t{1} << (i % 60)),
          Value(1.5f * static_cast<float>(i)),
          Value(-0.25 * i),
          Value::Decimal(-(Int128{1} << 80) + i),
          Value(int32_t{19000 + i}),
          Value(int64_t{3600} * i),
          Value(int64_t{1700000000000000} + i),
          Value(int64_t{-i}),
          Value("héllo " + std::to_string(i)),
          Value(std::string(16, static_cast<char>(i))),
          Value(std::string("\0\1\2", 3)),
          Value(std::string(static_cast<size_t>(i), '\xff'))};
}

TEST(LogRecordTest, RoundTripsEveryTypeWithNullsAndPartitions) {
  const Schema schema = AllTypes();
  const std::vector<DataType> partition_types = {DataType::String(), DataType::Int()};
  LogAppend a;
  a.commit_id = "commit-1";
  a.schema_id = 7;
  a.spec_id = 2;
  for (int g = 0; g < 2; ++g) {
    PartitionGroup group;
    group.partition = {g == 0 ? Value("x") : Value::Null(), Value(int32_t{g})};
    for (const Field& f : schema.fields()) group.columns.emplace_back(f.type);
    for (int i = 0; i < 5; ++i) {
      const std::vector<Value> row = Row(i + g);
      for (size_t c = 0; c < row.size(); ++c) {
        if ((i + static_cast<int>(c)) % 4 == 0) {
          group.columns[c].AppendNull();
        } else {
          group.columns[c].Append(row[c]);
        }
      }
    }
    a.groups.push_back(std::move(group));
  }
  const std::string payload = EncodeLogAppend(a, partition_types);
  int schema_id = 0, spec_id = 0;
  PeekLogAppendIds(payload, "test", &schema_id, &spec_id);
  EXPECT_EQ(schema_id, 7);
  EXPECT_EQ(spec_id, 2);
  const LogAppend b = DecodeLogAppend(payload, schema, partition_types, "test");
  EXPECT_EQ(b.commit_id, "commit-1");
  EXPECT_EQ(b.num_rows(), 10);
  ASSERT_EQ(b.groups.size(), 2u);
  for (size_t g = 0; g < 2; ++g) {
    EXPECT_EQ(b.groups[g].partition, a.groups[g].partition);
    ASSERT_EQ(b.groups[g].columns.size(), schema.fields().size());
    for (size_t c = 0; c < schema.fields().size(); ++c) {
      for (size_t r = 0; r < 5; ++r) {
        EXPECT_EQ(b.groups[g].columns[c].Get(r), a.groups[g].columns[c].Get(r)) << g << c << r;
      }
    }
  }
}

TEST(LogRecordTest, TruncatedOrPaddedPayloadsAreCorruptionNamingTheSource) {
  const Schema schema = AllTypes();
  LogAppend a;
  a.commit_id = "c";
  a.schema_id = 7;
  PartitionGroup group;
  for (const Field& f : schema.fields()) group.columns.emplace_back(f.type);
  for (ColumnVector& c : group.columns) c.AppendNull();
  a.groups.push_back(group);
  const std::string payload = EncodeLogAppend(a, {});
  for (size_t n = 0; n < payload.size(); ++n) {
    try {
      DecodeLogAppend(payload.substr(0, n), schema, {}, "log LSN 9");
      ADD_FAILURE() << "a payload cut to " << n << " bytes decoded";
    } catch (const Corruption& e) {
      EXPECT_NE(std::string(e.what()).find("log LSN 9"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(DecodeLogAppend(payload + "x", schema, {}, "s"), Corruption);
  EXPECT_THROW(DecodeLogAppend(payload, Schema(7, {schema.fields()[0]}), {}, "s"), Corruption);
}

// Found by fuzz/log_record_fuzz.cc: fixed-width columns of no values were
// copied from a null pointer (undefined behaviour under UBSan).
TEST(LogRecordTest, GroupsWithoutRowsDecode) {
  const Schema schema = AllTypes();
  LogAppend a;
  a.commit_id = "c";
  PartitionGroup group;
  group.partition = {Value(int32_t{4})};
  for (const Field& f : schema.fields()) group.columns.emplace_back(f.type);
  a.groups.push_back(group);
  const LogAppend b =
      DecodeLogAppend(EncodeLogAppend(a, {DataType::Int()}), schema, {DataType::Int()}, "s");
  ASSERT_EQ(b.groups.size(), 1u);
  EXPECT_EQ(b.groups[0].partition, group.partition);
  EXPECT_EQ(b.groups[0].columns.size(), schema.fields().size());
  EXPECT_EQ(b.num_rows(), 0);
}

// Issue 17 item 5: a record claiming 2^62 partition groups or 2^40 rows is
// Corruption naming the source before anything is allocated for them.
TEST(LogRecordTest, HugeGroupAndRowCountsAreCorruption) {
  const Schema schema(7, {Field{1, "s", DataType::String(), false, ""}});
  LogAppend a;
  a.commit_id = "c";
  a.schema_id = 7;
  const std::string empty = EncodeLogAppend(a, {});  // ends with the group count 0
  const auto zigzag = [](int64_t v) {
    std::string out;
    AvroEncoder(&out).WriteLong(v);
    return out;
  };
  const auto error = [&](const std::string& payload) -> std::string {
    try {
      DecodeLogAppend(payload, schema, {}, "log LSN 5");
    } catch (const Corruption& e) {
      return e.what();
    }
    return "no error";
  };
  const std::string head = empty.substr(0, empty.size() - 1);
  EXPECT_NE(
      error(head + zigzag(int64_t{1} << 62)).find("bad partition group count 4611686018427387904"),
      std::string::npos);
  const std::string rows = head + zigzag(1) + zigzag(1) + zigzag(int64_t{1} << 40) + "xy";
  EXPECT_NE(error(rows).find("bad row count 1099511627776"), std::string::npos) << error(rows);
  EXPECT_NE(error(rows).find("log LSN 5"), std::string::npos);
}

// Issue 17 item 5, a real bug: a string column's row count (bounded by the
// bytes left) reserved that many std::string up front, 32 times the record's
// size: std::bad_alloc under a memory limit instead of Corruption.
TEST(LogRecordTest, AStringColumnReservesNoMoreThanItsBytesCanHold) {
  if (kAddressSanitizer) GTEST_SKIP() << "an address-space limit cannot hold ASan's shadow memory";
  const Schema schema(7, {Field{1, "s", DataType::String(), false, ""}});
  LogAppend a;
  a.commit_id = "c";
  a.schema_id = 7;
  const std::string empty = EncodeLogAppend(a, {});
  std::string out;
  AvroEncoder e(&out);
  const int64_t n = int64_t{48} << 20;
  e.WriteLong(1);  // one group
  e.WriteLong(1);  // one column
  e.WriteLong(n);  // rows
  std::string payload = empty.substr(0, empty.size() - 1) + out;
  payload.append(static_cast<size_t>(n), '\1');    // validity
  payload.append(static_cast<size_t>(n), '\x01');  // string lengths of -1
  EXPECT_EQ(DecodeUnderAddressLimit(size_t{1} << 30,
                                    [&] { DecodeLogAppend(payload, schema, {}, "log LSN 6"); }),
            0)
      << "1: std::bad_alloc, 2: no error";
}

}  // namespace
}  // namespace datashard
