// gc: deletes exactly the unreferenced files older than the grace period
// under data/ and metadata/, lists them with dry_run, and never touches a
// referenced file, a young one, a link or what it points to, the catalog's
// own files, or a table whose metadata names another folder.
#include <algorithm>
#include <cerrno>
#include <filesystem>

#include <gtest/gtest.h>

#include "datashard/errors.h"
#include "datashard/table.h"
#include "io/fault_injection_file_io.h"
#include "io/temp_dir.h"
#include "maintenance/gc.h"
#include "table/table_test_util.h"
#include "util/clock.h"

namespace datashard {
namespace {

using testing::IdValueRows;
using testing::IdValueSchema;
using testing::SortedIds;

constexpr int64_t kDay = 24 * 3600 * 1000LL;

std::vector<std::string> Paths(const GcReport& r) {
  std::vector<std::string> out;
  for (const GcReport::Orphan& o : r.orphans) out.push_back(o.path);
  std::sort(out.begin(), out.end());
  return out;
}

class GcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    table_ = CreateTable(root_, IdValueSchema());
    for (int i = 0; i < 3; ++i) table_->AppendRecords(IdValueRows(i * 5, 5), IdValueSchema());
  }

  // gc as if run `days` from now: every file is that much older.
  GcReport Gc(int64_t days, bool dry_run = false) {
    GcOptions options;
    options.dry_run = dry_run;
    return CollectGarbage(*io_, root_, OpenTable(root_).metadata(),
                          DefaultClock()->NowMillis() + days * kDay, options);
  }

  std::string Write(const std::string& relative, const std::string& bytes = "junk") {
    const std::string path = root_ + "/" + relative;
    io_->WriteFile(path, bytes, /*sync=*/false);
    return path;
  }

  TempDir dir_{"gc"};
  std::string root_ = dir_.Join("t");
  std::shared_ptr<FileIO> io_ = DefaultFileIO();
  std::optional<Table> table_;
};

TEST_F(GcTest, TheRememberedCommitIdsFileIsReferenced) {
  const std::string root = dir_.Join("ids");
  Table t = CreateTable(root, IdValueSchema(), PartitionSpec(),
                        {{"history.expire.min-snapshots-to-keep", "1"}});
  for (int i = 0; i < 70; ++i) t.AppendRecords(IdValueRows(i, 1), IdValueSchema());
  const std::string file = t.metadata().Property(table_properties::kExpiredCommitIdsFile, "");
  ASSERT_FALSE(file.empty());
  const GcReport r = CollectGarbage(*io_, root, OpenTable(root).metadata(),
                                    DefaultClock()->NowMillis() + 4 * kDay, GcOptions());
  const std::vector<std::string> orphans = Paths(r);
  EXPECT_EQ(std::count(orphans.begin(), orphans.end(), file), 0);
  EXPECT_TRUE(io_->Exists(file));
  EXPECT_EQ(SortedIds(t).size(), 70u);
}

TEST_F(GcTest, OldOrphansAreListedByADryRunThenDeletedAndNothingElse) {
  const std::string stray = Write("data/00000-stray.parquet", "not referenced");
  const std::string temp = Write("metadata/.tmp-v9-dead.json", "{}");
  const std::string manifest = Write("metadata/abandoned-m0.avro");
  io_->CreateDirs(root_ + "/data/p=1");
  const std::string nested = Write("data/p=1/old.parquet");
  const std::vector<std::string> want = [&] {
    std::vector<std::string> v{stray, temp, manifest, nested};
    std::sort(v.begin(), v.end());
    return v;
  }();

  const GcReport dry = Gc(4, /*dry_run=*/true);
  EXPECT_EQ(Paths(dry), want);
  EXPECT_EQ(dry.young, 0);
  EXPECT_EQ(dry.grace_ms, table_properties::kGcGraceMsDefault);
  for (const std::string& p : want) EXPECT_TRUE(io_->Exists(p)) << p;

  const GcReport r = Gc(4);
  EXPECT_EQ(Paths(r), want);
  EXPECT_EQ(r.bytes, 14u + 2u + 4u + 4u);
  for (const std::string& p : want) EXPECT_FALSE(io_->Exists(p)) << p;
  // Everything the table references is still there and reads.
  Table again = OpenTable(root_);
  EXPECT_TRUE(again.Verify().ok());
  EXPECT_EQ(SortedIds(again).size(), 15u);
  EXPECT_TRUE(io_->Exists(root_ + "/metadata/version-hint.text"));
  EXPECT_TRUE(Paths(Gc(4)).empty());
}

// Found by scripts/soak: older metadata versions still name snapshots that
// expired since, whose manifest lists retention deleted; gc failed with
// NotFound on them instead of going on.
TEST_F(GcTest, SnapshotsOfOlderVersionsWhoseFilesRetentionDeletedProtectNothing) {
  const std::string root = dir_.Join("expiring");
  Table t = CreateTable(
      root, IdValueSchema(), PartitionSpec(),
      {{"history.expire.min-snapshots-to-keep", "1"}, {"datashard.expire.delete-grace-ms", "0"}});
  t.AppendRecords(IdValueRows(0, 1), IdValueSchema());
  const std::string first_list = t.CurrentSnapshot()->manifest_list;
  t.AppendRecords(IdValueRows(1, 1), IdValueSchema());
  t.AppendRecords(IdValueRows(2, 1), IdValueSchema());
  ASSERT_FALSE(io_->Exists(first_list));  // v2 still names its snapshot
  const std::string orphan = root + "/data/orphan.parquet";
  io_->WriteFile(orphan, "junk", /*sync=*/false);
  const GcReport r = CollectGarbage(*io_, root, OpenTable(root).metadata(),
                                    DefaultClock()->NowMillis() + 4 * kDay, {});
  EXPECT_EQ(Paths(r), std::vector<std::string>{orphan});
  EXPECT_EQ(SortedIds(t), (std::vector<int64_t>{0, 1, 2}));
}

// Every I/O operation of a gc failing in turn (EIO, ENOSPC; every third
// time for good, as when the machine dies there): never a referenced file
// deleted; the table reads and verifies, and the next gc deletes what is
// left.
TEST_F(GcTest, FailingAtAnyStepDeletesNothingReferenced) {
  const std::vector<std::string> orphans = {Write("data/a.parquet"), Write("data/b.parquet"),
                                            Write("metadata/c-m0.avro")};
  for (int n = 1;; ++n) {
    SCOPED_TRACE("failing operation " + std::to_string(n));
    for (const std::string& p : orphans) {
      if (!io_->Exists(p)) io_->WriteFile(p, "junk", /*sync=*/false);
    }
    auto fault = std::make_shared<FaultInjectionFileIO>(NewPosixFileIO());
    fault->FailNth(kAllFaultOps, n, n % 2 ? EIO : ENOSPC, /*sticky=*/n % 3 == 0);
    try {
      CollectGarbage(*fault, root_, OpenTable(root_).metadata(),
                     DefaultClock()->NowMillis() + 4 * kDay, {});
    } catch (const Error&) {
    }
    const bool fired = fault->faults_injected() > 0;
    fault->ClearFaults();
    fault->DropUnsyncedData();
    Table t = OpenTable(root_);
    EXPECT_EQ(SortedIds(t), testing::Range(0, 15));
    testing::ExpectVerifies(t);
    Gc(4);
    for (const std::string& p : orphans) EXPECT_FALSE(io_->Exists(p)) << p;
    EXPECT_TRUE(Gc(4).orphans.empty());
    if (!fired) {
      EXPECT_GT(n, 3 * static_cast<int>(orphans.size()));  // listings, stats, deletes
      break;
    }
    ASSERT_LT(n, 500);
  }
}

TEST_F(GcTest, YoungOrphansAreKept) {
  const std::string stray = Write("data/fresh.parquet");
  const GcReport r = Gc(0);
  EXPECT_TRUE(r.orphans.empty());
  EXPECT_EQ(r.young, 1);
  EXPECT_TRUE(io_->Exists(stray));
  EXPECT_GE(r.referenced, 3 + 3);     // data files and manifest lists at least
  EXPECT_EQ(r.metadata_versions, 4);  // v1..v4
}

TEST_F(GcTest, LinksAndWhatTheyPointToAreNeverTouched) {
  TempDir outside{"gc-outside"};
  const std::string target = outside.Join("precious.parquet");
  io_->WriteFile(target, "precious", /*sync=*/false);
  io_->CreateDirs(outside.Join("dir"));
  io_->WriteFile(outside.Join("dir/inner.parquet"), "precious", /*sync=*/false);
  // Made by hand: the library itself never creates links.
  std::filesystem::create_symlink(target, root_ + "/data/link.parquet");
  std::filesystem::create_directory_symlink(outside.Join("dir"), root_ + "/data/linked-dir");
  const GcReport r = Gc(4);
  EXPECT_TRUE(r.orphans.empty());
  EXPECT_TRUE(io_->Exists(target));
  EXPECT_TRUE(io_->Exists(outside.Join("dir/inner.parquet")));
}

TEST_F(GcTest, AMovedTableAndAGraceBelowTheCommitTimeoutAreRefused) {
  TableMetadata moved = OpenTable(root_).metadata();
  moved.location = dir_.Join("elsewhere");
  EXPECT_THROW(CollectGarbage(*io_, root_, moved, DefaultClock()->NowMillis() + 4 * kDay, {}),
               InvalidArgument);
  TableMetadata impatient = OpenTable(root_).metadata();
  impatient.properties[table_properties::kGcGraceMs] = "1000";
  try {
    CollectGarbage(*io_, root_, impatient, DefaultClock()->NowMillis() + 4 * kDay, {});
    ADD_FAILURE() << "a grace period below the commit timeout was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find(table_properties::kGcGraceMs), std::string::npos);
  }
  Write("data/stray.parquet");
  EXPECT_EQ(Gc(4).orphans.size(), 1u);  // the refusals deleted nothing
}

// Issue 17 item 5, a real bug: gc listed data/ through a symbolic link and
// deleted the old files where it pointed, outside the table.
TEST_F(GcTest, ADataFolderThatIsASymlinkIsNotEntered) {
  const std::string outside = dir_.Join("elsewhere");
  std::filesystem::rename(root_ + "/data", outside);
  std::filesystem::create_directory_symlink(outside, root_ + "/data");
  io_->WriteFile(outside + "/victim.parquet", "not the table's", /*sync=*/false);
  const GcReport r = Gc(4);
  EXPECT_TRUE(r.orphans.empty()) << Paths(r)[0];
  EXPECT_EQ(io_->ReadFile(outside + "/victim.parquet"), "not the table's");
  // And the table itself refuses to read through that link.
  EXPECT_THROW(SortedIds(*table_), Corruption);
}

}  // namespace
}  // namespace datashard
