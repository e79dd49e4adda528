// Scans of tables whose data files carry no Parquet field ids, as files
// added by migration from other engines do: columns are found through the
// table's schema.name-mapping.default (any of a field's names, whatever the
// column is called now); without a mapping such columns read as null (the
// spec's Column Projection rules), identity partition values still apply;
// equality and position delete files without ids; a bad mapping is refused
// by name.
#include <algorithm>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "datashard/errors.h"
#include "datashard/scan.h"
#include "datashard/table.h"
#include "io/temp_dir.h"
#include "scan/hand_table.h"

namespace datashard {
namespace {

constexpr char kMapping[] = R"([
  {"field-id": 1, "names": ["id", "key"]},
  {"field-id": 2, "names": ["name", "label"]},
  {"field-id": 3, "names": ["amount"]},
  {"field-id": 4, "names": []}])";

Schema S0() {
  return Schema(0, {Field{1, "id", DataType::Long(), true}, Field{2, "name", DataType::String()},
                    Field{3, "amount", DataType::Double()}});
}

// Renamed (name -> label, id -> ident), reordered, one column added.
Schema S1() {
  return Schema(1,
                {Field{3, "amount", DataType::Double()}, Field{2, "label", DataType::String()},
                 Field{1, "ident", DataType::Long(), true}, Field{4, "note", DataType::String()}});
}

// Writes `columns` of `file_schema` without Parquet field ids (as an engine
// unaware of Iceberg does) and describes the file with row counts only.
DataFile WriteWithoutIds(testing::HandTable& hand, const Schema& file_schema,
                         const std::vector<ColumnVector>& columns,
                         std::vector<Value> partition = {}, int64_t row_group_bytes = 128 << 20) {
  return hand.WriteDataFile(file_schema, columns, std::move(partition), row_group_bytes,
                            /*metrics=*/false, /*field_ids=*/false);
}

std::string Text(const Value& v) {
  if (v.is_null()) return "null";
  if (std::holds_alternative<int64_t>(v.storage())) return std::to_string(v.as_long());
  if (std::holds_alternative<int32_t>(v.storage())) return std::to_string(v.as_int());
  if (std::holds_alternative<double>(v.storage())) return std::to_string(v.as_double());
  return "'" + v.as_bytes() + "'";
}

// The scan's rows as "a|b|c" texts in column order, sorted.
std::vector<std::string> Rows(TableScan scan, ScanMetrics* metrics = nullptr) {
  std::unique_ptr<ScanReader> reader = scan.Open();
  std::vector<std::string> rows;
  RecordBatch batch;
  while (reader->Next(&batch)) {
    for (size_t i = 0; i < batch.num_rows(); ++i) {
      std::string row;
      for (const ColumnVector& c : batch.columns) row += (row.empty() ? "" : "|") + Text(c.Get(i));
      rows.push_back(row);
    }
  }
  std::sort(rows.begin(), rows.end());
  if (metrics != nullptr) *metrics = reader->metrics();
  return rows;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// Columns id (long), name (string), amount (double) for ids [first, end).
std::vector<ColumnVector> S0Columns(int64_t first, int64_t end) {
  ColumnVector ids(DataType::Long()), names(DataType::String()), amounts(DataType::Double());
  for (int64_t i = first; i < end; ++i) {
    ids.Append(Value(i));
    names.Append(Value("n" + std::to_string(i)));
    amounts.Append(Value(static_cast<double>(i) * 1.5));
  }
  return {ids, names, amounts};
}

class NameMappingScanTest : public ::testing::Test {
 protected:
  TempDir dir_{"name-mapping-test"};
};

TEST_F(NameMappingScanTest, FilesWithoutIdsAreReadThroughTheMappingAfterARename) {
  testing::HandTable hand(dir_.Join("t"), S0(), {}, {{"schema.name-mapping.default", kMapping}});
  // Physical order differs from the table's: columns are found by name.
  const Schema reordered(
      0, {Field{3, "amount", DataType::Double()}, Field{1, "id", DataType::Long(), true},
          Field{2, "name", DataType::String()}});
  std::vector<ColumnVector> c = S0Columns(0, 3);
  hand.Commit({WriteWithoutIds(hand, reordered, {c[2], c[0], c[1]})});
  Table t = OpenTable(dir_.Join("t"));
  EXPECT_EQ(Rows(NewScan(t)),
            (std::vector<std::string>{"0|'n0'|0.000000", "1|'n1'|1.500000", "2|'n2'|3.000000"}));

  hand.EvolveSchema(S1());
  // After the rename: a file whose columns carry other names of the
  // mapping (key for id 1, label for id 2) and no column for id 3; and a
  // file with ids, whose column names no longer matter.
  const Schema other_names(
      0, {Field{1, "key", DataType::Long(), true}, Field{2, "label", DataType::String()},
          Field{9, "unmapped", DataType::Double()}});
  c = S0Columns(10, 12);
  const DataFile b = WriteWithoutIds(hand, other_names, c);
  const Schema stale_names(
      0, {Field{1, "zz", DataType::Long(), true}, Field{2, "name", DataType::String()},
          Field{4, "amount", DataType::String()}});
  ColumnVector notes(DataType::String());
  notes.Append(Value("x"));
  notes.Append(Value("y"));
  const std::vector<ColumnVector> d = S0Columns(20, 22);
  const DataFile with_ids = hand.WriteDataFile(stale_names, {d[0], d[1], notes});
  hand.Commit({b, with_ids});
  t.Refresh();
  EXPECT_EQ(Rows(NewScan(t)),
            Sorted({"0.000000|'n0'|0|null", "1.500000|'n1'|1|null", "3.000000|'n2'|2|null",
                    "null|'n10'|10|null", "null|'n11'|11|null", "null|'n20'|20|'x'",
                    "null|'n21'|21|'y'"}));
  // Filters and projections use the mapped columns, statistics included.
  EXPECT_EQ(Rows(NewScan(t).Select({"label"}).Filter("ident >= 1 and ident < 11")),
            Sorted({"'n1'", "'n2'", "'n10'"}));
  EXPECT_EQ(Rows(NewScan(t).Select({"ident"}).Filter("label = 'n11' or amount = 3.0")),
            Sorted({"2", "11"}));
  EXPECT_EQ(NewScan(t).Filter("note is null").Count(), 5);
}

TEST_F(NameMappingScanTest, MappedColumnStatisticsPruneRowGroups) {
  testing::HandTable hand(dir_.Join("t"), S0(), {}, {{"schema.name-mapping.default", kMapping}});
  hand.Commit({WriteWithoutIds(hand, S0(), S0Columns(0, 4000), {}, 8192)});
  Table t = OpenTable(dir_.Join("t"));
  ScanMetrics m;
  EXPECT_EQ(Rows(NewScan(t).Select({"id"}).Filter("id >= 3998"), &m), Sorted({"3998", "3999"}));
  EXPECT_GT(m.row_groups_considered, 2);
  EXPECT_EQ(m.row_groups_pruned, m.row_groups_considered - 1);
}

TEST_F(NameMappingScanTest, WithoutAMappingColumnsOfFilesWithoutIdsReadAsNull) {
  // Spec "Column Projection": a field id not present in the file takes its
  // identity partition value, else (no initial-default in v2) null.
  const Schema schema(0, {Field{1, "id", DataType::Long()}, Field{2, "k", DataType::Int()},
                          Field{3, "v", DataType::String()}});
  testing::HandTable hand(dir_.Join("t"), schema, PartitionSpec::Parse("k", schema));
  ColumnVector ids(DataType::Long()), ks(DataType::Int()), vs(DataType::String());
  for (int64_t i = 0; i < 3; ++i) {
    ids.Append(Value(i));
    ks.Append(Value(int32_t{7}));
    vs.Append(Value("v" + std::to_string(i)));
  }
  const DataFile no_ids = WriteWithoutIds(hand, schema, {ids, ks, vs}, {Value(int32_t{7})});
  const DataFile with_ids = hand.WriteDataFile(schema, {ids, ks, vs}, {Value(int32_t{7})});
  hand.Commit({no_ids, with_ids});
  Table t = OpenTable(dir_.Join("t"));
  EXPECT_EQ(Rows(NewScan(t)), Sorted({"null|7|null", "null|7|null", "null|7|null", "0|7|'v0'",
                                      "1|7|'v1'", "2|7|'v2'"}));
  EXPECT_EQ(NewScan(t).Filter("v is null").Count(), 3);
  EXPECT_EQ(NewScan(t).Filter("k = 7").Count(), 6);
}

TEST_F(NameMappingScanTest, DeleteFilesApplyToFilesWithoutIds) {
  testing::HandTable hand(dir_.Join("t"), S0(), {}, {{"schema.name-mapping.default", kMapping}});
  const Schema keyed(0,
                     {Field{1, "key", DataType::Long(), true}, Field{2, "name", DataType::String()},
                      Field{3, "amount", DataType::Double()}});
  const DataFile data = WriteWithoutIds(hand, keyed, S0Columns(0, 10));
  hand.Commit({data});
  hand.EvolveSchema(S1());
  // Equality deletes on field 1 written with ids (by a later writer that
  // names it "ident") and without ids (named "key", found by the mapping),
  // on field 2 by its old name, and a position delete file without ids
  // (its reserved column names).
  ColumnVector by_id(DataType::Long()), by_key(DataType::Long()), by_name(DataType::String());
  by_id.Append(Value(int64_t{2}));
  by_id.Append(Value(int64_t{5}));
  by_key.Append(Value(int64_t{7}));
  by_name.Append(Value("n9"));
  DataFile e1 = hand.WriteDataFile(Schema(0, {Field{1, "ident", DataType::Long(), true}}), {by_id});
  DataFile e2 =
      WriteWithoutIds(hand, Schema(0, {Field{1, "key", DataType::Long(), true}}), {by_key});
  DataFile e3 = WriteWithoutIds(hand, Schema(0, {Field{2, "name", DataType::String()}}), {by_name});
  for (DataFile* e : {&e1, &e2, &e3}) e->content = FileContent::kEqualityDeletes;
  e1.equality_ids = e2.equality_ids = {1};
  e3.equality_ids = {2};
  ColumnVector paths(DataType::String()), positions(DataType::Long());
  paths.Append(Value(data.file_path));
  positions.Append(Value(int64_t{0}));
  DataFile p = WriteWithoutIds(hand,
                               Schema(0, {Field{2147483546, "file_path", DataType::String(), true},
                                          Field{2147483545, "pos", DataType::Long(), true}}),
                               {paths, positions});
  p.content = FileContent::kPositionDeletes;
  hand.Commit({}, {e1, e2, e3, p});
  Table t = OpenTable(dir_.Join("t"));
  ScanMetrics m;
  EXPECT_EQ(Rows(NewScan(t).Select({"ident"}), &m), Sorted({"1", "3", "4", "6", "8"}));
  EXPECT_EQ(m.rows_deleted, 5);
  EXPECT_EQ(NewScan(t).Count(), 5);
  EXPECT_EQ(NewScan(t).Filter("ident > 3").Count(), 3);
}

TEST_F(NameMappingScanTest, AnEqualityDeleteColumnTheMappingDoesNotFindIsRefused) {
  testing::HandTable hand(dir_.Join("t"), S0(), {}, {{"schema.name-mapping.default", kMapping}});
  hand.Commit({WriteWithoutIds(hand, S0(), S0Columns(0, 3))});
  ColumnVector ids(DataType::Long());
  ids.Append(Value(int64_t{1}));
  DataFile e = WriteWithoutIds(hand, Schema(0, {Field{1, "ident", DataType::Long(), true}}), {ids});
  e.content = FileContent::kEqualityDeletes;
  e.equality_ids = {1};
  hand.Commit({}, {e});
  Table t = OpenTable(dir_.Join("t"));
  try {
    Rows(NewScan(t));
    FAIL() << "no error";
  } catch (const Corruption& err) {
    EXPECT_EQ(std::string(err.what()), "equality delete file " + e.file_path +
                                           " lacks column 'id' (field id 1) named in its "
                                           "equality_ids");
  }
}

TEST_F(NameMappingScanTest, AMappedColumnOfAnotherTypeIsRefusedNamingBothNames) {
  testing::HandTable hand(dir_.Join("t"), S0(), {}, {{"schema.name-mapping.default", kMapping}});
  hand.EvolveSchema(S1());
  std::vector<ColumnVector> c = S0Columns(0, 2);
  ColumnVector names(DataType::Long());  // field 2 is a string
  names.Append(Value(int64_t{1}));
  names.Append(Value(int64_t{2}));
  const DataFile f = WriteWithoutIds(
      hand, Schema(0, {Field{1, "id", DataType::Long(), true}, Field{2, "name", DataType::Long()}}),
      {c[0], names});
  hand.Commit({f});
  Table t = OpenTable(dir_.Join("t"));
  try {
    Rows(NewScan(t));
    FAIL() << "no error";
  } catch (const Corruption& err) {
    EXPECT_EQ(std::string(err.what()), "data file " + f.file_path +
                                           " stores column 'label' (file column 'name') as long "
                                           "but the table type is string");
  }
}

TEST_F(NameMappingScanTest, ABadMappingIsRefusedByName) {
  testing::HandTable hand(dir_.Join("t"), S0(), {},
                          {{"schema.name-mapping.default", R"([{"field-id": 1}])"}});
  hand.Commit({WriteWithoutIds(hand, S0(), S0Columns(0, 3))});
  Table t = OpenTable(dir_.Join("t"));
  try {
    Rows(NewScan(t));
    FAIL() << "no error";
  } catch (const Corruption& err) {
    EXPECT_EQ(std::string(err.what()),
              "table property schema.name-mapping.default, entry [0]: has no 'names' list");
  }
}

}  // namespace
}  // namespace datashard
