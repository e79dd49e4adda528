// Tables with an ingest log (DESIGN.md §6a): appends commit as log records,
// reads see the durable tail, checkpoints fold it into snapshots exactly
// once, through faults and power loss.
#include <cerrno>

#include <gtest/gtest.h>

#include "datashard/errors.h"
#include "datashard/scan.h"
#include "io/fault_injection_file_io.h"
#include "io/temp_dir.h"
#include "table/table_test_util.h"

namespace datashard {
namespace {

using testing::IdValueRows;
using testing::IdValueSchema;
using testing::SortedIds;

std::vector<int64_t> Range(int64_t first, int64_t n) {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < n; ++i) out.push_back(first + i);
  return out;
}

// A log table for fault walks: checkpoints run only when asked and are not
// retried.
Table CreateFaultLogTable(const std::string& path, const TableOptions& options,
                          std::map<std::string, std::string> properties = {}) {
  properties[table_properties::kIngestLogEnabled] = "true";
  properties[table_properties::kCheckpointRecords] = "1000000";
  properties[table_properties::kCheckpointIntervalMs] = "1000000000";
  properties[table_properties::kCommitNumRetries] = "0";
  return CreateTable(path, IdValueSchema(), PartitionSpec(), properties, options);
}

void CheckpointIgnoringErrors(Table& table) {
  try {
    table.Checkpoint();
  } catch (const Error&) {
    // The walk checks what the failure left, after the power loss.
  }
}

// Ends the walk's faults and drops what was not synced; whether a fault fired.
bool PowerLoss(FaultInjectionFileIO& fault) {
  const bool fired = fault.faults_injected() > 0;
  fault.ClearFaults();
  fault.DropUnsyncedData();
  return fired;
}

class IngestLogTableTest : public ::testing::Test {
 protected:
  Table Create(std::map<std::string, std::string> properties = {},
               std::shared_ptr<FileIO> io = nullptr) {
    properties[table_properties::kIngestLogEnabled] = "true";
    // Checkpoints only when a test asks, unless it sets its own thresholds.
    properties.emplace(table_properties::kCheckpointRecords, "1000000000");
    properties.emplace(table_properties::kCheckpointIntervalMs, "1000000000");
    TableOptions options;
    options.io = io;
    return CreateTable(dir_.Join("t"), IdValueSchema(), PartitionSpec(), properties, options);
  }

  TempDir dir_{"ingest-log-table"};
};

TEST_F(IngestLogTableTest, AppendsAreLogRecordsThatReadsSeeBeforeAnyCheckpoint) {
  Table table = Create();
  Transaction tx = table.NewTransaction();
  tx.AppendData(IdValueRows(0, 3), IdValueSchema());
  EXPECT_TRUE(tx.Commit());
  EXPECT_EQ(tx.committed_log_lsn(), 1);
  EXPECT_EQ(tx.committed_snapshot(), std::nullopt);
  EXPECT_TRUE(table.AppendRecords(IdValueRows(3, 2), IdValueSchema()));
  EXPECT_EQ(table.CurrentSnapshot(), std::nullopt);  // nothing folded yet
  EXPECT_EQ(SortedIds(table), Range(0, 5));
  EXPECT_EQ(NewScan(table).Count(), 5);
  EXPECT_EQ(NewScan(table).Filter("record_id >= 3").Count(), 2);
  const TableStats stats = table.Stats();
  EXPECT_EQ(stats.log_appends, 2);
  EXPECT_EQ(stats.log_records, 2);
  EXPECT_EQ(stats.log_rows, 5);
  EXPECT_EQ(stats.records, 0);
  // Filters and projections apply to the tail as to files.
  std::unique_ptr<ScanReader> r = NewScan(table).Select({"value"}).Filter("record_id = 4").Open();
  RecordBatch batch;
  ASSERT_TRUE(r->Next(&batch));
  ASSERT_EQ(batch.columns.size(), 1u);
  ASSERT_EQ(batch.num_rows(), 1u);
  EXPECT_EQ(batch.columns[0].Get(0), Value("v4"));
  EXPECT_FALSE(r->Next(&batch));
  EXPECT_EQ(r->metrics().rows_returned, 1);
  // Another handle (another process, as far as the log knows) sees them too.
  Table other = OpenTable(dir_.Join("t"));
  EXPECT_EQ(SortedIds(other), Range(0, 5));
}

// The first append must not pay for zeroing a segment (64 MiB by default):
// the table makes it when it is created.
TEST_F(IngestLogTableTest, CreatingTheTableMakesTheFirstSegment) {
  Table table = Create();
  const std::string segment = dir_.Join("t") + "/log/0000000000000000.log";
  std::shared_ptr<FileIO> io = DefaultFileIO();
  ASSERT_TRUE(io->Exists(segment));
  EXPECT_EQ(io->Stat(segment).size,
            static_cast<uint64_t>(table_properties::kIngestLogSegmentBytesDefault));
  EXPECT_TRUE(table.AppendRecords(IdValueRows(0, 1), IdValueSchema()));
  EXPECT_EQ(SortedIds(table), Range(0, 1));
}

TEST_F(IngestLogTableTest, CheckpointFoldsEveryRecordOnceIntoOneFilePerPartition) {
  Table table = CreateTable(dir_.Join("p"), IdValueSchema(),
                            PartitionSpec::Parse("bucket(2,record_id)", IdValueSchema()),
                            {{table_properties::kIngestLogEnabled, "true"},
                             {table_properties::kCheckpointIntervalMs, "1000000000"}});
  for (int i = 0; i < 20; ++i) table.AppendRecords(IdValueRows(i * 10, 10), IdValueSchema());
  const CheckpointResult first = table.Checkpoint();
  EXPECT_EQ(first.records, 20);
  EXPECT_EQ(first.rows, 200);
  EXPECT_EQ(first.data_files, 2);  // one per bucket, not one per append
  ASSERT_TRUE(first.snapshot_id);
  const Snapshot s = *table.CurrentSnapshot();
  EXPECT_EQ(s.snapshot_id, *first.snapshot_id);
  EXPECT_EQ(s.SummaryLong("total-records"), 200);
  EXPECT_EQ(s.SummaryLong(kLogFoldedLsnSummaryKey), 21);
  EXPECT_EQ(SortedIds(table), Range(0, 200));
  EXPECT_EQ(SortedIds(table, s.snapshot_id), Range(0, 200));
  // Idempotent: nothing new, nothing committed.
  const CheckpointResult again = table.Checkpoint();
  EXPECT_EQ(again.records, 0);
  EXPECT_EQ(again.snapshot_id, std::nullopt);
  EXPECT_EQ(table.History().size(), 1u);
  EXPECT_EQ(table.Stats().log_appends, 20);
  EXPECT_EQ(table.Stats().log_rows, 0);
  EXPECT_EQ(table.Stats().records, 200);
  // Later appends are the new tail; time travel reads the snapshot alone.
  table.AppendRecords(IdValueRows(200, 5), IdValueSchema());
  EXPECT_EQ(SortedIds(table), Range(0, 205));
  EXPECT_EQ(SortedIds(table, s.snapshot_id), Range(0, 200));
  EXPECT_EQ(table.Checkpoint().records, 1);
  EXPECT_EQ(SortedIds(table, table.CurrentSnapshot()->snapshot_id), Range(0, 205));
  testing::ExpectNothingDangling(table.io(), table.metadata());
}

TEST_F(IngestLogTableTest, AppendsStartACheckpointOnceEnoughRecordsWait) {
  {
    Table table = Create({{table_properties::kCheckpointRecords, "4"}});
    for (int i = 0; i < 3; ++i) table.AppendRecords(IdValueRows(i, 1), IdValueSchema());
    EXPECT_EQ(table.CurrentSnapshot(), std::nullopt);
    table.AppendRecords(IdValueRows(3, 1), IdValueSchema());
  }  // the last handle waits for the checkpoint the fourth append started
  Table table = OpenTable(dir_.Join("t"));
  ASSERT_TRUE(table.CurrentSnapshot());
  EXPECT_EQ(table.CurrentSnapshot()->SummaryLong("total-records"), 4);
  EXPECT_EQ(SortedIds(table), Range(0, 4));
}

TEST_F(IngestLogTableTest, AnAppendTooBigForARecordCommitsASnapshotBesideTheLog) {
  Table table = Create({{table_properties::kIngestLogSegmentBytes, "4096"}});
  table.AppendRecords(IdValueRows(0, 2), IdValueSchema());
  Transaction big = table.NewTransaction();
  big.AppendData(IdValueRows(100, 500), IdValueSchema());
  big.Commit();
  EXPECT_EQ(big.committed_log_lsn(), std::nullopt);
  ASSERT_TRUE(big.committed_snapshot());
  std::vector<int64_t> want = Range(0, 2);
  for (int64_t id : Range(100, 500)) want.push_back(id);
  EXPECT_EQ(SortedIds(table), want);
  table.Checkpoint();
  EXPECT_EQ(SortedIds(table, table.CurrentSnapshot()->snapshot_id), want);
}

// An expected snapshot on a log table (docs/locking.md): the commit folds the
// log while appends wait, so an append still only in the log is a change.
TEST_F(IngestLogTableTest, AnExpectedSnapshotSeesAppendsStillInTheLog) {
  Table table = Create();
  TransactionOptions options;
  options.expected_snapshot_id = kNoSnapshot;
  {
    Transaction tx = table.NewTransaction(options);
    tx.AppendData(IdValueRows(0, 1), IdValueSchema());
    EXPECT_TRUE(tx.Commit());
    EXPECT_TRUE(tx.committed_snapshot().has_value());
    EXPECT_FALSE(tx.committed_log_lsn().has_value());
  }
  table.AppendRecords(IdValueRows(1, 1), IdValueSchema());  // a log record
  options.expected_snapshot_id = table.CurrentSnapshot()->snapshot_id;
  Transaction tx = table.NewTransaction(options);
  tx.AppendData(IdValueRows(2, 1), IdValueSchema());
  EXPECT_THROW(tx.Commit(), CommitConflict);
  EXPECT_EQ(SortedIds(table), (std::vector<int64_t>{0, 1}));
}

// As the commit lock (issue 12 item 5): a holder of the append or checkpoint
// lock that is stopped or hung fails appends and checkpoints after a bounded
// wait instead of blocking them forever.
TEST_F(IngestLogTableTest, AppendsAndCheckpointsWaitForAStuckLockHolderOnlyUntilTheirLimit) {
  Table table = Create({{table_properties::kIngestLogLockWaitMs, "50"},
                        {table_properties::kCommitTotalTimeoutMs, "50"}});
  table.AppendRecords(IdValueRows(0, 1), IdValueSchema());
  // Held through another open file description, as another process would.
  std::unique_ptr<FileLock> held = table.io().Lock(dir_.Join("t") + "/log/append.lock", true);
  EXPECT_THROW(table.AppendRecords(IdValueRows(1, 1), IdValueSchema()), LockNotAcquired);
  held = table.io().Lock(dir_.Join("t") + "/log/checkpoint.lock", true);
  // The append lock was released when `held` moved on.
  EXPECT_THROW(table.Checkpoint(), LockNotAcquired);
  held.reset();
  table.AppendRecords(IdValueRows(2, 1), IdValueSchema());
  table.Checkpoint();
  EXPECT_EQ(SortedIds(table, table.CurrentSnapshot()->snapshot_id), (std::vector<int64_t>{0, 2}));
}

TEST_F(IngestLogTableTest, PowerLossKeepsAcknowledgedAppendsAndACheckpointFoldsThemOnce) {
  auto fault = std::make_shared<FaultInjectionFileIO>(NewPosixFileIO());
  {
    Table table = Create({}, fault);
    for (int i = 0; i < 10; ++i) table.AppendRecords(IdValueRows(i, 1), IdValueSchema());
    table.Checkpoint();
    for (int i = 10; i < 15; ++i) table.AppendRecords(IdValueRows(i, 1), IdValueSchema());
  }
  fault->DropUnsyncedData();
  TableOptions options;
  options.io = fault;
  Table table = OpenTable(dir_.Join("t"), options);
  EXPECT_EQ(SortedIds(table), Range(0, 15));
  EXPECT_EQ(table.Checkpoint().records, 5);
  EXPECT_EQ(SortedIds(table, table.CurrentSnapshot()->snapshot_id), Range(0, 15));
}

// Every I/O operation of a checkpoint fails in turn, then the power goes:
// the next checkpoint folds every acknowledged append exactly once.
TEST_F(IngestLogTableTest, ACheckpointFailingAtAnyStepThenPowerLossNeitherLosesNorRepeatsRows) {
  for (int64_t n = 1;; ++n) {
    SCOPED_TRACE("failing operation " + std::to_string(n));
    TempDir dir("ingest-log-checkpoint-fault");
    auto fault = std::make_shared<FaultInjectionFileIO>(NewPosixFileIO());
    TableOptions options;
    options.io = fault;
    {
      Table table = CreateFaultLogTable(dir.Join("t"), options);
      for (int i = 0; i < 6; ++i) table.AppendRecords(IdValueRows(i * 2, 2), IdValueSchema());
      fault->FailNth(kAllFaultOps, n, EIO);
      CheckpointIgnoringErrors(table);
    }
    const bool fired = PowerLoss(*fault);
    Table table = OpenTable(dir.Join("t"), options);
    EXPECT_EQ(SortedIds(table), Range(0, 12));
    table.Checkpoint();
    EXPECT_EQ(SortedIds(table, table.CurrentSnapshot()->snapshot_id), Range(0, 12));
    if (!fired) break;
  }
}

// Checkpoints that recycle folded segments (small segments, no grace), with
// every I/O operation of the checkpoint failing in turn and then the power
// going: no acknowledged append lost or folded twice, and the log takes
// appends across the recycled segments afterwards.
TEST_F(IngestLogTableTest, RecyclingSegmentsFailingAtAnyStepThenPowerLossLosesNothing) {
  // The segment files of the log: names sort by index.
  const auto segments = [](FileIO& io, const std::string& log_dir) {
    std::vector<std::string> names;
    for (const std::string& name : io.ListNames(log_dir)) {
      if (name.size() > 4 && name.compare(name.size() - 4, 4, ".log") == 0) names.push_back(name);
    }
    return names;
  };
  for (int64_t n = 1;; ++n) {
    SCOPED_TRACE("failing operation " + std::to_string(n));
    TempDir dir("ingest-log-recycle-fault");
    auto fault = std::make_shared<FaultInjectionFileIO>(NewPosixFileIO());
    TableOptions options;
    options.io = fault;
    const std::string log_dir = dir.Join("t") + "/log";
    std::vector<std::string> before;
    {
      Table table = CreateFaultLogTable(dir.Join("t"), options,
                                        {{table_properties::kIngestLogSegmentBytes, "4096"},
                                         {table_properties::kIngestLogRecycleGraceMs, "0"}});
      for (int i = 0; i < 40; ++i) table.AppendRecords(IdValueRows(i, 1), IdValueSchema());
      table.Checkpoint();
      // Enough records to fill the segment the checkpoint ended in, so the
      // next checkpoint recycles it.
      for (int i = 40; i < 100; ++i) table.AppendRecords(IdValueRows(i, 1), IdValueSchema());
      before = segments(*fault, log_dir);
      fault->FailNth(kAllFaultOps, n, EIO, /*sticky=*/true);
      CheckpointIgnoringErrors(table);
    }
    const bool fired = PowerLoss(*fault);
    if (!fired) {
      // The checkpoint ran to its end: it recycled the oldest segment.
      const std::vector<std::string> after = segments(*fault, log_dir);
      ASSERT_FALSE(before.empty());
      ASSERT_FALSE(after.empty());
      EXPECT_GT(after.front(), before.front());
    }
    Table table = OpenTable(dir.Join("t"), options);
    EXPECT_EQ(SortedIds(table), Range(0, 100));
    for (int i = 100; i < 160; ++i) table.AppendRecords(IdValueRows(i, 1), IdValueSchema());
    table.Checkpoint();
    EXPECT_EQ(SortedIds(table, table.CurrentSnapshot()->snapshot_id), Range(0, 160));
    testing::ExpectVerifies(table);
    if (!fired) break;
  }
}

TEST_F(IngestLogTableTest, ANetworkFilesystemIsRefusedBeforeTheTableExists) {
  struct Network : public FileIO {
    std::shared_ptr<FileIO> base = NewPosixFileIO();
    std::unique_ptr<RandomAccessFile> OpenRead(const std::string& p) override {
      return base->OpenRead(p);
    }
    std::unique_ptr<WritableFile> Create(const std::string& p) override { return base->Create(p); }
    bool LinkIfAbsent(const std::string& a, const std::string& b) override {
      return base->LinkIfAbsent(a, b);
    }
    void Rename(const std::string& a, const std::string& b) override { base->Rename(a, b); }
    void SyncDir(const std::string& p) override { base->SyncDir(p); }
    void Delete(const std::string& p) override { base->Delete(p); }
    bool Exists(const std::string& p) override { return base->Exists(p); }
    FileInfo Stat(const std::string& p) override { return base->Stat(p); }
    std::vector<FileInfo> List(const std::string& p) override { return base->List(p); }
    void CreateDirs(const std::string& p) override { base->CreateDirs(p); }
    std::unique_ptr<FileLock> Lock(const std::string& p, bool w) override {
      return base->Lock(p, w);
    }
    std::unique_ptr<UpdatableFile> OpenForUpdate(const std::string& p) override {
      return base->OpenForUpdate(p);
    }
    std::unique_ptr<SharedMemory> MapShared(const std::string& p, size_t n) override {
      return base->MapShared(p, n);
    }
    bool IsNetworkFilesystem(const std::string&) override { return true; }
    std::string BootId() override { return base->BootId(); }
    std::string AbsolutePath(const std::string& p) override { return base->AbsolutePath(p); }
  };
  try {
    Create({}, std::make_shared<Network>());
    ADD_FAILURE() << "created a log table on a network filesystem";
  } catch (const NotSupported& e) {
    EXPECT_NE(std::string(e.what()).find("needs a local filesystem"), std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(NewPosixFileIO()->Exists(dir_.Join("t/metadata/v1.metadata.json")));
  EXPECT_FALSE(NewPosixFileIO()->Exists(dir_.Join("t/log")));
}

}  // namespace
}  // namespace datashard
