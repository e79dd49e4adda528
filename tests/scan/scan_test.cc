// Scan API tests on real tables: pruning proven by metrics (manifests, data
// files, row groups), counting from metadata, time travel by id and by
// time, deterministic ordering, errors from worker threads, and the peak
// memory of a scan over a table far larger than a batch (child process).
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "datashard/errors.h"
#include "datashard/scan.h"
#include "datashard/table.h"
#include "format/json/value_json.h"
#include "io/temp_dir.h"
#include "scan/hand_table.h"

namespace datashard {
namespace {

Schema KSchema() {
  return Schema(1, {Field{1, "id", DataType::Long(), true}, Field{2, "k", DataType::Int(), false},
                    Field{3, "v", DataType::String(), false}});
}

std::vector<Record> KRows(int64_t first, int n, int32_t k) {
  std::vector<Record> rows;
  for (int i = 0; i < n; ++i) {
    rows.push_back({Value(first + i), Value(k), Value("v" + std::to_string(first + i))});
  }
  return rows;
}

struct Result {
  std::vector<Record> rows;
  ScanMetrics metrics;
};

Result RunScan(TableScan scan) {
  std::unique_ptr<ScanReader> reader = scan.Open();
  Result r;
  RecordBatch batch;
  while (reader->Next(&batch)) {
    for (size_t i = 0; i < batch.num_rows(); ++i) r.rows.push_back(batch.Row(i));
  }
  r.metrics = reader->metrics();
  return r;
}

std::vector<int64_t> Ids(const std::vector<Record>& rows) {
  std::vector<int64_t> ids;
  for (const Record& r : rows) ids.push_back(r[0].as_long());
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<int64_t> Range(int64_t first, int64_t end) {
  std::vector<int64_t> ids;
  for (int64_t i = first; i < end; ++i) ids.push_back(i);
  return ids;
}

class ScanTest : public ::testing::Test {
 protected:
  TempDir dir_{"scan-test"};
};

TEST_F(ScanTest, IdentityPartitionPrunesAllButOneFile) {
  Table t = CreateTable(dir_.Join("t"), KSchema(), PartitionSpec::Parse("k", KSchema()));
  for (int k = 0; k < 8; ++k) ASSERT_TRUE(t.AppendRecords(KRows(k * 100, 100, k), KSchema()));
  const Result r = RunScan(NewScan(t).Filter("k = 3"));
  EXPECT_EQ(Ids(r.rows), Range(300, 400));
  EXPECT_EQ(r.metrics.rows_returned, 100);
  EXPECT_EQ(r.metrics.manifests_considered, 8);
  // Each append wrote one manifest with one file: all but one are pruned,
  // by partition summaries before any manifest is read.
  EXPECT_EQ(r.metrics.manifests_pruned, 7);
  EXPECT_EQ(r.metrics.data_files_considered - r.metrics.data_files_pruned, 1);

  const Result all = RunScan(NewScan(t));
  EXPECT_EQ(all.metrics.manifests_pruned, 0);
  EXPECT_EQ(all.metrics.data_files_pruned, 0);
  EXPECT_EQ(all.metrics.rows_returned, 800);
  EXPECT_GT(all.metrics.bytes_read, r.metrics.bytes_read);
}

TEST_F(ScanTest, TransformedPartitionsPruneByProjectedPredicates) {
  const Schema schema(
      1, {Field{1, "id", DataType::Long(), true}, Field{2, "ts", DataType::Timestamp(), false}});
  Table t =
      CreateTable(dir_.Join("t"), schema, PartitionSpec::Parse("day(ts),bucket(4,id)", schema));
  const int64_t day = 86400LL * 1000000;
  std::vector<Record> rows;
  for (int64_t i = 0; i < 200; ++i) rows.push_back({Value(i), Value(i % 10 * day + i)});
  ASSERT_TRUE(t.AppendRecords(rows, schema));
  const PartitionSpec spec = t.spec();
  std::set<std::pair<int32_t, int32_t>> partitions;  // (day, bucket) of each file
  for (const Record& row : rows) {
    partitions.emplace(spec.fields()[0].transform.Apply(DataType::Timestamp(), row[1]).as_int(),
                       spec.fields()[1].transform.Apply(DataType::Long(), row[0]).as_int());
  }
  const Result r = RunScan(NewScan(t).Filter("ts >= '1970-01-09T00:00:00' and id = 18"));
  ASSERT_EQ(Ids(r.rows), (std::vector<int64_t>{18}));
  EXPECT_EQ(r.metrics.data_files_considered, static_cast<int64_t>(partitions.size()));
  // Only files of days 8 and 9 in bucket(4, 18) may hold the row.
  const int64_t read = r.metrics.data_files_considered - r.metrics.data_files_pruned;
  EXPECT_GE(read, 1);
  EXPECT_LE(read, 2);
}

TEST_F(ScanTest, ColumnBoundsPruneDataFiles) {
  Table t = CreateTable(dir_.Join("t"), KSchema());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(t.AppendRecords(KRows(i * 100, 100, i), KSchema()));
  const Result r = RunScan(NewScan(t).Filter("id >= 750 and id < 760"));
  EXPECT_EQ(Ids(r.rows), Range(750, 760));
  EXPECT_EQ(r.metrics.data_files_considered, 10);
  EXPECT_EQ(r.metrics.data_files_pruned, 9);
  const Result none = RunScan(NewScan(t).Filter("v is null or id > 5000"));
  EXPECT_TRUE(none.rows.empty());
  EXPECT_EQ(none.metrics.data_files_pruned, 10);
  EXPECT_EQ(none.metrics.bytes_read, 0);
}

TEST_F(ScanTest, RowGroupStatisticsPruneRowGroups) {
  const Schema schema(
      1, {Field{1, "id", DataType::Long(), true}, Field{2, "v", DataType::String(), true}});
  testing::HandTable hand(dir_.Join("t"), schema);
  ColumnVector ids(DataType::Long());
  ColumnVector vs(DataType::String());
  for (int64_t i = 0; i < 20000; ++i) {
    ids.Append(Value(i));
    vs.Append(Value("value-" + std::to_string(i)));
  }
  // No file-level bounds: only row group statistics can prune.
  hand.Commit({hand.WriteDataFile(schema, {ids, vs}, {}, 16 << 10, false)});
  Table t = OpenTable(dir_.Join("t"));
  const Result r = RunScan(NewScan(t).Filter("id >= 12000 and id < 12010"));
  EXPECT_EQ(Ids(r.rows), Range(12000, 12010));
  EXPECT_EQ(r.metrics.data_files_pruned, 0);
  ASSERT_GT(r.metrics.row_groups_considered, 4);
  // Rows are sorted by id, so at most two row groups can overlap the range.
  EXPECT_GE(r.metrics.row_groups_pruned, r.metrics.row_groups_considered - 2);
  const Result all = RunScan(NewScan(t).Select({"id"}));
  EXPECT_EQ(all.metrics.row_groups_pruned, 0);
  EXPECT_EQ(all.metrics.row_groups_considered, r.metrics.row_groups_considered);
  EXPECT_EQ(all.metrics.rows_returned, 20000);
  EXPECT_LT(r.metrics.bytes_read * 4, all.metrics.bytes_read);
}

TEST_F(ScanTest, CountUsesRecordCountsWhereStatisticsSuffice) {
  Table t = CreateTable(dir_.Join("t"), KSchema(), PartitionSpec::Parse("k", KSchema()));
  for (int k = 0; k < 4; ++k) ASSERT_TRUE(t.AppendRecords(KRows(k * 100, 100, k), KSchema()));
  ScanMetrics m;
  EXPECT_EQ(NewScan(t).Count(&m), 400);
  EXPECT_EQ(m.files_counted_from_metadata, 4);
  EXPECT_EQ(m.bytes_read, 0);
  EXPECT_EQ(NewScan(t).Filter("k = 2").Count(&m), 100);
  EXPECT_EQ(m.files_counted_from_metadata, 1);
  EXPECT_EQ(m.bytes_read, 0);
  // Bounds prove id >= 100 for the files of k >= 1; k = 0's file is read.
  EXPECT_EQ(NewScan(t).Filter("id >= 50").Count(&m), 350);
  EXPECT_EQ(m.files_counted_from_metadata, 3);
  EXPECT_GT(m.bytes_read, 0);
  EXPECT_EQ(NewScan(t).Filter("v = 'v7' or k = 3").Count(&m), 101);
}

TEST_F(ScanTest, TimeTravelReadsExactlyTheChosenSnapshot) {
  Table t = CreateTable(dir_.Join("t"), KSchema());
  std::vector<int64_t> ids;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(t.AppendRecords(KRows(i * 10, 10, i), KSchema()));
    ids.push_back(t.CurrentSnapshot()->snapshot_id);
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(Ids(RunScan(NewScan(t).UseSnapshot(ids[i])).rows),
              Range(0, 10 * static_cast<int64_t>(i + 1)));
    EXPECT_EQ(NewScan(t).UseSnapshot(ids[i]).Filter("k >= 1").Count(),
              10 * static_cast<int64_t>(i));
  }
  const TableMetadata m = t.metadata();
  for (const SnapshotLogEntry& e : m.snapshot_log) {
    // The last snapshot committed at or before the time (several may share a millisecond).
    int64_t expected = 0;
    for (const SnapshotLogEntry& f : m.snapshot_log) {
      if (f.timestamp_ms <= e.timestamp_ms) expected = f.snapshot_id;
    }
    TableScan scan = NewScan(t).AsOf(e.timestamp_ms);
    EXPECT_EQ(scan.ResolveSnapshot()->snapshot_id, expected);
    EXPECT_EQ(
        RunScan(scan).metrics.rows_returned,
        10 * static_cast<int64_t>(std::find(ids.begin(), ids.end(), expected) - ids.begin() + 1));
  }
  EXPECT_THROW(NewScan(t).AsOf(m.snapshot_log.front().timestamp_ms - 1).Open(), NotFound);
  EXPECT_THROW(NewScan(t).UseSnapshot(12345).Open(), NotFound);
  EXPECT_THROW(NewScan(t).UseSnapshot(ids[0]).AsOf(1).Open(), InvalidArgument);
}

TEST_F(ScanTest, OrderedScansAreDeterministicAcrossThreadCounts) {
  Table t = CreateTable(dir_.Join("t"), KSchema(), PartitionSpec::Parse("k", KSchema()));
  for (int i = 0; i < 6; ++i) {
    std::vector<Record> rows;
    for (int j = 0; j < 300; ++j)
      rows.push_back({Value(int64_t{i * 1000 + j}), Value(int32_t{j % 5}), Value()});
    ASSERT_TRUE(t.AppendRecords(rows, KSchema()));
  }
  std::vector<int64_t> reference;
  for (const Record& r : RunScan(NewScan(t).Ordered().Threads(1).BatchSize(7)).rows)
    reference.push_back(r[0].as_long());
  ASSERT_EQ(reference.size(), 1800u);
  for (int threads : {2, 3, 8}) {
    std::vector<int64_t> got;
    for (const Record& r : RunScan(NewScan(t).Ordered().Threads(threads).BatchSize(13)).rows)
      got.push_back(r[0].as_long());
    EXPECT_EQ(got, reference) << threads << " threads";
  }
  std::vector<int64_t> table_order;
  for (const Record& r : t.ScanAll()) table_order.push_back(r[0].as_long());
  EXPECT_EQ(reference, table_order);
}

TEST_F(ScanTest, FilteredColumnsFirstKeepExactRowsAcrossSkippedBatches) {
  // Most batches hold no match: their other columns are skipped, not read.
  Table t = CreateTable(dir_.Join("t"), KSchema());
  ASSERT_TRUE(t.AppendRecords(KRows(0, 30000, 1), KSchema()));
  ASSERT_TRUE(t.AppendRecords(KRows(30000, 30000, 2), KSchema()));
  Result r = RunScan(NewScan(t).Filter("id >= 29990 and id < 30010").BatchSize(1000).Threads(2));
  std::sort(r.rows.begin(), r.rows.end(),
            [](const Record& a, const Record& b) { return a[0].as_long() < b[0].as_long(); });
  std::vector<Record> want = KRows(29990, 10, 1);
  for (Record& row : KRows(30000, 10, 2)) want.push_back(std::move(row));
  EXPECT_EQ(r.rows, want);
  EXPECT_EQ(RunScan(NewScan(t).Filter("v = 'v45678'").BatchSize(777)).rows, KRows(45678, 1, 2));
  EXPECT_EQ(NewScan(t).Filter("id >= 29990 and id < 30010").BatchSize(1000).Count(), 20);
}

TEST_F(ScanTest, BadFiltersAndSettingsAreRefused) {
  Table t = CreateTable(dir_.Join("t"), KSchema());
  ASSERT_TRUE(t.AppendRecords(KRows(0, 5, 1), KSchema()));
  EXPECT_THROW(NewScan(t).Filter("nope = 1").Open(), InvalidArgument);
  EXPECT_THROW(NewScan(t).Filter("id = 'abc'").Count(), InvalidArgument);
  EXPECT_THROW(NewScan(t).Select({"id", "nope"}).Open(), InvalidArgument);
  EXPECT_THROW(NewScan(t).BatchSize(0), InvalidArgument);
  EXPECT_THROW(NewScan(t).Threads(0), InvalidArgument);
}

TEST_F(ScanTest, WorkerErrorsReachTheCaller) {
  Table t = CreateTable(dir_.Join("t"), KSchema());
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(t.AppendRecords(KRows(i * 10, 10, i), KSchema()));
  const Snapshot s = *t.CurrentSnapshot();
  const std::string victim =
      ReadManifest(t.io(), ReadManifestList(t.io(), s.manifest_list)[1])[0].data_file.file_path;
  t.io().Delete(victim);
  std::unique_ptr<ScanReader> reader = NewScan(t).Threads(3).BatchSize(2).Open();
  RecordBatch batch;
  try {
    while (reader->Next(&batch)) {
    }
    ADD_FAILURE() << "a scan over a deleted data file returned normally";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(victim), std::string::npos) << e.what();
  }
}

TEST_F(ScanTest, ForeignShapedTablesReadByFieldId) {
  const Schema v1(
      0, {Field{1, "id", DataType::Long(), true}, Field{2, "name", DataType::String(), false}});
  testing::HandTable hand(dir_.Join("t"), v1);
  ColumnVector ids(DataType::Long());
  ColumnVector names(DataType::String());
  for (int64_t i = 0; i < 5; ++i) {
    ids.Append(Value(i));
    names.Append(Value("n" + std::to_string(i)));
  }
  DataFile plain = hand.WriteDataFile(v1, {ids, names});
  DataFile uri = hand.WriteDataFile(v1, {ids, names});
  uri.file_path = "file://" + uri.file_path;  // file: URIs name local files too
  hand.Commit({plain, uri});
  // Renamed, reordered, and a column added after the files were written.
  const Schema v2(
      1, {Field{2, "label", DataType::String(), false}, Field{1, "id", DataType::Long(), true},
          Field{3, "extra", DataType::Int(), false}});
  hand.EvolveSchema(v2);
  Table t = OpenTable(dir_.Join("t"));
  const Result r = RunScan(NewScan(t).Filter("label = 'n3' and extra is null").Ordered());
  ASSERT_EQ(r.rows.size(), 2u);
  for (const Record& row : r.rows)
    EXPECT_EQ(row, (Record{Value("n3"), Value(int64_t{3}), Value()}));
  EXPECT_EQ(NewScan(t).Filter("extra = 1").Count(), 0);
  EXPECT_EQ(NewScan(t).Filter("id >= 1").Count(), 8);
}

// Child side of the memory test: scans the table named by the environment
// and prints its peak resident set size. Skipped unless run by the parent.
TEST(ScanMemoryChild, ScanAndReportPeak) {
  const char* path = std::getenv("DATASHARD_SCAN_MEMORY_TABLE");
  if (path == nullptr) GTEST_SKIP() << "run by ScanMemory.PeakRssStaysBounded";
  Table t = OpenTable(path);
  std::unique_ptr<ScanReader> reader = NewScan(t).BatchSize(1024).Threads(2).Open();
  RecordBatch batch;
  int64_t rows = 0;
  while (reader->Next(&batch)) rows += static_cast<int64_t>(batch.num_rows());
  struct rusage usage {};
  ASSERT_EQ(getrusage(RUSAGE_SELF, &usage), 0);
  std::printf("ROWS=%lld PEAK_KB=%lld\n", static_cast<long long>(rows),
              static_cast<long long>(usage.ru_maxrss));
}

TEST(ScanMemory, PeakRssStaysBounded) {
  TempDir dir("scan-memory");
  const Schema schema(
      1, {Field{1, "id", DataType::Long(), true}, Field{2, "v", DataType::String(), true}});
  Table t = CreateTable(dir.Join("t"), schema);
  constexpr int kFiles = 12;
  constexpr int kRowsPerFile = 100000;
  for (int f = 0; f < kFiles; ++f) {
    ColumnVector ids(DataType::Long());
    ColumnVector vs(DataType::String());
    for (int64_t i = 0; i < kRowsPerFile; ++i) {
      const int64_t id = int64_t{f} * kRowsPerFile + i;
      ids.Append(Value(id));
      vs.Append(Value("payload-" + std::to_string(id * 7919 % 1000003) + std::string(56, 'x')));
    }
    Transaction tx = t.NewTransaction();
    tx.AppendColumns({ids, vs}, schema);
    ASSERT_TRUE(tx.Commit());
  }
  // Decoded, the table is 1.2M rows x ~100 bytes: far above the bound below.
  const std::string command = "DATASHARD_SCAN_MEMORY_TABLE='" + dir.Join("t") + "' /proc/" +
                              std::to_string(getpid()) +
                              "/exe --gtest_filter=ScanMemoryChild.ScanAndReportPeak";
  FILE* child = popen(command.c_str(), "r");
  ASSERT_NE(child, nullptr);
  std::string out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, child) != nullptr) out += buf;
  ASSERT_EQ(pclose(child), 0) << out;
  const size_t at = out.find("ROWS=");
  ASSERT_NE(at, std::string::npos) << out;
  long long rows = 0;
  long long peak_kb = 0;
  ASSERT_EQ(std::sscanf(out.c_str() + at, "ROWS=%lld PEAK_KB=%lld", &rows, &peak_kb), 2) << out;
  EXPECT_EQ(rows, int64_t{kFiles} * kRowsPerFile);
  EXPECT_LT(peak_kb, 64 * 1024) << "peak RSS of a 1.2M-row scan in 1024-row batches";
}

}  // namespace
}  // namespace datashard
