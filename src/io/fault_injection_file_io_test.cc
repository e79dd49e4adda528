#include "io/fault_injection_file_io.h"

#include <cerrno>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "datashard/errors.h"
#include "io/temp_dir.h"

namespace datashard {
namespace {

class FaultInjectionFileIOTest : public ::testing::Test {
 protected:
  std::string P(const std::string& name) const { return dir_.Join(name); }
  // What the disk holds, read around the wrapper.
  std::string OnDisk(const std::string& name) { return posix_->ReadFile(P(name)); }
  bool OnDiskExists(const std::string& name) { return posix_->Exists(P(name)); }

  TempDir dir_;
  std::shared_ptr<FileIO> posix_ = NewPosixFileIO();
  FaultInjectionFileIO io_{posix_};
};

TEST_F(FaultInjectionFileIOTest, CountsOperationsAndFsyncs) {
  io_.WriteFile(P("a"), "abc");        // create, append, sync
  io_.WriteFile(P("b"), "de", false);  // create, append
  io_.SyncDir(dir_.path());            // sync_dir
  EXPECT_TRUE(io_.LinkIfAbsent(P("a"), P("c")));
  io_.Rename(P("b"), P("d"));
  io_.Delete(P("c"));
  EXPECT_EQ(io_.ReadFile(P("a")), "abc");  // open, read
  EXPECT_TRUE(io_.Exists(P("a")));
  io_.List(dir_.path());
  io_.Lock(P("lock"), false);
  const FileIOCounters c = io_.counters();
  EXPECT_EQ(c.creates, 2);
  EXPECT_EQ(c.appends, 2);
  EXPECT_EQ(c.syncs, 1);
  EXPECT_EQ(c.sync_dirs, 1);
  EXPECT_EQ(c.fsyncs(), 2);
  EXPECT_EQ(c.links, 1);
  EXPECT_EQ(c.renames, 1);
  EXPECT_EQ(c.deletes, 1);
  EXPECT_EQ(c.opens, 1);
  EXPECT_EQ(c.reads, 1);
  EXPECT_EQ(c.stats, 1);
  EXPECT_EQ(c.lists, 1);
  EXPECT_EQ(c.locks, 1);
  EXPECT_EQ(c.bytes_appended, 5);
  EXPECT_EQ(c.bytes_read, 3);
  io_.ResetCounters();
  EXPECT_EQ(io_.counters().creates, 0);
  EXPECT_EQ(io_.counters().fsyncs(), 0);
}

TEST_F(FaultInjectionFileIOTest, FailsTheNthMatchingCallOnceWithTheChosenErrno) {
  io_.FailNth(FaultOp::kAppend, 3, ENOSPC);
  auto f = io_.Create(P("f"));
  f->Append("1");
  f->Sync();  // not an append: not counted
  f->Append("2");
  try {
    f->Append("3");
    FAIL() << "third append should fail";
  } catch (const IOError& e) {
    EXPECT_EQ(std::string(e.what()),
              "append (injected fault) '" + P("f") + "': No space left on device");
  }
  f->Append("4");  // disarmed after firing
  f->Close();
  EXPECT_EQ(OnDisk("f"), "124");
  EXPECT_EQ(io_.faults_injected(), 1);
}

TEST_F(FaultInjectionFileIOTest, HookRunsBeforeMatchingCallsAndCanFailThem) {
  io_.WriteFile(P("a"), "abc");
  std::vector<std::string> seen;
  io_.SetHook(FaultOp::kLink | FaultOp::kLock,
              [&](FaultOp op, const std::string& path, const std::string& target) {
                seen.push_back(path + ">" + target);
                if (op == FaultOp::kLink && target == P("b")) {
                  EXPECT_FALSE(OnDiskExists("b"));  // before the call's effect
                  throw IOError("refused by the hook");
                }
              });
  EXPECT_THROW(io_.LinkIfAbsent(P("a"), P("b")), IOError);
  EXPECT_FALSE(OnDiskExists("b"));
  EXPECT_TRUE(io_.LinkIfAbsent(P("a"), P("c")));
  EXPECT_NE(io_.Lock(P("lock"), false), nullptr);
  io_.Rename(P("c"), P("d"));  // not a hooked kind
  io_.SetHook(FaultOp::kLink, nullptr);
  EXPECT_TRUE(io_.LinkIfAbsent(P("a"), P("e")));
  EXPECT_EQ(seen, (std::vector<std::string>{P("a") + ">" + P("b"), P("a") + ">" + P("c"),
                                            P("lock") + ">"}));
}

TEST_F(FaultInjectionFileIOTest, StickyFaultsKeepFailing) {
  io_.FailNth(FaultOp::kSync | FaultOp::kSyncDir, 2, EIO, /*sticky=*/true);
  auto f = io_.Create(P("f"));
  f->Append("x");
  f->Sync();
  EXPECT_THROW(io_.SyncDir(dir_.path()), IOError);
  EXPECT_THROW(f->Sync(), IOError);
  EXPECT_THROW(io_.SyncDir(dir_.path()), IOError);
  EXPECT_EQ(io_.faults_injected(), 3);
  io_.ClearFaults();
  f->Sync();
  io_.SyncDir(dir_.path());
}

TEST_F(FaultInjectionFileIOTest, FailedCallsChangeNothing) {
  io_.WriteFile(P("src"), "s");
  io_.FailNth(FaultOp::kCreate, 1, EIO);
  EXPECT_THROW(io_.Create(P("new")), IOError);
  EXPECT_FALSE(OnDiskExists("new"));
  io_.FailNth(FaultOp::kLink, 1, EIO);
  EXPECT_THROW(io_.LinkIfAbsent(P("src"), P("dst")), IOError);
  EXPECT_FALSE(OnDiskExists("dst"));
  io_.FailNth(FaultOp::kRename, 1, EIO);
  EXPECT_THROW(io_.Rename(P("src"), P("dst")), IOError);
  EXPECT_TRUE(OnDiskExists("src"));
  io_.FailNth(FaultOp::kDelete, 1, EIO);
  EXPECT_THROW(io_.Delete(P("src")), IOError);
  EXPECT_TRUE(OnDiskExists("src"));
  io_.FailNth(FaultOp::kRead, 1, EIO);
  EXPECT_THROW(io_.ReadFile(P("src")), IOError);
  EXPECT_EQ(io_.ReadFile(P("src")), "s");
}

TEST_F(FaultInjectionFileIOTest, CountsOnlyTheChosenKindsFromWhenArmed) {
  io_.WriteFile(P("a"), "1");  // before arming: not counted
  io_.FailNth(FaultOp::kCreate | FaultOp::kDelete, 2, EIO);
  io_.WriteFile(P("b"), "2");                 // 1st
  EXPECT_THROW(io_.Delete(P("a")), IOError);  // 2nd fails
  io_.Delete(P("a"));
  EXPECT_THROW(io_.FailNth(FaultOp::kCreate, 0, EIO), InvalidArgument);
}

TEST_F(FaultInjectionFileIOTest, PowerLossKeepsOnlyFsyncedBytesOfSyncedNames) {
  auto f = io_.Create(P("data"));
  f->Append("durable");
  f->Sync();
  f->Append("-lost");
  io_.SyncDir(dir_.path());
  io_.DropUnsyncedData();
  EXPECT_EQ(OnDisk("data"), "durable");
  EXPECT_THROW(f->Append("x"), IOError);  // the handle died with the machine
}

TEST_F(FaultInjectionFileIOTest, PowerLossUndoesInPlaceWritesSinceTheLastSyncData) {
  posix_->WriteFile(P("seg"), std::string(16, '.'));
  auto f = io_.OpenForUpdate(P("seg"));
  f->WriteAt(0, "AAAA", 4);
  f->SyncData();
  f->WriteAt(2, "BBBB", 4);
  f->WriteAt(4, "CCCC", 4);
  EXPECT_THROW(f->WriteAt(14, "DDDD", 4), InvalidArgument);  // never past the end
  EXPECT_EQ(OnDisk("seg"), "AABBCCCC........");
  const std::string boot = io_.BootId();
  io_.DropUnsyncedData();
  EXPECT_EQ(OnDisk("seg"), "AAAA............");
  EXPECT_NE(io_.BootId(), boot);  // a power loss starts a new boot
  EXPECT_THROW(f->WriteAt(0, "x", 1), IOError);
}

TEST_F(FaultInjectionFileIOTest, PowerLossRemovesNamesWhoseDirectoryWasNotSynced) {
  io_.WriteFile(P("synced-data-unsynced-name"), "x");
  io_.SyncDir(dir_.path());
  io_.WriteFile(P("late"), "y");  // fsynced, but its name is not
  io_.DropUnsyncedData();
  EXPECT_EQ(OnDisk("synced-data-unsynced-name"), "x");
  EXPECT_FALSE(OnDiskExists("late"));
}

TEST_F(FaultInjectionFileIOTest, PowerLossLeavesAnEmptyFileWhenOnlyTheNameWasSynced) {
  io_.WriteFile(P("f"), "never synced", /*sync=*/false);
  io_.SyncDir(dir_.path());
  io_.DropUnsyncedData();
  EXPECT_EQ(OnDisk("f"), "");
}

TEST_F(FaultInjectionFileIOTest, PowerLossLeavesFilesThatExistedBeforeAlone) {
  posix_->WriteFile(P("old"), "old bytes", false);
  io_.DropUnsyncedData();
  EXPECT_EQ(OnDisk("old"), "old bytes");
}

TEST_F(FaultInjectionFileIOTest, PublishedLinkSurvivesOnlyAfterSyncDir) {
  io_.CreateDirs(P("meta"));
  io_.WriteFile(P("meta/tmp1"), "v1");
  ASSERT_TRUE(io_.LinkIfAbsent(P("meta/tmp1"), P("meta/v1.json")));
  io_.SyncDir(P("meta"));
  io_.WriteFile(P("meta/tmp2"), "v2");
  ASSERT_TRUE(io_.LinkIfAbsent(P("meta/tmp2"), P("meta/v2.json")));
  io_.DropUnsyncedData();
  EXPECT_EQ(OnDisk("meta/v1.json"), "v1");
  EXPECT_EQ(OnDisk("meta/tmp1"), "v1");
  EXPECT_FALSE(OnDiskExists("meta/v2.json"));
  EXPECT_FALSE(OnDiskExists("meta/tmp2"));
}

TEST_F(FaultInjectionFileIOTest, LinkedNameKeepsOnlySyncedBytes) {
  auto f = io_.Create(P("tmp"));
  f->Append("abc");
  f->Sync();
  f->Append("def");
  ASSERT_TRUE(io_.LinkIfAbsent(P("tmp"), P("final")));
  io_.Delete(P("tmp"));
  io_.SyncDir(dir_.path());
  io_.DropUnsyncedData();
  EXPECT_EQ(OnDisk("final"), "abc");
  EXPECT_FALSE(OnDiskExists("tmp"));
}

TEST_F(FaultInjectionFileIOTest, UnsyncedRenameIsUndone) {
  io_.WriteFile(P("hint"), "3");
  io_.SyncDir(dir_.path());
  io_.WriteFile(P("hint.tmp"), "4");
  io_.SyncDir(dir_.path());
  io_.Rename(P("hint.tmp"), P("hint"));
  EXPECT_EQ(OnDisk("hint"), "4");
  io_.DropUnsyncedData();
  EXPECT_EQ(OnDisk("hint"), "3");
  EXPECT_EQ(OnDisk("hint.tmp"), "4");
}

TEST_F(FaultInjectionFileIOTest, RenameOfANewFileVanishesEntirely) {
  io_.WriteFile(P("a.tmp"), "new");
  io_.Rename(P("a.tmp"), P("a"));
  io_.DropUnsyncedData();
  EXPECT_FALSE(OnDiskExists("a"));
  EXPECT_FALSE(OnDiskExists("a.tmp"));
}

TEST_F(FaultInjectionFileIOTest, RenameIsDurableOnceBothDirectoriesAreSynced) {
  io_.CreateDirs(P("x"));
  io_.CreateDirs(P("y"));
  io_.WriteFile(P("x/f"), "data");
  io_.SyncDir(P("x"));
  io_.Rename(P("x/f"), P("y/f"));
  io_.SyncDir(P("y"));
  EXPECT_EQ(OnDisk("y/f"), "data");
  io_.SyncDir(P("x"));
  io_.DropUnsyncedData();
  EXPECT_EQ(OnDisk("y/f"), "data");
  EXPECT_FALSE(OnDiskExists("x/f"));
}

TEST_F(FaultInjectionFileIOTest, RenameWithOneDirectoryUnsyncedIsUndone) {
  io_.CreateDirs(P("x"));
  io_.CreateDirs(P("y"));
  io_.WriteFile(P("x/f"), "data");
  io_.SyncDir(P("x"));
  io_.Rename(P("x/f"), P("y/f"));
  io_.SyncDir(P("y"));
  io_.DropUnsyncedData();
  EXPECT_EQ(OnDisk("x/f"), "data");
  EXPECT_FALSE(OnDiskExists("y/f"));
}

TEST_F(FaultInjectionFileIOTest, AfterPowerLossEverythingLeftIsDurable) {
  io_.WriteFile(P("a"), "kept");
  io_.SyncDir(dir_.path());
  io_.WriteFile(P("b"), "gone");
  io_.DropUnsyncedData();
  io_.DropUnsyncedData();
  EXPECT_EQ(OnDisk("a"), "kept");
  EXPECT_FALSE(OnDiskExists("b"));
  // New work after the "reboot" follows the same rules.
  io_.WriteFile(P("b"), "again", false);
  io_.SyncDir(dir_.path());
  io_.DropUnsyncedData();
  EXPECT_EQ(OnDisk("b"), "");
}

TEST_F(FaultInjectionFileIOTest, PathsAreMatchedAfterLexicalNormalisation) {
  io_.WriteFile(dir_.path() + "//./f", "x", false);
  io_.SyncDir(dir_.path() + "/.");
  io_.DropUnsyncedData();
  EXPECT_EQ(OnDisk("f"), "");
}

TEST_F(FaultInjectionFileIOTest, SyncGroupMakesFilesAndNamesDurableOnlyAtSync) {
  io_.CreateDirs(P("sub"));
  io_.SyncDir(dir_.path());
  std::unique_ptr<SyncGroup> group = io_.NewSyncGroup(dir_.path());
  io_.WriteFile(P("a"), "alpha", *group);
  io_.WriteFile(P("sub/b"), "beta", *group);
  EXPECT_EQ(io_.ReadFile(P("sub/b")), "beta");  // readable before Sync()
  io_.DropUnsyncedData();                       // the bytes were fsynced, the names not yet
  EXPECT_FALSE(OnDiskExists("a"));
  EXPECT_FALSE(OnDiskExists("sub/b"));

  group = io_.NewSyncGroup(dir_.path());
  io_.WriteFile(P("a"), "alpha", *group);
  io_.WriteFile(P("sub/b"), "beta", *group);
  group->Sync();
  io_.DropUnsyncedData();
  EXPECT_EQ(OnDisk("a"), "alpha");
  EXPECT_EQ(OnDisk("sub/b"), "beta");
}

}  // namespace
}  // namespace datashard
