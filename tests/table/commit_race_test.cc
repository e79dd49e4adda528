// Commits racing other writers at the worst moment (DESIGN.md §4 rule 6):
// each test steps into one call of the FileIO (FaultInjectionFileIO's hook)
// to make the interleaving happen deterministically, then checks the exact
// outcome, and that an acknowledged commit survives a power loss.
#include <cerrno>

#include <gtest/gtest.h>

#include "datashard/errors.h"
#include "datashard/table.h"
#include "io/fault_injection_file_io.h"
#include "io/temp_dir.h"
#include "table/table_test_util.h"

namespace datashard {
namespace {

using testing::ExpectNothingDangling;
using testing::IdValueRows;
using testing::IdValueSchema;
using testing::SortedIds;

std::vector<int64_t> Range(int64_t from, int64_t to) {
  std::vector<int64_t> v;
  for (int64_t i = from; i < to; ++i) v.push_back(i);
  return v;
}

bool IsVersionFile(const std::string& path) {
  return path.find("/metadata/v") != std::string::npos &&
         path.find(".metadata.json") != std::string::npos;
}

class CommitRaceTest : public ::testing::Test {
 protected:
  CommitRaceTest() : fault_(std::make_shared<FaultInjectionFileIO>(NewPosixFileIO())) {}
  std::string Path() { return dir_.Join("t"); }

  TempDir dir_;
  std::shared_ptr<FaultInjectionFileIO> fault_;
};

// Issue 12 item 3: link() reports EEXIST although it linked (a retransmitted
// link over NFS). The commit happened: it is acknowledged, nothing it wrote
// is deleted, and it survives a power loss (its directory was fsynced after
// the link).
TEST_F(CommitRaceTest, Item3_LinkThatReportsEexistAfterLinkingIsACommit) {
  Table t = CreateTable(Path(), IdValueSchema(), PartitionSpec(), {}, {fault_});
  t.AppendRecords(IdValueRows(0, 2), IdValueSchema());
  bool linked = false;
  fault_->SetHook(static_cast<FaultOpMask>(FaultOp::kLink),
                  [&](FaultOp, const std::string& from, const std::string& to) {
                    if (linked || !IsVersionFile(to)) return;
                    linked = true;
                    ASSERT_TRUE(fault_->LinkIfAbsent(from, to));  // the first transmission
                  });
  Transaction tx = t.NewTransaction();
  tx.AppendData(IdValueRows(2, 3), IdValueSchema());
  EXPECT_TRUE(tx.Commit());
  fault_->SetHook(0, nullptr);
  EXPECT_TRUE(linked);
  EXPECT_EQ(tx.retries(), 0);
  ASSERT_TRUE(tx.committed_snapshot().has_value());
  fault_->DropUnsyncedData();
  Table r = OpenTable(Path(), {fault_});
  EXPECT_EQ(r.CurrentSnapshot()->snapshot_id, tx.committed_snapshot()->snapshot_id);
  EXPECT_EQ(SortedIds(r), Range(0, 5));
  ExpectNothingDangling(r.io(), r.metadata());
}

}  // namespace
}  // namespace datashard
