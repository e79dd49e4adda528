// Snapshot expiry (Table::ExpireSnapshots, `expire`) and commit-time
// retention: which snapshots remain, which files are deleted (manifest
// lists, manifests, and data files that row-level changes and compaction
// removed), that nothing a kept snapshot references is, that deletion waits
// for the grace period, and time travel to kept and expired snapshots.
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "datashard/errors.h"
#include "datashard/scan.h"
#include "datashard/table.h"
#include "io/temp_dir.h"
#include "metadata/manifest.h"
#include "table/table_catalogs.h"
#include "table/table_test_util.h"
#include "util/clock.h"

namespace datashard {
namespace {

using testing::ExpectVerifies;
using testing::IdValueRows;
using testing::IdValueSchema;
using testing::Range;
using testing::SortedIds;

// Live data and delete files of a snapshot.
std::set<std::string> LiveFiles(Table& t, int64_t snapshot_id) {
  std::set<std::string> paths;
  const std::optional<Snapshot> s = t.SnapshotById(snapshot_id);
  if (!s) return paths;
  for (const ManifestFile& m : ReadManifestList(t.io(), s->manifest_list)) {
    for (const ManifestEntry& e : ReadManifest(t.io(), m)) {
      if (e.status != EntryStatus::kDeleted) paths.insert(e.data_file.file_path);
    }
  }
  return paths;
}

// Expire everything but the newest `n` snapshots, whatever their age.
ExpireOptions KeepNewest(int64_t n) {
  ExpireOptions options;
  options.older_than_ms = 0;
  options.retain_last = n;
  return options;
}

std::vector<int64_t> SnapshotIds(Table& t) {
  t.Refresh();
  std::vector<int64_t> ids;
  for (const Snapshot& s : t.History()) ids.push_back(s.snapshot_id);
  return ids;
}

// Through the file catalog and the SQL catalogs (SQLite, PostgreSQL).
class ExpireTest : public ::testing::TestWithParam<std::string> {
 protected:
  // Five snapshots: appends of [0,10) (file A), [10,20) (B), [20,30) (C),
  // a copy-on-write delete of [0,5) (A replaced by A'), a delete of all of B.
  Table FiveSnapshots(const std::string& grace_ms) {
    Table t = catalogs_.Create(dir_.Join("t"), IdValueSchema(), PartitionSpec(),
                               {{"datashard.expire.delete-grace-ms", grace_ms},
                                {"history.expire.min-snapshots-to-keep", "1000"},
                                {"write.delete.mode", "copy-on-write"}});
    for (int i = 0; i < 3; ++i) {
      t.AppendRecords(IdValueRows(i * 10, 10), IdValueSchema());
      ids_.push_back(t.CurrentSnapshot()->snapshot_id);
    }
    for (const char* where : {"record_id < 5", "record_id >= 10 and record_id < 20"}) {
      Transaction tx = t.NewTransaction();
      tx.Delete(where);
      tx.Commit();
      ids_.push_back(tx.committed_snapshot()->snapshot_id);
    }
    for (int64_t id : ids_) {
      lists_.push_back(t.SnapshotById(id)->manifest_list);
      live_.push_back(LiveFiles(t, id));
    }
    return t;
  }
  // The one file in `a` and not in `b`.
  static std::string Only(const std::set<std::string>& a, const std::set<std::string>& b) {
    std::vector<std::string> out;
    for (const std::string& p : a) {
      if (!b.count(p)) out.push_back(p);
    }
    EXPECT_EQ(out.size(), 1u);
    return out.empty() ? "" : out[0];
  }
  TempDir dir_;
  testing::TableCatalogs catalogs_{GetParam(), dir_};
  std::vector<int64_t> ids_;
  std::vector<std::string> lists_;
  std::vector<std::set<std::string>> live_;
};

TEST_P(ExpireTest, RetainLastKeepsTheNewestAndDeletesWhatOnlyExpiredSnapshotsReferenced) {
  Table t = FiveSnapshots("0");
  const std::string a = Only(live_[0], live_[4]);   // replaced by the first delete
  const std::string b = Only(live_[1], live_[0]);   // B
  const std::string a2 = Only(live_[3], live_[2]);  // A', the rewrite
  ExpireReport r = t.ExpireSnapshots(KeepNewest(3));
  EXPECT_EQ(SnapshotIds(t), (std::vector<int64_t>{ids_[2], ids_[3], ids_[4]}));
  std::vector<int64_t> want = {ids_[0], ids_[1]};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(r.expired_snapshot_ids, want);
  EXPECT_EQ(r.kept_snapshots, 3);
  EXPECT_EQ(r.manifest_lists, 2);
  EXPECT_EQ(r.manifests, 0);   // the third snapshot still lists both manifests
  EXPECT_EQ(r.data_files, 0);  // A is live in the third snapshot
  EXPECT_EQ(r.delete_files, 0);
  EXPECT_GT(r.bytes, 0);
  EXPECT_FALSE(t.io().Exists(lists_[0]));
  EXPECT_FALSE(t.io().Exists(lists_[1]));
  EXPECT_TRUE(t.io().Exists(a));
  ExpectVerifies(t);
  EXPECT_EQ(SortedIds(t, ids_[2]), Range(0, 30));

  r = t.ExpireSnapshots(KeepNewest(1));
  EXPECT_EQ(SnapshotIds(t), (std::vector<int64_t>{ids_[4]}));
  EXPECT_EQ(r.manifest_lists, 2);
  EXPECT_EQ(r.manifests, 3);   // A's, B's, and the rewrite that marked A deleted
  EXPECT_EQ(r.data_files, 2);  // A (removed by an expired snapshot), B (by the kept one)
  EXPECT_FALSE(t.io().Exists(a));
  EXPECT_FALSE(t.io().Exists(b));
  EXPECT_TRUE(t.io().Exists(a2));
  for (const std::string& f : live_[4]) EXPECT_TRUE(t.io().Exists(f)) << f;
  ExpectVerifies(t);
  std::vector<int64_t> rows = Range(5, 10);
  for (int64_t i = 20; i < 30; ++i) rows.push_back(i);
  EXPECT_EQ(SortedIds(t, ids_[4]), rows);
  try {
    t.ScanAll(ids_[0]);
    ADD_FAILURE();
  } catch (const NotFound& e) {
    EXPECT_EQ(std::string(e.what()), "table " + t.location() + " has no snapshot " +
                                         std::to_string(ids_[0]) + ": it expired or never existed");
  }
}

TEST_P(ExpireTest, OlderThanSparesYoungSnapshotsAndNothingToExpireCommitsNothing) {
  Table t = FiveSnapshots("0");
  const int64_t version = t.metadata_version();
  ExpireOptions young;
  young.older_than_ms = 3600 * 1000;
  young.retain_last = 1;
  const ExpireReport r = t.ExpireSnapshots(young);
  EXPECT_TRUE(r.expired_snapshot_ids.empty());
  EXPECT_EQ(r.kept_snapshots, 5);
  t.Refresh();
  EXPECT_EQ(t.metadata_version(), version);
  // The table's own policy is the default: keep 1000.
  EXPECT_TRUE(t.ExpireSnapshots().expired_snapshot_ids.empty());
  ExpireOptions bad;
  bad.retain_last = 0;
  EXPECT_THROW(t.ExpireSnapshots(bad), InvalidArgument);
}

TEST_P(ExpireTest, FilesWaitForTheGracePeriod) {
  Table t = FiveSnapshots("600000");
  const std::string a = Only(live_[0], live_[4]);
  const int64_t before = DefaultClock()->NowMillis();
  const ExpireReport r = t.ExpireSnapshots(KeepNewest(1));
  EXPECT_EQ(r.data_files, 2);
  EXPECT_GE(r.delete_after_ms, before + 600000);
  // Still there for readers that resolved an expired snapshot a moment ago.
  EXPECT_TRUE(t.io().Exists(a));
  EXPECT_TRUE(t.io().Exists(lists_[0]));
  // One list, beside the lock that writers of shared lists take.
  std::vector<std::string> pending = t.io().ListNames(t.location() + "/metadata/deferred-deletes");
  EXPECT_EQ(std::erase(pending, "append.lock"), 1u);
  ASSERT_EQ(pending.size(), 1u);
  const std::string list =
      t.io().ReadFile(t.location() + "/metadata/deferred-deletes/" + pending[0]);
  EXPECT_NE(list.find(a + "\n"), std::string::npos);
  EXPECT_NE(list.find(lists_[0] + "\n"), std::string::npos);
  ExpectVerifies(t);
}

INSTANTIATE_TEST_SUITE_P(Catalogs, ExpireTest, ::testing::Values("file", "sqlite", "postgresql"),
                         testing::CatalogName);

TEST(RetentionTest, CommitTimeRetentionDeletesDataFilesARemovalLeftBehind) {
  TempDir dir;
  Table t = CreateTable(dir.Join("t"), IdValueSchema(), PartitionSpec(),
                        {{"datashard.expire.delete-grace-ms", "0"},
                         {"history.expire.min-snapshots-to-keep", "1"},
                         {"write.delete.mode", "copy-on-write"}});
  t.AppendRecords(IdValueRows(0, 10), IdValueSchema());
  const std::set<std::string> first = LiveFiles(t, t.CurrentSnapshot()->snapshot_id);
  ASSERT_EQ(first.size(), 1u);
  t.AppendRecords(IdValueRows(10, 10), IdValueSchema());
  Transaction tx = t.NewTransaction();
  EXPECT_EQ(tx.Delete("record_id < 10"), 10);
  tx.Commit();
  // The delete's own commit expired every older snapshot: the file it
  // removed is live nowhere any more.
  EXPECT_EQ(t.History().size(), 1u);
  EXPECT_FALSE(t.io().Exists(*first.begin()));
  EXPECT_EQ(SortedIds(t), Range(10, 20));
  ExpectVerifies(t);
}

TEST(RetentionTest, CompactedFilesGoWhenTheLastSnapshotListingThemExpires) {
  TempDir dir;
  Table t = CreateTable(dir.Join("t"), IdValueSchema(), PartitionSpec(),
                        {{"datashard.expire.delete-grace-ms", "0"},
                         {"history.expire.min-snapshots-to-keep", "1000"}});
  std::set<std::string> small;
  for (int i = 0; i < 4; ++i) {
    t.AppendRecords(IdValueRows(i * 10, 10), IdValueSchema());
  }
  small = LiveFiles(t, t.CurrentSnapshot()->snapshot_id);
  ASSERT_EQ(small.size(), 4u);
  ASSERT_TRUE(t.Compact().snapshot_id.has_value());
  const ExpireReport r = t.ExpireSnapshots(KeepNewest(1));
  EXPECT_EQ(r.expired_snapshot_ids.size(), 4u);
  EXPECT_EQ(r.data_files, 4);
  for (const std::string& f : small) EXPECT_FALSE(t.io().Exists(f)) << f;
  EXPECT_EQ(SortedIds(t), Range(0, 40));
  ExpectVerifies(t);
}

TEST(RetentionTest, DeleteFilesACompactionAppliedGoWithTheSnapshotsThatHadThem) {
  TempDir dir;
  Table t = CreateTable(dir.Join("t"), IdValueSchema(), PartitionSpec(),
                        {{"datashard.expire.delete-grace-ms", "0"},
                         {"history.expire.min-snapshots-to-keep", "1000"},
                         {"write.delete.mode", "merge-on-read"}});
  for (int i = 0; i < 2; ++i) t.AppendRecords(IdValueRows(i * 10, 10), IdValueSchema());
  Transaction tx = t.NewTransaction();
  EXPECT_EQ(tx.Delete("record_id = 3 or record_id = 13"), 2);
  ASSERT_TRUE(tx.Commit());
  const std::set<std::string> before = LiveFiles(t, tx.committed_snapshot()->snapshot_id);
  ASSERT_EQ(before.size(), 4u);  // two data files, a position delete file for each
  ASSERT_EQ(t.Compact().delete_files_removed, 2);
  const ExpireReport r = t.ExpireSnapshots(KeepNewest(1));
  EXPECT_EQ(r.data_files, 2);
  EXPECT_EQ(r.delete_files, 2);
  for (const std::string& f : before) EXPECT_FALSE(t.io().Exists(f)) << f;
  std::vector<int64_t> want = Range(0, 20);
  want.erase(want.begin() + 13);
  want.erase(want.begin() + 3);
  EXPECT_EQ(SortedIds(t), want);
  ExpectVerifies(t);
}

}  // namespace
}  // namespace datashard
