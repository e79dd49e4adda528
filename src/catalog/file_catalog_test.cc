#include "catalog/file_catalog.h"

#include <cerrno>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "datashard/errors.h"
#include "io/fault_injection_file_io.h"
#include "io/temp_dir.h"

namespace datashard {
namespace {

class FileCatalogTest : public ::testing::Test {
 protected:
  FileCatalogTest()
      : fault_(std::make_shared<FaultInjectionFileIO>(NewPosixFileIO())),
        catalog_(fault_, dir_.Join("t")) {
    fault_->CreateDirs(catalog_.metadata_dir());
  }

  std::set<std::string> MetadataNames() {
    std::set<std::string> out;
    for (const FileInfo& f : fault_->List(catalog_.metadata_dir())) out.insert(f.name);
    return out;
  }

  TempDir dir_;
  std::shared_ptr<FaultInjectionFileIO> fault_;
  FileCatalog catalog_;
};

TEST_F(FileCatalogTest, PublishIsPutIfAbsent) {
  EXPECT_FALSE(catalog_.FindLatest().has_value());
  EXPECT_EQ(catalog_.Publish(1, "one"), FileCatalog::PublishResult::kPublished);
  EXPECT_EQ(catalog_.Publish(1, "other"), FileCatalog::PublishResult::kLostRace);
  EXPECT_EQ(catalog_.ReadVersion(1), "one");
  EXPECT_EQ(catalog_.FindLatest(), 1);
  // Nothing but the published version is left behind.
  EXPECT_EQ(MetadataNames(), (std::set<std::string>{"v1.metadata.json"}));
}

TEST_F(FileCatalogTest, FindsLatestFromStaleMissingOrGarbledHint) {
  for (int v = 1; v <= 5; ++v)
    ASSERT_EQ(catalog_.Publish(v, "x"), FileCatalog::PublishResult::kPublished);
  EXPECT_EQ(catalog_.FindLatest(), 5);  // no hint: listing
  fault_->WriteFile(catalog_.metadata_dir() + "/version-hint.text", "2");
  EXPECT_EQ(catalog_.FindLatest(), 5);  // stale hint: probing forward
  fault_->Delete(catalog_.MetadataPath(2));
  fault_->Delete(catalog_.MetadataPath(3));
  EXPECT_EQ(catalog_.FindLatest(), 5);  // hint names a deleted version
  fault_->Delete(catalog_.metadata_dir() + "/version-hint.text");
  fault_->WriteFile(catalog_.metadata_dir() + "/version-hint.text", "garbage\n");
  EXPECT_EQ(catalog_.FindLatest(), 5);
  EXPECT_EQ(catalog_.FindLatest(4), 5);
}

TEST_F(FileCatalogTest, KnownCurrentVersionCostsTwoStatsAndNoRead) {
  for (int v = 1; v <= 3; ++v)
    ASSERT_EQ(catalog_.Publish(v, "x"), FileCatalog::PublishResult::kPublished);
  fault_->ResetCounters();
  EXPECT_EQ(catalog_.FindLatest(3), 3);
  EXPECT_EQ(fault_->counters().stats, 2);
  EXPECT_EQ(fault_->counters().opens, 0);
  // Behind: probed forward to the newest.
  ASSERT_EQ(catalog_.Publish(4, "x"), FileCatalog::PublishResult::kPublished);
  ASSERT_EQ(catalog_.Publish(5, "x"), FileCatalog::PublishResult::kPublished);
  EXPECT_EQ(catalog_.FindLatest(3), 5);
  fault_->Delete(catalog_.MetadataPath(3));
  EXPECT_EQ(catalog_.FindLatest(3), 5);  // a known version deleted by retention
}

// Issue 12 item 8: a hint never moves backwards. A writer of an older
// version keeps a hint naming a newer existing one, and one behind a newer
// version points at the newest; a hint naming a missing version is replaced.
TEST_F(FileCatalogTest, Item8_HintIsNewerWins) {
  const std::string hint = catalog_.metadata_dir() + "/version-hint.text";
  for (int v = 1; v <= 5; ++v)
    ASSERT_EQ(catalog_.Publish(v, "x"), FileCatalog::PublishResult::kPublished);
  catalog_.WriteHint(4);
  EXPECT_EQ(fault_->ReadFile(hint), "5");  // probed forward to the newest
  catalog_.WriteHint(2);
  EXPECT_EQ(fault_->ReadFile(hint), "5");
  fault_->Delete(hint);
  fault_->WriteFile(hint, "99");
  catalog_.WriteHint(3);
  EXPECT_EQ(fault_->ReadFile(hint), "5");
}

TEST_F(FileCatalogTest, FailureBeforeLinkLeavesNothing) {
  fault_->FailNth(FaultOp::kSync, 1, EIO);
  EXPECT_THROW(catalog_.Publish(1, "x"), IOError);
  EXPECT_TRUE(MetadataNames().empty());
  fault_->FailNth(FaultOp::kCreate, 1, ENOSPC);
  EXPECT_THROW(catalog_.Publish(1, "x"), IOError);
  EXPECT_TRUE(MetadataNames().empty());
  EXPECT_FALSE(catalog_.FindLatest().has_value());
}

TEST_F(FileCatalogTest, FailureAtOrAfterLinkIsUnknown) {
  fault_->FailNth(FaultOp::kLink, 1, EIO);
  EXPECT_THROW(catalog_.Publish(1, "x"), CommitStateUnknown);
  EXPECT_FALSE(catalog_.FindLatest().has_value());
  fault_->FailNth(FaultOp::kSyncDir, 1, EIO);
  EXPECT_THROW(catalog_.Publish(1, "y"), CommitStateUnknown);
  EXPECT_EQ(catalog_.ReadVersion(1), "y");
}

TEST_F(FileCatalogTest, PublishedVersionSurvivesPowerLoss) {
  ASSERT_EQ(catalog_.Publish(1, "durable"), FileCatalog::PublishResult::kPublished);
  fault_->DropUnsyncedData();
  EXPECT_EQ(catalog_.FindLatest(), 1);
  EXPECT_EQ(catalog_.ReadVersion(1), "durable");
}

TEST_F(FileCatalogTest, ProbeRefusesFilesystemsWithoutAtomicLink) {
  EXPECT_NO_THROW(catalog_.ProbeAtomicLink());
  EXPECT_TRUE(MetadataNames().empty());
  fault_->FailNth(FaultOp::kLink, 1, EPERM);
  try {
    catalog_.ProbeAtomicLink();
    FAIL();
  } catch (const NotSupported& e) {
    EXPECT_NE(std::string(e.what()).find("SQL catalog"), std::string::npos);
  }
}

TEST_F(FileCatalogTest, ConcurrentPublishersWinEachVersionOnce) {
  constexpr int kThreads = 8;
  constexpr int kVersions = 50;
  std::vector<std::vector<int64_t>> won(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int64_t v = 1; v <= kVersions; ++v) {
        if (catalog_.Publish(v, std::to_string(t)) == FileCatalog::PublishResult::kPublished) {
          won[t].push_back(v);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  std::multiset<int64_t> all;
  for (int t = 0; t < kThreads; ++t) {
    for (int64_t v : won[t]) {
      all.insert(v);
      EXPECT_EQ(catalog_.ReadVersion(v), std::to_string(t));
    }
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kVersions));
  for (int64_t v = 1; v <= kVersions; ++v) EXPECT_EQ(all.count(v), 1u);
}

TEST(FileCatalogNameTest, ParsesOnlyVersionFileNames) {
  EXPECT_EQ(FileCatalog::ParseVersionFileName("v12.metadata.json"), 12);
  EXPECT_FALSE(FileCatalog::ParseVersionFileName("v.metadata.json"));
  EXPECT_FALSE(FileCatalog::ParseVersionFileName("v1x.metadata.json"));
  EXPECT_FALSE(FileCatalog::ParseVersionFileName(".tmp-v1-abc.json"));
  EXPECT_FALSE(FileCatalog::ParseVersionFileName("00001-abc.metadata.json"));
}

}  // namespace
}  // namespace datashard
