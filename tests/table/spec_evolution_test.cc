// Partition spec evolution (Table::UpdateSpec, issue 15): the specs each
// change writes, new appends under the new spec while old files keep
// theirs, pruning of every file by its own spec, row-level changes and
// compaction over files of several specs (position deletes carry their data
// file's spec), refusals before anything is written, field ids recycled,
// appends that rebase over a concurrent spec change, and ingest-log records
// of an older spec.
#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "datashard/errors.h"
#include "datashard/scan.h"
#include "datashard/table.h"
#include "io/temp_dir.h"
#include "metadata/manifest.h"
#include "table/table_test_util.h"

namespace datashard {
namespace {

using testing::ExpectVerifies;
using testing::Range;
using testing::SortedIds;

Schema CatSchema() {
  return Schema(1, {Field{1, "id", DataType::Long(), true},
                    Field{2, "cat", DataType::String(), true}, Field{3, "n", DataType::Int()}});
}

std::string CatOf(int64_t id) { return id % 2 == 0 ? "a" : "b"; }

std::vector<Record> CatRows(int64_t from, int64_t to) {
  std::vector<Record> rows;
  for (int64_t i = from; i < to; ++i)
    rows.push_back({Value(i), Value(CatOf(i)), Value(static_cast<int32_t>(i % 5))});
  return rows;
}

int32_t BucketOf(int n, int64_t id) {
  return Transform::Bucket(n).Apply(DataType::Long(), Value(id)).as_int();
}

nlohmann::json MetadataJson(Table& t) {
  t.Refresh();
  return nlohmann::json::parse(t.io().ReadFile(
      t.location() + "/metadata/v" + std::to_string(t.metadata_version()) + ".metadata.json"));
}

// Live files of the current snapshot (data or delete files), each with the
// spec id of the manifest that lists it.
std::vector<std::pair<int, DataFile>> LiveFiles(Table& t, bool deletes) {
  std::vector<std::pair<int, DataFile>> out;
  const std::optional<Snapshot> s = t.CurrentSnapshot();
  if (!s) return out;
  for (const ManifestFile& m : ReadManifestList(t.io(), s->manifest_list)) {
    if ((m.content != FileContent::kData) != deletes) continue;
    for (const ManifestEntry& e : ReadManifest(t.io(), m)) {
      if (e.status != EntryStatus::kDeleted) out.emplace_back(m.partition_spec_id, e.data_file);
    }
  }
  return out;
}

// Data files a filtered count did not prune.
int64_t FilesLeft(Table& t, const std::string& filter) {
  ScanMetrics m;
  NewScan(t).Filter(filter).Count(&m);
  return m.data_files_considered - m.data_files_pruned;
}

class SpecEvolutionTest : public ::testing::Test {
 protected:
  // Partitioned by bucket(4,id); without column statistics, so that only
  // partition values prune.
  Table Bucketed(const std::map<std::string, std::string>& properties = {}) {
    std::map<std::string, std::string> p = properties;
    p["write.metadata.metrics.default"] = "none";
    return CreateTable(dir_.Join("t"), CatSchema(),
                       PartitionSpec::Parse("bucket(4,id)", CatSchema()), p);
  }
  TempDir dir_;
};

TEST_F(SpecEvolutionTest, NewSpecsServeNewAppendsWhileOldFilesKeepAndPruneByTheirOwn) {
  Table t = Bucketed();
  t.AppendRecords(CatRows(0, 40), CatSchema());
  const int64_t version = t.metadata_version();
  const PartitionSpec one = t.UpdateSpec(PartitionSpecUpdate().AddField("cat"));
  EXPECT_EQ(one.spec_id(), 1);
  nlohmann::json m = MetadataJson(t);
  EXPECT_EQ(t.metadata_version(), version + 1);
  EXPECT_EQ(m["snapshots"].size(), 1u);  // a metadata-only commit
  EXPECT_EQ(m["default-spec-id"], 1);
  EXPECT_EQ(m["last-partition-id"], 1001);
  EXPECT_EQ(m["partition-specs"].dump(),
            R"([{"fields":[{"field-id":1000,"name":"id_bucket","source-id":1,)"
            R"("transform":"bucket[4]"}],"spec-id":0},)"
            R"({"fields":[{"field-id":1000,"name":"id_bucket","source-id":1,)"
            R"("transform":"bucket[4]"},{"field-id":1001,"name":"cat","source-id":2,)"
            R"("transform":"identity"}],"spec-id":1}])");
  t.AppendRecords(CatRows(40, 80), CatSchema());
  const PartitionSpec two = t.UpdateSpec(PartitionSpecUpdate().RemoveField("id_bucket"));
  EXPECT_EQ(two.spec_id(), 2);
  m = MetadataJson(t);
  EXPECT_EQ(m["partition-specs"][2].dump(),
            R"({"fields":[{"field-id":1001,"name":"cat","source-id":2,"transform":"identity"}],)"
            R"("spec-id":2})");
  EXPECT_EQ(m["last-partition-id"], 1001);
  t.AppendRecords(CatRows(80, 120), CatSchema());

  // One file per partition tuple of the spec each append was written with.
  std::set<int32_t> buckets;
  std::set<std::pair<int32_t, std::string>> bucket_cats;
  for (int64_t i = 0; i < 40; ++i) buckets.insert(BucketOf(4, i));
  for (int64_t i = 40; i < 80; ++i) bucket_cats.insert({BucketOf(4, i), CatOf(i)});
  const auto files = LiveFiles(t, false);
  std::map<int, size_t> per_spec;
  for (const auto& [spec, f] : files) {
    ++per_spec[spec];
    EXPECT_EQ(f.partition.size(), spec == 1 ? 2u : 1u) << f.file_path;
    if (spec == 2) {
      EXPECT_NE(f.file_path.find("/data/cat=" + f.partition[0].as_bytes() + "/"), std::string::npos)
          << f.file_path;
    }
  }
  EXPECT_EQ(per_spec,
            (std::map<int, size_t>{{0, buckets.size()}, {1, bucket_cats.size()}, {2, size_t{2}}}));

  // Every file prunes by the partition values of its own spec.
  const auto expect_left = [&](const std::string& filter, auto may_match) {
    int64_t want = 0;
    for (const auto& [spec, f] : files) want += may_match(spec, f.partition) ? 1 : 0;
    EXPECT_EQ(FilesLeft(t, filter), want) << filter;
  };
  expect_left("cat = 'a'", [](int spec, const std::vector<Value>& p) {
    return spec == 0 || p[spec == 1 ? 1 : 0].as_bytes() == "a";
  });
  expect_left("id = 45", [](int spec, const std::vector<Value>& p) {
    return spec == 2 || p[0].as_int() == BucketOf(4, 45);
  });
  EXPECT_EQ(NewScan(t).Filter("cat = 'a'").Count(), 60);
  EXPECT_EQ(NewScan(t).Filter("id = 45").Count(), 1);
  EXPECT_EQ(NewScan(t).Filter("id >= 30 and id < 90 and cat = 'b'").Count(), 30);
  EXPECT_EQ(SortedIds(t), Range(0, 120));
  ExpectVerifies(t);
}

TEST_F(SpecEvolutionTest, RemovedAndAddedAgainFieldsGetTheirIdsAndSpecsBack) {
  Table t = Bucketed();
  EXPECT_EQ(t.UpdateSpec(PartitionSpecUpdate().RemoveField("id_bucket")).spec_id(), 1);
  EXPECT_TRUE(t.spec().is_unpartitioned());
  // The same field again: its old id, and the spec that had exactly it.
  const PartitionSpec back = t.UpdateSpec(PartitionSpecUpdate().AddFieldTerm("bucket(4,id)"));
  EXPECT_EQ(back.spec_id(), 0);
  EXPECT_EQ(back.fields()[0].field_id, 1000);
  // Another bucket count is another field; a name given is kept.
  const PartitionSpec wider = t.UpdateSpec(
      PartitionSpecUpdate().RemoveField("id_bucket").AddField("id", Transform::Bucket(8), "b8"));
  EXPECT_EQ(wider.spec_id(), 2);
  EXPECT_EQ(wider.fields(),
            (std::vector<PartitionField>{PartitionField{1, 1001, "b8", Transform::Bucket(8)}}));
  // Removed and added back in one update: no change of spec.
  EXPECT_EQ(t.UpdateSpec(PartitionSpecUpdate().RemoveField("b8").AddFieldTerm("bucket(8,id)", "b8"))
                .spec_id(),
            2);
  const nlohmann::json m = MetadataJson(t);
  EXPECT_EQ(m["partition-specs"].size(), 3u);
  EXPECT_EQ(m["last-partition-id"], 1001);
}

TEST_F(SpecEvolutionTest, BadChangesAreRefusedNamingFieldAndRuleBeforeAnythingIsWritten) {
  const Schema schema(1,
                      {Field{1, "id", DataType::Long(), true}, Field{2, "cat", DataType::String()},
                       Field{3, "ts", DataType::Timestamp()}});
  Table t =
      CreateTable(dir_.Join("t"), schema, PartitionSpec::Parse("bucket(4,id), month(ts)", schema));
  const int64_t version = t.metadata_version();
  const std::string prefix = "partition spec change of " + t.location() + " refused: ";
  const auto refused = [&](const PartitionSpecUpdate& u, const std::string& message) {
    try {
      t.UpdateSpec(u);
      ADD_FAILURE() << "accepted: " << message;
    } catch (const InvalidArgument& e) {
      EXPECT_EQ(e.what(), prefix + message);
    }
  };
  refused(PartitionSpecUpdate().AddField("nope"),
          "cannot add partition field identity(nope): the table has no column 'nope'");
  refused(PartitionSpecUpdate().AddField("cat", Transform::Day()),
          "cannot add partition field 'cat_day' day(cat): day cannot apply to column 'cat' of type "
          "string");
  refused(PartitionSpecUpdate().AddFieldTerm("bucket(4,id)", "again"),
          "cannot add partition field 'again' bucket[4](id): field 'id_bucket' already partitions "
          "by bucket[4](id)");
  refused(PartitionSpecUpdate().AddFieldTerm("day(ts)"),
          "cannot add partition field 'ts_day' day(ts): field 'ts_month' already partitions column "
          "'ts' by month (one time transform per column)");
  refused(PartitionSpecUpdate().AddFieldTerm("bucket(8,id)", "ts_month"),
          "cannot add partition field 'ts_month' bucket[8](id): the spec has a field of that name");
  refused(PartitionSpecUpdate().AddFieldTerm("bucket(8,id)", "cat"),
          "cannot add partition field 'cat' bucket[8](id): 'cat' is the name of a column it is not "
          "an identity of");
  refused(PartitionSpecUpdate().RemoveField("cat"),
          "cannot remove partition field 'cat': the default spec has no field of that name");
  refused(PartitionSpecUpdate().AddField("cat").RemoveField("cat"),
          "cannot remove partition field 'cat': this same update adds it");
  EXPECT_THROW(t.UpdateSpec(PartitionSpecUpdate()), InvalidArgument);
  EXPECT_THROW(PartitionSpecUpdate().AddFieldTerm("bucket(x,id)"), InvalidArgument);
  t.Refresh();
  EXPECT_EQ(t.metadata_version(), version);
  // Swapping one time transform for another in one update is fine.
  EXPECT_EQ(t.UpdateSpec(PartitionSpecUpdate().RemoveField("ts_month").AddFieldTerm("day(ts)"))
                .Describe(schema),
            "[1000: id_bucket bucket[4](id), 1002: ts_day day(ts)]");
}

TEST_F(SpecEvolutionTest, AppendRebasesOverAConcurrentSpecChangeKeepingItsSpec) {
  Table t = Bucketed();
  t.AppendRecords(CatRows(0, 10), CatSchema());
  Transaction tx = t.NewTransaction();
  tx.AppendData(CatRows(10, 20), CatSchema());
  Transaction change = t.NewTransaction();
  EXPECT_EQ(change.Delete("id = 3"), 1);
  OpenTable(t.location()).UpdateSpec(PartitionSpecUpdate().AddField("cat"));
  EXPECT_TRUE(tx.Commit());
  std::map<int, int64_t> rows_per_spec;
  for (const auto& [spec, f] : LiveFiles(t, false)) rows_per_spec[spec] += f.record_count;
  EXPECT_EQ(rows_per_spec, (std::map<int, int64_t>{{0, 20}}));  // written before the change
  // A row-level change made under the old spec is a conflict.
  EXPECT_THROW(change.Commit(), CommitConflict);
  EXPECT_EQ(SortedIds(t), Range(0, 20));
  t.AppendRecords(CatRows(20, 30), CatSchema());
  rows_per_spec.clear();
  for (const auto& [spec, f] : LiveFiles(t, false)) rows_per_spec[spec] += f.record_count;
  EXPECT_EQ(rows_per_spec, (std::map<int, int64_t>{{0, 20}, {1, 10}}));
  ExpectVerifies(t);
}

TEST_F(SpecEvolutionTest, IngestLogRecordsOfAnOlderSpecFoldIntoPartitionsOfTheNewOne) {
  Table t = Bucketed({{"datashard.ingest-log.enabled", "true"},
                      {"datashard.ingest-log.checkpoint-interval-ms", "3600000"}});
  t.AppendRecords(CatRows(0, 4), CatSchema());
  Transaction stale = t.NewTransaction();  // has not seen the change yet
  stale.AppendData(CatRows(4, 10), CatSchema());
  t.UpdateSpec(PartitionSpecUpdate().RemoveField("id_bucket").AddField("cat"));
  EXPECT_EQ(t.Stats().log_rows, 0);  // folded before the change
  EXPECT_TRUE(stale.Commit());       // a log record of spec 0
  EXPECT_EQ(SortedIds(t), Range(0, 10));
  EXPECT_EQ(t.Checkpoint().rows, 6);
  EXPECT_EQ(SortedIds(t), Range(0, 10));
  std::map<std::string, int64_t> new_files;  // partition of spec 1 -> rows
  for (const auto& [spec, f] : LiveFiles(t, false)) {
    if (spec == 1) new_files[f.partition.at(0).as_bytes()] += f.record_count;
  }
  EXPECT_EQ(new_files, (std::map<std::string, int64_t>{{"a", 3}, {"b", 3}}));
  ExpectVerifies(t);
}

class SpecEvolutionRowChangeTest : public ::testing::TestWithParam<const char*> {
 protected:
  TempDir dir_;
};

TEST_P(SpecEvolutionRowChangeTest, DeleteUpdateAndCompactWorkOnFilesOfTwoSpecs) {
  const std::string mode = GetParam();
  Table t =
      CreateTable(dir_.Join("t"), CatSchema(), PartitionSpec::Parse("bucket(2,id)", CatSchema()),
                  {{"write.delete.mode", mode}, {"write.update.mode", mode}});
  t.AppendRecords(CatRows(0, 30), CatSchema());
  t.UpdateSpec(PartitionSpecUpdate().RemoveField("id_bucket").AddField("cat"));
  t.AppendRecords(CatRows(30, 60), CatSchema());
  std::map<int64_t, int32_t> model;  // id -> n
  for (int64_t i = 0; i < 60; ++i) model[i] = static_cast<int32_t>(i % 5);
  const auto expect_model = [&](const std::string& what) {
    std::map<int64_t, int32_t> rows;
    for (const Record& r : t.ScanAll()) rows[r[0].as_long()] = r[2].as_int();
    EXPECT_EQ(rows, model) << what;
    // Each delete file sits in a manifest of its data file's spec.
    std::map<std::string, int> data_spec;
    for (const auto& [spec, f] : LiveFiles(t, false)) data_spec[f.file_path] = spec;
    for (const auto& [spec, f] : LiveFiles(t, true)) {
      ASSERT_TRUE(f.referenced_data_file.has_value());
      EXPECT_EQ(spec, data_spec.at(*f.referenced_data_file)) << what << ": " << f.file_path;
    }
    ExpectVerifies(t);
  };
  Transaction del = t.NewTransaction();
  EXPECT_EQ(del.Delete("id >= 20 and id < 40"), 20);
  ASSERT_TRUE(del.Commit());
  for (int64_t i = 20; i < 40; ++i) model.erase(i);
  expect_model("delete");
  if (mode == "merge-on-read") {
    std::set<int> specs;
    for (const auto& [spec, f] : LiveFiles(t, true)) specs.insert(spec);
    EXPECT_EQ(specs, (std::set<int>{0, 1}));  // deletes of files of both specs
  }
  Transaction upd = t.NewTransaction();
  EXPECT_EQ(upd.Update({{"n", Value(int32_t{99})}}, "id >= 10 and id < 50 and cat = 'a'"), 10);
  ASSERT_TRUE(upd.Commit());
  for (auto& [id, n] : model) {
    if (id >= 10 && id < 50 && CatOf(id) == "a") n = 99;
  }
  expect_model("update");
  EXPECT_EQ(NewScan(t).Filter("cat = 'b' and n = 99").Count(), 0);
  CompactOptions options;
  options.target_file_size_bytes = 1 << 20;
  const CompactReport report = t.Compact(options);
  EXPECT_GT(report.files_rewritten, 0);
  expect_model("compact");
  EXPECT_TRUE(LiveFiles(t, true).empty());  // every delete applied for good
}

INSTANTIATE_TEST_SUITE_P(Modes, SpecEvolutionRowChangeTest,
                         ::testing::Values("copy-on-write", "merge-on-read"), [](const auto& info) {
                           return std::string(info.param) == "copy-on-write" ? "CopyOnWrite"
                                                                             : "MergeOnRead";
                         });

}  // namespace
}  // namespace datashard
