#include "commit/deferred_deletes.h"

#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "io/temp_dir.h"

namespace datashard {
namespace {

class DeferredDeletesTest : public ::testing::Test {
 protected:
  DeferredDeletesTest() : io_(NewPosixFileIO()), metadata_(dir_.Join("metadata")) {
    io_->CreateDirs(metadata_);
  }

  std::string Lists() const { return metadata_ + "/deferred-deletes"; }

  std::set<std::string> ListNames() {
    const std::vector<std::string> names = io_->ListNames(Lists());
    return {names.begin(), names.end()};
  }

  // A list's lines: what lies before its zero-filled rest.
  std::string Lines(const std::string& name) {
    const std::string text = io_->ReadFile(Lists() + "/" + name);
    return text.substr(0, text.find('\0'));
  }

  std::string File(const std::string& name) {
    const std::string path = dir_.Join(name);
    io_->WriteFile(path, "x");
    return path;
  }

  TempDir dir_;
  std::shared_ptr<FileIO> io_;
  std::string metadata_;
};

TEST_F(DeferredDeletesTest, CommitsDueInOneSlotShareOneList) {
  const std::string a = File("a"), b = File("b"), c = File("c");
  // Grace 16 s: slots of 1 s. Due at 17,000 and 17,999: the slot ending at
  // 18,000. Due at 18,000: the next one.
  RetireFiles(*io_, metadata_, {a, b}, 1000, 16000);
  RetireFiles(*io_, metadata_, {c}, 1999, 16000);
  const std::string d = File("d");
  RetireFiles(*io_, metadata_, {d}, 2000, 16000);
  EXPECT_EQ(ListNames(),
            (std::set<std::string>{"18000-batch0.txt", "19000-batch0.txt", "append.lock"}));
  EXPECT_EQ(io_->ReadFile(Lists() + "/18000-batch0.txt").size(), 64u * 1024);
  EXPECT_EQ(Lines("18000-batch0.txt"), a + "\n" + b + "\n" + c + "\n");
  EXPECT_EQ(Lines("19000-batch0.txt"), d + "\n");

  EXPECT_EQ(SweepDeferredDeletes(*io_, metadata_, 17999), 0);
  EXPECT_TRUE(io_->Exists(a));
  EXPECT_EQ(SweepDeferredDeletes(*io_, metadata_, 18000), 1);
  EXPECT_FALSE(io_->Exists(a));
  EXPECT_FALSE(io_->Exists(b));
  EXPECT_FALSE(io_->Exists(c));
  EXPECT_TRUE(io_->Exists(d));
  EXPECT_EQ(ListNames(), (std::set<std::string>{"19000-batch0.txt", "append.lock"}));
}

TEST_F(DeferredDeletesTest, AFullListGoesOnInTheNextOne) {
  // Two commits of over 40,000 bytes each do not fit one list of 64 KiB.
  const std::string long_name = std::string(200, 'n');
  std::vector<std::string> first, second;
  for (int i = 0; i < 200; ++i) first.push_back(dir_.Join(long_name + std::to_string(i)));
  for (int i = 0; i < 200; ++i) second.push_back(dir_.Join(long_name + "s" + std::to_string(i)));
  RetireFiles(*io_, metadata_, first, 0, 16000);
  RetireFiles(*io_, metadata_, second, 0, 16000);
  EXPECT_EQ(ListNames(),
            (std::set<std::string>{"17000-batch0.txt", "17000-batch1.txt", "append.lock"}));
  EXPECT_EQ(Lines("17000-batch0.txt").find(second[0]), std::string::npos);
  EXPECT_EQ(Lines("17000-batch1.txt").find(second[0] + "\n"), 0u);
}

TEST_F(DeferredDeletesTest, ListsFillLineAfterLineAcrossBlocks) {
  // 400 commits of one 70-odd byte path: past several 4 KiB blocks, the
  // place for the next lines is found without reading the list whole.
  std::string expected;
  for (int i = 0; i < 400; ++i) {
    const std::string path = dir_.Join("file-" + std::string(40, 'x') + std::to_string(i));
    RetireFiles(*io_, metadata_, {path}, 0, 16000);
    expected += path + "\n";
  }
  EXPECT_GT(expected.size(), 4u * 4096);
  EXPECT_EQ(ListNames(), (std::set<std::string>{"17000-batch0.txt", "append.lock"}));
  EXPECT_EQ(Lines("17000-batch0.txt"), expected);
}

TEST_F(DeferredDeletesTest, ATornListIsNotWrittenOver) {
  // A power loss kept a later page of a list and lost an earlier one (zeros
  // between lines), or cut its last line short: new lines go to the next
  // list rather than over a line already listed.
  io_->CreateDirs(Lists());
  const std::string hole = "/a\n" + std::string(2, '\0') + "/b\n";
  const std::string cut = "/a\n/b";
  for (const std::string& torn : {hole, cut}) {
    for (const std::string& name : ListNames()) io_->Delete(Lists() + "/" + name);
    io_->WriteFile(Lists() + "/17000-batch0.txt",
                   torn + std::string(64 * 1024 - torn.size(), '\0'));
    RetireFiles(*io_, metadata_, {"/c"}, 0, 16000);
    const std::string kept = io_->ReadFile(Lists() + "/17000-batch0.txt");
    EXPECT_EQ(kept.substr(0, torn.size()), torn);
    EXPECT_EQ(kept.find_first_not_of('\0', torn.size()), std::string::npos);
    EXPECT_EQ(Lines("17000-batch1.txt"), "/c\n");
  }
}

TEST_F(DeferredDeletesTest, ShortGraceOrBusyLockOrLongTextWritesAListOfItsOwn) {
  const std::string a = File("a");
  // Grace under 16 ms: no slot to share.
  RetireFiles(*io_, metadata_, {a}, 1000, 10);
  std::set<std::string> names = ListNames();
  ASSERT_EQ(names.size(), 1u);
  EXPECT_EQ(names.begin()->rfind("1010-", 0), 0u) << *names.begin();
  EXPECT_EQ(io_->ReadFile(Lists() + "/" + *names.begin()), a + "\n");

  // Another holder has the folder's lock.
  {
    const std::unique_ptr<FileLock> held = io_->Lock(Lists() + "/append.lock", false);
    ASSERT_NE(held, nullptr);
    RetireFiles(*io_, metadata_, {a}, 2000, 16000);
  }
  names = ListNames();
  EXPECT_EQ(names.size(), 3u);
  EXPECT_EQ(names.count("append.lock"), 1u);
  EXPECT_EQ(std::count_if(names.begin(), names.end(),
                          [](const std::string& n) { return n.rfind("18000-", 0) == 0; }),
            1);
  EXPECT_EQ(SweepDeferredDeletes(*io_, metadata_, 18000), 2);
  EXPECT_FALSE(io_->Exists(a));
  EXPECT_EQ(ListNames(), (std::set<std::string>{"append.lock"}));

  // More than a shared list holds.
  std::vector<std::string> many;
  for (int i = 0; i < 400; ++i) many.push_back(dir_.Join(std::string(200, 'm')));
  RetireFiles(*io_, metadata_, many, 3000, 16000);
  names = ListNames();
  names.erase("append.lock");
  ASSERT_EQ(names.size(), 1u);
  EXPECT_EQ(names.begin()->rfind("19000-", 0), 0u) << *names.begin();
  EXPECT_EQ(names.begin()->find("batch"), std::string::npos) << *names.begin();
}

TEST_F(DeferredDeletesTest, ATornLineDeletesNothing) {
  // A power loss left zeros where a line was: its start names a real file.
  const std::string keep = File("keep"), gone = File("gone");
  io_->CreateDirs(Lists());
  io_->WriteFile(Lists() + "/5-batch0.txt",
                 keep + std::string(3, '\0') + "\n" + gone + "\n" + std::string(100, '\0'));
  EXPECT_EQ(SweepDeferredDeletes(*io_, metadata_, 5), 1);
  EXPECT_TRUE(io_->Exists(keep));
  EXPECT_FALSE(io_->Exists(gone));
  EXPECT_FALSE(io_->Exists(Lists() + "/5-batch0.txt"));
}

}  // namespace
}  // namespace datashard
