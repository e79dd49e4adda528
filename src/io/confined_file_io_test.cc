#include "io/confined_file_io.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include "datashard/errors.h"
#include "io/temp_dir.h"

namespace datashard {
namespace {

class ConfinedFileIOTest : public ::testing::Test {
 protected:
  void SetUp() override {
    plain_->CreateDirs(folder_ + "/data");
    plain_->CreateDirs(dir_.Join("outside"));
    plain_->WriteFile(folder_ + "/data/f", "inside");
    plain_->WriteFile(dir_.Join("outside/secret"), "outside");
    io_ = std::make_unique<ConfinedFileIO>(NewPosixFileIO(folder_), plain_, folder_);
  }

  // The message of the Corruption `op` throws, or "no error".
  template <typename F>
  static std::string Refusal(F&& op) {
    try {
      op();
    } catch (const Corruption& e) {
      return e.what();
    }
    return "no error";
  }

  TempDir dir_{"confined"};
  std::string folder_ = dir_.Join("t");
  std::shared_ptr<FileIO> plain_ = NewPosixFileIO();
  std::unique_ptr<ConfinedFileIO> io_;
};

TEST_F(ConfinedFileIOTest, PathsInsideAreServedWhateverTheirSpelling) {
  EXPECT_EQ(io_->ReadFile(folder_ + "/data/f"), "inside");
  EXPECT_EQ(io_->ReadFile(folder_ + "/metadata/../data/./f"), "inside");
  EXPECT_EQ(io_->ReadFile(folder_ + "//data//f"), "inside");
}

TEST_F(ConfinedFileIOTest, PathsOutsideAreCorruptionNamingTableAndPath) {
  const std::string dotdot = folder_ + "/data/../../outside/secret";
  EXPECT_EQ(Refusal([&] { io_->ReadFile(dotdot); }),
            "table " + folder_ + ": refusing to read " + dotdot +
                ", which lies outside the table folder (the table property "
                "datashard.read.allow-outside-paths=true allows reads there)");
  for (const std::string& p : {dir_.Join("outside/secret"), dir_.Join("t2/x"), std::string("/")}) {
    EXPECT_THROW(io_->ReadFile(p), Corruption) << p;
    EXPECT_THROW(io_->Exists(p), Corruption) << p;
    EXPECT_THROW(io_->Stat(p), Corruption) << p;
    EXPECT_THROW(io_->List(p), Corruption) << p;
    EXPECT_THROW(io_->ListNames(p), Corruption) << p;
    EXPECT_THROW(io_->Delete(p), Corruption) << p;
    EXPECT_THROW(io_->Create(p), Corruption) << p;
    EXPECT_THROW(io_->CreateDirs(p), Corruption) << p;
    EXPECT_THROW(io_->Lock(p, false), Corruption) << p;
    EXPECT_THROW(io_->LinkIfAbsent(folder_ + "/data/f", p), Corruption) << p;
    EXPECT_THROW(io_->Rename(folder_ + "/data/f", p), Corruption) << p;
  }
  EXPECT_FALSE(io_->MayRead(dotdot));
  EXPECT_TRUE(io_->MayRead(folder_ + "/data/../x"));
  EXPECT_EQ(plain_->ReadFile(dir_.Join("outside/secret")), "outside");
  EXPECT_EQ(plain_->ReadFile(folder_ + "/data/f"), "inside");
}

TEST_F(ConfinedFileIOTest, ASymlinkLeadingOutIsCorruption) {
  ASSERT_EQ(symlink(dir_.Join("outside").c_str(), (folder_ + "/data/out").c_str()), 0);
  ASSERT_EQ(symlink(dir_.Join("outside/secret").c_str(), (folder_ + "/data/s").c_str()), 0);
  EXPECT_THROW(io_->ReadFile(folder_ + "/data/out/secret"), Corruption);
  EXPECT_THROW(io_->ReadFile(folder_ + "/data/s"), Corruption);
  EXPECT_THROW(io_->Delete(folder_ + "/data/out/secret"), Corruption);
  EXPECT_EQ(plain_->ReadFile(dir_.Join("outside/secret")), "outside");
}

TEST_F(ConfinedFileIOTest, DeleteEachDeletesOnlyInsideTheFolder) {
  ASSERT_EQ(symlink(dir_.Join("outside").c_str(), (folder_ + "/data/out").c_str()), 0);
  plain_->WriteFile(folder_ + "/data/g", "inside");
  EXPECT_EQ(io_->DeleteEach({folder_ + "/data/f", dir_.Join("outside/secret"),
                             folder_ + "/data/out/secret", folder_ + "/data/../data/g"}),
            2u);
  EXPECT_FALSE(plain_->Exists(folder_ + "/data/f"));
  EXPECT_FALSE(plain_->Exists(folder_ + "/data/g"));
  EXPECT_EQ(plain_->ReadFile(dir_.Join("outside/secret")), "outside");
}

TEST_F(ConfinedFileIOTest, TheRecordedLocationMapsIntoTheFolder) {
  io_->Configure(dir_.Join("old/t"), /*allow_outside_reads=*/false);
  EXPECT_EQ(io_->ReadFile(dir_.Join("old/t/data/f")), "inside");
  io_->WriteFile(dir_.Join("old/t/data/g"), "new");
  EXPECT_EQ(plain_->ReadFile(folder_ + "/data/g"), "new");
  EXPECT_FALSE(plain_->Exists(dir_.Join("old")));
  // ".." cannot climb out of the recorded location either.
  EXPECT_THROW(io_->ReadFile(dir_.Join("old/t/../../outside/secret")), Corruption);
}

TEST_F(ConfinedFileIOTest, AllowedReadsOutsideNeverWriteOrDeleteThere) {
  io_->Configure(folder_, /*allow_outside_reads=*/true);
  const std::string secret = dir_.Join("outside/secret");
  EXPECT_TRUE(io_->MayRead(secret));
  EXPECT_EQ(io_->ReadFile(secret), "outside");
  EXPECT_TRUE(io_->Exists(secret));
  EXPECT_EQ(io_->List(dir_.Join("outside")).size(), 1u);
  EXPECT_EQ(io_->ListNames(dir_.Join("outside")), std::vector<std::string>{"secret"});
  EXPECT_EQ(Refusal([&] { io_->Delete(secret); }), "table " + folder_ + ": refusing to delete " +
                                                       secret +
                                                       ", which lies outside the table folder");
  EXPECT_THROW(io_->Create(dir_.Join("outside/new")), Corruption);
  EXPECT_THROW(io_->CreateDirs(dir_.Join("outside/sub")), Corruption);
  EXPECT_EQ(plain_->List(dir_.Join("outside")).size(), 1u);
}

}  // namespace
}  // namespace datashard
