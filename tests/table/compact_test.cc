// Table::Compact: small files and files with deletes rewritten per
// partition into target-size files as one replace snapshot, the same rows
// before and after, and the conflict rules against concurrent changes.
#include <gtest/gtest.h>

#include "datashard/errors.h"
#include "datashard/table.h"
#include "io/temp_dir.h"
#include "metadata/manifest.h"
#include "table/table_catalogs.h"
#include "table/table_test_util.h"

namespace datashard {
namespace {

using testing::ExpectVerifies;
using testing::IdValueRows;
using testing::IdValueSchema;
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
