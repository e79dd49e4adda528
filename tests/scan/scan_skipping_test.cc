// What a scan skips inside the files it opens, proven by its page metrics
// and exact rows: data pages the Parquet page index rules out, and the same
// scans over files written without a page index.
#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "datashard/scan.h"
#include "datashard/table.h"
#include "io/temp_dir.h"
#include "scan/hand_table.h"

namespace datashard {
namespace {

struct Result {
  std::vector<int64_t> ids;
  ScanMetrics metrics;
};

Result RunScan(TableScan scan) {
  std::unique_ptr<ScanReader> reader = scan.Open();
  Result r;
  RecordBatch batch;
  while (reader->Next(&batch)) {
    for (size_t i = 0; i < batch.num_rows(); ++i) r.ids.push_back(batch.columns[0].longs[i]);
  }
  std::sort(r.ids.begin(), r.ids.end());
  r.metrics = reader->metrics();
  return r;
}

std::vector<int64_t> Range(int64_t first, int64_t end) {
  std::vector<int64_t> ids;
  for (int64_t i = first; i < end; ++i) ids.push_back(i);
  return ids;
}

class ScanSkippingTest : public ::testing::Test {
 protected:
  // A table of one file, one row group of `rows` ascending ids; v is null on
  // rows [null_from, null_to) and "value-<id % 7>" elsewhere. The writer
  // closes a page every 20,000 rows.
  Table OneFileTable(const std::string& name, int64_t rows, bool page_index, int64_t null_from = 0,
                     int64_t null_to = 0) {
    testing::HandTable hand(dir_.Join(name), testing::IdValueSchema());
    ColumnVector ids(DataType::Long());
    ColumnVector vs(DataType::String());
    for (int64_t i = 0; i < rows; ++i) {
      ids.Append(Value(i));
      if (i >= null_from && i < null_to) {
        vs.AppendNull();
      } else {
        vs.Append(Value("value-" + std::to_string(i % 7)));
      }
    }
    parquet::WriterOptions options;
    options.write_page_index = page_index;
    hand.Commit({hand.WriteDataFileWith(testing::IdValueSchema(), {ids, vs}, options, {}, false)});
    return OpenTable(dir_.Join(name));
  }

  TempDir dir_{"scan-skipping-test"};
};

TEST_F(ScanSkippingTest, PageIndexSkipsThePagesTheFilterRulesOut) {
  Table indexed = OneFileTable("indexed", 100000, true);
  Table plain = OneFileTable("plain", 100000, false);
  const std::string filter = "id >= 41000 and id < 41010";
  // Five pages per column; the rows lie in the third. With the index the
  // first two pages of both columns are passed over and the last two never
  // reached: one page of each column is read.
  const Result r = RunScan(NewScan(indexed).Filter(filter).BatchSize(65536));
  EXPECT_EQ(r.ids, Range(41000, 41010));
  EXPECT_EQ(r.metrics.row_groups_pruned, 0);
  EXPECT_EQ(r.metrics.pages_read, 2);
  EXPECT_EQ(r.metrics.pages_skipped, 4);
  // Without it: the first batch (rows 0-65535) reads four pages of each
  // column, the second one more page of id and skips the last page of v.
  const Result p = RunScan(NewScan(plain).Filter(filter).BatchSize(65536));
  EXPECT_EQ(p.ids, Range(41000, 41010));
  EXPECT_EQ(p.metrics.pages_read, 9);
  EXPECT_EQ(p.metrics.pages_skipped, 1);
  // A count reads the filter column only: one page of it.
  ScanMetrics m;
  EXPECT_EQ(NewScan(indexed).Filter(filter).Count(&m), 10);
  EXPECT_EQ(m.pages_read, 1);
  EXPECT_EQ(NewScan(plain).Filter(filter).Count(&m), 10);
  EXPECT_EQ(m.pages_read, 5);
}

TEST_F(ScanSkippingTest, RangesOverPageBoundariesAndOrKeepExactRows) {
  Table t = OneFileTable("t", 100000, true);
  // Rows on both sides of the boundary between pages 1 and 2, and a second
  // range in page 4 (skipping page 3 between them).
  const Result r = RunScan(
      NewScan(t).Filter("(id >= 39995 and id < 40005) or id >= 99990").BatchSize(7).Threads(2));
  std::vector<int64_t> want = Range(39995, 40005);
  for (int64_t id : Range(99990, 100000)) want.push_back(id);
  EXPECT_EQ(r.ids, want);
  // Pages 0 and 3 of id are skipped; with a batch of 7 rows, v's pages are
  // read only under the kept batches: pages 1, 2 and 4.
  EXPECT_EQ(r.metrics.pages_read, 6);
  EXPECT_EQ(r.metrics.pages_skipped, 4);
  // A filter on a column without bounds in the index (id is bounded, the
  // string column too: both filter columns are used together).
  const Result both = RunScan(NewScan(t).Filter("id < 30000 and v = 'value-3'"));
  std::vector<int64_t> threes;
  for (int64_t i = 3; i < 30000; i += 7) threes.push_back(i);
  EXPECT_EQ(both.ids, threes);
}

TEST_F(ScanSkippingTest, AllNullPagesAreSkippedForValuesAndReadForIsNull) {
  // Rows 20000-39999 (page 1) hold only nulls in v.
  Table t = OneFileTable("t", 60000, true, 20000, 40000);
  ScanMetrics m;
  EXPECT_EQ(NewScan(t).Filter("v = 'value-1'").Count(&m), 5714);
  EXPECT_EQ(m.pages_read, 2);
  EXPECT_EQ(m.pages_skipped, 1);
  EXPECT_EQ(NewScan(t).Filter("v is null").Count(&m), 20000);
  EXPECT_EQ(m.pages_read, 1);
  EXPECT_EQ(m.pages_skipped, 1);
  EXPECT_EQ(NewScan(t).Filter("v is null and id >= 39000").Count(&m), 1000);
}

// One file of `strings` in column v (id ascending), one row group.
Table StringTable(testing::HandTable* hand, const std::vector<std::string>& strings,
                  const parquet::WriterOptions& options) {
  ColumnVector ids(DataType::Long());
  ColumnVector vs(DataType::String());
  for (size_t i = 0; i < strings.size(); ++i) {
    ids.Append(Value(static_cast<int64_t>(i)));
    vs.Append(Value(strings[i]));
  }
  hand->Commit({hand->WriteDataFileWith(testing::IdValueSchema(), {ids, vs}, options, {}, false)});
  return OpenTable(hand->metadata().location);
}

TEST_F(ScanSkippingTest, DictionariesRuleOutRowGroupsTheirBoundsCannot) {
  testing::HandTable hand(dir_.Join("t"), testing::IdValueSchema());
  std::vector<std::string> strings;
  for (int i = 0; i < 30000; ++i) strings.push_back(i % 2 == 0 ? "a" : "c");
  Table t = StringTable(&hand, strings, parquet::WriterOptions{});
  // "b" lies within the bounds [a, c] but is not in the dictionary.
  Result r = RunScan(NewScan(t).Filter("v = 'b'"));
  EXPECT_TRUE(r.ids.empty());
  EXPECT_EQ(r.metrics.row_groups_pruned, 1);
  EXPECT_EQ(r.metrics.pages_read, 0);
  r = RunScan(NewScan(t).Filter("v in ('b', 'x')"));
  EXPECT_TRUE(r.ids.empty());
  EXPECT_EQ(r.metrics.row_groups_pruned, 1);
  ScanMetrics m;
  EXPECT_EQ(NewScan(t).Filter("v in ('b', 'c')").Count(&m), 15000);
  EXPECT_EQ(m.row_groups_pruned, 0);
  // Each predicate is decided alone: some entry is not 'a', some not 'c'.
  EXPECT_EQ(NewScan(t).Filter("v != 'a' and v != 'c'").Count(&m), 0);
  EXPECT_EQ(m.row_groups_pruned, 0);
  EXPECT_EQ(NewScan(t).Filter("v not in ('a', 'c')").Count(&m), 0);
  EXPECT_EQ(m.row_groups_pruned, 1);
  EXPECT_EQ(NewScan(t).Filter("v != 'a'").Count(&m), 15000);
  EXPECT_EQ(m.row_groups_pruned, 0);
  // An or with a predicate the dictionary allows keeps the row group.
  EXPECT_EQ(NewScan(t).Filter("v = 'b' or id = 7").Count(&m), 1);
  EXPECT_EQ(m.row_groups_pruned, 0);
}

TEST_F(ScanSkippingTest, AChunkFallingBackToPlainIsNotJudgedByItsDictionary) {
  testing::HandTable hand(dir_.Join("t"), testing::IdValueSchema());
  // The first page keeps a dictionary of "a" and "c"; the next pages bring
  // new values until the dictionary passes its limit and the rest of the
  // chunk is PLAIN, "b" among it.
  std::vector<std::string> strings;
  for (int i = 0; i < 20000; ++i) strings.push_back(i % 2 == 0 ? "a" : "c");
  for (int i = 0; i < 20000; ++i) strings.push_back("x" + std::to_string(i));
  strings.push_back("b");
  parquet::WriterOptions options;
  options.dictionary_size_limit_bytes = 1000;
  Table t = StringTable(&hand, strings, options);
  const Result r = RunScan(NewScan(t).Filter("v = 'b'"));
  EXPECT_EQ(r.ids, (std::vector<int64_t>{40000}));
  EXPECT_EQ(r.metrics.row_groups_pruned, 0);
  ScanMetrics m;
  EXPECT_EQ(NewScan(t).Filter("v in ('b', 'x19999', 'zz')").Count(&m), 2);
}

}  // namespace
}  // namespace datashard
