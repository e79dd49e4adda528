// Row groups of one large file read by several threads: the rows, their
// order and the metrics are those of a scan by one thread, with and without
// a filter, for counts, and across the files around the split one.
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "datashard/scan.h"
#include "datashard/table.h"
#include "io/temp_dir.h"
#include "scan/hand_table.h"
#include "scan/scan_executor.h"
#include "scan/scan_file_reader.h"
#include "scan/scan_plan.h"

namespace datashard {
namespace {

struct Result {
  std::vector<int64_t> ids;
  std::vector<std::string> vs;  // "<null>" for null
  ScanMetrics metrics;
};

class ScanSplitTest : public ::testing::Test {
 protected:
  // Files of ids [0, 1000), [1000, 41000) in many row groups, [41000, 42000).
  void SetUp() override {
    testing::HandTable hand(dir_.Join("t"), testing::IdValueSchema());
    std::vector<DataFile> files;
    for (const auto& [first, end, group_bytes] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
             {0, 1000, 128 << 20}, {1000, 41000, 32 << 10}, {41000, 42000, 128 << 20}}) {
      ColumnVector ids(DataType::Long());
      ColumnVector vs(DataType::String());
      for (int64_t i = first; i < end; ++i) {
        ids.Append(Value(i));
        if (i % 11 == 0) {
          vs.AppendNull();
        } else {
          vs.Append(Value("v-" + std::to_string(i % 13)));
        }
      }
      files.push_back(hand.WriteDataFile(testing::IdValueSchema(), {ids, vs}, {}, group_bytes));
    }
    hand.Commit(files);
    table_ = std::make_unique<Table>(OpenTable(dir_.Join("t")));
    io_ = DefaultFileIO();
    groups_ = ScanFileReader::CountRowGroups(
        *io_, PlannedFile{{EntryStatus::kAdded, 0, {}, {}, files[1]}, 0});
  }

  Result Run(int threads, const std::string& filter, bool count_only = false) {
    ScanExecution e;
    e.io = io_;
    e.metadata = table_->metadata();
    const Schema& schema = e.metadata.CurrentSchema();
    if (!filter.empty()) e.filter = Expression::Parse(filter).Bind(schema).PushNotDown();
    e.plan = PlanScan(*io_, e.metadata, schema, *e.metadata.CurrentSnapshot(), e.filter);
    e.read_schema = e.output_schema = schema;
    e.threads = threads;
    e.split_file_bytes = 0;  // every file of several row groups is split
    e.ordered = true;
    e.count_only = count_only;
    e.batch_size = 1000;
    std::unique_ptr<ScanReader> reader = NewScanExecutor(std::move(e));
    Result r;
    RecordBatch batch;
    while (reader->Next(&batch)) {
      for (size_t i = 0; i < batch.num_rows(); ++i) {
        r.ids.push_back(batch.columns[0].longs[i]);
        r.vs.push_back(batch.columns[1].is_null(i) ? "<null>"
                                                   : std::string(batch.columns[1].bytes_at(i)));
      }
    }
    r.metrics = reader->metrics();
    return r;
  }

  TempDir dir_{"scan-split-test"};
  std::unique_ptr<Table> table_;
  std::shared_ptr<FileIO> io_;
  int groups_ = 0;
};

TEST_F(ScanSplitTest, SplitFilesKeepTheRowsOrderAndMetricsOfOneThread) {
  ASSERT_GE(groups_, 6);  // the middle file has row groups to share
  const Result one = Run(1, "");
  ASSERT_EQ(one.ids.size(), 42000u);
  for (size_t i = 0; i < one.ids.size(); ++i) {
    ASSERT_EQ(one.ids[i], static_cast<int64_t>(i));
    ASSERT_EQ(one.vs[i], i % 11 == 0 ? "<null>" : "v-" + std::to_string(i % 13)) << i;
  }
  EXPECT_EQ(one.metrics.row_groups_considered, groups_ + 2);
  for (int threads : {2, 3, 5, 64}) {
    const Result r = Run(threads, "");
    EXPECT_EQ(r.ids, one.ids) << threads << " threads";
    EXPECT_EQ(r.vs, one.vs) << threads << " threads";
    EXPECT_EQ(r.metrics.row_groups_considered, groups_ + 2) << threads << " threads";
    EXPECT_EQ(r.metrics.bytes_read, one.metrics.bytes_read) << threads << " threads";
  }
}

TEST_F(ScanSplitTest, FiltersAndCountsOverSplitFiles) {
  const std::string filter =
      "(id >= 500 and id < 1500) or (id >= 20000 and id < 20100) or "
      "id >= 41990 or v = 'v-3'";
  const Result one = Run(1, filter);
  std::vector<int64_t> want;
  for (int64_t i = 0; i < 42000; ++i) {
    if ((i >= 500 && i < 1500) || (i >= 20000 && i < 20100) || i >= 41990 ||
        (i % 11 != 0 && i % 13 == 3)) {
      want.push_back(i);
    }
  }
  EXPECT_EQ(one.ids, want);
  const Result counted = Run(1, filter, true);
  EXPECT_EQ(counted.metrics.rows_returned, static_cast<int64_t>(want.size()));
  for (int threads : {2, 4}) {
    const Result r = Run(threads, filter);
    EXPECT_EQ(r.ids, want) << threads << " threads";
    EXPECT_EQ(r.metrics.row_groups_considered, one.metrics.row_groups_considered);
    EXPECT_EQ(r.metrics.row_groups_pruned, one.metrics.row_groups_pruned);
    EXPECT_EQ(Run(threads, filter, true).metrics.rows_returned, static_cast<int64_t>(want.size()));
  }
  // A range inside a few row groups of the split file prunes the others in
  // every part.
  const Result narrow = Run(3, "id >= 20000 and id < 20100");
  EXPECT_EQ(narrow.ids.size(), 100u);
  EXPECT_EQ(narrow.ids.front(), 20000);
  EXPECT_GE(narrow.metrics.row_groups_pruned, groups_ - 2);
}

}  // namespace
}  // namespace datashard
