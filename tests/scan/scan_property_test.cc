// Property-based (seeded) scan tests: random tables partitioned by each
// transform, several snapshots, random predicates. Every scan, ordered or
// not, with any thread count and batch size, returns exactly the rows a
// brute-force filter over a model of that snapshot keeps, and Count agrees.
#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "datashard/scan.h"
#include "datashard/table.h"
#include "format/json/value_json.h"
#include "io/temp_dir.h"

namespace datashard {
namespace {

Schema WideSchema() {
  return Schema(
      1, {Field{1, "id", DataType::Long(), true}, Field{2, "k", DataType::Int(), false},
          Field{3, "s", DataType::String(), false}, Field{4, "d", DataType::Date(), false},
          Field{5, "ts", DataType::Timestamp(), false}, Field{6, "x", DataType::Double(), false}});
}

constexpr int32_t kFirstDay = 19000;  // 2022-01-08
constexpr int64_t kHourMicros = 3600LL * 1000 * 1000;
constexpr int64_t kFirstTs = int64_t{kFirstDay} * 24 * kHourMicros;

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(int percent) { return Int(0, 99) < percent; }

  std::string Str() {
    std::string s;
    const int n = Int(0, 4);
    for (int i = 0; i < n; ++i) s += static_cast<char>('a' + Int(0, 3));
    return s;
  }
  int32_t Day() { return kFirstDay + Int(0, 800); }
  int64_t Ts() { return kFirstTs + int64_t{Int(0, 100)} * kHourMicros + Int(0, 3599) * 1000000LL; }
  double X() {
    if (Chance(3)) return std::nan("");
    if (Chance(3)) return -0.0;
    return Int(-20, 20) / 2.0;
  }

  Record Row(int64_t id) {
    Record r;
    r.push_back(Value(id));
    r.push_back(Chance(10) ? Value() : Value(static_cast<int32_t>(Int(0, 7))));
    r.push_back(Chance(10) ? Value() : Value(Str()));
    r.push_back(Chance(10) ? Value() : Value(Day()));
    r.push_back(Chance(10) ? Value() : Value(Ts()));
    r.push_back(Chance(10) ? Value() : Value(X()));
    return r;
  }

  std::string Literal(int column) {
    switch (column) {
      case 0:
        return std::to_string(Int(-5, 700));
      case 1:
        return std::to_string(Int(-1, 8));
      case 2:
        return "'" + Str() + "'";
      case 3:
        return "'" + ValueToJson(Value(Day()), DataType::Date()).get<std::string>() + "'";
      case 4:
        return "'" + ValueToJson(Value(Ts()), DataType::Timestamp()).get<std::string>() + "'";
      default: {
        const int n = Int(-21, 21);
        return (n % 2 == 0 ? std::to_string(n / 2) : std::to_string(n / 2) + ".5");
      }
    }
  }

  std::string Predicate(int depth) {
    static const char* kNames[] = {"id", "k", "s", "d", "ts", "x"};
    if (depth > 0 && Chance(45)) {
      const std::string a = Predicate(depth - 1);
      const std::string b = Predicate(depth - 1);
      if (Chance(15)) return "not (" + a + ")";
      return "(" + a + (Chance(50) ? " and " : " or ") + b + ")";
    }
    const int c = Int(0, 5);
    const std::string col = kNames[c];
    switch (Int(0, 9)) {
      case 0:
        return col + " is null";
      case 1:
        return col + " is not null";
      case 2:
      case 3: {
        std::string list = Literal(c);
        const int n = Int(0, 3);
        for (int i = 0; i < n; ++i) list += ", " + Literal(c);
        return col + (Chance(30) ? " not in (" : " in (") + list + ")";
      }
      default: {
        static const char* kOps[] = {"=", "!=", "<", "<=", ">", ">="};
        return col + " " + kOps[Int(0, 5)] + " " + Literal(c);
      }
    }
  }

 private:
  std::mt19937 rng_;
};

std::vector<std::string> Lines(const std::vector<Record>& rows, const Schema& schema) {
  std::vector<std::string> out;
  for (const Record& r : rows) {
    std::string s;
    AppendRecordJson(r, schema, &s);
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<std::string> ScanLines(ScanReader& reader) {
  std::vector<Record> rows;
  RecordBatch batch;
  while (reader.Next(&batch)) {
    for (size_t i = 0; i < batch.num_rows(); ++i) rows.push_back(batch.Row(i));
  }
  return Lines(rows, reader.schema());
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

class ScanPropertyTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ScanPropertyTest, ScansEqualBruteForceOverEverySnapshot) {
  const std::string partition_by = GetParam();
  const Schema schema = WideSchema();
  for (uint32_t seed = 1; seed <= 3; ++seed) {
    SCOPED_TRACE("partition-by '" + partition_by + "' seed " + std::to_string(seed));
    Generator g(seed * 7919 + static_cast<uint32_t>(partition_by.size()));
    TempDir dir("scan-prop");
    const PartitionSpec spec =
        partition_by.empty() ? PartitionSpec() : PartitionSpec::Parse(partition_by, schema);
    Table table = CreateTable(dir.Join("t"), schema, spec);

    // The model: the rows of each snapshot, built independently of scans.
    std::vector<std::pair<int64_t, std::vector<Record>>> snapshots;
    std::vector<Record> all;
    int64_t next_id = 0;
    for (int s = 0; s < 4; ++s) {
      std::vector<Record> rows;
      const int n = g.Int(20, 120);
      for (int i = 0; i < n; ++i) rows.push_back(g.Row(next_id++));
      ASSERT_TRUE(table.AppendRecords(rows, schema));
      all.insert(all.end(), rows.begin(), rows.end());
      snapshots.emplace_back(table.CurrentSnapshot()->snapshot_id, all);
    }

    for (int q = 0; q < 40; ++q) {
      const std::string text = g.Predicate(3);
      SCOPED_TRACE("where " + text);
      const Expression bound = Expression::Parse(text, schema);
      const size_t pick = static_cast<size_t>(g.Int(0, static_cast<int>(snapshots.size()) - 1));
      const auto& [snapshot_id, rows] = snapshots[pick];
      std::vector<Record> expected;
      for (const Record& r : rows) {
        if (bound.Matches(r)) expected.push_back(r);
      }

      TableScan scan = NewScan(table);
      scan.Filter(text).BatchSize(g.Int(1, 64)).Threads(g.Int(1, 3)).Ordered(g.Chance(50));
      if (pick + 1 != snapshots.size() || g.Chance(50)) scan.UseSnapshot(snapshot_id);
      std::unique_ptr<ScanReader> reader = scan.Open();
      EXPECT_EQ(Sorted(ScanLines(*reader)), Sorted(Lines(expected, schema)));
      const ScanMetrics m = reader->metrics();
      EXPECT_EQ(m.rows_returned, static_cast<int64_t>(expected.size()));
      EXPECT_LE(m.data_files_pruned, m.data_files_considered);
      EXPECT_LE(m.row_groups_pruned, m.row_groups_considered);

      ScanMetrics cm;
      EXPECT_EQ(NewScan(table).UseSnapshot(snapshot_id).Filter(text).Count(&cm),
                static_cast<int64_t>(expected.size()));
      EXPECT_EQ(cm.rows_returned, static_cast<int64_t>(expected.size()));
    }

    // Projection: a subset of columns, in a chosen order, equals the model's.
    const std::vector<std::string> columns = {"ts", "id"};
    std::vector<Record> projected;
    for (const Record& r : all) projected.push_back({r[4], r[0]});
    const Schema out_schema(1, {schema.fields()[4], schema.fields()[0]});
    EXPECT_EQ(Sorted(ScanLines(*NewScan(table).Select(columns).Open())),
              Sorted(Lines(projected, out_schema)));
  }
}

INSTANTIATE_TEST_SUITE_P(Transforms, ScanPropertyTest,
                         ::testing::Values("", "k", "bucket(4,id)", "truncate(10,id)",
                                           "truncate(2,s)", "year(d)", "month(ts)", "day(d)",
                                           "hour(ts)", "k,day(ts)", "x"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string name = "p" + std::to_string(info.index);
                           return name;
                         });

}  // namespace
}  // namespace datashard
