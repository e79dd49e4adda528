#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "datashard/errors.h"
#include "datashard/file_io.h"
#include "io/temp_dir.h"

namespace datashard {
namespace {

std::string MessageOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

class PosixFileIOTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::shared_ptr<FileIO> io_ = NewPosixFileIO();
};

TEST_F(PosixFileIOTest, WritesAndReadsRanges) {
  const std::string path = dir_.Join("f");
  io_->WriteFile(path, "hello, world");
  auto file = io_->OpenRead(path);
  EXPECT_EQ(file->Size(), 12u);
  EXPECT_EQ(file->path(), path);
  char buf[5];
  file->ReadAt(7, 5, buf);
  EXPECT_EQ(std::string(buf, 5), "world");
  file->ReadAt(0, 0, buf);
  EXPECT_EQ(io_->ReadFile(path), "hello, world");
}

TEST_F(PosixFileIOTest, ShortReadIsAnIOErrorNamingFileAndOffset) {
  const std::string path = dir_.Join("f");
  io_->WriteFile(path, "abc");
  auto file = io_->OpenRead(path);
  char buf[8];
  const std::string msg = MessageOf([&] { file->ReadAt(2, 4, buf); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("offset 2"), std::string::npos) << msg;
  EXPECT_THROW(file->ReadAt(2, 4, buf), IOError);
}

TEST_F(PosixFileIOTest, AppendsOfEverySizeArriveInOrder) {
  const std::string path = dir_.Join("big");
  std::string expected;
  {
    auto out = io_->Create(path);
    for (size_t n : {1u, 70000u, 3u, 65536u, 65535u, 10u, 200000u}) {
      std::string chunk(n, static_cast<char>('a' + expected.size() % 26));
      out->Append(chunk);
      expected += chunk;
      EXPECT_EQ(out->Size(), expected.size());
    }
    out->Sync();
    out->Close();
  }
  EXPECT_EQ(io_->ReadFile(path), expected);
}

TEST_F(PosixFileIOTest, DestructorWritesBufferedBytes) {
  const std::string path = dir_.Join("f");
  io_->Create(path)->Append("unclosed");
  EXPECT_EQ(io_->ReadFile(path), "unclosed");
}

TEST_F(PosixFileIOTest, CreateRefusesAnExistingName) {
  const std::string path = dir_.Join("f");
  io_->WriteFile(path, "first");
  EXPECT_THROW(io_->Create(path), AlreadyExists);
  EXPECT_THROW(io_->WriteFile(path, "second"), AlreadyExists);
  EXPECT_EQ(io_->ReadFile(path), "first");
}

TEST_F(PosixFileIOTest, MissingPathsAreNotFound) {
  EXPECT_THROW(io_->OpenRead(dir_.Join("nope")), NotFound);
  EXPECT_THROW(io_->Stat(dir_.Join("nope")), NotFound);
  EXPECT_THROW(io_->List(dir_.Join("nope")), NotFound);
  EXPECT_THROW(io_->ListNames(dir_.Join("nope")), NotFound);
  EXPECT_THROW(io_->Delete(dir_.Join("nope")), NotFound);
  EXPECT_THROW(io_->Create(dir_.Join("nodir/f")), NotFound);
  EXPECT_FALSE(io_->Exists(dir_.Join("nope")));
  EXPECT_FALSE(io_->Exists(dir_.Join("nodir/f")));
}

TEST_F(PosixFileIOTest, OtherErrorsAreIOErrorsNamingOperationPathAndReason) {
  io_->WriteFile(dir_.Join("file"), "x");
  const std::string path = dir_.Join("file/child");
  const std::string msg = MessageOf([&] { io_->Create(path); });
  EXPECT_EQ(msg, "create '" + path + "': Not a directory");
  EXPECT_THROW(io_->Create(path), IOError);
  EXPECT_THROW(io_->OpenRead(dir_.path()), IOError);
}

TEST_F(PosixFileIOTest, LinkIfAbsentPublishesOnlyOnce) {
  io_->WriteFile(dir_.Join("tmp1"), "one");
  io_->WriteFile(dir_.Join("tmp2"), "two");
  EXPECT_TRUE(io_->LinkIfAbsent(dir_.Join("tmp1"), dir_.Join("v1")));
  EXPECT_FALSE(io_->LinkIfAbsent(dir_.Join("tmp2"), dir_.Join("v1")));
  EXPECT_EQ(io_->ReadFile(dir_.Join("v1")), "one");
  EXPECT_TRUE(io_->Exists(dir_.Join("tmp2")));
  EXPECT_THROW(io_->LinkIfAbsent(dir_.Join("gone"), dir_.Join("v2")), NotFound);
}

TEST_F(PosixFileIOTest, RenameReplacesTheTarget) {
  io_->WriteFile(dir_.Join("hint"), "1");
  io_->WriteFile(dir_.Join("hint.tmp"), "2");
  io_->Rename(dir_.Join("hint.tmp"), dir_.Join("hint"));
  EXPECT_EQ(io_->ReadFile(dir_.Join("hint")), "2");
  EXPECT_FALSE(io_->Exists(dir_.Join("hint.tmp")));
  EXPECT_THROW(io_->Rename(dir_.Join("hint.tmp"), dir_.Join("x")), NotFound);
}

TEST_F(PosixFileIOTest, DeleteRemovesFilesAndEmptyDirectories) {
  io_->WriteFile(dir_.Join("f"), "x");
  io_->Delete(dir_.Join("f"));
  EXPECT_FALSE(io_->Exists(dir_.Join("f")));
  io_->CreateDirs(dir_.Join("d/e"));
  EXPECT_THROW(io_->Delete(dir_.Join("d")), IOError);  // not empty
  io_->Delete(dir_.Join("d/e"));
  io_->Delete(dir_.Join("d"));
  EXPECT_FALSE(io_->Exists(dir_.Join("d")));
}

TEST_F(PosixFileIOTest, StatAndListDescribeEntriesSortedByName) {
  io_->WriteFile(dir_.Join("b"), "12345");
  io_->WriteFile(dir_.Join("a"), "");
  io_->CreateDirs(dir_.Join("c"));
  const FileInfo b = io_->Stat(dir_.Join("b"));
  EXPECT_EQ(b.name, "b");
  EXPECT_EQ(b.size, 5u);
  EXPECT_FALSE(b.is_directory);
  EXPECT_GT(b.mtime_ms, int64_t{1600000000000});
  const auto entries = io_->List(dir_.path());
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].name, "a");
  EXPECT_EQ(entries[1].name, "b");
  EXPECT_EQ(entries[1].size, 5u);
  EXPECT_EQ(entries[2].name, "c");
  EXPECT_TRUE(entries[2].is_directory);
  EXPECT_TRUE(io_->Stat(dir_.path() + "/c/").is_directory);
  EXPECT_EQ(io_->ListNames(dir_.path()), (std::vector<std::string>{"a", "b", "c"}));
}

TEST_F(PosixFileIOTest, CreateDirsMakesParentsAndIsIdempotent) {
  io_->CreateDirs(dir_.Join("x/y/z"));
  io_->CreateDirs(dir_.Join("x/y/z"));
  io_->CreateDirs(dir_.Join("x//y/./w"));
  EXPECT_TRUE(io_->Stat(dir_.Join("x/y/z")).is_directory);
  EXPECT_TRUE(io_->Stat(dir_.Join("x/y/w")).is_directory);
  io_->WriteFile(dir_.Join("x/file"), "");
  EXPECT_THROW(io_->CreateDirs(dir_.Join("x/file")), IOError);
  EXPECT_THROW(io_->CreateDirs(dir_.Join("x/file/sub")), IOError);
}

TEST_F(PosixFileIOTest, SyncDirSyncsExistingDirectories) {
  io_->SyncDir(dir_.path());
  EXPECT_THROW(io_->SyncDir(dir_.Join("nope")), NotFound);
}

TEST_F(PosixFileIOTest, AbsolutePathResolvesAgainstTheWorkingDirectory) {
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
  EXPECT_EQ(io_->AbsolutePath("t/x"), std::string(cwd) + "/t/x");
  EXPECT_EQ(io_->AbsolutePath("/a/b"), "/a/b");
}

TEST_F(PosixFileIOTest, LockIsExclusiveAndReleasedByItsDestructor) {
  const std::string path = dir_.Join("table.lock");
  auto held = io_->Lock(path, /*wait=*/false);
  ASSERT_NE(held, nullptr);
  EXPECT_TRUE(io_->Exists(path));
  // OFD locks conflict between descriptors, so even this process is refused.
  EXPECT_EQ(io_->Lock(path, /*wait=*/false), nullptr);
  held.reset();
  EXPECT_NE(io_->Lock(path, /*wait=*/false), nullptr);
}

TEST_F(PosixFileIOTest, LockWaitReturnsOnceTheHolderReleases) {
  const std::string path = dir_.Join("table.lock");
  auto held = io_->Lock(path, false);
  std::unique_ptr<FileLock> got;
  std::thread waiter([&] { got = io_->Lock(path, /*wait=*/true); });
  held.reset();
  waiter.join();
  EXPECT_NE(got, nullptr);
  EXPECT_EQ(io_->Lock(path, false), nullptr);
}

// Waiters of a shared word, each in a class, with a minute's timeout: one
// that returns within the test's time was woken.
class FutexClassTest : public PosixFileIOTest {
 protected:
  static constexpr int64_t kMinuteUs = 60'000'000;
  void SetUp() override { memory_ = io_->MapShared(dir_.Join("words"), 64); }
  // Starts a thread that waits on word 0 (still 0) in `bits`; `woken` is set
  // when it returns.
  std::thread Waiter(uint32_t bits, std::atomic<bool>* woken) {
    return std::thread([this, bits, woken] {
      memory_->WaitInClass(0, 0, kMinuteUs, bits);
      woken->store(true);
    });
  }
  std::unique_ptr<SharedMemory> memory_;
};

TEST_F(FutexClassTest, WakeClassWakesOnlyItsClass) {
  std::atomic<bool> a{false}, b{false};
  std::thread wa = Waiter(1u << 3, &a), wb = Waiter(1u << 4, &b);
  // Until both sleep, a wake may find nobody: repeat it until `a` is up.
  while (!a.load()) {
    memory_->WakeClass(0, 1u << 3, /*all=*/true);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  wa.join();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(b.load()) << "a wake of class 3 woke a waiter of class 4";
  memory_->WakeClass(0, 1u << 4, /*all=*/true);
  wb.join();
  EXPECT_TRUE(b.load());
}

TEST_F(FutexClassTest, WakeClassOfOneWakesOneAndWakeAllWakesEveryClass) {
  std::atomic<bool> w[3] = {false, false, false};
  std::vector<std::thread> threads;
  threads.push_back(Waiter(1u << 7, &w[0]));
  threads.push_back(Waiter(1u << 7, &w[1]));
  threads.push_back(Waiter(1u << 9, &w[2]));
  const auto woken = [&] { return int{w[0].load()} + int{w[1].load()} + int{w[2].load()}; };
  while (woken() == 0) {
    memory_->WakeClass(0, 1u << 7, /*all=*/false);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(woken(), 1);
  EXPECT_FALSE(w[2].load());
  while (woken() < 3) {
    memory_->WakeAll(0);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (std::thread& t : threads) t.join();
}

TEST_F(FutexClassTest, AWaiterWhoseWordChangedReturnsAndOneWithNoClassIsRefused) {
  std::atomic_ref<uint32_t>(*reinterpret_cast<uint32_t*>(memory_->data())).store(1);
  memory_->WaitInClass(0, 0, kMinuteUs, 1u << 2);  // returns at once: the word is not 0
  EXPECT_THROW(memory_->WaitInClass(0, 1, kMinuteUs, 0), InvalidArgument);
}

TEST_F(PosixFileIOTest, TryLockForGivesUpWhileHeldAndTakesAFreeLock) {
  const std::string path = dir_.Join("table.lock");
  auto held = io_->Lock(path, false);
  EXPECT_EQ(io_->TryLockFor(path, std::chrono::microseconds(0)), nullptr);
  EXPECT_EQ(io_->TryLockFor(path, std::chrono::milliseconds(5)), nullptr);
  held.reset();
  auto got = io_->TryLockFor(path, std::chrono::microseconds(0));
  EXPECT_NE(got, nullptr);
  EXPECT_EQ(io_->Lock(path, false), nullptr);
}

// Runs `fn` in a forked child and returns its exit status.
int InChild(const std::function<int()>& fn) {
  const pid_t pid = fork();
  if (pid == 0) _exit(fn());
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(PosixFileIOTest, LockExcludesOtherProcessesAndDiesWithItsHolder) {
  const std::string path = dir_.Join("table.lock");
  {
    auto held = io_->Lock(path, false);
    EXPECT_EQ(InChild([&] { return NewPosixFileIO()->Lock(path, false) == nullptr ? 7 : 0; }), 7);
  }
  EXPECT_EQ(InChild([&] { return NewPosixFileIO()->Lock(path, false) != nullptr ? 7 : 0; }), 7);

  // A holder killed by SIGKILL leaves no lock behind.
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t holder = fork();
  if (holder == 0) {
    auto lock = NewPosixFileIO()->Lock(path, false);
    const char c = lock ? 'y' : 'n';
    if (write(ready[1], &c, 1) != 1) _exit(1);
    pause();
    _exit(0);
  }
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  EXPECT_EQ(c, 'y');
  EXPECT_EQ(io_->Lock(path, false), nullptr);
  kill(holder, SIGKILL);
  waitpid(holder, nullptr, 0);
  EXPECT_NE(io_->Lock(path, false), nullptr);
  close(ready[0]);
  close(ready[1]);
}

class RootedFileIOTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = outer_.Join("root");
    NewPosixFileIO()->CreateDirs(root_ + "/sub");
    NewPosixFileIO()->WriteFile(outer_.Join("secret"), "outside");
    NewPosixFileIO()->CreateDirs(outer_.Join("elsewhere"));
    io_ = NewPosixFileIO(root_);
  }

  TempDir outer_;
  std::string root_;
  std::shared_ptr<FileIO> io_;
};

TEST_F(RootedFileIOTest, WorksOnPathsUnderTheRoot) {
  io_->WriteFile(root_ + "/sub/a", "A");
  EXPECT_EQ(io_->ReadFile(root_ + "/sub/a"), "A");
  EXPECT_EQ(io_->ReadFile("sub/a"), "A");  // relative to the root
  EXPECT_EQ(io_->ReadFile(root_ + "/sub/../sub/./a"), "A");
  EXPECT_TRUE(io_->LinkIfAbsent("sub/a", "b"));
  EXPECT_EQ(io_->List(root_).size(), 2u);
  EXPECT_EQ(io_->List("").size(), 2u);
  io_->SyncDir(root_);
  io_->CreateDirs(root_ + "/p/q");
  EXPECT_TRUE(io_->Stat("p/q").is_directory);
  EXPECT_NE(io_->Lock("p/lock", false), nullptr);
  io_->Rename("b", "p/b");
  io_->Delete("p/b");
  EXPECT_FALSE(io_->Exists("p/b"));
}

TEST_F(RootedFileIOTest, RefusesPathsOutsideTheRoot) {
  EXPECT_THROW(io_->OpenRead(outer_.Join("secret")), InvalidArgument);
  EXPECT_THROW(io_->OpenRead("../secret"), InvalidArgument);
  EXPECT_THROW(io_->OpenRead(root_ + "/sub/../../secret"), InvalidArgument);
  EXPECT_THROW(io_->Create(outer_.Join("new")), InvalidArgument);
  EXPECT_THROW(io_->CreateDirs(outer_.Join("newdir")), InvalidArgument);
  EXPECT_THROW(io_->Exists("/etc/passwd"), InvalidArgument);
  const std::string msg = MessageOf([&] { io_->OpenRead("../secret"); });
  EXPECT_NE(msg.find("outside the root"), std::string::npos) << msg;
}

TEST_F(RootedFileIOTest, RefusesSymlinksLeadingOutOfTheRoot) {
  ASSERT_EQ(symlink(outer_.Join("elsewhere").c_str(), (root_ + "/out_dir").c_str()), 0);
  ASSERT_EQ(symlink(outer_.Join("secret").c_str(), (root_ + "/out_file").c_str()), 0);
  EXPECT_THROW(io_->Create("out_dir/x"), InvalidArgument);
  EXPECT_THROW(io_->List("out_dir"), InvalidArgument);
  EXPECT_THROW(io_->CreateDirs("out_dir/y"), InvalidArgument);
  EXPECT_THROW(io_->SyncDir("out_dir"), InvalidArgument);
  EXPECT_THROW(io_->OpenRead("out_file"), InvalidArgument);
  EXPECT_THROW(io_->Stat("out_file"), InvalidArgument);
  EXPECT_THROW(io_->Exists("out_file"), InvalidArgument);
  EXPECT_THROW(io_->Exists("out_dir/x"), InvalidArgument);
  EXPECT_THROW(io_->OpenForUpdate("out_file"), InvalidArgument);
  EXPECT_THROW(io_->Lock("out_file", false), InvalidArgument);
  EXPECT_THROW(io_->LinkIfAbsent("sub", "out_dir/z"), InvalidArgument);
  // Nothing was created outside, and the secret is unchanged.
  EXPECT_TRUE(NewPosixFileIO()->List(outer_.Join("elsewhere")).empty());
  EXPECT_EQ(NewPosixFileIO()->ReadFile(outer_.Join("secret")), "outside");
  // Removing the link itself stays inside the root and is allowed.
  io_->Delete("out_file");
  EXPECT_TRUE(NewPosixFileIO()->Exists(outer_.Join("secret")));
}

TEST_F(RootedFileIOTest, DeleteEachDeletesWhatItCanAndRefusesWhatDeleteRefuses) {
  io_->CreateDirs("p/q");
  for (const char* f : {"sub/a", "sub/b", "p/q/c", "sub/d", "top"}) io_->WriteFile(f, f);
  ASSERT_EQ(symlink(outer_.Join("elsewhere").c_str(), (root_ + "/out_dir").c_str()), 0);
  NewPosixFileIO()->WriteFile(outer_.Join("elsewhere/e"), "outside");
  ASSERT_EQ(symlink("sub", (root_ + "/rel_alias").c_str()), 0);
  // Folders alternate, so each run of paths reaches its own folder; missing
  // and refused paths stay and do not stop the others.
  const std::vector<std::string> paths = {"sub/a",       root_ + "/sub/b", "sub/missing", "p/q/c",
                                          "out_dir/e",   "../secret",      "sub/../top",  "p/q",
                                          "rel_alias/d", "p/q/not_here"};
  EXPECT_EQ(io_->DeleteEach(paths), 6u);
  for (const char* gone : {"sub/a", "sub/b", "p/q/c", "sub/d", "top", "p/q"})
    EXPECT_FALSE(io_->Exists(gone)) << gone;
  EXPECT_TRUE(io_->Exists("p"));
  EXPECT_EQ(NewPosixFileIO()->ReadFile(outer_.Join("elsewhere/e")), "outside");
  EXPECT_EQ(NewPosixFileIO()->ReadFile(outer_.Join("secret")), "outside");
  EXPECT_EQ(io_->DeleteEach({}), 0u);
}

TEST_F(RootedFileIOTest, FollowsSymlinksThatStayInside) {
  io_->WriteFile("sub/data", "D");
  ASSERT_EQ(symlink((root_ + "/sub").c_str(), (root_ + "/alias").c_str()), 0);
  ASSERT_EQ(symlink("sub/data", (root_ + "/data_link").c_str()), 0);
  EXPECT_EQ(io_->ReadFile("alias/data"), "D");
  EXPECT_EQ(io_->ReadFile("data_link"), "D");
  io_->WriteFile("alias/more", "M");
  EXPECT_EQ(io_->ReadFile("sub/more"), "M");
  EXPECT_EQ(io_->Stat("data_link").size, 1u);
  // Relative links, which one openat2 from the root follows by itself.
  ASSERT_EQ(symlink("sub", (root_ + "/rel_alias").c_str()), 0);
  EXPECT_TRUE(io_->Exists("rel_alias/data"));
  EXPECT_TRUE(io_->Exists("data_link"));
  EXPECT_FALSE(io_->Exists("rel_alias/none"));
  EXPECT_FALSE(io_->Exists("sub/data/under_a_file"));
  EXPECT_EQ(io_->ReadFile("rel_alias/data"), "D");
  // A lock file is created once, then opened as it is.
  EXPECT_NE(io_->Lock("rel_alias/x.lock", false), nullptr);
  EXPECT_NE(io_->Lock("sub/x.lock", false), nullptr);
  EXPECT_TRUE(io_->Exists("sub/x.lock"));
}

TEST(DefaultFileIOTest, IsOneSharedUnrootedInstance) {
  EXPECT_EQ(DefaultFileIO(), DefaultFileIO());
  TempDir dir;
  DefaultFileIO()->WriteFile(dir.Join("f"), "x");
  EXPECT_EQ(DefaultFileIO()->ReadFile(dir.Join("f")), "x");
}

TEST(PosixFileIORootTest, MissingRootIsNotFound) {
  TempDir dir;
  EXPECT_THROW(NewPosixFileIO(dir.Join("missing")), NotFound);
}

TEST(PosixFileIORootTest, RootGivenThroughASymlinkAcceptsBothSpellings) {
  TempDir dir;
  NewPosixFileIO()->CreateDirs(dir.Join("real"));
  ASSERT_EQ(symlink(dir.Join("real").c_str(), dir.Join("alias").c_str()), 0);
  auto io = NewPosixFileIO(dir.Join("alias"));
  io->WriteFile(dir.Join("alias/f"), "1");
  EXPECT_EQ(io->ReadFile(dir.Join("real/f")), "1");
}

// Durability itself needs a power loss (the fault FileIO's tests model it);
// these check what a group does to the files: all written whole and
// readable as soon as they are added, along every path a file can take
// (left to one syncfs, large, SyncEach).
TEST_F(PosixFileIOTest, SyncGroupWritesEveryFileWhole) {
  io_->CreateDirs(dir_.Join("m"));
  std::unique_ptr<SyncGroup> group = io_->NewSyncGroup(dir_.Join("m"));
  const std::string large((1 << 20) + 1, 'L');
  auto path = [&](int i) { return dir_.Join("m/f" + std::to_string(i)); };
  auto content = [&](int i) { return i == 3 ? large : "file " + std::to_string(i); };
  for (int i = 0; i < 70; ++i) {
    auto file = io_->Create(path(i));
    file->Append(content(i));
    group->Add(std::move(file));
    EXPECT_EQ(io_->ReadFile(path(i)), content(i)) << "readable at once";
  }
  group->Sync();
  group->Sync();  // nothing left: a no-op
  io_->WriteFile(dir_.Join("late"), "after", *group);
  group->SyncEach();
  for (int i = 0; i < 70; ++i) EXPECT_EQ(io_->ReadFile(path(i)), content(i));
  EXPECT_EQ(io_->ReadFile(dir_.Join("late")), "after");
}

// A commit that rebases deletes the files of its first attempt, which its
// group already holds; syncing the group file by file (SyncEach, or Sync()
// while other writes are pending) used to fail opening them again.
TEST_F(PosixFileIOTest, SyncGroupLeavesOutFilesDeletedBeforeTheSync) {
  for (const bool each : {false, true}) {
    const std::string folder = dir_.Join(each ? "each" : "shared");
    io_->CreateDirs(folder);
    std::unique_ptr<SyncGroup> group = io_->NewSyncGroup(folder);
    io_->WriteFile(folder + "/dropped", "first attempt", *group);
    io_->WriteFile(folder + "/kept", "second attempt", *group);
    io_->Delete(folder + "/dropped");
    if (each) {
      group->SyncEach();
    } else {
      group->Sync();
    }
    EXPECT_FALSE(io_->Exists(folder + "/dropped"));
    EXPECT_EQ(io_->ReadFile(folder + "/kept"), "second attempt");
  }
}

TEST_F(PosixFileIOTest, SyncGroupOfAMissingFolderIsRefused) {
  EXPECT_THROW(io_->NewSyncGroup(dir_.Join("absent")), Error);
  std::shared_ptr<FileIO> rooted = NewPosixFileIO(dir_.path());
  EXPECT_THROW(rooted->NewSyncGroup(dir_.Join("absent")), Error);
  std::unique_ptr<SyncGroup> group = rooted->NewSyncGroup(dir_.path());
  rooted->WriteFile(dir_.Join("r"), "rooted", *group);
  group->Sync();
  EXPECT_EQ(io_->ReadFile(dir_.Join("r")), "rooted");
}

}  // namespace
}  // namespace datashard
