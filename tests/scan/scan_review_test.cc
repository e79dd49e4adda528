// Regression tests for the scan defects of issue 13, one per item: NaN-only
// partition summaries, deletes after a partition source promotion, decimal
// precision widening, Parquet statistics that cannot be trusted, time travel
// with the snapshot's own schema, and the delete index's per-file lookup.
// Tables are built by hand (tests/scan/hand_table.h) where datashard cannot
// write the case itself.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "datashard/errors.h"
#include "datashard/scan.h"
#include "datashard/table.h"
#include "format/parquet/bit_util.h"
#include "format/parquet/parquet_thrift.h"
#include "io/temp_dir.h"
#include "scan/delete_index.h"
#include "scan/hand_table.h"

namespace datashard {
namespace {

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

std::vector<int64_t> Range(int64_t first, int64_t end, std::vector<int64_t> minus = {}) {
  std::vector<int64_t> out;
  for (int64_t i = first; i < end; ++i) {
    if (std::find(minus.begin(), minus.end(), i) == minus.end()) out.push_back(i);
  }
  return out;
}

std::vector<int64_t> Concat(std::vector<int64_t> a, const std::vector<int64_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  std::sort(a.begin(), a.end());
  return a;
}

class ScanReviewTest : public ::testing::Test {
 protected:
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

  TempDir dir_{"scan-review-test"};
};

// Item 1: a manifest whose only non-null partition values are NaN has
// contains_nan = true and no bounds; it is not "all null", for data and for
// delete manifests alike.
TEST_F(ScanReviewTest, Item1NanOnlyPartitionSummariesAreNotAllNull) {
  const Schema schema(
      1, {Field{1, "id", DataType::Long(), true}, Field{2, "x", DataType::Double(), false}});
  const PartitionSpec spec = PartitionSpec::Parse("x", schema);
  testing::HandTable hand(dir_.Join("t"), schema, spec);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto rows = [&](int64_t first, int n, double x) {
    ColumnVector ids(DataType::Long()), xs(DataType::Double());
    for (int64_t i = first; i < first + n; ++i) {
      ids.Append(Value(i));
      xs.Append(Value(x));
    }
    return hand.WriteDataFile(schema, {ids, xs}, {Value(x)});
  };
  // Snapshot 1: x = NaN (ids 0..4) and x = 1 (ids 10..14) in one manifest.
  const DataFile nan_file = rows(0, 5, nan);
  hand.Commit({nan_file, rows(10, 5, 1.0)});
  // Snapshot 2: a manifest of NaN rows only (ids 20..22).
  hand.Commit({rows(20, 3, nan)});
  // Snapshot 3: a delete manifest of the NaN partition only: deletes id 0.
  hand.Commit({}, {PositionDeletes(hand, {{nan_file.file_path, 0}}, {Value(nan)})});

  Table t = OpenTable(dir_.Join("t"));
  const std::vector<int64_t> nans = Concat(Range(1, 5), Range(20, 23));
  const std::vector<int64_t> all = Concat(nans, Range(10, 15));
  EXPECT_EQ(ScanIds(NewScan(t)).ids, all);
  EXPECT_EQ(ScanIds(NewScan(t).Filter("x is not null")).ids, all);
  EXPECT_EQ(ScanIds(NewScan(t).Filter("x != 1")).ids, nans);
  EXPECT_EQ(ScanIds(NewScan(t).Filter("x > 2")).ids, nans);
  EXPECT_EQ(ScanIds(NewScan(t).Filter("x = 'NaN'")).ids, nans);
  EXPECT_EQ(ScanIds(NewScan(t).Filter("x is null")).ids, std::vector<int64_t>{});
  EXPECT_EQ(NewScan(t).Filter("x is not null").Count(), 12);
  EXPECT_EQ(NewScan(t).Filter("x > 2").Count(), 7);
  // The deleted row stays deleted whatever the filter.
  const ScanResult r = ScanIds(NewScan(t).Filter("x != 1"));
  EXPECT_EQ(r.metrics.delete_files, 1);
  EXPECT_EQ(r.metrics.rows_deleted, 1);
}

// Item 2: partition values of manifests written before a partition source
// was promoted (int -> long, float -> double) keep their narrower storage;
// position and equality deletes committed after the promotion still apply
// to the older data files of the same partition.
TEST_F(ScanReviewTest, Item2DeletesApplyAfterPartitionSourcePromotion) {
  const Schema before(
      1, {Field{1, "id", DataType::Long(), true}, Field{2, "p", DataType::Int(), false},
          Field{3, "f", DataType::Float(), false}});
  const Schema after(
      2, {Field{1, "id", DataType::Long(), true}, Field{2, "p", DataType::Long(), false},
          Field{3, "f", DataType::Double(), false}});
  const PartitionSpec spec = PartitionSpec::Parse("p, f", before);
  testing::HandTable hand(dir_.Join("t"), before, spec);
  auto rows = [&](int64_t first, int n, int32_t p, float f) {
    ColumnVector ids(DataType::Long()), ps(DataType::Int()), fs(DataType::Float());
    for (int64_t i = first; i < first + n; ++i) {
      ids.Append(Value(i));
      ps.Append(Value(p));
      fs.Append(Value(f));
    }
    return hand.WriteDataFile(before, {ids, ps, fs}, {Value(p), Value(f)});
  };
  const DataFile a = rows(0, 5, 1, 0.5f);
  const DataFile b = rows(10, 5, 2, 0.25f);
  hand.Commit({a, b});
  hand.EvolveSchema(after);
  // After the promotion: a position delete (id 0) and an equality delete
  // (id 3) of partition (p=1, f=0.5), written with long and double values.
  const std::vector<Value> promoted = {Value(int64_t{1}), Value(0.5)};
  DataFile eq;
  {
    ColumnVector ids(DataType::Long());
    ids.Append(Value(int64_t{3}));
    eq = hand.WriteDataFile(Schema(0, {Field{1, "id", DataType::Long(), true}}), {ids}, promoted);
    eq.content = FileContent::kEqualityDeletes;
    eq.equality_ids = {1};
  }
  hand.Commit({}, {PositionDeletes(hand, {{a.file_path, 0}}, promoted), eq});

  Table t = OpenTable(dir_.Join("t"));
  const std::vector<int64_t> want = Concat(Range(0, 5, {0, 3}), Range(10, 15));
  const ScanResult r = ScanIds(NewScan(t));
  EXPECT_EQ(r.ids, want);
  EXPECT_EQ(r.metrics.rows_deleted, 2);
  EXPECT_EQ(NewScan(t).Count(), 8);
  EXPECT_EQ(ScanIds(NewScan(t).Filter("p = 1")).ids, Range(0, 5, {0, 3}));
  EXPECT_EQ(NewScan(t).Filter("p = 1").Count(), 3);
}

// Item 3: decimal(9,2) widened to decimal(18,2), a legal Iceberg promotion:
// older files (INT32 decimals) read as the wider type, filters and bounds
// included, beside files written after the change (INT64 decimals).
TEST_F(ScanReviewTest, Item3DecimalPrecisionWideningReads) {
  const Schema narrow(
      1, {Field{1, "id", DataType::Long(), true}, Field{2, "d", DataType::Decimal(9, 2), false}});
  const Schema wide(
      2, {Field{1, "id", DataType::Long(), true}, Field{2, "d", DataType::Decimal(18, 2), false}});
  testing::HandTable hand(dir_.Join("t"), narrow);
  auto rows = [&](const Schema& schema, int64_t first, std::vector<Int128> ds) {
    ColumnVector ids(DataType::Long()), dv(schema.fields()[1].type);
    for (size_t i = 0; i < ds.size(); ++i) {
      ids.Append(Value(first + static_cast<int64_t>(i)));
      dv.Append(Value::Decimal(ds[i]));
    }
    return hand.WriteDataFile(schema, {ids, dv});
  };
  hand.Commit({rows(narrow, 0, {-12345, 0, 150, 99999999})});  // -123.45 .. 999999.99
  hand.EvolveSchema(wide);
  hand.Commit({rows(wide, 10, {Int128{100000000000000}, 100})});  // 1e12, 1.00

  Table t = OpenTable(dir_.Join("t"));
  std::unique_ptr<ScanReader> reader = NewScan(t).Ordered(true).Open();
  std::vector<std::string> got;
  RecordBatch batch;
  while (reader->Next(&batch)) {
    ASSERT_EQ(batch.schema.fields()[1].type, DataType::Decimal(18, 2));
    ASSERT_EQ(batch.columns[1].type(), DataType::Decimal(18, 2));
    for (size_t i = 0; i < batch.num_rows(); ++i) {
      got.push_back(std::to_string(batch.columns[0].Get(i).as_long()) + "=" +
                    std::to_string(static_cast<int64_t>(batch.columns[1].Get(i).as_decimal())));
    }
  }
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"0=-12345", "10=100000000000000", "11=100", "1=0",
                                           "2=150", "3=99999999"}));
  EXPECT_EQ(ScanIds(NewScan(t).Filter("d > 1.00")).ids, (std::vector<int64_t>{2, 3, 10}));
  EXPECT_EQ(ScanIds(NewScan(t).Filter("d < 0")).ids, (std::vector<int64_t>{0}));
  EXPECT_EQ(NewScan(t).Filter("d >= 1.00").Count(), 4);
  EXPECT_EQ(NewScan(t).Count(), 6);
}

// Item 4: a data file written by pyarrow before 4.0 (parquet-cpp) with
// negative decimals on FIXED_LEN_BYTE_ARRAY carries min/max ordered as
// unsigned bytes (PARQUET-1655); its row group must not be pruned by them.
TEST_F(ScanReviewTest, Item4OldWriterDecimalStatisticsDoNotPrune) {
  const Schema schema(
      1, {Field{1, "id", DataType::Long(), true}, Field{2, "d", DataType::Decimal(20, 2), false}});
  testing::HandTable hand(dir_.Join("t"), schema);
  ColumnVector ids(DataType::Long()), ds(DataType::Decimal(20, 2));
  ids.Append(Value(int64_t{0}));
  ds.Append(Value::Decimal(-500));  // -5.00
  ids.Append(Value(int64_t{1}));
  ds.Append(Value::Decimal(100));  // 1.00
  DataFile f = hand.WriteDataFile(schema, {ids, ds}, {}, 128 << 20, /*metrics=*/false);
  // Rewrite the footer as parquet-cpp 3.0 wrote it: its created_by, and the
  // decimal's min/max in unsigned byte order (1.00 "below" -5.00).
  std::string bytes;
  {
    std::unique_ptr<RandomAccessFile> in = hand.io().OpenRead(f.file_path);
    bytes.resize(in->Size());
    in->ReadAt(0, bytes.size(), bytes.data());
  }
  const uint32_t len =
      parquet::LoadLE<uint32_t>(reinterpret_cast<const uint8_t*>(bytes.data()) + bytes.size() - 8);
  const size_t begin = bytes.size() - 8 - len;
  parquet::CompactReader reader(reinterpret_cast<const uint8_t*>(bytes.data()) + begin, len,
                                "footer", begin);
  parquet::FileMetaData meta = parquet::ParseFileMetaData(&reader);
  meta.created_by = "parquet-cpp-arrow version 3.0.0";
  parquet::Statistics& st = *meta.row_groups[0].columns[1].meta_data->statistics;
  std::swap(st.min_value, st.max_value);
  std::string out = bytes.substr(0, begin);
  std::string footer;
  parquet::SerializeFileMetaData(meta, &footer);
  out += footer;
  parquet::AppendLE<uint32_t>(static_cast<uint32_t>(footer.size()), &out);
  out += "PAR1";
  hand.io().Delete(f.file_path);
  {
    std::unique_ptr<WritableFile> w = hand.io().Create(f.file_path);
    w->Append(out.data(), out.size());
    w->Sync();
    w->Close();
  }
  f.file_size_in_bytes = static_cast<int64_t>(out.size());
  hand.Commit({f});

  Table t = OpenTable(dir_.Join("t"));
  EXPECT_EQ(ScanIds(NewScan(t).Filter("d < 0")).ids, (std::vector<int64_t>{0}));
  EXPECT_EQ(ScanIds(NewScan(t).Filter("d > 0")).ids, (std::vector<int64_t>{1}));
  EXPECT_EQ(NewScan(t).Filter("d < 0").Count(), 1);
  EXPECT_EQ(ScanIds(NewScan(t).Filter("d < -10")).ids, std::vector<int64_t>{});
}

// Item 5: time travel reads a snapshot with the schema it was committed
// with (Java, Trino): a column dropped and re-added under the same name is
// the old column in old snapshots, by name in projections and filters.
TEST_F(ScanReviewTest, Item5TimeTravelUsesTheSnapshotSchema) {
  const Schema s1(
      1, {Field{1, "id", DataType::Long(), true}, Field{2, "name", DataType::String(), false}});
  const Schema s2(2, {Field{1, "id", DataType::Long(), true}});
  const Schema s3(
      3, {Field{1, "id", DataType::Long(), true}, Field{3, "name", DataType::Long(), false}});
  testing::HandTable hand(dir_.Join("t"), s1);
  ColumnVector ids(DataType::Long()), names(DataType::String());
  for (int64_t i = 0; i < 3; ++i) {
    ids.Append(Value(i));
    names.Append(Value("n" + std::to_string(i)));
  }
  const int64_t first = hand.Commit({hand.WriteDataFile(s1, {ids, names})});
  const int64_t first_ms = hand.metadata().SnapshotById(first)->timestamp_ms;
  hand.EvolveSchema(s2);
  hand.EvolveSchema(s3);
  ColumnVector ids3(DataType::Long()), names3(DataType::Long());
  ids3.Append(Value(int64_t{10}));
  names3.Append(Value(int64_t{1}));
  hand.Commit({hand.WriteDataFile(s3, {ids3, names3})});

  Table t = OpenTable(dir_.Join("t"));
  auto rows = [](TableScan scan, Schema* schema) {
    std::unique_ptr<ScanReader> reader = scan.Ordered(true).Open();
    *schema = reader->schema();
    std::vector<std::string> out;
    RecordBatch batch;
    while (reader->Next(&batch)) {
      for (size_t i = 0; i < batch.num_rows(); ++i) {
        std::string row;
        for (const ColumnVector& c : batch.columns) {
          const Value v = c.Get(i);
          row += (row.empty() ? "" : ",") + (v.is_null() ? std::string("null")
                                             : std::holds_alternative<std::string>(v.storage())
                                                 ? v.as_bytes()
                                                 : std::to_string(v.as_long()));
        }
        out.push_back(row);
      }
    }
    return out;
  };
  Schema schema;
  // The old snapshot, by id and by time: field 2, a string.
  EXPECT_EQ(rows(NewScan(t).UseSnapshot(first), &schema),
            (std::vector<std::string>{"0,n0", "1,n1", "2,n2"}));
  EXPECT_EQ(schema.schema_id(), 1);
  ASSERT_EQ(schema.fields().size(), 2u);
  EXPECT_EQ(schema.fields()[1].id, 2);
  EXPECT_EQ(schema.fields()[1].type, DataType::String());
  EXPECT_EQ(rows(NewScan(t).AsOf(first_ms), &schema),
            (std::vector<std::string>{"0,n0", "1,n1", "2,n2"}));
  EXPECT_EQ(rows(NewScan(t).UseSnapshot(first).Filter("name = 'n1'").Select({"name"}), &schema),
            (std::vector<std::string>{"n1"}));
  EXPECT_EQ(NewScan(t).UseSnapshot(first).Filter("name >= 'n1'").Count(), 2);
  // The current snapshot: field 3, a long, null for the older file.
  EXPECT_EQ(rows(NewScan(t), &schema),
            (std::vector<std::string>{"10,1", "0,null", "1,null", "2,null"}));
  EXPECT_EQ(schema.schema_id(), 3);
  EXPECT_EQ(NewScan(t).Filter("name = 1").Count(), 1);
  // A name the snapshot's schema does not have is refused, naming it.
  try {
    NewScan(t).UseSnapshot(first).Filter("name = 1").Count();
    ADD_FAILURE() << "a long literal bound to the old string column";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("name"), std::string::npos) << e.what();
  }
}

// Item 6: the delete index finds a data file's deletes by its path and
// sequence number instead of testing every delete of the partition: with
// one position delete per data file, matching N files looks at about N
// deletes, not N x N, and the result is the same as testing every one.
TEST_F(ScanReviewTest, Item6DeleteIndexLooksUpByPathAndSequence) {
  const Schema schema(1, {Field{1, "id", DataType::Long(), true}});
  testing::HandTable hand(dir_.Join("t"), schema);
  const TableMetadata& metadata = hand.metadata();
  constexpr int kFiles = 400;
  auto entry = [](FileContent content, const std::string& path, int64_t seq) {
    ManifestEntry e;
    e.status = EntryStatus::kAdded;
    e.sequence_number = seq;
    e.data_file.content = content;
    e.data_file.file_path = path;
    e.data_file.file_format = "PARQUET";
    e.data_file.record_count = 1;
    return e;
  };
  const auto data_path = [](int i) { return "/t/data/f" + std::to_string(1000 + i) + ".parquet"; };
  const int path_id = 2147483546;
  DeleteIndex index(metadata, schema);
  std::vector<ManifestEntry> all_deletes;
  for (int i = 0; i < kFiles; ++i) {
    // Each data file i (sequence i + 1) gets one delete at sequence i + 1
    // (applies) or i (written before it: does not), named by
    // referenced_data_file or by equal path bounds.
    ManifestEntry d = entry(FileContent::kPositionDeletes,
                            "/t/data/d" + std::to_string(i) + ".parquet", i % 3 == 0 ? i : i + 1);
    if (i % 2 == 0) {
      d.data_file.referenced_data_file = data_path(i);
    } else {
      d.data_file.lower_bounds[path_id] = data_path(i);
      d.data_file.upper_bounds[path_id] = data_path(i);
    }
    all_deletes.push_back(d);
  }
  // A position delete spanning files 100..199 by its bounds, and equality
  // deletes at two sequence numbers.
  ManifestEntry span = entry(FileContent::kPositionDeletes, "/t/data/span.parquet", 1000);
  span.data_file.lower_bounds[path_id] = data_path(100);
  span.data_file.upper_bounds[path_id] = data_path(199);
  all_deletes.push_back(span);
  for (int64_t seq : {50, 300}) {
    ManifestEntry eq =
        entry(FileContent::kEqualityDeletes, "/t/data/eq" + std::to_string(seq) + ".parquet", seq);
    eq.data_file.equality_ids = {1};
    all_deletes.push_back(eq);
  }
  for (const ManifestEntry& d : all_deletes) index.Add("/t/metadata/m.avro", d, 0);

  size_t examined = 0;
  size_t applied = 0;
  for (int i = 0; i < kFiles; ++i) {
    const PlannedFile data{entry(FileContent::kData, data_path(i), i + 1), 0};
    const DeleteFileList found = index.ForDataFile(data, &examined);
    std::vector<std::string> got;
    for (const auto& f : found) got.push_back(f->entry.data_file.file_path);
    std::vector<std::string> want;
    if (i % 3 != 0) want.push_back("/t/data/d" + std::to_string(i) + ".parquet");
    if (i >= 100 && i <= 199) want.push_back("/t/data/span.parquet");
    if (i + 1 < 50) want.push_back("/t/data/eq50.parquet");
    if (i + 1 < 300) want.push_back("/t/data/eq300.parquet");
    EXPECT_EQ(got, want) << "data file " << i;
    applied += want.size();
  }
  // Looked at: what applies, plus the spanning delete for every file (its
  // bounds are checked) -- never the other files' deletes.
  EXPECT_LE(examined, applied + kFiles);
}

}  // namespace
}  // namespace datashard
