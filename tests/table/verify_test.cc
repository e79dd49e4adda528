// verify: a sound table checks out with exact counts, and each kind of
// damage is reported by name (missing, truncated or corrupt files, a
// manifest gone, summaries that do not add up, a damaged log record).
#include <algorithm>

#include <gtest/gtest.h>

#include "datashard/errors.h"
#include "datashard/table.h"
#include "io/temp_dir.h"

namespace datashard {
namespace {

Schema TestSchema() {
  return Schema(1,
                {Field{1, "id", DataType::Long(), true}, Field{2, "s", DataType::String(), false}});
}

std::vector<Record> Rows(int64_t first, int n) {
  std::vector<Record> rows;
  for (int64_t i = first; i < first + n; ++i) {
    rows.push_back({Value(i), Value("value-" + std::to_string(i))});
  }
  return rows;
}

bool Mentions(const VerifyReport& r, const std::string& a, const std::string& b) {
  return std::any_of(r.problems.begin(), r.problems.end(), [&](const std::string& p) {
    return p.find(a) != std::string::npos && p.find(b) != std::string::npos;
  });
}

std::string Dump(const VerifyReport& r) {
  std::string out;
  for (const std::string& p : r.problems) out += p + "\n";
  return out;
}

class VerifyTest : public ::testing::Test {
 protected:
  // Three appends of 10 rows each: three snapshots.
  Table Make(std::map<std::string, std::string> properties = {}) {
    Table t = CreateTable(dir_.Join("t"), TestSchema(), PartitionSpec(), properties);
    for (int i = 0; i < 3; ++i) t.AppendRecords(Rows(i * 10, 10), TestSchema());
    return t;
  }

  std::vector<std::string> DataFiles() {
    std::vector<std::string> out;
    for (const FileInfo& f : io_->List(dir_.Join("t") + "/data")) {
      out.push_back(dir_.Join("t") + "/data/" + f.name);
    }
    return out;
  }

  TempDir dir_{"verify"};
  std::shared_ptr<FileIO> io_ = DefaultFileIO();
};

TEST_F(VerifyTest, ASoundTableChecksOutWithExactCounts) {
  Table t = Make();
  VerifyOptions options;
  int64_t calls = 0;
  options.progress = [&](int64_t done, int64_t total, const std::string&) {
    ++calls;
    EXPECT_LE(done, total);
  };
  const VerifyReport r = t.Verify(options);
  EXPECT_TRUE(r.ok()) << Dump(r);
  EXPECT_EQ(r.snapshots, 3);
  EXPECT_EQ(r.manifest_lists, 3);
  EXPECT_EQ(r.data_files, 3);
  EXPECT_EQ(r.delete_files, 0);
  EXPECT_EQ(r.rows_decoded, 0);
  EXPECT_EQ(calls, r.manifests + r.data_files);
  int64_t bytes = 0;
  for (const std::string& f : DataFiles()) bytes += static_cast<int64_t>(io_->Stat(f).size);
  EXPECT_EQ(r.bytes, bytes);

  VerifyOptions deep;
  deep.deep = true;
  const VerifyReport d = t.Verify(deep);
  EXPECT_TRUE(d.ok()) << Dump(d);
  EXPECT_EQ(d.rows_decoded, 30);
}

TEST_F(VerifyTest, MissingAndTruncatedDataFilesAreNamed) {
  Table t = Make();
  const std::vector<std::string> files = DataFiles();
  ASSERT_EQ(files.size(), 3u);
  io_->Delete(files[0]);
  const std::string bytes = io_->ReadFile(files[1]);
  io_->Delete(files[1]);
  io_->WriteFile(files[1], bytes.substr(0, bytes.size() - 5), /*sync=*/false);
  const VerifyReport r = t.Verify();
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(Mentions(r, files[0], "is missing")) << Dump(r);
  EXPECT_TRUE(Mentions(r, files[1], "bytes, its manifest says")) << Dump(r);
  EXPECT_TRUE(Mentions(r, files[1], "cannot be read")) << Dump(r);
  EXPECT_EQ(r.problem_count, 3) << Dump(r);
}

// A damaged page leaves size and footer intact: only --deep decodes it.
TEST_F(VerifyTest, ACorruptPageIsFoundByADeepCheckOnly) {
  Table t = Make();
  const std::string file = DataFiles()[0];
  std::string bytes = io_->ReadFile(file);
  for (size_t i = 8; i < 40 && i < bytes.size(); ++i) bytes[i] = static_cast<char>(~bytes[i]);
  io_->Delete(file);
  io_->WriteFile(file, bytes, /*sync=*/false);
  EXPECT_TRUE(t.Verify().ok()) << Dump(t.Verify());
  VerifyOptions deep;
  deep.deep = true;
  const VerifyReport r = t.Verify(deep);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(Mentions(r, file, "cannot be read")) << Dump(r);
}

TEST_F(VerifyTest, AMissingManifestAndAWrongSummaryAreNamed) {
  Table t = Make();
  const TableMetadata m = t.metadata();
  const Snapshot& last = m.snapshots.back();
  const std::string list = last.manifest_list;
  // The newest snapshot's manifest list goes: its snapshot is named.
  io_->Delete(list);
  VerifyReport r = t.Verify();
  EXPECT_TRUE(Mentions(r, "snapshot " + std::to_string(last.snapshot_id), list)) << Dump(r);

  // A summary that does not add up, in a metadata file rewritten by hand.
  const std::string path =
      dir_.Join("t") + "/metadata/v" + std::to_string(t.metadata_version()) + ".metadata.json";
  std::string text = io_->ReadFile(path);
  const std::string key = "\"total-records\":\"20\"";
  const size_t at = text.find(key);
  ASSERT_NE(at, std::string::npos) << text;
  text.replace(at, key.size(), "\"total-records\":\"21\"");
  io_->Delete(path);
  io_->WriteFile(path, text, /*sync=*/false);
  r = OpenTable(dir_.Join("t")).Verify();  // `t` keeps the version it loaded
  EXPECT_TRUE(Mentions(r, "summary total-records is 21", "hold 20")) << Dump(r);
}

TEST_F(VerifyTest, TheIngestLogTailIsChecked) {
  Table t = CreateTable(dir_.Join("t"), TestSchema(), PartitionSpec(),
                        {{table_properties::kIngestLogEnabled, "true"},
                         {table_properties::kCheckpointRecords, "1000000000"},
                         {table_properties::kCheckpointIntervalMs, "1000000000"}});
  for (int i = 0; i < 4; ++i) t.AppendRecords(Rows(i * 10, 10), TestSchema());
  VerifyReport r = t.Verify();
  EXPECT_TRUE(r.ok()) << Dump(r);
  EXPECT_EQ(r.log_records, 4);
  EXPECT_EQ(r.snapshots, 0);
  t.Checkpoint();
  r = t.Verify();
  EXPECT_TRUE(r.ok()) << Dump(r);
  EXPECT_EQ(r.log_records, 0);
  EXPECT_EQ(r.snapshots, 1);
  EXPECT_EQ(r.data_files, 1);
}

TEST_F(VerifyTest, ADamagedLogRecordIsNamed) {
  Table t = CreateTable(dir_.Join("t"), TestSchema(), PartitionSpec(),
                        {{table_properties::kIngestLogEnabled, "true"},
                         {table_properties::kCheckpointRecords, "1000000000"},
                         {table_properties::kCheckpointIntervalMs, "1000000000"}});
  t.AppendRecords(Rows(0, 10), TestSchema());
  t.AppendRecords(Rows(10, 10), TestSchema());
  const std::string segment = dir_.Join("t") + "/log/0000000000000000.log";
  std::unique_ptr<UpdatableFile> f = io_->OpenForUpdate(segment);
  const char junk[4] = {'\x5a', '\x5a', '\x5a', '\x5a'};
  f->WriteAt(40, junk, sizeof junk);  // inside the first record's payload
  const VerifyReport r = t.Verify();
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(Mentions(r, "ingest log", dir_.Join("t") + "/log")) << Dump(r);
}

}  // namespace
}  // namespace datashard
