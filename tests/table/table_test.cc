// End-to-end tests of the table API on real files: create/open, appends of
// rows, named rows and columns, validation before writing, partitioning,
// time travel, optimistic offline locks, manifest merging and retention;
// each through the file catalog and the SQL catalogs (SQLite, PostgreSQL).
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "catalog/metadata_file.h"
#include "datashard/errors.h"
#include "datashard/table.h"
#include "format/json/value_json.h"
#include "io/temp_dir.h"
#include "metadata/manifest.h"
#include "table/table_catalogs.h"
#include "table/table_test_util.h"

namespace datashard {
namespace {

using testing::ExpectNothingDangling;
using testing::IdValueRows;
using testing::IdValueSchema;
using testing::SortedIds;

class TableTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::string Path(const std::string& name = "t") { return dir_.Join(name); }
  Table Create(const std::string& folder, const Schema& schema,
               const PartitionSpec& spec = PartitionSpec(),
               const std::map<std::string, std::string>& properties = {}) {
    return catalogs_.Create(folder, schema, spec, properties);
  }
  Table Open(const std::string& folder) { return catalogs_.Open(folder); }
  int64_t CountFiles(const std::string& dir) {
    auto io = DefaultFileIO();
    if (!io->Exists(dir)) return 0;
    int64_t n = 0;
    for (const FileInfo& f : io->List(dir))
      n += f.is_directory ? CountFiles(dir + "/" + f.name) : 1;
    return n;
  }
  TempDir dir_;
  testing::TableCatalogs catalogs_{GetParam(), dir_};
};

TEST_P(TableTest, CreateAppendScanAndReopen) {
  Table t = Create(Path(), IdValueSchema());
  EXPECT_FALSE(t.CurrentSnapshot().has_value());
  EXPECT_TRUE(t.ScanAll().empty());
  EXPECT_TRUE(t.AppendRecords(IdValueRows(0, 3), IdValueSchema()));
  Transaction tx = t.NewTransaction();
  tx.AppendData(IdValueRows(3, 2), IdValueSchema());
  tx.AppendData(
      std::vector<NamedRecord>{{{"record_id", Value(int64_t{5})}, {"value", Value("five")}}},
      IdValueSchema());
  EXPECT_TRUE(tx.Commit());
  ASSERT_TRUE(tx.committed_snapshot().has_value());
  EXPECT_EQ(tx.committed_snapshot()->summary.at("added-records"), "3");
  EXPECT_EQ(tx.committed_snapshot()->summary.at("total-records"), "6");
  // Each AppendData call writes its own data file.
  EXPECT_EQ(tx.committed_snapshot()->summary.at("added-data-files"), "2");
  EXPECT_EQ(tx.committed_snapshot()->operation(), "append");
  EXPECT_EQ(tx.committed_snapshot()->summary.at(kCommitIdSummaryKey), tx.commit_id());

  Table reopened = Open(Path());
  EXPECT_EQ(SortedIds(reopened), (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(reopened.metadata_version(), catalogs_.first_version() + 2);
  if (!catalogs_.sql()) {
    EXPECT_EQ(DefaultFileIO()->ReadFile(Path() + "/metadata/version-hint.text"), "3");
  }
  const std::vector<Snapshot> history = reopened.History();
  ASSERT_EQ(history.size(), 2u);
  EXPECT_FALSE(history[0].parent_snapshot_id.has_value());
  EXPECT_EQ(history[1].parent_snapshot_id, history[0].snapshot_id);
  EXPECT_EQ(history[1].sequence_number, 2);
  // Time travel to the first snapshot.
  EXPECT_EQ(SortedIds(reopened, history[0].snapshot_id), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_THROW(reopened.ScanAll(12345), NotFound);
  const TableStats stats = reopened.Stats();
  EXPECT_EQ(stats.records, 6);
  EXPECT_EQ(stats.data_files, 3);
  EXPECT_EQ(stats.snapshots, 2);
  EXPECT_EQ(stats.table_commits, 2);
  EXPECT_GT(stats.bytes, 0);
  EXPECT_EQ(t.Stats().commits, 2);
  ExpectNothingDangling(reopened.io(), reopened.metadata());
}

TEST_P(TableTest, AppendsColumnsAndProjectsColumns) {
  Table t = Create(Path(), IdValueSchema());
  ColumnVector ids(DataType::Long()), values(DataType::String());
  for (int64_t i = 0; i < 4; ++i) {
    ids.Append(Value(i));
    values.Append(Value("c" + std::to_string(i)));
  }
  Transaction tx = t.NewTransaction();
  tx.AppendColumns({ids, values}, IdValueSchema());
  tx.Commit();
  std::unique_ptr<BatchReader> reader = t.ScanBatches(std::nullopt, {"value"}, 3);
  std::vector<std::string> got;
  RecordBatch batch;
  while (reader->Next(&batch)) {
    EXPECT_LE(batch.num_rows(), 3u);
    ASSERT_EQ(batch.columns.size(), 1u);
    for (size_t i = 0; i < batch.num_rows(); ++i) got.push_back(batch.Row(i)[0].as_bytes());
  }
  EXPECT_EQ(got, (std::vector<std::string>{"c0", "c1", "c2", "c3"}));
  EXPECT_THROW(t.ScanBatches(std::nullopt, {"nope"}), InvalidArgument);
}

TEST_P(TableTest, RefusesBadRecordsBeforeWritingAnything) {
  Table t = Create(Path(), IdValueSchema());
  const int64_t files_before = CountFiles(Path());
  auto expect_refused = [&](const std::function<void()>& f, const std::string& fragment) {
    try {
      f();
      ADD_FAILURE() << "accepted bad input, expected: " << fragment;
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  std::vector<Record> rows = IdValueRows(0, 3);
  rows[2][1] = Value::Null();
  expect_refused([&] { t.AppendRecords(rows, IdValueSchema()); }, "record 2 field 'value'");
  rows = IdValueRows(0, 3);
  rows[1][0] = Value("not a long");
  expect_refused([&] { t.AppendRecords(rows, IdValueSchema()); }, "record 1 field 'record_id'");
  rows = IdValueRows(0, 2);
  rows[1].pop_back();
  expect_refused([&] { t.AppendRecords(rows, IdValueSchema()); }, "record 1 has 1 values");
  const Schema wrong_type(1, {Field{1, "record_id", DataType::Int(), true},
                              Field{2, "value", DataType::String(), true}});
  expect_refused([&] { t.AppendRecords(IdValueRows(0, 1), wrong_type); },
                 "field 'record_id' has type int");
  const Schema missing(1, {Field{1, "record_id", DataType::Long(), true}});
  expect_refused([&] { t.AppendRecords(std::vector<Record>{{Value(int64_t{1})}}, missing); },
                 "required table column 'value'");
  expect_refused(
      [&] {
        t.AppendRecords(
            std::vector<NamedRecord>{
                {{"record_id", Value(int64_t{1})}, {"value", Value("x")}, {"extra", Value("y")}}},
            IdValueSchema());
      },
      "record 0 field 'extra'");
  rows = IdValueRows(0, 2);
  rows[0][1] = Value(std::string("\xff\xfe"));
  expect_refused([&] { t.AppendRecords(rows, IdValueSchema()); }, "not valid UTF-8");
  expect_refused(
      [&] {
        t.AppendRecords(IdValueRows(0, 2), IdValueSchema(), {{"value", Value("v0")}});
      },
      "record 1 field 'value'");
  EXPECT_EQ(CountFiles(Path()), files_before);
  EXPECT_FALSE(t.CurrentSnapshot().has_value());
  // Int values widen to a long column.
  EXPECT_TRUE(
      t.AppendRecords(std::vector<Record>{{Value(int32_t{7}), Value("seven")}}, IdValueSchema()));
  EXPECT_EQ(SortedIds(t), (std::vector<int64_t>{7}));
}

TEST_P(TableTest, DocumentedPartitionValuesOnAnIdentityPartition) {
  const Schema schema(
      1, {Field{1, "record_id", DataType::Long(), true}, Field{2, "data", DataType::String(), true},
          Field{3, "partition", DataType::String(), true}});
  Table t = Create(Path(), schema, PartitionSpec::Parse("partition", schema));
  for (const std::string month : {"2024-01", "2024-02"}) {
    Transaction tx = t.NewTransaction();
    tx.AppendData(
        std::vector<NamedRecord>{{{"record_id", Value(int64_t{month == "2024-01" ? 1 : 2})},
                                  {"data", Value("d")},
                                  {"partition", Value(month)}}},
        schema, {{"partition", Value(month)}});
    EXPECT_TRUE(tx.Commit());
  }
  EXPECT_TRUE(DefaultFileIO()->Exists(Path() + "/data/partition=2024-01"));
  EXPECT_TRUE(DefaultFileIO()->Exists(Path() + "/data/partition=2024-02"));
  EXPECT_EQ(SortedIds(t), (std::vector<int64_t>{1, 2}));
  const Snapshot s = *t.CurrentSnapshot();
  const auto manifests = ReadManifestList(t.io(), s.manifest_list);
  std::set<std::string> partitions;
  for (const ManifestFile& m : manifests) {
    for (const ManifestEntry& e : ReadManifest(t.io(), m))
      partitions.insert(e.data_file.partition[0].as_bytes());
  }
  EXPECT_EQ(partitions, (std::set<std::string>{"2024-01", "2024-02"}));
}

TEST_P(TableTest, PartitionedByTransformsSplitsFilesPerPartition) {
  const Schema schema(
      1, {Field{1, "id", DataType::Long(), true}, Field{2, "ts", DataType::Timestamp(), false}});
  Table t = Create(Path(), schema, PartitionSpec::Parse("day(ts), bucket(4,id)", schema));
  std::vector<Record> rows;
  for (int64_t i = 0; i < 40; ++i) {
    rows.push_back(
        {Value(i), i % 10 == 0
                       ? Value::Null()
                       : Value(ParseTimestamp("2024-03-0" + std::to_string(1 + i % 3) + "T10:00:00",
                                              false))});
  }
  Transaction tx = t.NewTransaction();
  tx.AppendData(rows, schema);
  tx.Commit();
  const Snapshot s = *tx.committed_snapshot();
  std::set<std::pair<std::string, std::string>> seen;
  int64_t files = 0;
  for (const ManifestFile& m : ReadManifestList(t.io(), s.manifest_list)) {
    for (const ManifestEntry& e : ReadManifest(t.io(), m)) {
      ++files;
      // Every row of the file has the partition tuple the manifest states.
      const Value day = e.data_file.partition[0];
      const Value bucket = e.data_file.partition[1];
      EXPECT_NE(e.data_file.file_path.find("/data/ts_day="), std::string::npos);
      seen.insert(
          {day.is_null() ? "null" : FormatDate(day.as_int()), std::to_string(bucket.as_int())});
    }
  }
  EXPECT_EQ(files, static_cast<int64_t>(seen.size()));
  EXPECT_EQ(s.SummaryLong("changed-partition-count"), files);
  EXPECT_EQ(s.SummaryLong("added-data-files"), files);
  std::vector<int64_t> expect(40);
  std::iota(expect.begin(), expect.end(), 0);
  EXPECT_EQ(SortedIds(t), expect);
}

TEST_P(TableTest, CreateIsIdempotentForTheSameSchemaAndNamesTheDifference) {
  Create(Path(), IdValueSchema());
  EXPECT_NO_THROW(Create(Path(), IdValueSchema()));
  const Schema other(1, {Field{1, "record_id", DataType::Long(), true},
                         Field{2, "value", DataType::Long(), true}});
  try {
    Create(Path(), other);
    FAIL();
  } catch (const AlreadyExists& e) {
    EXPECT_NE(std::string(e.what()).find("column 'value' is string"), std::string::npos)
        << e.what();
  }
  try {
    Create(Path(), IdValueSchema(), PartitionSpec::Parse("value", IdValueSchema()));
    FAIL();
  } catch (const AlreadyExists& e) {
    EXPECT_NE(std::string(e.what()).find("partition spec"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Open(Path("missing")), NotFound);
  EXPECT_THROW(
      Create(Path("bad"), IdValueSchema(), PartitionSpec(), {{"commit.retry.num-retries", "x"}}),
      InvalidArgument);
  EXPECT_FALSE(DefaultFileIO()->Exists(Path("bad")));
}

TEST_P(TableTest, ConcurrentCreatorsMakeExactlyOneTable) {
  std::vector<std::thread> threads;
  std::vector<std::string> uuids(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back(
        [&, i] { uuids[i] = Create(Path(), IdValueSchema()).metadata().table_uuid; });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(std::set<std::string>(uuids.begin(), uuids.end()).size(), 1u);
  EXPECT_EQ(Open(Path()).metadata_version(), catalogs_.first_version());
}

TEST_P(TableTest, ExpectedSnapshotIsAnOptimisticOfflineLock) {
  Table t = Create(Path(), IdValueSchema());
  TransactionOptions on_empty;
  on_empty.expected_snapshot_id = kNoSnapshot;
  Transaction first = t.NewTransaction(on_empty);
  first.AppendData(IdValueRows(0, 1), IdValueSchema());
  EXPECT_TRUE(first.Commit());
  const int64_t s1 = first.committed_snapshot()->snapshot_id;

  TransactionOptions guarded;
  guarded.expected_snapshot_id = s1;
  Transaction late = t.NewTransaction(guarded);
  late.AppendData(IdValueRows(10, 1), IdValueSchema());
  EXPECT_TRUE(t.AppendRecords(IdValueRows(1, 1), IdValueSchema()));  // someone else commits
  try {
    late.Commit();
    FAIL();
  } catch (const CommitConflict& e) {
    EXPECT_EQ(e.base_snapshot_id(), s1);
    EXPECT_NE(e.current_snapshot_id(), s1);
    EXPECT_EQ(e.retries(), 0);
  }
  EXPECT_EQ(SortedIds(t), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(t.Stats().conflicts, 1);
  // The conflict is recorded in the next commit's running totals.
  t.AppendRecords(IdValueRows(2, 1), IdValueSchema());
  EXPECT_EQ(t.Stats().table_conflicts, 1);
}

TEST_P(TableTest, AbortedAndDestroyedTransactionsLeaveNoFiles) {
  Table t = Create(Path(), IdValueSchema());
  const int64_t before = CountFiles(Path() + "/data");
  {
    Transaction tx = t.NewTransaction();
    tx.AppendData(IdValueRows(0, 5), IdValueSchema());
    EXPECT_GT(CountFiles(Path() + "/data"), before);
  }
  EXPECT_EQ(CountFiles(Path() + "/data"), before);
  Transaction tx = t.NewTransaction();
  tx.AppendData(IdValueRows(0, 5), IdValueSchema());
  tx.Abort();
  EXPECT_EQ(CountFiles(Path() + "/data"), before);
  EXPECT_THROW(tx.Commit(), InvalidArgument);
}

TEST_P(TableTest, MergingAndRetentionBoundTheMetadata) {
  const std::map<std::string, std::string> props = {{"commit.manifest.min-count-to-merge", "5"},
                                                    {"history.expire.min-snapshots-to-keep", "8"},
                                                    {"write.metadata.previous-versions-max", "4"},
                                                    {"datashard.expire.delete-grace-ms", "0"}};
  Table t = Create(Path(), IdValueSchema(), PartitionSpec(), props);
  std::vector<int64_t> snapshots;
  for (int i = 0; i < 40; ++i) {
    Transaction tx = t.NewTransaction();
    tx.AppendData(IdValueRows(i * 2, 2), IdValueSchema());
    tx.Commit();
    snapshots.push_back(tx.committed_snapshot()->snapshot_id);
    const TableMetadata m = t.metadata();
    EXPECT_LE(m.snapshots.size(), 8u);
    EXPECT_LE(m.metadata_log.size(), 4u);
    // Fewer than min-count new manifests, and a merged one per doubling of
    // the entries (40 commits: 5, 10, 20 and 40 entries).
    EXPECT_LE(ReadManifestList(t.io(), m.CurrentSnapshot()->manifest_list).size(), 4u + 4u);
  }
  Table r = Open(Path());
  const TableMetadata m = r.metadata();
  ASSERT_EQ(m.snapshots.size(), 8u);
  // Time travel works for every kept snapshot, and the oldest kept one has
  // exactly the rows of the commits up to it.
  for (size_t k = 0; k < m.snapshots.size(); ++k) {
    const int64_t id = snapshots[snapshots.size() - 8 + k];
    EXPECT_EQ(static_cast<int64_t>(SortedIds(r, id).size()),
              static_cast<int64_t>(2 * (40 - 8 + k + 1)));
  }
  ExpectNothingDangling(r.io(), m);
  // Only the kept metadata versions (and v1) remain; manifests and lists of
  // expired snapshots are gone (no grace period was asked for).
  int64_t versions = 0, lists = 0;
  for (const FileInfo& f : r.io().List(Path() + "/metadata")) {
    if (MetadataFileVersion(f.name)) ++versions;
    if (f.name.rfind("snap-", 0) == 0) ++lists;
  }
  // The log of 4 and the current one, and the file catalog's v1.
  EXPECT_EQ(versions, catalogs_.sql() ? 4 + 1 : 4 + 1 + 1);
  EXPECT_EQ(lists, 8);
  EXPECT_EQ(r.Stats().table_commits, 40);
  EXPECT_EQ(r.Stats().records, 80);
}

// Merging rewrites an entry about log2(entries / min-count) times in all:
// a merged manifest is merged again once newer ones hold as many entries,
// not with every min-count new manifests (which made a commit's cost grow
// with the table).
TEST_P(TableTest, MergingRewritesEachEntryLogarithmicallyOften) {
  constexpr int kCommits = 128;
  constexpr int kMinCount = 4;
  Table t = Create(Path(), IdValueSchema(), PartitionSpec(),
                   {{"commit.manifest.min-count-to-merge", std::to_string(kMinCount)}});
  int64_t rewritten = 0;
  size_t longest = 0;
  for (int i = 0; i < kCommits; ++i) {
    Transaction tx = t.NewTransaction();
    tx.AppendData(IdValueRows(i, 1), IdValueSchema());
    tx.Commit();
    const Snapshot s = *tx.committed_snapshot();
    const std::vector<ManifestFile> list = ReadManifestList(t.io(), s.manifest_list);
    longest = std::max(longest, list.size());
    for (const ManifestFile& m : list) {
      if (m.added_snapshot_id == s.snapshot_id) rewritten += m.existing_files_count;
    }
    int64_t files = 0;
    for (const ManifestFile& m : list) files += m.added_files_count + m.existing_files_count;
    ASSERT_EQ(files, i + 1);
  }
  // log2(128 / 4) + 1 = 6 rewrites of each entry at most; packing the
  // oldest manifests first rewrote 2,709 entries here.
  EXPECT_LE(rewritten, int64_t{kCommits} * 6);
  EXPECT_GT(rewritten, 0);
  EXPECT_LE(longest, size_t{kMinCount - 1 + 6});
  Table reopened = Open(Path());
  EXPECT_EQ(SortedIds(reopened).size(), size_t{kCommits});
}

INSTANTIATE_TEST_SUITE_P(Catalogs, TableTest, ::testing::Values("file", "sqlite", "postgresql"),
                         testing::CatalogName);

}  // namespace
}  // namespace datashard
