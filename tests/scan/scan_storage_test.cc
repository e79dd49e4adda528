// Column storage recycled through a scan: a file reader refills the columns
// its caller hands back, and the scan executor passes the batches its caller
// is done with back to its threads, so that the columns allocated
// (ScanMetrics::columns_allocated) do not grow with the batches read.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "datashard/scan.h"
#include "datashard/table.h"
#include "io/temp_dir.h"
#include "scan/hand_table.h"
#include "scan/scan_file_reader.h"

namespace datashard {
namespace {

constexpr int kFiles = 8;
constexpr int64_t kRowsPerFile = 8000;
constexpr int64_t kBatch = 1000;  // a divisor of kRowsPerFile: every batch is full
// Rows of the table whose v is not 'v-3' (id % 7 != 3).
constexpr int64_t kNotV3 = kFiles * kRowsPerFile - (kFiles * kRowsPerFile - 3 + 6) / 7;

class ScanStorageTest : public ::testing::Test {
 protected:
  // kFiles files of ids [f * kRowsPerFile, (f + 1) * kRowsPerFile), v = "v-<id % 7>".
  void SetUp() override {
    testing::HandTable hand(dir_.Join("t"), testing::IdValueSchema());
    for (int f = 0; f < kFiles; ++f) {
      ColumnVector ids(DataType::Long());
      ColumnVector vs(DataType::String());
      for (int64_t i = f * kRowsPerFile; i < (f + 1) * kRowsPerFile; ++i) {
        ids.Append(Value(i));
        vs.Append(Value("v-" + std::to_string(i % 7)));
      }
      files_.push_back(hand.WriteDataFile(testing::IdValueSchema(), {ids, vs}));
    }
    hand.Commit(files_);
  }

  // Reads files_[0] with one ScanFileReader into one RecordBatch; returns
  // the columns it allocated.
  int64_t ReadFirstFile(const std::string& filter, int64_t* rows) {
    const Schema schema = testing::IdValueSchema();
    std::optional<Expression> bound;
    if (!filter.empty()) bound = Expression::Parse(filter).Bind(schema).PushNotDown();
    const std::shared_ptr<FileIO> io = DefaultFileIO();
    const PlannedFile file{{EntryStatus::kAdded, 0, {}, {}, files_[0]}, 0};
    ScanCounters counters;
    ScanFileReader reader(*io, file, nullptr, schema, bound, kBatch, &counters);
    RecordBatch batch;
    *rows = 0;
    while (reader.Next(&batch)) *rows += static_cast<int64_t>(batch.num_rows());
    return counters.columns_allocated.load();
  }

  ScanMetrics Scan(TableScan scan, int64_t* rows) {
    std::unique_ptr<ScanReader> reader = scan.BatchSize(kBatch).Open();
    RecordBatch batch;
    *rows = 0;
    while (reader->Next(&batch)) *rows += static_cast<int64_t>(batch.num_rows());
    return reader->metrics();
  }

  TempDir dir_{"scan-storage-test"};
  std::vector<DataFile> files_;
};

TEST_F(ScanStorageTest, FileReaderRefillsTwoSetsOfColumns) {
  // The first batch is decoded into new columns, the second into the empty
  // ones the caller's batch had; from then on the two sets swap.
  int64_t rows = 0;
  EXPECT_EQ(ReadFirstFile("", &rows), 4);
  EXPECT_EQ(rows, kRowsPerFile);
}

TEST_F(ScanStorageTest, FilteredFileReaderRefillsItsColumns) {
  // The filter column is read first, into a probe batch: three sets of it
  // (the reader's, the probe's, the caller's), two of the other column.
  // Batches the filter shrinks keep their storage for the next.
  int64_t rows = 0;
  EXPECT_EQ(ReadFirstFile("id >= 100 and id < 7990", &rows), 5);
  EXPECT_EQ(rows, 7890);
}

TEST_F(ScanStorageTest, ScansRecycleTheCallersBatches) {
  const Table t = OpenTable(dir_.Join("t"));
  for (int threads : {1, 2}) {
    // A column's storage is in a thread's reader or batch (two per thread),
    // queued (at most two per file being read, one file per thread), with
    // the caller, or handed back: a new one only when none is handed back.
    const int64_t per_column = 4 * threads + 1;
    int64_t rows = 0;
    const ScanMetrics full = Scan(NewScan(t).Threads(threads), &rows);
    EXPECT_EQ(rows, kFiles * kRowsPerFile);
    EXPECT_LE(full.columns_allocated, 2 * per_column) << threads << " threads";

    // The filter column has one more per thread, read into the probe batch;
    // rows the filter drops leave the storage as large as before.
    const ScanMetrics filtered = Scan(NewScan(t).Threads(threads).Filter("v != 'v-3'"), &rows);
    EXPECT_EQ(rows, kNotV3);
    EXPECT_LE(filtered.columns_allocated, 2 * per_column + threads) << threads << " threads";

    // A column only the filter reads stays with its thread (in the reader,
    // the probe batch and between batches); the output column circulates.
    const ScanMetrics projected =
        Scan(NewScan(t).Threads(threads).Select({"id"}).Filter("v != 'v-3'"), &rows);
    EXPECT_EQ(rows, kNotV3);
    EXPECT_LE(projected.columns_allocated, per_column + 3 * threads) << threads << " threads";
  }
}

TEST_F(ScanStorageTest, BatchesTheCallerKeepsAreNotRefilled) {
  // A caller that keeps every batch hands none back: each is new.
  const Table t = OpenTable(dir_.Join("t"));
  std::unique_ptr<ScanReader> reader = NewScan(t).Threads(1).BatchSize(kBatch).Open();
  std::vector<RecordBatch> kept;
  RecordBatch batch;
  while (reader->Next(&batch)) kept.push_back(std::move(batch));
  ASSERT_EQ(kept.size(), static_cast<size_t>(kFiles * kRowsPerFile / kBatch));
  EXPECT_EQ(reader->metrics().columns_allocated, 2 * static_cast<int64_t>(kept.size()));
  // Each kept batch still holds its own rows.
  for (const RecordBatch& b : kept) {
    ASSERT_EQ(b.num_rows(), static_cast<size_t>(kBatch));
    for (size_t i = 0; i < b.num_rows(); ++i) {
      ASSERT_EQ(b.columns[1].bytes_at(i), "v-" + std::to_string(b.columns[0].longs[i] % 7));
    }
  }
}

}  // namespace
}  // namespace datashard
