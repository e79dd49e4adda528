// Row-level changes through the Transaction API (issue: row-level changes):
// delete, update and overwrite in copy-on-write and merge-on-read mode,
// snapshot operations and summaries, untouched files, refusals before
// anything is written, and the conflict rules of DESIGN.md §5 between
// transactions that share a base.
#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "datashard/errors.h"
#include "datashard/table.h"
#include "io/temp_dir.h"
#include "metadata/manifest.h"
#include "table/table_test_util.h"

namespace datashard {
namespace {

using testing::ExpectVerifies;
using testing::IdValueRows;
using testing::IdValueSchema;
using testing::Range;
using testing::SortedIds;

std::vector<int64_t> Concat(std::vector<int64_t> a, const std::vector<int64_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Live data file paths of the current snapshot.
std::set<std::string> LiveDataFiles(Table& t) {
  std::set<std::string> paths;
  const std::optional<Snapshot> s = t.CurrentSnapshot();
  if (!s) return paths;
  for (const ManifestFile& m : ReadManifestList(t.io(), s->manifest_list)) {
    if (m.content != FileContent::kData) continue;
    for (const ManifestEntry& e : ReadManifest(t.io(), m)) {
      if (e.status != EntryStatus::kDeleted) paths.insert(e.data_file.file_path);
    }
  }
  return paths;
}

class RowChangesTest : public ::testing::TestWithParam<const char*> {
 protected:
  // A table in the parameter's mode with three appends: ids [0,10), [10,20),
  // [20,30), one data file each.
  Table ThreeFiles(std::map<std::string, std::string> properties = {}) {
    properties["write.delete.mode"] = GetParam();
    properties["write.update.mode"] = GetParam();
    Table t = CreateTable(dir_.Join("t"), IdValueSchema(), PartitionSpec(), properties);
    for (int i = 0; i < 3; ++i) t.AppendRecords(IdValueRows(i * 10, 10), IdValueSchema());
    return t;
  }
  bool merge_on_read() const { return std::string(GetParam()) == "merge-on-read"; }
  TempDir dir_;
};

TEST_P(RowChangesTest, DeleteRemovesExactlyTheMatchedRowsAndLeavesOtherFilesAlone) {
  Table t = ThreeFiles();
  const std::set<std::string> before = LiveDataFiles(t);
  const int64_t base = t.CurrentSnapshot()->snapshot_id;
  Transaction tx = t.NewTransaction();
  EXPECT_EQ(tx.Delete("record_id >= 5 and record_id < 12"), 7);
  EXPECT_EQ(SortedIds(t).size(), 30u);  // nothing visible before Commit
  ASSERT_TRUE(tx.Commit());
  EXPECT_EQ(SortedIds(t), Concat(Range(0, 5), Range(12, 30)));
  EXPECT_EQ(SortedIds(t, base), Range(0, 30));  // time travel sees the old rows

  const Snapshot s = *t.CurrentSnapshot();
  const std::set<std::string> after = LiveDataFiles(t);
  std::vector<std::string> kept;
  std::set_intersection(before.begin(), before.end(), after.begin(), after.end(),
                        std::back_inserter(kept));
  if (merge_on_read()) {
    EXPECT_EQ(s.summary.at("operation"), "delete");
    EXPECT_EQ(after, before);  // data files stay; two position delete files
    EXPECT_EQ(s.summary.at("added-position-delete-files"), "2");
    EXPECT_EQ(s.summary.at("added-position-deletes"), "7");
    EXPECT_EQ(s.summary.at("total-delete-files"), "2");
    EXPECT_EQ(s.summary.at("total-records"), "30");
  } else {
    EXPECT_EQ(s.summary.at("operation"), "overwrite");
    EXPECT_EQ(kept.size(), 1u);  // the file of [20,30) has no matched row
    EXPECT_EQ(after.size(), 3u);
    EXPECT_EQ(s.summary.at("deleted-data-files"), "2");
    EXPECT_EQ(s.summary.at("deleted-records"), "20");
    EXPECT_EQ(s.summary.at("added-data-files"), "2");
    EXPECT_EQ(s.summary.at("added-records"), "13");
    EXPECT_EQ(s.summary.at("total-records"), "23");
    EXPECT_EQ(s.summary.at("total-data-files"), "3");
  }
  ExpectVerifies(t);
}

TEST_P(RowChangesTest, DeleteOfWholeFilesOnlyDropsThemFromTheMetadata) {
  Table t = ThreeFiles();
  const std::set<std::string> before = LiveDataFiles(t);
  Transaction tx = t.NewTransaction();
  EXPECT_EQ(tx.Delete("record_id >= 10 and record_id < 20"), 10);
  ASSERT_TRUE(tx.Commit());
  const Snapshot s = *t.CurrentSnapshot();
  EXPECT_EQ(s.summary.at("operation"), "delete");
  EXPECT_EQ(s.summary.at("deleted-data-files"), "1");
  EXPECT_EQ(s.summary.count("added-data-files"), 0u);
  EXPECT_EQ(s.summary.at("total-data-files"), "2");
  EXPECT_EQ(s.summary.at("total-records"), "20");
  EXPECT_EQ(LiveDataFiles(t).size(), 2u);
  for (const std::string& p : LiveDataFiles(t)) EXPECT_TRUE(before.count(p)) << p;
  EXPECT_EQ(SortedIds(t), Concat(Range(0, 10), Range(20, 30)));
  ExpectVerifies(t);
}

TEST_P(RowChangesTest, DeleteMatchingNothingCommitsNothing) {
  Table t = ThreeFiles();
  const int64_t base = t.CurrentSnapshot()->snapshot_id;
  Transaction tx = t.NewTransaction();
  EXPECT_EQ(tx.Delete("record_id > 1000"), 0);
  EXPECT_TRUE(tx.Commit());
  EXPECT_FALSE(tx.committed_snapshot());
  EXPECT_EQ(t.CurrentSnapshot()->snapshot_id, base);
}

TEST_P(RowChangesTest, UpdateSetsColumnsOfMatchedRowsOnly) {
  Table t = ThreeFiles();
  Transaction tx = t.NewTransaction();
  EXPECT_EQ(tx.Update({{"value", Value("changed")}}, "record_id < 3 or record_id = 25"), 4);
  ASSERT_TRUE(tx.Commit());
  EXPECT_EQ(t.CurrentSnapshot()->summary.at("operation"), "overwrite");
  std::map<int64_t, std::string> rows;
  for (const Record& r : t.ScanAll()) rows[r[0].as_long()] = r[1].as_bytes();
  ASSERT_EQ(rows.size(), 30u);
  for (const auto& [id, value] : rows) {
    const bool updated = id < 3 || id == 25;
    EXPECT_EQ(value, updated ? std::string("changed") : "v" + std::to_string(id)) << id;
  }
  // Updating again works on the updated rows (and on merge-on-read, the
  // rows written by the first update).
  Transaction again = t.NewTransaction();
  EXPECT_EQ(again.Update({{"record_id", Value(int32_t{-1})}}, "value = 'changed'"), 4);
  ASSERT_TRUE(again.Commit());
  EXPECT_EQ(SortedIds(t), Concat(std::vector<int64_t>(4, -1), Concat(Range(3, 25), Range(26, 30))));
  ExpectVerifies(t);
}

TEST_P(RowChangesTest, OverwriteReplacesMatchedRowsInOneSnapshot) {
  Table t = ThreeFiles();
  const size_t snapshots = t.History().size();
  Transaction tx = t.NewTransaction();
  EXPECT_EQ(tx.Overwrite("record_id < 10", IdValueRows(100, 1), IdValueSchema()), 10);
  ASSERT_TRUE(tx.Commit());
  EXPECT_EQ(t.History().size(), snapshots + 1);
  EXPECT_EQ(t.CurrentSnapshot()->summary.at("operation"), "overwrite");
  EXPECT_EQ(SortedIds(t), Concat(Range(10, 30), {100}));
  ExpectVerifies(t);
}

TEST_P(RowChangesTest, BadRequestsAreRefusedBeforeAnythingIsWritten) {
  Table t = ThreeFiles();
  const int64_t base = t.CurrentSnapshot()->snapshot_id;
  const auto count_files = [&] {
    int64_t n = 0;
    for (const FileInfo& f : t.io().List(t.location() + "/data")) n += f.is_directory ? 0 : 1;
    return n;
  };
  const int64_t files = count_files();
  {
    Transaction tx = t.NewTransaction();
    EXPECT_THROW(tx.Delete("no_such_column = 1"), InvalidArgument);
    EXPECT_THROW(tx.Update({{"no_such_column", Value(int64_t{1})}}, "record_id = 1"),
                 InvalidArgument);
    EXPECT_THROW(tx.Update({{"value", Value()}}, "record_id = 1"), InvalidArgument);  // required
    EXPECT_THROW(tx.Update({{"value", Value(int64_t{5})}}, "record_id = 1"), InvalidArgument);
    EXPECT_THROW(tx.Update({}, "record_id = 1"), InvalidArgument);
    const std::vector<Record> bad = {{Value("not a number"), Value("x")}};
    EXPECT_THROW(tx.Overwrite("record_id = 1", bad, IdValueSchema()), Error);
    EXPECT_EQ(count_files(), files);
  }
  {
    Transaction tx = t.NewTransaction();
    tx.AppendData(IdValueRows(50, 1), IdValueSchema());
    EXPECT_THROW(tx.Delete("record_id = 1"), InvalidArgument);  // after an append
  }
  {
    Transaction tx = t.NewTransaction();
    EXPECT_EQ(tx.Delete("record_id = 1"), 1);
    EXPECT_THROW(tx.Delete("record_id = 2"), InvalidArgument);  // one change per transaction
  }
  EXPECT_EQ(count_files(), files);  // destroyed transactions removed what they wrote
  EXPECT_EQ(t.CurrentSnapshot()->snapshot_id, base);
}

TEST_P(RowChangesTest, AppendsAfterAChangeCommitWithItAndConcurrentAppendsRebase) {
  Table t = ThreeFiles({{"write.isolation-level", "snapshot"}});
  Transaction tx = t.NewTransaction();
  EXPECT_EQ(tx.Delete("record_id < 5"), 5);
  tx.AppendData(IdValueRows(40, 2), IdValueSchema());
  t.AppendRecords(IdValueRows(1000, 3), IdValueSchema());  // concurrent, rows 1000..1002
  ASSERT_TRUE(tx.Commit());
  EXPECT_EQ(SortedIds(t), Concat(Concat(Range(5, 30), Range(40, 42)), Range(1000, 1003)));
  ExpectVerifies(t);
}

TEST_P(RowChangesTest, ChangesOfTheSameFileConflictAndNameTheFile) {
  Table t = ThreeFiles();
  Transaction first = t.NewTransaction();
  Transaction second = t.NewTransaction();
  const int64_t base = *first.base_snapshot_id();
  EXPECT_EQ(first.Delete("record_id = 3"), 1);
  EXPECT_EQ(second.Update({{"value", Value("x")}}, "record_id = 4"), 1);
  ASSERT_TRUE(first.Commit());
  try {
    second.Commit();
    FAIL() << "the second change of the same file committed";
  } catch (const CommitConflict& e) {
    EXPECT_EQ(e.base_snapshot_id(), base);
    EXPECT_EQ(e.current_snapshot_id(), first.committed_snapshot()->snapshot_id);
    EXPECT_NE(std::string(e.what()).find(".parquet"), std::string::npos) << e.what();
  }
  // Only the first change happened; the loser left no file behind.
  std::map<int64_t, std::string> rows;
  for (const Record& r : t.ScanAll()) rows[r[0].as_long()] = r[1].as_bytes();
  EXPECT_EQ(rows.size(), 29u);
  EXPECT_EQ(rows.count(3), 0u);
  EXPECT_EQ(rows.at(4), "v4");
  ExpectVerifies(t);
}

TEST_P(RowChangesTest, ChangesOfDifferentFilesBothCommit) {
  Table t = ThreeFiles();
  Transaction first = t.NewTransaction();
  Transaction second = t.NewTransaction();
  EXPECT_EQ(first.Delete("record_id = 3"), 1);
  EXPECT_EQ(second.Delete("record_id = 23"), 1);
  ASSERT_TRUE(first.Commit());
  ASSERT_TRUE(second.Commit());
  EXPECT_EQ(SortedIds(t), Concat(Concat(Range(0, 3), Range(4, 23)), Range(24, 30)));
  ExpectVerifies(t);
}

TEST_P(RowChangesTest, SerializableRefusesAConcurrentAppendOfMatchingRows) {
  Table t = ThreeFiles();
  Transaction tx = t.NewTransaction();
  EXPECT_EQ(tx.Delete("record_id >= 25"), 5);
  t.AppendRecords(IdValueRows(500, 2), IdValueSchema());  // matches record_id >= 25
  EXPECT_THROW(tx.Commit(), CommitConflict);
  EXPECT_EQ(SortedIds(t), Concat(Range(0, 30), Range(500, 502)));

  // Rows the filter cannot match (by the appended file's bounds) do not conflict.
  Transaction other = t.NewTransaction();
  EXPECT_EQ(other.Delete("record_id >= 25 and record_id < 100"), 5);
  t.AppendRecords(IdValueRows(700, 2), IdValueSchema());
  ASSERT_TRUE(other.Commit());
  EXPECT_EQ(SortedIds(t), Concat(Concat(Range(0, 25), Range(500, 502)), Range(700, 702)));
  ExpectVerifies(t);
}

TEST_P(RowChangesTest, SnapshotIsolationLetsTheConcurrentAppendThrough) {
  Table t = ThreeFiles({{"write.delete.isolation-level", "snapshot"}});
  Transaction tx = t.NewTransaction();
  EXPECT_EQ(tx.Delete("record_id >= 25"), 5);
  t.AppendRecords(IdValueRows(500, 2), IdValueSchema());
  ASSERT_TRUE(tx.Commit());
  EXPECT_EQ(SortedIds(t), Concat(Range(0, 25), Range(500, 502)));
}

INSTANTIATE_TEST_SUITE_P(Modes, RowChangesTest, ::testing::Values("copy-on-write", "merge-on-read"),
                         [](const auto& info) {
                           return std::string(info.param) == "copy-on-write" ? "CopyOnWrite"
                                                                             : "MergeOnRead";
                         });

TEST(RowChangesModes, AnUnknownModeOrIsolationLevelIsRefusedNamingTheProperty) {
  TempDir dir;
  Table t =
      CreateTable(dir.Join("t"), IdValueSchema(), PartitionSpec(),
                  {{"write.delete.mode", "sometimes"}, {"write.update.isolation-level", "x"}});
  t.AppendRecords(IdValueRows(0, 3), IdValueSchema());
  Transaction tx = t.NewTransaction();
  try {
    tx.Delete("record_id = 1");
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("write.delete.mode"), std::string::npos) << e.what();
  }
  try {
    tx.Update({{"value", Value("a")}}, "record_id = 1");
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("write.update.isolation-level"), std::string::npos)
        << e.what();
  }
}

TEST(RowChangesIngestLog, AChangeFoldsTheLogFirstAndAppliesToItsRows) {
  TempDir dir;
  Table t = CreateTable(dir.Join("t"), IdValueSchema(), PartitionSpec(),
                        {{table_properties::kIngestLogEnabled, "true"},
                         {table_properties::kCheckpointIntervalMs, "1000000000"}});
  for (int i = 0; i < 5; ++i) t.AppendRecords(IdValueRows(i * 10, 10), IdValueSchema());
  EXPECT_EQ(t.Stats().log_rows, 50);
  Transaction tx = t.NewTransaction();
  EXPECT_EQ(tx.Delete("record_id >= 45"), 5);
  tx.AppendData(IdValueRows(100, 1), IdValueSchema());
  ASSERT_TRUE(tx.Commit());
  EXPECT_TRUE(tx.committed_snapshot());  // a snapshot, not a log record
  EXPECT_EQ(SortedIds(t), Concat(Range(0, 45), {100}));
  t.AppendRecords(IdValueRows(200, 1), IdValueSchema());  // the log goes on
  EXPECT_EQ(SortedIds(t), Concat(Concat(Range(0, 45), {100}), {200}));
}

// gc takes unreferenced files older than its grace period: a transaction
// whose files got that old may have lost them and must not publish.
TEST(RowChangesGc, ATransactionOlderThanTheGcGracePeriodDoesNotCommit) {
  TempDir dir;
  Table t = CreateTable(
      dir.Join("t"), IdValueSchema(), PartitionSpec(),
      {{table_properties::kGcGraceMs, "1500"}, {table_properties::kCommitTotalTimeoutMs, "1000"}});
  t.AppendRecords(IdValueRows(0, 10), IdValueSchema());
  for (const bool change : {false, true}) {
    Transaction tx = t.NewTransaction();
    if (change) {
      EXPECT_EQ(tx.Delete("record_id < 5"), 5);
    } else {
      tx.AppendData(IdValueRows(100, 1), IdValueSchema());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(600));  // past 1500 - 1000 ms
    try {
      tx.Commit();
      FAIL() << "committed files gc may have taken";
    } catch (const CommitConflict& e) {
      EXPECT_NE(std::string(e.what()).find(table_properties::kGcGraceMs), std::string::npos)
          << e.what();
    }
  }
  EXPECT_EQ(SortedIds(t), Range(0, 10));
}

TEST(RowChangesIngestLog, AnAppendAcknowledgedBeforeTheCommitIsOrderedBeforeTheChange) {
  for (const char* isolation : {"serializable", "snapshot"}) {
    SCOPED_TRACE(isolation);
    TempDir dir;
    Table t = CreateTable(dir.Join("t"), IdValueSchema(), PartitionSpec(),
                          {{table_properties::kIngestLogEnabled, "true"},
                           {table_properties::kCheckpointIntervalMs, "1000000000"},
                           {"write.isolation-level", isolation}});
    t.AppendRecords(IdValueRows(0, 10), IdValueSchema());
    Transaction tx = t.NewTransaction();
    EXPECT_EQ(tx.Delete("record_id >= 5"), 5);
    // Acknowledged through the log after the change was made, before its commit.
    t.AppendRecords(IdValueRows(50, 1), IdValueSchema());
    if (std::string(isolation) == "serializable") {
      EXPECT_THROW(tx.Commit(), CommitConflict);  // the row matches the filter
      EXPECT_EQ(SortedIds(t), Concat(Range(0, 10), {50}));
    } else {
      ASSERT_TRUE(tx.Commit());
      EXPECT_EQ(SortedIds(t), Concat(Range(0, 5), {50}));
    }
    EXPECT_EQ(t.Stats().log_rows, 0);  // folded before the change published
    t.AppendRecords(IdValueRows(60, 1), IdValueSchema());
    EXPECT_EQ(SortedIds(t).back(), 60);
  }
}

}  // namespace
}  // namespace datashard
