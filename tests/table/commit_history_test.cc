// What a commit keeps of the table's history (issue 12, items 2, 4, 6, 9):
// fields other engines wrote, commit ids beyond retention, timestamps after a
// wrong clock, and files of expired snapshots while readers still use them.
#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "catalog/file_catalog.h"
#include "datashard/errors.h"
#include "datashard/table.h"
#include "io/fault_injection_file_io.h"
#include "io/temp_dir.h"
#include "table/table_test_util.h"

namespace datashard {
namespace {

using nlohmann::json;
using testing::IdValueRows;
using testing::IdValueSchema;
using testing::SortedIds;

// Commits `rows` rows from `first` with commit id `id`.
bool CommitWithId(Table& t, const std::string& id, int64_t first, int rows) {
  TransactionOptions options;
  options.commit_id = id;
  Transaction tx = t.NewTransaction(options);
  tx.AppendData(IdValueRows(first, rows), IdValueSchema());
  return tx.Commit();
}

class CommitHistoryTest : public ::testing::Test {
 protected:
  std::string Path() { return dir_.Join("t"); }

  // The newest metadata version of the table as JSON.
  json LatestJson(Table& t) {
    t.Refresh();
    const FileCatalog catalog(DefaultFileIO(), Path());
    return json::parse(catalog.ReadVersion(t.metadata_version()));
  }

  // Publishes `j` as the next version, as another engine would.
  void PublishByHand(Table& t, const json& j) {
    const FileCatalog catalog(DefaultFileIO(), Path());
    const int64_t next = t.metadata_version() + 1;
    ASSERT_EQ(catalog.Publish(next, j.dump()), FileCatalog::PublishResult::kPublished);
    catalog.WriteHint(next);
    t.Refresh();
    ASSERT_EQ(t.metadata_version(), next);
  }

  TempDir dir_;
};

TEST_F(CommitHistoryTest, Item9StatisticsAndUnknownFieldsOfOtherEnginesSurviveOurCommits) {
  // Retired files are deleted at once (no grace period) to see them go.
  Table t = CreateTable(
      Path(), IdValueSchema(), PartitionSpec(),
      {{"history.expire.min-snapshots-to-keep", "2"}, {"datashard.expire.delete-grace-ms", "0"}});
  t.AppendRecords(IdValueRows(0, 2), IdValueSchema());
  const int64_t first = t.CurrentSnapshot()->snapshot_id;
  t.AppendRecords(IdValueRows(2, 2), IdValueSchema());
  const int64_t second = t.CurrentSnapshot()->snapshot_id;

  // Statistics files another engine wrote for both snapshots (one puffin
  // file shared by both entries of the second snapshot), and fields of a
  // newer writer datashard does not know.
  FileIO& io = t.io();
  const std::string first_stats = Path() + "/metadata/first.stats";
  const std::string first_partition_stats = Path() + "/metadata/first.partition-stats";
  const std::string second_stats = Path() + "/metadata/second.stats";
  for (const std::string& p : {first_stats, first_partition_stats, second_stats}) {
    auto f = io.Create(p);
    f->Append("PFA1", 4);
    f->Sync();
    f->Close();
  }
  json j = LatestJson(t);
  const json statistics = json::array({{{"snapshot-id", first},
                                        {"statistics-path", first_stats},
                                        {"file-size-in-bytes", 4},
                                        {"file-footer-size-in-bytes", 2},
                                        {"blob-metadata",
                                         {{{"type", "apache-datasketches-theta-v1"},
                                           {"snapshot-id", first},
                                           {"sequence-number", 1},
                                           {"fields", {1}},
                                           {"properties", {{"ndv", "2"}}}}}}},
                                       {{"snapshot-id", second},
                                        {"statistics-path", second_stats},
                                        {"file-size-in-bytes", 4},
                                        {"file-footer-size-in-bytes", 2},
                                        {"key-metadata", "00ff"},
                                        {"blob-metadata", json::array()}}});
  const json partition_statistics = json::array(
      {{{"snapshot-id", first},
        {"statistics-path", first_partition_stats},
        {"file-size-in-bytes", 4}},
       {{"snapshot-id", second}, {"statistics-path", second_stats}, {"file-size-in-bytes", 4}}});
  const json foreign = {{"nested", {1, 2.5, "x", nullptr, true}}, {"empty", json::object()}};
  j["statistics"] = statistics;
  j["partition-statistics"] = partition_statistics;
  j["x-other-engine"] = foreign;
  j["x-number"] = 12345678901234567LL;
  PublishByHand(t, j);

  // Our next commit carries every one of them unchanged, except the entries
  // of the snapshot it expires (min-snapshots-to-keep 2), whose files are
  // deleted with it, as Java's expiry does.
  t.AppendRecords(IdValueRows(4, 2), IdValueSchema());
  j = LatestJson(t);
  EXPECT_EQ(j["x-other-engine"], foreign);
  EXPECT_EQ(j["x-number"], 12345678901234567LL);
  ASSERT_TRUE(j.contains("statistics"));
  ASSERT_TRUE(j.contains("partition-statistics"));
  EXPECT_EQ(j["statistics"], json::array({statistics[1]}));
  EXPECT_EQ(j["partition-statistics"], json::array({partition_statistics[1]}));
  EXPECT_EQ(t.SnapshotById(first), std::nullopt);
  ASSERT_TRUE(t.SnapshotById(second).has_value());
  EXPECT_FALSE(io.Exists(first_stats));
  EXPECT_FALSE(io.Exists(first_partition_stats));
  EXPECT_TRUE(io.Exists(second_stats));
  // The next commit expires the second snapshot: its entries go too.
  t.AppendRecords(IdValueRows(6, 2), IdValueSchema());
  j = LatestJson(t);
  EXPECT_EQ(j["x-other-engine"], foreign);
  EXPECT_TRUE(!j.contains("statistics") || j["statistics"].empty()) << j["statistics"];
  EXPECT_TRUE(!j.contains("partition-statistics") || j["partition-statistics"].empty());
  EXPECT_FALSE(io.Exists(second_stats));
  EXPECT_EQ(testing::SortedIds(t).size(), 8u);
}

TEST_F(CommitHistoryTest, Item2CommitIdIsRefusedAfterItsSnapshotExpired) {
  Table t = CreateTable(Path(), IdValueSchema(), PartitionSpec(),
                        {{"history.expire.min-snapshots-to-keep", "2"}});
  ASSERT_TRUE(CommitWithId(t, "batch-7", 0, 3));
  const int64_t batch = t.CurrentSnapshot()->snapshot_id;
  for (int i = 0; i < 5; ++i) t.AppendRecords(IdValueRows(100 + i, 1), IdValueSchema());
  ASSERT_EQ(t.SnapshotById(batch), std::nullopt);
  // The caller retries batch 7 (say, after CommitStateUnknown): refused,
  // naming the snapshot that holds it, and its rows are in the table once.
  try {
    CommitWithId(t, "batch-7", 0, 3);
    FAIL() << "a reused commit id was committed again";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("batch-7"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(std::to_string(batch)), std::string::npos) << e.what();
  }
  EXPECT_EQ(SortedIds(t), (std::vector<int64_t>{0, 1, 2, 100, 101, 102, 103, 104}));
}

TEST_F(CommitHistoryTest, Item2CommitIdsAreRememberedForTheNewestHorizonCommits) {
  Table t = CreateTable(Path(), IdValueSchema(), PartitionSpec(),
                        {{"history.expire.min-snapshots-to-keep", "1"},
                         {"datashard.commit-id.horizon-commits", "3"}});
  ASSERT_TRUE(CommitWithId(t, "a", 0, 1));
  ASSERT_TRUE(CommitWithId(t, "b", 1, 1));
  ASSERT_TRUE(CommitWithId(t, "c", 2, 1));
  // "a" is the third newest commit: still known, though only "c" is kept.
  EXPECT_EQ(t.metadata().snapshots.size(), 1u);
  EXPECT_THROW(CommitWithId(t, "a", 0, 1), InvalidArgument);
  EXPECT_THROW(CommitWithId(t, "b", 1, 1), InvalidArgument);
  ASSERT_TRUE(CommitWithId(t, "d", 3, 1));
  // Now it is the fourth: beyond the horizon, the id is free again.
  EXPECT_THROW(CommitWithId(t, "b", 1, 1), InvalidArgument);
  EXPECT_TRUE(CommitWithId(t, "a", 10, 1));
  EXPECT_EQ(SortedIds(t), (std::vector<int64_t>{0, 1, 2, 3, 10}));
}

TEST_F(CommitHistoryTest, Item2OlderRememberedIdsMoveToAFileThatCommitsStillRead) {
  namespace tp = table_properties;
  Table t = CreateTable(Path(), IdValueSchema(), PartitionSpec(),
                        {{"history.expire.min-snapshots-to-keep", "1"},
                         {"datashard.commit-id.horizon-commits", "100"}});
  for (int i = 0; i < 150; ++i) ASSERT_TRUE(CommitWithId(t, "c" + std::to_string(i), i, 1));
  // c149 is kept; the 99 ids remembered besides are c50..c148. More than
  // 64 went to the file at the commits of c65 and c130: the file holds
  // c31..c129 (one more than remembered: the rest waits for the next
  // rewrite) and the property c130..c148.
  const TableMetadata m = t.metadata();
  EXPECT_EQ(m.snapshots.size(), 1u);
  ASSERT_TRUE(m.properties.count(tp::kExpiredCommitIdsFile));
  const std::string file = m.properties.at(tp::kExpiredCommitIdsFile);
  EXPECT_EQ(file.find(Path() + "/metadata/expired-commit-ids-"), 0u) << file;
  const std::string file_text = t.io().ReadFile(file);
  EXPECT_EQ(std::count(file_text.begin(), file_text.end(), ';'), 99);
  EXPECT_EQ(file_text.find(",c31;") + 4, file_text.find(';')) << file_text;
  EXPECT_EQ(file_text.rfind(",c129;") + 5, file_text.size() - 1) << file_text;
  const std::string inline_ids = m.Property(tp::kExpiredCommitIds, "");
  EXPECT_EQ(std::count(inline_ids.begin(), inline_ids.end(), ';'), 19);
  EXPECT_EQ(inline_ids.find(",c130;") + 5, inline_ids.find(';')) << inline_ids;
  EXPECT_TRUE(t.Verify().ok());

  // Refused: c148 (in the property), c129 and c50 (in the file, the latter
  // the oldest within the horizon). Free: c49, past the horizon but still
  // in the file, and c30, no longer remembered anywhere.
  for (const char* used : {"c148", "c129", "c50"}) {
    EXPECT_THROW(CommitWithId(t, used, 1000, 1), InvalidArgument) << used;
  }
  EXPECT_TRUE(CommitWithId(t, "c49", 1000, 1));
  EXPECT_TRUE(CommitWithId(t, "c30", 1001, 1));
  // Each new commit moves the horizon by one: after c49 and c30 it begins
  // at c52, after two more at c54.
  EXPECT_TRUE(CommitWithId(t, "c51", 1002, 1));
  EXPECT_TRUE(CommitWithId(t, "c52", 1003, 1));
  EXPECT_THROW(CommitWithId(t, "c54", 1004, 1), InvalidArgument);
  EXPECT_TRUE(CommitWithId(t, "c53", 1004, 1));
}

TEST_F(CommitHistoryTest, Item2AMissingRememberedIdsFileStopsCommitsAndVerifySaysSo) {
  namespace tp = table_properties;
  Table t = CreateTable(Path(), IdValueSchema(), PartitionSpec(),
                        {{"history.expire.min-snapshots-to-keep", "1"}});
  for (int i = 0; i < 70; ++i) t.AppendRecords(IdValueRows(i, 1), IdValueSchema());
  const std::string file = t.metadata().Property(tp::kExpiredCommitIdsFile, "");
  ASSERT_FALSE(file.empty());
  t.io().Delete(file);
  // A commit id cannot be checked against ids that cannot be read.
  try {
    t.AppendRecords(IdValueRows(100, 1), IdValueSchema());
    ADD_FAILURE() << "the commit went ahead";
  } catch (const NotFound& e) {
    EXPECT_NE(std::string(e.what()).find(tp::kExpiredCommitIdsFile), std::string::npos) << e.what();
  }
  const VerifyReport report = t.Verify();
  ASSERT_EQ(report.problem_count, 1);
  EXPECT_NE(report.problems[0].find(file), std::string::npos) << report.problems[0];
  EXPECT_EQ(SortedIds(t).size(), 70u);
}

TEST_F(CommitHistoryTest, Item2RetryAfterAnUnknownOutcomeIsRefusedOnceItsSnapshotExpired) {
  // Without the commit lock, so that the other writer need not wait for it.
  CreateTable(
      Path(), IdValueSchema(), PartitionSpec(),
      {{"history.expire.min-snapshots-to-keep", "1"}, {"datashard.commit.lock.enabled", "false"}});
  auto fault = std::make_shared<FaultInjectionFileIO>(NewPosixFileIO());
  Table t = OpenTable(Path(), {fault});
  Table other = OpenTable(Path());
  // The version is linked, but the directory fsync after the link fails
  // once: the committer cannot know the outcome.
  bool linked = false;
  fault->SetHook(FaultOp::kLink | FaultOp::kSyncDir,
                 [&](FaultOp op, const std::string&, const std::string& target) {
                   if (op == FaultOp::kLink) {
                     linked = target.find(".metadata.json") != std::string::npos;
                   } else if (linked) {
                     linked = false;
                     throw IOError("fsync: Input/output error (injected)");
                   }
                 });
  TransactionOptions options;
  options.commit_id = "load-42";
  Transaction tx = t.NewTransaction(options);
  tx.AppendData(IdValueRows(0, 2), IdValueSchema());
  EXPECT_THROW(tx.Commit(), CommitStateUnknown);
  fault->SetHook(0, nullptr);
  // Two other commits expire that snapshot before the caller retries with
  // the same commit id, as the documentation tells it to: refused.
  other.AppendRecords(IdValueRows(100, 1), IdValueSchema());
  other.AppendRecords(IdValueRows(101, 1), IdValueSchema());
  ASSERT_EQ(other.metadata().snapshots.size(), 1u);
  EXPECT_THROW(CommitWithId(t, "load-42", 0, 2), InvalidArgument);
  EXPECT_EQ(SortedIds(other), (std::vector<int64_t>{0, 1, 100, 101}));
}

// Commits one row from `other` when `t`'s FileIO first opens a file whose
// path holds `part`: a commit that lands while `t` is reading.
void CommitWhenOpened(FaultInjectionFileIO& fault, Table& other, const std::string& part,
                      int64_t row) {
  fault.SetHook(FaultOp::kOpen,
                [&fault, &other, part, row](FaultOp, const std::string& path, const std::string&) {
                  if (path.find(part) == std::string::npos) return;
                  fault.SetHook(0, nullptr);
                  other.AppendRecords(IdValueRows(row, 1), IdValueSchema());
                });
}

TEST_F(CommitHistoryTest, Item4AScanStillReadsTheSnapshotThatExpiredWhileItRead) {
  CreateTable(Path(), IdValueSchema(), PartitionSpec(),
              {{"history.expire.min-snapshots-to-keep", "1"}});
  auto fault = std::make_shared<FaultInjectionFileIO>(NewPosixFileIO());
  Table t = OpenTable(Path(), {fault});
  Table other = OpenTable(Path());
  t.AppendRecords(IdValueRows(0, 2), IdValueSchema());
  const Snapshot first = *t.CurrentSnapshot();
  // As the scan opens the snapshot's manifest list, another commit expires
  // the snapshot: its files stay for the grace period, so the scan reads it.
  CommitWhenOpened(*fault, other, first.manifest_list, 100);
  EXPECT_EQ(SortedIds(t), (std::vector<int64_t>{0, 1}));
  t.Refresh();
  EXPECT_FALSE(t.SnapshotById(first.snapshot_id).has_value());
  EXPECT_TRUE(t.io().Exists(first.manifest_list));
  EXPECT_EQ(SortedIds(t), (std::vector<int64_t>{0, 1, 100}));
}

TEST_F(CommitHistoryTest, Item4AScanWhoseSnapshotsFilesWereDeletedSaysItExpired) {
  CreateTable(
      Path(), IdValueSchema(), PartitionSpec(),
      {{"history.expire.min-snapshots-to-keep", "1"}, {"datashard.expire.delete-grace-ms", "0"}});
  auto fault = std::make_shared<FaultInjectionFileIO>(NewPosixFileIO());
  Table t = OpenTable(Path(), {fault});
  Table other = OpenTable(Path());
  t.AppendRecords(IdValueRows(0, 2), IdValueSchema());
  const int64_t first = t.CurrentSnapshot()->snapshot_id;
  CommitWhenOpened(*fault, other, t.CurrentSnapshot()->manifest_list, 100);
  try {
    SortedIds(t, first);
    FAIL() << "the scan read a snapshot whose manifest list was deleted";
  } catch (const NotFound& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("snapshot " + std::to_string(first) + " of table"), std::string::npos)
        << what;
    EXPECT_NE(what.find("expired while this scan read it"), std::string::npos) << what;
  }
}

TEST_F(CommitHistoryTest, Item4AWriterWhoseBaseFilesVanishedRetriesAsALostRace) {
  // No grace period and no commit lock: the other commit lands while this
  // one reads its base version and deletes that version's manifest list.
  CreateTable(Path(), IdValueSchema(), PartitionSpec(),
              {{"history.expire.min-snapshots-to-keep", "1"},
               {"datashard.expire.delete-grace-ms", "0"},
               {"datashard.commit.lock.enabled", "false"}});
  auto fault = std::make_shared<FaultInjectionFileIO>(NewPosixFileIO());
  Table t = OpenTable(Path(), {fault});
  Table other = OpenTable(Path());
  // Made by the other table, so that `t` reads the list from the file and
  // does not have it from its own commit.
  other.AppendRecords(IdValueRows(0, 2), IdValueSchema());
  Transaction tx = t.NewTransaction();
  tx.AppendData(IdValueRows(10, 3), IdValueSchema());
  CommitWhenOpened(*fault, other, t.CurrentSnapshot()->manifest_list, 100);
  EXPECT_TRUE(tx.Commit());
  EXPECT_EQ(tx.retries(), 1);
  EXPECT_EQ(SortedIds(other), (std::vector<int64_t>{0, 1, 10, 11, 12, 100}));
}

TEST_F(CommitHistoryTest, Item4RetiredFilesAreDeletedOnceTheirGracePeriodPassed) {
  Table t = CreateTable(
      Path(), IdValueSchema(), PartitionSpec(),
      {{"history.expire.min-snapshots-to-keep", "1"}, {"datashard.expire.delete-grace-ms", "1"}});
  const auto count = [&](const std::string& dir, const std::string& prefix) {
    int n = 0;
    for (const FileInfo& f : t.io().List(dir)) n += f.name.rfind(prefix, 0) == 0 ? 1 : 0;
    return n;
  };
  // Commit 16 sweeps the lists of commits 2 to 15, which are due by then.
  for (int i = 0; i < 16; ++i) {
    t.AppendRecords(IdValueRows(i, 1), IdValueSchema());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // Left: the current snapshot's manifest list and the one it expired, whose
  // deletion is listed.
  EXPECT_EQ(count(Path() + "/metadata", "snap-"), 2);
  EXPECT_EQ(count(Path() + "/metadata/deferred-deletes", ""), 1);
  EXPECT_EQ(SortedIds(t).size(), 16u);
}

TEST_F(CommitHistoryTest, Item6ACommitFromAClockFarAheadOfTheFileSystemsIsRefused) {
  Table created = CreateTable(Path(), IdValueSchema(), PartitionSpec());
  created.AppendRecords(IdValueRows(0, 1), IdValueSchema());
  const int64_t before = created.metadata().last_updated_ms;
  // Files this process writes look an hour old to it: its clock is an hour
  // ahead of the file server's.
  auto fault = std::make_shared<FaultInjectionFileIO>(NewPosixFileIO());
  fault->ShiftModificationTimes(-3600 * 1000);
  Table t = OpenTable(Path(), {fault});
  Transaction tx = t.NewTransaction();
  tx.AppendData(IdValueRows(1, 1), IdValueSchema());
  try {
    tx.Commit();
    FAIL() << "a commit stamped an hour ahead of the file system was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("ms ahead of the file system's"), std::string::npos)
        << e.what();
  }
  created.Refresh();
  EXPECT_EQ(created.metadata().last_updated_ms, before);
  EXPECT_EQ(created.metadata().snapshots.size(), 1u);
  // Within the limit (a minute by default) the commit goes in.
  fault->ShiftModificationTimes(-20 * 1000);
  t.AppendRecords(IdValueRows(2, 1), IdValueSchema());
  EXPECT_EQ(SortedIds(created), (std::vector<int64_t>{0, 2}));
}

}  // namespace
}  // namespace datashard
