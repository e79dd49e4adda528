#include "commit/commit_ids.h"

#include <gtest/gtest.h>

#include "datashard/errors.h"
#include "io/temp_dir.h"

namespace datashard {
namespace {

namespace tp = table_properties;

class CommitIdsTest : public ::testing::Test {
 protected:
  CommitIdsTest() : io_(NewPosixFileIO()) {
    metadata_.location = dir_.path();
    // Oldest first; "a,b" is stored escaped.
    metadata_.properties[tp::kExpiredCommitIds] = "5,100,abc;6,200,a%2cb;7,300,xabc;";
  }

  TempDir dir_;
  std::shared_ptr<FileIO> io_;
  TableMetadata metadata_;
};

TEST_F(CommitIdsTest, FindsAnIdOfThePropertyByItsWholeEntry) {
  const std::optional<CommitRecord> abc = FindCommit(*io_, metadata_, "abc");
  ASSERT_TRUE(abc.has_value());
  EXPECT_EQ(abc->snapshot_id, 5);
  EXPECT_EQ(abc->timestamp_ms, 100);
  EXPECT_FALSE(abc->snapshot.has_value());
  const std::optional<CommitRecord> comma = FindCommit(*io_, metadata_, "a,b");
  ASSERT_TRUE(comma.has_value());
  EXPECT_EQ(comma->snapshot_id, 6);
  // Parts of an entry are no ids.
  EXPECT_FALSE(FindCommit(*io_, metadata_, "bc").has_value());
  EXPECT_FALSE(FindCommit(*io_, metadata_, "b").has_value());
  EXPECT_FALSE(FindCommit(*io_, metadata_, "200").has_value());
  EXPECT_EQ(CountRememberedCommits(*io_, metadata_), 3);
}

TEST_F(CommitIdsTest, OnlyTheNewestHorizonIdsAreRemembered) {
  metadata_.properties[tp::kCommitIdHorizonCommits] = "2";
  EXPECT_FALSE(FindCommit(*io_, metadata_, "abc").has_value());
  EXPECT_TRUE(FindCommit(*io_, metadata_, "a,b").has_value());
  EXPECT_TRUE(FindCommit(*io_, metadata_, "xabc").has_value());
}

TEST_F(CommitIdsTest, AMalformedEntryIsCorruptionNamingTheProperty) {
  metadata_.properties[tp::kExpiredCommitIds] = "5,100,abc;x,1,bad;";
  try {
    FindCommit(*io_, metadata_, "bad");
    ADD_FAILURE() << "a malformed entry was read";
  } catch (const Corruption& e) {
    EXPECT_NE(std::string(e.what()).find(tp::kExpiredCommitIds), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("byte 10"), std::string::npos) << e.what();
  }
  EXPECT_THROW(CountRememberedCommits(*io_, metadata_), Corruption);
  metadata_.properties[tp::kExpiredCommitIds] = "5,100,abc";
  EXPECT_THROW(CountRememberedCommits(*io_, metadata_), Corruption);
}

TEST_F(CommitIdsTest, TheFileIsReadWhenThePropertyLacksTheId) {
  const std::string file = dir_.Join("expired-commit-ids-1.txt");
  io_->WriteFile(file, "1,10,old;2,20,older-still;");
  metadata_.properties[tp::kExpiredCommitIdsFile] = file;
  const std::optional<CommitRecord> old = FindCommit(*io_, metadata_, "old");
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->snapshot_id, 1);
  EXPECT_EQ(CountRememberedCommits(*io_, metadata_), 5);
  // Found in the property: the file is not needed, even when it is gone.
  io_->Delete(file);
  EXPECT_TRUE(FindCommit(*io_, metadata_, "abc").has_value());
  EXPECT_THROW(FindCommit(*io_, metadata_, "old"), NotFound);
}

// One finder answers every id as FindCommit does, kept snapshots, the
// property and the file alike, with the horizon counted once.
TEST_F(CommitIdsTest, AFinderAnswersEachIdAsFindCommitDoes) {
  const std::string file = dir_.Join("expired-commit-ids-2.txt");
  io_->WriteFile(file, "1,10,old;2,20,older-still;");
  metadata_.properties[tp::kExpiredCommitIdsFile] = file;
  metadata_.properties[tp::kCommitIdHorizonCommits] = "5";
  Snapshot kept;
  kept.snapshot_id = 9;
  kept.timestamp_ms = 900;
  kept.summary[kCommitIdSummaryKey] = "kept";
  kept.summary[kGroupCommitIdsSummaryKey] = GroupCommitIdsText({"member"});
  metadata_.snapshots.push_back(kept);
  CommitFinder finder(*io_, metadata_);
  // 2 kept ids + 3 in the property leave no room for the file's under a
  // horizon of 5: "old" is past it.
  for (const std::string id : {"kept", "member", "abc", "a,b", "old", "older-still", "new"}) {
    const std::optional<CommitRecord> one = FindCommit(*io_, metadata_, id);
    const std::optional<CommitRecord> many = finder.Find(id);
    ASSERT_EQ(one.has_value(), many.has_value()) << id;
    if (one) {
      EXPECT_EQ(one->snapshot_id, many->snapshot_id) << id;
      EXPECT_EQ(one->timestamp_ms, many->timestamp_ms) << id;
    }
  }
  EXPECT_EQ(finder.Find("member")->snapshot_id, 9);
  EXPECT_FALSE(finder.Find("old").has_value());
  metadata_.properties[tp::kCommitIdHorizonCommits] = "7";
  CommitFinder wider(*io_, metadata_);
  EXPECT_EQ(wider.Find("old")->snapshot_id, 1);
  io_->Delete(file);
  EXPECT_THROW(wider.Find("old"), NotFound);
}

TEST(CommitIdCountTest, CountsWhatCommitIdsOfReturns) {
  const std::vector<std::string> groups = {"[]",
                                           " [ ] ",
                                           "[\"a\"]",
                                           "[\"a\",\"b\"]",
                                           " [ \"a\" , \"b\" ,\"c\" ] ",
                                           "[\"with \\\"quotes\\\", commas, ]brackets[\",\"x\"]",
                                           "[\"back\\\\\",\"slash\\\\\"]",
                                           "[\"\\u00e9t\\u00e9\",\"\"]"};
  for (const std::string& group : groups) {
    Snapshot s;
    s.summary[std::string(kCommitIdSummaryKey)] = "own";
    s.summary[std::string(kGroupCommitIdsSummaryKey)] = group;
    EXPECT_EQ(CommitIdCount(s), CommitIdsOf(s).size()) << group;
  }
  Snapshot other_engine;
  EXPECT_EQ(CommitIdCount(other_engine), 0u);
  Snapshot alone;
  alone.summary[std::string(kCommitIdSummaryKey)] = "own";
  EXPECT_EQ(CommitIdCount(alone), 1u);
}

TEST(CommitIdCountTest, MalformedGroupIdsAreCorruption) {
  for (const std::string group : {"", "[", "[\"a\"", "[\"a\",]", "[\"a\" \"b\"]", "[1]",
                                  "[\"a\"] x", "{\"a\":1}", "[\"a\\\"]"}) {
    Snapshot s;
    s.summary[std::string(kCommitIdSummaryKey)] = "own";
    s.summary[std::string(kGroupCommitIdsSummaryKey)] = group;
    EXPECT_THROW(CommitIdCount(s), Corruption) << group;
  }
}

}  // namespace
}  // namespace datashard
