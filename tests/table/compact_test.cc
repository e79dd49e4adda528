// Table::Compact: small files and files with deletes rewritten per
// partition into target-size files as one replace snapshot, the same rows
// before and after, and the conflict rules against concurrent changes.
#include <gtest/gtest.h>

#include "datashard/errors.h"
#include "datashard/scan.h"
#include "datashard/table.h"
#include "io/fault_injection_file_io.h"
#include "io/temp_dir.h"
#include "metadata/manifest.h"
#include "table/table_catalogs.h"
#include "table/table_test_util.h"

namespace datashard {
namespace {

using testing::ExpectVerifies;
using testing::IdValueRows;
using testing::IdValueSchema;
using testing::Range;
using testing::SortedIds;

int64_t LiveDataFiles(Table& t) {
  int64_t n = 0;
  for (const ManifestFile& m : ReadManifestList(t.io(), t.CurrentSnapshot()->manifest_list)) {
    if (m.content != FileContent::kData) continue;
    for (const ManifestEntry& e : ReadManifest(t.io(), m)) n += e.status != EntryStatus::kDeleted;
  }
  return n;
}

// Through the file catalog and the SQL catalogs (SQLite, PostgreSQL).
class CompactTest : public ::testing::TestWithParam<std::string> {
 protected:
  Table Create(const PartitionSpec& spec = PartitionSpec(),
               std::map<std::string, std::string> properties = {}) {
    return catalogs_.Create(dir_.Join("t"), IdValueSchema(), spec, properties);
  }
  TempDir dir_;
  testing::TableCatalogs catalogs_{GetParam(), dir_};
};

TEST_P(CompactTest, SmallFilesBecomeOneFileWithTheSameRows) {
  Table t = Create();
  for (int i = 0; i < 10; ++i) t.AppendRecords(IdValueRows(i * 5, 5), IdValueSchema());
  const std::vector<int64_t> before = SortedIds(t);
  EXPECT_EQ(LiveDataFiles(t), 10);
  const CompactReport r = t.Compact();
  ASSERT_TRUE(r.snapshot_id);
  EXPECT_EQ(r.files_rewritten, 10);
  EXPECT_EQ(r.files_written, 1);
  EXPECT_EQ(r.rows, 50);
  EXPECT_EQ(r.deleted_rows, 0);
  EXPECT_GT(r.bytes_before, r.bytes_after);
  EXPECT_EQ(LiveDataFiles(t), 1);
  EXPECT_EQ(SortedIds(t), before);
  const Snapshot s = *t.CurrentSnapshot();
  EXPECT_EQ(s.snapshot_id, *r.snapshot_id);
  EXPECT_EQ(s.summary.at("operation"), "replace");
  EXPECT_EQ(s.summary.at("total-records"), "50");
  EXPECT_EQ(s.summary.at("total-data-files"), "1");
  ExpectVerifies(t);
  // Nothing left to do: no snapshot.
  EXPECT_FALSE(t.Compact().snapshot_id);
  EXPECT_EQ(t.CurrentSnapshot()->snapshot_id, s.snapshot_id);
}

TEST_P(CompactTest, DeletesAreAppliedAndTheTargetSizeSplitsFiles) {
  Table t = Create(PartitionSpec(), {{"write.delete.mode", "merge-on-read"}});
  for (int i = 0; i < 4; ++i) t.AppendRecords(IdValueRows(i * 100, 100), IdValueSchema());
  {
    Transaction tx = t.NewTransaction();
    EXPECT_EQ(tx.Delete("record_id >= 50 and record_id < 150"), 100);
    ASSERT_TRUE(tx.Commit());
  }
  const std::vector<int64_t> before = SortedIds(t);
  ASSERT_EQ(before.size(), 300u);
  CompactOptions options;
  options.target_file_size_bytes = 1200;  // a few hundred rows' worth of bytes
  const CompactReport r = t.Compact(options);
  ASSERT_TRUE(r.snapshot_id);
  EXPECT_EQ(r.rows, 300);
  EXPECT_EQ(r.deleted_rows, 100);
  EXPECT_GT(r.files_written, 1);
  // Both position delete files applied to rewritten files only: they leave
  // the table with them.
  EXPECT_EQ(r.delete_files_removed, 2);
  const Snapshot s = *t.CurrentSnapshot();
  EXPECT_EQ(s.summary.at("removed-delete-files"), "2");
  EXPECT_EQ(s.summary.at("removed-position-delete-files"), "2");
  EXPECT_EQ(s.summary.at("removed-position-deletes"), "100");
  EXPECT_EQ(s.summary.at("total-delete-files"), "0");
  EXPECT_EQ(s.summary.at("total-position-deletes"), "0");
  for (const ManifestFile& m : ReadManifestList(t.io(), s.manifest_list)) {
    if (m.content == FileContent::kData) continue;
    for (const ManifestEntry& e : ReadManifest(t.io(), m))
      EXPECT_EQ(e.status, EntryStatus::kDeleted) << e.data_file.file_path;
  }
  EXPECT_EQ(SortedIds(t), before);
  ExpectVerifies(t);
}

TEST_P(CompactTest, EachPartitionIsCompactedOnItsOwn) {
  Table t = Create(PartitionSpec::Parse("bucket(2,record_id)", IdValueSchema()));
  for (int i = 0; i < 6; ++i) t.AppendRecords(IdValueRows(i * 10, 10), IdValueSchema());
  EXPECT_EQ(LiveDataFiles(t), 12);
  const CompactReport r = t.Compact();
  EXPECT_EQ(r.files_rewritten, 12);
  EXPECT_EQ(r.files_written, 2);
  EXPECT_EQ(LiveDataFiles(t), 2);
  EXPECT_EQ(SortedIds(t).size(), 60u);
  ExpectVerifies(t);
}

TEST_P(CompactTest, RebasesOverAppendsAndConflictsWithAChangeOfARewrittenFile) {
  Table t = Create(PartitionSpec(), {{"write.delete.mode", "merge-on-read"}});
  for (int i = 0; i < 3; ++i) t.AppendRecords(IdValueRows(i * 10, 10), IdValueSchema());
  Transaction change = t.NewTransaction();
  EXPECT_EQ(change.Delete("record_id = 5"), 1);
  ASSERT_TRUE(t.Compact().snapshot_id);
  t.AppendRecords(IdValueRows(100, 1), IdValueSchema());
  // The delete's data file was rewritten by the compaction: it must not land.
  EXPECT_THROW(change.Commit(), CommitConflict);
  std::vector<int64_t> want;
  for (int64_t i = 0; i < 30; ++i) want.push_back(i);
  want.push_back(100);
  EXPECT_EQ(SortedIds(t), want);
  ExpectVerifies(t);
}

INSTANTIATE_TEST_SUITE_P(Catalogs, CompactTest, ::testing::Values("file", "sqlite", "postgresql"),
                         testing::CatalogName);

// Commits that land while a compaction rewrites its files: the compaction
// steps in when it creates its first new data file, after it read every
// input. Four files of ten rows; the table deletes copy-on-write and
// updates merge-on-read.
class CompactRaceTest : public ::testing::Test {
 protected:
  CompactRaceTest() : fault_(std::make_shared<FaultInjectionFileIO>(NewPosixFileIO())) {
    t_ = CreateTable(dir_.Join("t"), IdValueSchema(), PartitionSpec(),
                     {{"write.update.mode", "merge-on-read"}}, {fault_});
    for (int i = 0; i < 4; ++i) t_->AppendRecords(IdValueRows(i * 10, 10), IdValueSchema());
  }
  // Runs `meanwhile` (on another handle of the table) once, when the
  // compaction creates its first data file.
  void DuringRewrite(std::function<void(Table&)> meanwhile) {
    fault_->SetHook(FaultOp::kCreate,
                    [this, meanwhile](FaultOp, const std::string& path, const std::string&) {
                      if (stepped_in_ || path.find("/data/") == std::string::npos) return;
                      stepped_in_ = true;
                      Table other = OpenTable(dir_.Join("t"));
                      meanwhile(other);
                    });
  }
  int64_t CountWhere(const std::string& filter) { return NewScan(*t_).Filter(filter).Count(); }
  TempDir dir_;
  std::shared_ptr<FaultInjectionFileIO> fault_;
  std::optional<Table> t_;
  bool stepped_in_ = false;
};

TEST_F(CompactRaceTest, InputsChangedDuringTheRewriteAreGivenBackAndTheRestCommits) {
  DuringRewrite([](Table& other) {
    Transaction del = other.NewTransaction();  // copy-on-write: rewrites file 0..9
    EXPECT_EQ(del.Delete("record_id = 5"), 1);
    ASSERT_TRUE(del.Commit());
    Transaction upd = other.NewTransaction();  // merge-on-read: deletes in file 10..19
    EXPECT_EQ(upd.Update({{"value", Value("changed")}}, "record_id = 15"), 1);
    ASSERT_TRUE(upd.Commit());
    other.AppendRecords(IdValueRows(100, 1), IdValueSchema());
  });
  const CompactReport r = t_->Compact();
  fault_->SetHook(0, nullptr);
  ASSERT_TRUE(r.snapshot_id);
  EXPECT_EQ(r.files_given_back, 2);
  EXPECT_EQ(r.files_rewritten, 2);
  EXPECT_EQ(r.files_written, 1);
  EXPECT_EQ(r.rows, 20);
  EXPECT_EQ(r.deleted_rows, 0);
  const Snapshot s = *t_->CurrentSnapshot();
  EXPECT_EQ(s.snapshot_id, *r.snapshot_id);
  EXPECT_EQ(s.summary.at("operation"), "replace");
  EXPECT_EQ(s.summary.at("added-position-deletes"), "20");
  std::vector<int64_t> want = Range(0, 40);
  want.erase(want.begin() + 5);
  want.push_back(100);
  EXPECT_EQ(SortedIds(*t_), want);
  EXPECT_EQ(CountWhere("value = 'changed'"), 1);
  EXPECT_EQ(CountWhere("record_id = 15"), 1);
  ExpectVerifies(*t_);
  // Power loss after the acknowledgement keeps exactly that.
  fault_->DropUnsyncedData();
  Table reopened = OpenTable(dir_.Join("t"), {fault_});
  EXPECT_EQ(reopened.CurrentSnapshot()->snapshot_id, *r.snapshot_id);
  EXPECT_EQ(SortedIds(reopened), want);
  // The next compaction takes everything in, masked rows and all.
  const CompactReport again = reopened.Compact();
  ASSERT_TRUE(again.snapshot_id);
  EXPECT_EQ(again.files_given_back, 0);
  EXPECT_EQ(SortedIds(reopened), want);
  EXPECT_EQ(reopened.CurrentSnapshot()->summary.at("total-delete-files"), "0");
  ExpectVerifies(reopened);
}

TEST_F(CompactRaceTest, ACompactionWhoseEveryInputChangedFailsAndLeavesNothing) {
  DuringRewrite([](Table& other) {
    Transaction del = other.NewTransaction();
    EXPECT_EQ(del.Delete("record_id = 0 or record_id = 10 or record_id = 20 or record_id = 30"), 4);
    ASSERT_TRUE(del.Commit());
  });
  const int64_t before = t_->CurrentSnapshot()->snapshot_id;
  EXPECT_THROW(t_->Compact(), CommitConflict);
  fault_->SetHook(0, nullptr);
  EXPECT_NE(t_->CurrentSnapshot()->snapshot_id, before);
  EXPECT_EQ(t_->CurrentSnapshot()->summary.at("operation"), "overwrite");
  EXPECT_EQ(SortedIds(*t_).size(), 36u);
  ExpectVerifies(*t_);
  // Its new files are gone: only the delete's survivors were added.
  int64_t parquet = 0;
  for (const FileInfo& f : t_->io().List(dir_.Join("t/data")))
    parquet += f.name.ends_with(".parquet");
  EXPECT_EQ(parquet, 8);
}

TEST(CompactIngestLog, CompactionLeavesTheLogTailAlone) {
  TempDir dir;
  Table t = CreateTable(dir.Join("t"), IdValueSchema(), PartitionSpec(),
                        {{table_properties::kIngestLogEnabled, "true"},
                         {table_properties::kCheckpointIntervalMs, "1000000000"}});
  for (int i = 0; i < 3; ++i) {
    t.AppendRecords(IdValueRows(i * 10, 10), IdValueSchema());
    t.Checkpoint();
  }
  t.AppendRecords(IdValueRows(100, 5), IdValueSchema());  // stays in the log
  const CompactReport r = t.Compact();
  ASSERT_TRUE(r.snapshot_id);
  EXPECT_EQ(r.files_rewritten, 3);
  EXPECT_EQ(t.Stats().log_rows, 5);
  EXPECT_EQ(SortedIds(t).size(), 35u);
}

}  // namespace
}  // namespace datashard
