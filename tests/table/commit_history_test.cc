// What a commit keeps of the table's history (issue 12, items 2, 4, 6, 9):
// fields other engines wrote, commit ids beyond retention, timestamps after a
// wrong clock, and files of expired snapshots while readers still use them.
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "catalog/file_catalog.h"
#include "datashard/errors.h"
#include "datashard/table.h"
#include "io/temp_dir.h"
#include "table/table_test_util.h"

namespace datashard {
namespace {

using nlohmann::json;
using testing::IdValueRows;
using testing::IdValueSchema;
using testing::SortedIds;

// Passes everything to the POSIX FileIO, except that a metadata version's
// link() can be made to succeed, run `after_link` and then report EIO: an
// outcome the committer cannot know (e.g. NFS retransmits).
class LinkReportsFailureIO final : public FileIO {
 public:
  std::function<void()> after_link;

  std::unique_ptr<RandomAccessFile> OpenRead(const std::string& p) override {
    return base_->OpenRead(p);
  }
  std::unique_ptr<WritableFile> Create(const std::string& p) override { return base_->Create(p); }
  bool LinkIfAbsent(const std::string& source, const std::string& target) override {
    const bool linked = base_->LinkIfAbsent(source, target);
    if (!after_link || target.find(".metadata.json") == std::string::npos) return linked;
    std::function<void()> f = std::move(after_link);
    after_link = nullptr;
    f();
    throw IOError("link " + target + ": Input/output error (injected)");
  }
  void Rename(const std::string& s, const std::string& t) override { base_->Rename(s, t); }
  void SyncDir(const std::string& d) override { base_->SyncDir(d); }
  void Delete(const std::string& p) override { base_->Delete(p); }
  bool Exists(const std::string& p) override { return base_->Exists(p); }
  FileInfo Stat(const std::string& p) override { return base_->Stat(p); }
  std::vector<FileInfo> List(const std::string& d) override { return base_->List(d); }
  void CreateDirs(const std::string& d) override { base_->CreateDirs(d); }
  std::unique_ptr<FileLock> Lock(const std::string& p, bool wait) override {
    return base_->Lock(p, wait);
  }
  std::unique_ptr<UpdatableFile> OpenForUpdate(const std::string& p) override {
    return base_->OpenForUpdate(p);
  }
  std::unique_ptr<SharedMemory> MapShared(const std::string& p, size_t size) override {
    return base_->MapShared(p, size);
  }
  bool IsNetworkFilesystem(const std::string& p) override { return base_->IsNetworkFilesystem(p); }
  std::string BootId() override { return base_->BootId(); }
  std::string AbsolutePath(const std::string& p) override { return base_->AbsolutePath(p); }

 private:
  std::shared_ptr<FileIO> base_ = NewPosixFileIO();
};

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
  Table t = CreateTable(Path(), IdValueSchema(), PartitionSpec(),
                        {{"history.expire.min-snapshots-to-keep", "2"}});
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

TEST_F(CommitHistoryTest, Item2UnknownOutcomeIsResolvedWithinTheSameHorizon) {
  // Without the commit lock, which our commit would hold while the others
  // wait for it.
  CreateTable(Path(), IdValueSchema(), PartitionSpec(),
              {{"history.expire.min-snapshots-to-keep", "1"},
               {"datashard.commit.lock.enabled", "false"}});
  auto io = std::make_shared<LinkReportsFailureIO>();
  Table t = OpenTable(Path(), {io});
  Table other = OpenTable(Path());
  // The link publishes our version but reports EIO; before we look, two
  // other commits expire our snapshot.
  io->after_link = [&] {
    other.AppendRecords(IdValueRows(100, 1), IdValueSchema());
    other.AppendRecords(IdValueRows(101, 1), IdValueSchema());
  };
  TransactionOptions options;
  options.commit_id = "load-42";
  Transaction tx = t.NewTransaction(options);
  tx.AppendData(IdValueRows(0, 2), IdValueSchema());
  EXPECT_TRUE(tx.Commit());
  ASSERT_TRUE(tx.committed_snapshot().has_value());
  EXPECT_EQ(tx.committed_snapshot()->summary.at(kCommitIdSummaryKey), "load-42");
  EXPECT_EQ(t.SnapshotById(tx.committed_snapshot()->snapshot_id), std::nullopt);
  EXPECT_EQ(SortedIds(other), (std::vector<int64_t>{0, 1, 100, 101}));
}

}  // namespace
}  // namespace datashard
