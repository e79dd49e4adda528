// Property-based (seeded) scan tests: random tables partitioned by each
// transform, several snapshots (appends, then random position deletes,
// equality deletes and a later append re-adding deleted keys), random
// predicates. Every scan, ordered or not, with any thread count and batch
// size, returns exactly the rows a brute-force filter over a model of that
// snapshot keeps, and Count agrees. The model applies the spec's delete
// rules to its own rows.
#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "datashard/scan.h"
#include "datashard/table.h"
#include "format/json/value_json.h"
#include "format/parquet/parquet_reader.h"
#include "io/temp_dir.h"
#include "scan/hand_table.h"
#include "scan/scan_plan.h"
#include "types/value_key.h"

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

// One row of the model: its values, the data sequence number of its file,
// where it is stored and its partition.
struct ModelRow {
  Record row;
  int64_t seq = 0;
  std::string path;
  int64_t pos = 0;
  std::string partition;  // TupleKey of the row's partition tuple
};

struct PositionDelete {
  std::string path;
  int64_t pos = 0;
  int64_t seq = 0;
};

struct EqualityDelete {
  std::string partition;  // "" with an unpartitioned table: every row
  std::vector<size_t> columns;
  Record key;
  int64_t seq = 0;
};

// The spec's rules, stated over the model.
bool Deleted(const ModelRow& r, const std::vector<PositionDelete>& positions,
             const std::vector<EqualityDelete>& equalities) {
  for (const PositionDelete& d : positions) {
    if (d.path == r.path && d.pos == r.pos && r.seq <= d.seq) return true;
  }
  for (const EqualityDelete& d : equalities) {
    if (d.partition != r.partition || r.seq >= d.seq) continue;
    bool equal = true;
    for (size_t c = 0; c < d.columns.size(); ++c) equal = equal && r.row[d.columns[c]] == d.key[c];
    if (equal) return true;
  }
  return false;
}

// Where each row the current snapshot of `table` added is stored: path and
// position by id, read from the data files themselves.
void LocateRows(Table& table, std::vector<ModelRow>* model) {
  table.Refresh();
  const Snapshot current = *table.CurrentSnapshot();
  const ScanPlan plan = PlanScan(table.io(), table.metadata(), table.metadata().CurrentSchema(),
                                 current, std::nullopt);
  for (const ScanTask& t : plan.tasks) {
    if (t.file.entry.snapshot_id != current.snapshot_id) continue;
    const std::string& path = t.file.entry.data_file.file_path;
    auto reader = parquet::ParquetReader::Open(table.io().OpenRead(path));
    int id_column = -1;
    for (size_t c = 0; c < reader->columns().size(); ++c) {
      if (reader->columns()[c].field_id == 1) id_column = static_cast<int>(c);
    }
    ASSERT_GE(id_column, 0) << path;
    parquet::ReadOptions options;
    options.columns = {id_column};
    reader->Start(options);
    std::vector<ColumnVector> batch;
    int64_t pos = 0;
    while (reader->Next(&batch)) {
      for (size_t i = 0; i < batch[0].size(); ++i, ++pos) {
        for (ModelRow& r : *model) {
          if (r.path.empty() && r.row[0] == batch[0].Get(i)) {
            r.path = path;
            r.pos = pos;
          }
        }
      }
    }
  }
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
    std::vector<ModelRow> model;
    std::vector<PositionDelete> position_deletes;
    std::vector<EqualityDelete> equality_deletes;
    const auto partition_key = [&](const Record& r) {
      return TupleKey(spec.PartitionOf(schema, r));
    };
    const auto snapshot_rows = [&] {
      std::vector<Record> rows;
      for (const ModelRow& r : model) {
        if (!Deleted(r, position_deletes, equality_deletes)) rows.push_back(r.row);
      }
      return rows;
    };
    const auto append = [&](const std::vector<Record>& rows) {
      ASSERT_TRUE(table.AppendRecords(rows, schema));
      const int64_t seq = table.CurrentSnapshot()->sequence_number;
      for (const Record& r : rows) model.push_back(ModelRow{r, seq, "", 0, partition_key(r)});
      LocateRows(table, &model);
      snapshots.emplace_back(table.CurrentSnapshot()->snapshot_id, snapshot_rows());
    };
    int64_t next_id = 0;
    for (int s = 0; s < 4; ++s) {
      std::vector<Record> rows;
      const int n = g.Int(20, 120);
      for (int i = 0; i < n; ++i) rows.push_back(g.Row(next_id++));
      append(rows);
    }

    // Position deletes of random rows, one file per data file partition,
    // committed by hand as another engine would.
    {
      testing::HandTable hand(dir.Join("t"));
      std::map<std::string, std::vector<const ModelRow*>> by_partition;
      for (const ModelRow& r : model) {
        if (g.Chance(15)) by_partition[r.partition].push_back(&r);
      }
      std::vector<DataFile> files;
      const int64_t seq = hand.metadata().last_sequence_number + 1;
      const Schema pos_schema(0, {Field{2147483546, "file_path", DataType::String(), true},
                                  Field{2147483545, "pos", DataType::Long(), true}});
      for (const auto& [key, rows] : by_partition) {
        ColumnVector paths(DataType::String()), positions(DataType::Long());
        for (const ModelRow* r : rows) {
          paths.Append(Value(r->path));
          positions.Append(Value(r->pos));
          position_deletes.push_back(PositionDelete{r->path, r->pos, seq});
        }
        DataFile f = hand.WriteDataFile(pos_schema, {paths, positions},
                                        spec.PartitionOf(schema, rows.front()->row));
        f.content = FileContent::kPositionDeletes;
        files.push_back(std::move(f));
      }
      if (!files.empty()) {
        hand.Commit({}, files);
        table.Refresh();
        snapshots.emplace_back(table.CurrentSnapshot()->snapshot_id, snapshot_rows());
      }

      // Equality deletes: ids of random rows in their partitions, and one
      // (k, s) pair (nulls included) in one partition.
      std::vector<DataFile> eq_files;
      const int64_t eq_seq = hand.metadata().last_sequence_number + 1;
      std::map<std::string, std::vector<const ModelRow*>> id_rows;
      for (const ModelRow& r : model) {
        if (g.Chance(10)) id_rows[r.partition].push_back(&r);
      }
      for (const auto& [key, rows] : id_rows) {
        ColumnVector ids(DataType::Long());
        for (const ModelRow* r : rows) {
          ids.Append(r->row[0]);
          equality_deletes.push_back(EqualityDelete{key, {0}, {r->row[0]}, eq_seq});
        }
        DataFile f = hand.WriteDataFile(Schema(0, {schema.fields()[0]}), {ids},
                                        spec.PartitionOf(schema, rows.front()->row));
        f.content = FileContent::kEqualityDeletes;
        f.equality_ids = {1};
        eq_files.push_back(std::move(f));
      }
      const ModelRow& pick =
          model[static_cast<size_t>(g.Int(0, static_cast<int>(model.size()) - 1))];
      ColumnVector ks(DataType::Int()), ss(DataType::String());
      ks.Append(pick.row[1]);
      ss.Append(pick.row[2]);
      DataFile ks_file = hand.WriteDataFile(Schema(0, {schema.fields()[1], schema.fields()[2]}),
                                            {ks, ss}, spec.PartitionOf(schema, pick.row));
      ks_file.content = FileContent::kEqualityDeletes;
      ks_file.equality_ids = {2, 3};
      eq_files.push_back(std::move(ks_file));
      equality_deletes.push_back(
          EqualityDelete{pick.partition, {1, 2}, {pick.row[1], pick.row[2]}, eq_seq});
      hand.Commit({}, eq_files);
      table.Refresh();
      snapshots.emplace_back(table.CurrentSnapshot()->snapshot_id, snapshot_rows());
    }

    // A later append re-adds rows equal to deleted ones: newer than the
    // equality deletes, they stay.
    std::vector<Record> again;
    for (const EqualityDelete& d : equality_deletes) {
      for (const ModelRow& r : model) {
        if (d.columns.size() == 1 && r.row[0] == d.key[0] && g.Chance(50)) again.push_back(r.row);
      }
    }
    again.push_back(model.front().row);
    append(again);

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
    for (const Record& r : snapshots.back().second) projected.push_back({r[4], r[0]});
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
