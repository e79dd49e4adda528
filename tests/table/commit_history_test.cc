// What a commit keeps of the table's history (issue 12, items 2, 4, 6, 9):
// fields other engines wrote, commit ids beyond retention, timestamps after a
// wrong clock, and files of expired snapshots while readers still use them.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "catalog/file_catalog.h"
#include "datashard/errors.h"
#include "datashard/table.h"
#include "io/temp_dir.h"
#include "table/table_test_util.h"

namespace datashard {
namespace {

using nlohmann::json;
using testing::IdValueRows;
using testing::IdValueSchema;

class CommitHistoryTest : public ::testing::Test {
 protected:
  std::string Path() { return dir_.Join("t"); }

  // The newest metadata version of the table as JSON.
  json LatestJson(Table& t) {
    t.Refresh();
    const FileCatalog catalog(DefaultFileIO(), Path());
    return json::parse(catalog.ReadVersion(t.metadata_version()));
  }

  // Publishes `j` as the next version, as another engine would.
  void PublishByHand(Table& t, const json& j) {
    const FileCatalog catalog(DefaultFileIO(), Path());
    const int64_t next = t.metadata_version() + 1;
    ASSERT_EQ(catalog.Publish(next, j.dump()), FileCatalog::PublishResult::kPublished);
    catalog.WriteHint(next);
    t.Refresh();
    ASSERT_EQ(t.metadata_version(), next);
  }

  TempDir dir_;
};

TEST_F(CommitHistoryTest, Item9StatisticsAndUnknownFieldsOfOtherEnginesSurviveOurCommits) {
  Table t = CreateTable(Path(), IdValueSchema(), PartitionSpec(),
                        {{"history.expire.min-snapshots-to-keep", "2"}});
  t.AppendRecords(IdValueRows(0, 2), IdValueSchema());
  const int64_t first = t.CurrentSnapshot()->snapshot_id;
  t.AppendRecords(IdValueRows(2, 2), IdValueSchema());
  const int64_t second = t.CurrentSnapshot()->snapshot_id;

  // Statistics files another engine wrote for both snapshots (one puffin
  // file shared by both entries of the second snapshot), and fields of a
  // newer writer datashard does not know.
  FileIO& io = t.io();
  const std::string first_stats = Path() + "/metadata/first.stats";
  const std::string first_partition_stats = Path() + "/metadata/first.partition-stats";
  const std::string second_stats = Path() + "/metadata/second.stats";
  for (const std::string& p : {first_stats, first_partition_stats, second_stats}) {
    auto f = io.Create(p);
    f->Append("PFA1", 4);
    f->Sync();
    f->Close();
  }
  json j = LatestJson(t);
  const json statistics = json::array({{{"snapshot-id", first},
                                        {"statistics-path", first_stats},
                                        {"file-size-in-bytes", 4},
                                        {"file-footer-size-in-bytes", 2},
                                        {"blob-metadata",
                                         {{{"type", "apache-datasketches-theta-v1"},
                                           {"snapshot-id", first},
                                           {"sequence-number", 1},
                                           {"fields", {1}},
                                           {"properties", {{"ndv", "2"}}}}}}},
                                       {{"snapshot-id", second},
                                        {"statistics-path", second_stats},
                                        {"file-size-in-bytes", 4},
                                        {"file-footer-size-in-bytes", 2},
                                        {"key-metadata", "00ff"},
                                        {"blob-metadata", json::array()}}});
  const json partition_statistics = json::array(
      {{{"snapshot-id", first},
        {"statistics-path", first_partition_stats},
        {"file-size-in-bytes", 4}},
       {{"snapshot-id", second}, {"statistics-path", second_stats}, {"file-size-in-bytes", 4}}});
  const json foreign = {{"nested", {1, 2.5, "x", nullptr, true}}, {"empty", json::object()}};
  j["statistics"] = statistics;
  j["partition-statistics"] = partition_statistics;
  j["x-other-engine"] = foreign;
  j["x-number"] = 12345678901234567LL;
  PublishByHand(t, j);

  // Our next commit carries every one of them unchanged, except the entries
  // of the snapshot it expires (min-snapshots-to-keep 2), whose files are
  // deleted with it, as Java's expiry does.
  t.AppendRecords(IdValueRows(4, 2), IdValueSchema());
  j = LatestJson(t);
  EXPECT_EQ(j["x-other-engine"], foreign);
  EXPECT_EQ(j["x-number"], 12345678901234567LL);
  ASSERT_TRUE(j.contains("statistics"));
  ASSERT_TRUE(j.contains("partition-statistics"));
  EXPECT_EQ(j["statistics"], json::array({statistics[1]}));
  EXPECT_EQ(j["partition-statistics"], json::array({partition_statistics[1]}));
  EXPECT_EQ(t.SnapshotById(first), std::nullopt);
  ASSERT_TRUE(t.SnapshotById(second).has_value());
  EXPECT_FALSE(io.Exists(first_stats));
  EXPECT_FALSE(io.Exists(first_partition_stats));
  EXPECT_TRUE(io.Exists(second_stats));
  // The next commit expires the second snapshot: its entries go too.
  t.AppendRecords(IdValueRows(6, 2), IdValueSchema());
  j = LatestJson(t);
  EXPECT_EQ(j["x-other-engine"], foreign);
  EXPECT_TRUE(!j.contains("statistics") || j["statistics"].empty()) << j["statistics"];
  EXPECT_TRUE(!j.contains("partition-statistics") || j["partition-statistics"].empty());
  EXPECT_FALSE(io.Exists(second_stats));
  EXPECT_EQ(testing::SortedIds(t).size(), 8u);
}

}  // namespace
}  // namespace datashard
