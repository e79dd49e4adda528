// Row-level deletes in scans, on tables built by hand the way other engines
// write them: position and equality delete files applied by the spec's
// sequence-number and partition rules (position: data seq <= delete seq,
// same partition; equality: data seq < delete seq, same partition or a
// global delete from an unpartitioned spec), null matching null, deletes on
// columns the scan does not return, row groups skipped when every row is
// deleted, counts that never use the record count of a file with deletes,
// and delete formats datashard does not read refused by name.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "datashard/errors.h"
#include "datashard/scan.h"
#include "datashard/table.h"
#include "io/temp_dir.h"
#include "scan/hand_table.h"

namespace datashard {
namespace {

Schema TSchema() {
  return Schema(1, {Field{1, "id", DataType::Long(), true}, Field{2, "k", DataType::Int(), false},
                    Field{3, "v", DataType::String(), false}});
}

const Schema& PositionSchema() {
  static const Schema schema(0, {Field{2147483546, "file_path", DataType::String(), true},
                                 Field{2147483545, "pos", DataType::Long(), true}});
  return schema;
}

struct ScanResult {
  std::vector<int64_t> ids;  // sorted
  ScanMetrics metrics;
};

ScanResult ScanIds(TableScan scan) {
  std::unique_ptr<ScanReader> reader = scan.Open();
  ScanResult r;
  RecordBatch batch;
  while (reader->Next(&batch)) {
    const int id_column = batch.schema.IndexOfId(1);
    for (size_t i = 0; i < batch.num_rows(); ++i) {
      r.ids.push_back(batch.columns[static_cast<size_t>(id_column)].Get(i).as_long());
    }
  }
  std::sort(r.ids.begin(), r.ids.end());
  r.metrics = reader->metrics();
  return r;
}

std::vector<int64_t> Ids(std::initializer_list<std::pair<int64_t, int64_t>> ranges,
                         std::vector<int64_t> minus = {}) {
  std::vector<int64_t> out;
  for (const auto& [first, end] : ranges) {
    for (int64_t i = first; i < end; ++i) {
      if (std::find(minus.begin(), minus.end(), i) == minus.end()) out.push_back(i);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

class RowDeleteTest : public ::testing::Test {
 protected:
  // Rows id = first .. first+n-1 with k = `k`, v = "v<id>".
  DataFile Rows(testing::HandTable& hand, int64_t first, int n, int32_t k,
                std::vector<Value> partition = {}, int64_t row_group_bytes = 128 << 20) {
    ColumnVector ids(DataType::Long()), ks(DataType::Int()), vs(DataType::String());
    for (int64_t i = first; i < first + n; ++i) {
      ids.Append(Value(i));
      ks.Append(Value(k));
      vs.Append(Value("v" + std::to_string(i)));
    }
    return hand.WriteDataFile(TSchema(), {ids, ks, vs}, std::move(partition), row_group_bytes);
  }

  DataFile PositionDeletes(testing::HandTable& hand,
                           const std::vector<std::pair<std::string, int64_t>>& rows,
                           std::vector<Value> partition = {}) {
    ColumnVector paths(DataType::String()), positions(DataType::Long());
    for (const auto& [path, pos] : rows) {
      paths.Append(Value(path));
      positions.Append(Value(pos));
    }
    DataFile f = hand.WriteDataFile(PositionSchema(), {paths, positions}, std::move(partition));
    f.content = FileContent::kPositionDeletes;
    return f;
  }

  // An equality delete file of the columns `schema` (table field ids).
  DataFile EqualityDeletes(testing::HandTable& hand, const Schema& schema,
                           const std::vector<ColumnVector>& columns,
                           std::vector<Value> partition = {}) {
    DataFile f = hand.WriteDataFile(schema, columns, std::move(partition));
    f.content = FileContent::kEqualityDeletes;
    for (const Field& field : schema.fields()) f.equality_ids.push_back(field.id);
    return f;
  }

  DataFile IdDeletes(testing::HandTable& hand, const std::vector<int64_t>& ids,
                     std::vector<Value> partition = {}) {
    ColumnVector c(DataType::Long());
    for (int64_t id : ids) c.Append(Value(id));
    return EqualityDeletes(hand, Schema(0, {Field{1, "id", DataType::Long(), true}}), {c},
                           std::move(partition));
  }

  TempDir dir_{"row-delete-test"};
};

TEST_F(RowDeleteTest, PositionDeletesRemoveExactlyTheirRows) {
  testing::HandTable hand(dir_.Join("t"), TSchema());
  const DataFile a = Rows(hand, 0, 10, 1);
  const DataFile b = Rows(hand, 100, 10, 1);
  hand.Commit({a, b});
  // One file deleting rows of both, unsorted and with a repeated position;
  // a second file deleting more of `a`.
  hand.Commit({}, {PositionDeletes(hand, {{b.file_path, 9},
                                          {a.file_path, 0},
                                          {a.file_path, 3},
                                          {a.file_path, 3},
                                          {b.file_path, 0}}),
                   PositionDeletes(hand, {{a.file_path, 9}, {"/elsewhere/x.parquet", 1}})});
  Table t = OpenTable(dir_.Join("t"));
  const ScanResult r = ScanIds(NewScan(t));
  EXPECT_EQ(r.ids, Ids({{0, 10}, {100, 110}}, {0, 3, 9, 100, 109}));
  EXPECT_EQ(r.metrics.delete_files, 2);
  EXPECT_EQ(r.metrics.rows_deleted, 5);
  ScanMetrics count;
  EXPECT_EQ(NewScan(t).Count(&count), 15);
  EXPECT_EQ(count.files_counted_from_metadata, 2);  // record counts less deleted positions
  EXPECT_EQ(count.bytes_read, 0);
  EXPECT_EQ(count.rows_deleted, 5);
  EXPECT_EQ(NewScan(t).Filter("id < 5").Count(), 3);
  EXPECT_EQ(ScanIds(NewScan(t).Filter("id >= 3 and id < 102")).ids, Ids({{4, 9}, {101, 102}}));
  // The table API reads through the same path.
  EXPECT_EQ(t.ScanAll().size(), 15u);
}

TEST_F(RowDeleteTest, PositionDeletesFollowSequenceNumbers) {
  testing::HandTable hand(dir_.Join("t"), TSchema());
  const DataFile a = Rows(hand, 0, 10, 1);
  // A delete file committed with the data (same sequence number) applies.
  hand.Commit({a}, {PositionDeletes(hand, {{a.file_path, 1}})});
  // One committed before the data file it names (a lower sequence number)
  // does not.
  const DataFile later = Rows(hand, 50, 5, 1);
  hand.Commit({}, {PositionDeletes(hand, {{later.file_path, 0}, {a.file_path, 2}})});
  hand.Commit({later});
  Table t = OpenTable(dir_.Join("t"));
  EXPECT_EQ(ScanIds(NewScan(t)).ids, Ids({{0, 10}, {50, 55}}, {1, 2}));
}

TEST_F(RowDeleteTest, PositionDeletesStayInTheirPartition) {
  const PartitionSpec spec = PartitionSpec::Parse("k", TSchema());
  testing::HandTable hand(dir_.Join("t"), TSchema(), spec);
  const DataFile a = Rows(hand, 0, 5, 1, {Value(1)});
  const DataFile b = Rows(hand, 10, 5, 2, {Value(2)});
  hand.Commit({a, b});
  // Filed under partition k=2, the delete of a's row does not apply to a.
  hand.Commit({}, {PositionDeletes(hand, {{a.file_path, 0}, {b.file_path, 0}}, {Value(2)})});
  Table t = OpenTable(dir_.Join("t"));
  EXPECT_EQ(ScanIds(NewScan(t)).ids, Ids({{0, 5}, {11, 15}}));
  // A filter ruling out k=2 prunes the delete manifest with the data.
  const ScanResult r = ScanIds(NewScan(t).Filter("k = 1"));
  EXPECT_EQ(r.ids, Ids({{0, 5}}));
  EXPECT_EQ(r.metrics.delete_files, 0);
}

TEST_F(RowDeleteTest, WhollyDeletedRowGroupsAreSkipped) {
  testing::HandTable hand(dir_.Join("t"), TSchema());
  const DataFile a = Rows(hand, 0, 3000, 1, {}, 4096);  // several small row groups
  hand.Commit({a});
  Table t = OpenTable(dir_.Join("t"));
  const ScanResult before = ScanIds(NewScan(t));
  ASSERT_GT(before.metrics.row_groups_considered, 2);
  std::vector<std::pair<std::string, int64_t>> rows;
  for (int64_t p = 0; p < 3000; ++p) {
    if (p < 2000 || p % 7 == 0) rows.emplace_back(a.file_path, p);
  }
  hand.Commit({}, {PositionDeletes(hand, rows)});
  t.Refresh();
  std::vector<int64_t> want;
  for (int64_t p = 2000; p < 3000; ++p) {
    if (p % 7 != 0) want.push_back(p);
  }
  const ScanResult r = ScanIds(NewScan(t).BatchSize(100));
  EXPECT_EQ(r.ids, want);
  EXPECT_GT(r.metrics.row_groups_pruned, 0);
  EXPECT_EQ(r.metrics.rows_deleted, 3000 - static_cast<int64_t>(want.size()));
  EXPECT_EQ(NewScan(t).Count(), static_cast<int64_t>(want.size()));
  // Positions stay right when a filter prunes row groups first.
  std::vector<int64_t> high;
  for (int64_t p : want) {
    if (p >= 2500) high.push_back(p);
  }
  EXPECT_EQ(ScanIds(NewScan(t).Filter("id >= 2500").BatchSize(64)).ids, high);
}

TEST_F(RowDeleteTest, EqualityDeletesApplyOnlyToOlderDataFiles) {
  testing::HandTable hand(dir_.Join("t"), TSchema());
  hand.Commit({Rows(hand, 0, 10, 1)});                            // seq 1
  hand.Commit({Rows(hand, 5, 3, 2)}, {IdDeletes(hand, {1, 5})});  // seq 2: same-seq data keeps 5
  hand.Commit({Rows(hand, 1, 1, 3)});  // seq 3: a new row with id 1 stays
  Table t = OpenTable(dir_.Join("t"));
  const ScanResult r = ScanIds(NewScan(t));
  EXPECT_EQ(r.ids, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 6, 7, 7, 8, 9}));
  EXPECT_EQ(r.metrics.rows_deleted, 2);
  ScanMetrics count;
  EXPECT_EQ(NewScan(t).Count(&count), 12);
  EXPECT_EQ(count.files_counted_from_metadata, 2);  // the files as new as the deletes or newer
  EXPECT_EQ(count.rows_deleted, 2);
  // Deletes apply to columns the scan does not return.
  std::unique_ptr<ScanReader> reader = NewScan(t).Select({"v"}).Filter("k = 1").Open();
  std::vector<std::string> vs;
  RecordBatch batch;
  while (reader->Next(&batch)) {
    ASSERT_EQ(batch.columns.size(), 1u);
    for (size_t i = 0; i < batch.num_rows(); ++i) vs.push_back(batch.columns[0].Get(i).as_bytes());
  }
  std::sort(vs.begin(), vs.end());
  EXPECT_EQ(vs, (std::vector<std::string>{"v0", "v2", "v3", "v4", "v6", "v7", "v8", "v9"}));
}

TEST_F(RowDeleteTest, EqualityDeletesMatchEveryColumnAndNullMatchesNull) {
  testing::HandTable hand(dir_.Join("t"), TSchema());
  ColumnVector ids(DataType::Long()), ks(DataType::Int()), vs(DataType::String());
  for (int64_t i = 0; i < 6; ++i) {
    ids.Append(Value(i));
    ks.Append(i % 2 == 0 ? Value() : Value(int32_t{7}));
    vs.Append(Value("x"));
  }
  hand.Commit({hand.WriteDataFile(TSchema(), {ids, ks, vs})});
  // Two-column deletes: (id 0, k null) and (id 1, k null): only row 0
  // matches both columns. The k column is written as int and id as int (a
  // narrower type the table reads as long).
  const Schema del_schema(
      0, {Field{1, "id", DataType::Int(), true}, Field{2, "k", DataType::Int(), false}});
  ColumnVector did(DataType::Int()), dk(DataType::Int());
  did.Append(Value(int32_t{0}));
  dk.AppendNull();
  did.Append(Value(int32_t{1}));
  dk.AppendNull();
  did.Append(Value(int32_t{3}));
  dk.Append(Value(int32_t{7}));
  hand.Commit({}, {EqualityDeletes(hand, del_schema, {did, dk})});
  Table t = OpenTable(dir_.Join("t"));
  EXPECT_EQ(ScanIds(NewScan(t)).ids, (std::vector<int64_t>{1, 2, 4, 5}));
}

TEST_F(RowDeleteTest, EqualityDeletesAreScopedByPartitionUnlessGlobal) {
  // Spec 0 is unpartitioned; data is written under spec 1 = identity(k).
  testing::HandTable hand(dir_.Join("t"), TSchema());
  hand.EvolveSpec(PartitionSpec::Parse("k", TSchema(), 1));
  hand.Commit({Rows(hand, 0, 5, 1, {Value(1)}), Rows(hand, 0, 5, 2, {Value(2)})});
  // In partition k=1 only: deletes id 0 there, not in k=2.
  hand.Commit({}, {IdDeletes(hand, {0}, {Value(1)})});
  // Global (unpartitioned spec 0): deletes id 4 everywhere.
  hand.Commit({}, {IdDeletes(hand, {4})}, 0);
  Table t = OpenTable(dir_.Join("t"));
  EXPECT_EQ(ScanIds(NewScan(t)).ids, (std::vector<int64_t>{0, 1, 1, 2, 2, 3, 3}));
  EXPECT_EQ(ScanIds(NewScan(t).Filter("k = 2")).ids, (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(NewScan(t).Filter("k = 1").Count(), 3);
}

TEST_F(RowDeleteTest, UnreadableDeleteFilesAreRefusedByName) {
  testing::HandTable hand(dir_.Join("t"), TSchema());
  const DataFile a = Rows(hand, 0, 3, 1);
  hand.Commit({a});
  DataFile orc = PositionDeletes(hand, {{a.file_path, 0}});
  orc.file_format = "ORC";
  hand.Commit({}, {orc});
  Table t = OpenTable(dir_.Join("t"));
  try {
    ScanIds(NewScan(t));
    ADD_FAILURE() << "a scan returned rows without applying an ORC delete file";
  } catch (const NotSupported& e) {
    EXPECT_NE(std::string(e.what()).find(orc.file_path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("ORC"), std::string::npos) << e.what();
  }
  // A "position delete file" without the pos column is corrupt, and named.
  testing::HandTable other(dir_.Join("u"), TSchema());
  const DataFile b = Rows(other, 0, 3, 1);
  other.Commit({b});
  DataFile bad = Rows(other, 0, 1, 1);
  bad.content = FileContent::kPositionDeletes;
  other.Commit({}, {bad});
  try {
    ScanIds(NewScan(OpenTable(dir_.Join("u"))));
    ADD_FAILURE() << "a malformed position delete file was ignored";
  } catch (const Corruption& e) {
    EXPECT_NE(std::string(e.what()).find(bad.file_path), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace datashard
