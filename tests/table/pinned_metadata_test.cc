// Tables opened by one metadata file, as catalogs (PyIceberg's SqlCatalog,
// Java's JDBC/REST/Glue catalogs) lay them out: <NNNNN>-<uuid>.metadata.json,
// gzip-compressed or not, with the pointer to the current one kept in the
// catalog. A datashard table's v<N> files renamed to that layout must open by
// file path (and, when unambiguous, by folder), scan exactly, time-travel,
// refuse every commit with NotSupported naming the file, and leave the folder
// byte-identical. The CLI read commands take such a path as TABLE.
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "catalog/gzip_test_util.h"
#include "datashard/errors.h"
#include "datashard/scan.h"
#include "datashard/table.h"
#include "io/temp_dir.h"
#include "table/table_test_util.h"

namespace datashard {
namespace {

using testing::Gzip;
using testing::IdValueRows;
using testing::IdValueSchema;
using testing::SortedIds;

// The lines of `text`, sorted (scans do not promise an order across files).
std::vector<std::string> SortedLines(const std::string& text) {
  std::vector<std::string> lines;
  size_t i = 0;
  while (i < text.size()) {
    const size_t j = std::min(text.find('\n', i), text.size());
    lines.push_back(text.substr(i, j - i));
    i = j + 1;
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

// The catalog-layout name of sequence number `sequence`, with a fixed UUID
// per (sequence, variant).
std::string CatalogName(int sequence, int variant = 0, const char* suffix = ".metadata.json") {
  char name[80];
  std::snprintf(name, sizeof name, "%05d-%08d-0000-4000-8000-%012d%s", sequence, sequence, variant,
                suffix);
  return name;
}

class PinnedMetadataTest : public ::testing::Test {
 protected:
  // A datashard table with three appends (ids 0-2, 3-4, 5), whose
  // v<N>.metadata.json are then renamed to <N-1>-<uuid>.metadata.json and
  // whose version hint is removed: what a catalog would have left.
  void SetUp() override {
    table_ = dir_.Join("t");
    meta_ = table_ + "/metadata";
    Table t = CreateTable(table_, IdValueSchema());
    t.AppendRecords(IdValueRows(0, 3), IdValueSchema());
    snapshots_.push_back(t.CurrentSnapshot()->snapshot_id);
    t.AppendRecords(IdValueRows(3, 2), IdValueSchema());
    snapshots_.push_back(t.CurrentSnapshot()->snapshot_id);
    t.AppendRecords(IdValueRows(5, 1), IdValueSchema());
    snapshots_.push_back(t.CurrentSnapshot()->snapshot_id);
    ASSERT_EQ(t.metadata_version(), 4);
    for (int v = 1; v <= 4; ++v) {
      io_->Rename(meta_ + "/v" + std::to_string(v) + ".metadata.json",
                  meta_ + "/" + CatalogName(v - 1));
    }
    io_->Delete(meta_ + "/version-hint.text");
  }

  // Every file under `dir` with its bytes.
  std::map<std::string, std::string> Contents(const std::string& dir) {
    std::map<std::string, std::string> out;
    for (const FileInfo& f : io_->List(dir)) {
      const std::string p = dir + "/" + f.name;
      if (f.is_directory) {
        for (auto& [k, v] : Contents(p)) out[k] = std::move(v);
      } else {
        out[p] = io_->ReadFile(p);
      }
    }
    return out;
  }

  // Runs the CLI through the shell; returns its exit code, stdout in `out`
  // and stderr in `err`.
  int Cli(const std::string& args, std::string* out, std::string* err = nullptr) {
    const std::string err_file = dir_.Join("stderr" + std::to_string(++runs_));
    const std::string cmd =
        "'" + std::string(DATASHARD_CLI_PATH) + "' " + args + " </dev/null 2>'" + err_file + "'";
    FILE* p = popen(cmd.c_str(), "r");
    out->clear();
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out->append(buf, n);
    const int status = pclose(p);
    if (err) *err = io_->ReadFile(err_file);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  TempDir dir_{"pinned-metadata"};
  std::shared_ptr<FileIO> io_ = DefaultFileIO();
  std::string table_;
  std::string meta_;
  std::vector<int64_t> snapshots_;
  int runs_ = 0;
};

TEST_F(PinnedMetadataTest, OpensByMetadataFileScansExactlyAndTimeTravels) {
  const std::map<std::string, std::string> before = Contents(table_);
  Table t = OpenTable(meta_ + "/" + CatalogName(2));
  EXPECT_EQ(t.location(), meta_ + "/" + CatalogName(2));
  EXPECT_EQ(t.metadata_version(), 2);
  ASSERT_TRUE(t.CurrentSnapshot().has_value());
  EXPECT_EQ(t.CurrentSnapshot()->snapshot_id, snapshots_[1]);
  EXPECT_EQ(SortedIds(t), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  const std::vector<Record> rows = t.ScanAll();
  ASSERT_EQ(rows.size(), 5u);
  for (const Record& r : rows) EXPECT_EQ(r[1].as_bytes(), "v" + std::to_string(r[0].as_long()));
  EXPECT_EQ(SortedIds(t, snapshots_[0]), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_THROW(t.ScanAll(snapshots_[2]), NotFound);  // only in a later file
  ASSERT_EQ(t.History().size(), 2u);
  EXPECT_EQ(NewScan(t).Filter("record_id >= 2").Count(), 3);

  // Pinned: a newer file in the folder changes nothing.
  t.Refresh();
  EXPECT_EQ(t.CurrentSnapshot()->snapshot_id, snapshots_[1]);
  EXPECT_EQ(t.Stats().metadata_version, 2);
  EXPECT_EQ(t.Stats().records, 5);

  // A relative path works too, and the v1 file of a datashard table pins as well.
  Table newest = OpenTable(meta_ + "/../metadata/./" + CatalogName(3));
  EXPECT_EQ(SortedIds(newest), (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(SortedIds(newest, snapshots_[1]), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(Contents(table_), before);
}

TEST_F(PinnedMetadataTest, GzipCompressedMetadataFilesOpen) {
  const std::string json = io_->ReadFile(meta_ + "/" + CatalogName(3));
  for (const char* suffix : {".gz.metadata.json", ".metadata.json.gz"}) {
    const std::string file = dir_.Join(CatalogName(7, 1, suffix));
    io_->WriteFile(file, Gzip(json));
    Table t = OpenTable(file);
    EXPECT_EQ(t.metadata_version(), 7) << suffix;
    EXPECT_EQ(t.CurrentSnapshot()->snapshot_id, snapshots_[2]) << suffix;
    EXPECT_EQ(SortedIds(t), (std::vector<int64_t>{0, 1, 2, 3, 4, 5})) << suffix;
    EXPECT_EQ(SortedIds(t, snapshots_[0]), (std::vector<int64_t>{0, 1, 2})) << suffix;
  }
}

TEST_F(PinnedMetadataTest, EveryCommitIsRefusedWithNotSupportedNamingTheFile) {
  const std::map<std::string, std::string> before = Contents(table_);
  const std::string file = meta_ + "/" + CatalogName(3);
  Table t = OpenTable(file);
  const auto expect_refused = [&](const auto& commit) {
    try {
      commit();
      ADD_FAILURE() << "a commit went through";
    } catch (const NotSupported& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(file), std::string::npos) << what;
      EXPECT_NE(what.find("read-only"), std::string::npos) << what;
      EXPECT_NE(what.find("no catalog"), std::string::npos) << what;
      EXPECT_NE(what.find("open the table folder"), std::string::npos) << what;
    }
  };
  expect_refused([&] { t.AppendRecords(IdValueRows(100, 2), IdValueSchema()); });
  expect_refused([&] {
    t.AppendRecords(
        std::vector<NamedRecord>{{{"record_id", Value(int64_t{7})}, {"value", Value("x")}}},
        IdValueSchema());
  });
  expect_refused([&] { t.NewTransaction(); });
  TransactionOptions expected;
  expected.expected_snapshot_id = snapshots_[2];
  expect_refused([&] { t.NewTransaction(expected); });
  EXPECT_EQ(SortedIds(t), (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));

  // Creating a table there is refused too, before anything is written.
  EXPECT_THROW(CreateTable(file, IdValueSchema()), InvalidArgument);
  EXPECT_THROW(CreateTable(table_, IdValueSchema()), AlreadyExists);
  EXPECT_EQ(Contents(table_), before);
}

TEST_F(PinnedMetadataTest, FolderOpensAtTheOnlyHighestSequenceNumber) {
  const std::map<std::string, std::string> before = Contents(table_);
  Table t = OpenTable(table_);
  EXPECT_EQ(t.location(), meta_ + "/" + CatalogName(3));
  EXPECT_EQ(t.metadata_version(), 3);
  EXPECT_EQ(SortedIds(t), (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));
  try {
    t.AppendRecords(IdValueRows(100, 1), IdValueSchema());
    ADD_FAILURE() << "appended to a guessed metadata file";
  } catch (const NotSupported& e) {
    EXPECT_NE(std::string(e.what()).find("guessed for the folder " + table_), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(Contents(table_), before);

  // Two files with the highest number: only the catalog knows which one
  // committed, so the folder is refused and the files are named.
  io_->WriteFile(meta_ + "/" + CatalogName(3, 9), io_->ReadFile(meta_ + "/" + CatalogName(1)));
  try {
    OpenTable(table_);
    ADD_FAILURE() << "opened an ambiguous folder";
  } catch (const NotFound& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(CatalogName(3)), std::string::npos) << what;
    EXPECT_NE(what.find(CatalogName(3, 9)), std::string::npos) << what;
    EXPECT_NE(what.find("pass the path of that metadata file"), std::string::npos) << what;
  }
  // The file path still opens either of them.
  Table other = OpenTable(meta_ + "/" + CatalogName(3, 9));
  EXPECT_EQ(SortedIds(other), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_THROW(OpenTable(meta_ + "/" + CatalogName(5)), NotFound);
}

TEST_F(PinnedMetadataTest, CliReadsByMetadataFileAndRefusesAppendWithExitCode1) {
  const std::map<std::string, std::string> before = Contents(table_);
  const std::string file = meta_ + "/" + CatalogName(2);
  std::string out;
  ASSERT_EQ(Cli("scan '" + file + "'", &out), 0);
  EXPECT_EQ(SortedLines(out),
            (std::vector<std::string>{
                "{\"record_id\":0,\"value\":\"v0\"}", "{\"record_id\":1,\"value\":\"v1\"}",
                "{\"record_id\":2,\"value\":\"v2\"}", "{\"record_id\":3,\"value\":\"v3\"}",
                "{\"record_id\":4,\"value\":\"v4\"}"}));
  ASSERT_EQ(Cli("scan '" + file + "' --snapshot " + std::to_string(snapshots_[0]) +
                    " --columns value --format csv",
                &out),
            0);
  EXPECT_EQ(SortedLines(out), (std::vector<std::string>{"v0", "v1", "v2", "value"}));
  ASSERT_EQ(Cli("count '" + file + "' --where 'record_id > 1'", &out), 0);
  EXPECT_EQ(out, "3\n");
  ASSERT_EQ(Cli("count '" + file + "' --snapshot " + std::to_string(snapshots_[0]), &out), 0);
  EXPECT_EQ(out, "3\n");
  ASSERT_EQ(Cli("history '" + file + "' --json", &out), 0);
  const nlohmann::json history = nlohmann::json::parse(out);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0]["snapshot_id"].get<int64_t>(), snapshots_[0]);
  EXPECT_EQ(history[1]["snapshot_id"].get<int64_t>(), snapshots_[1]);
  EXPECT_EQ(history[1]["summary"]["total-records"], "5");
  ASSERT_EQ(Cli("stats '" + file + "' --json", &out), 0);
  const nlohmann::json stats = nlohmann::json::parse(out);
  EXPECT_EQ(stats["rows"], 5);
  EXPECT_EQ(stats["metadata_version"], 2);
  EXPECT_EQ(stats["current_snapshot_id"].get<int64_t>(), snapshots_[1]);
  // The folder itself opens at the highest sequence number.
  ASSERT_EQ(Cli("count '" + table_ + "'", &out), 0);
  EXPECT_EQ(out, "6\n");

  io_->WriteFile(dir_.Join("rows.jsonl"), "{\"record_id\":9,\"value\":\"v9\"}\n");
  std::string err;
  EXPECT_EQ(Cli("append '" + file + "' '" + dir_.Join("rows.jsonl") + "'", &out, &err), 1);
  EXPECT_EQ(out, "");
  EXPECT_NE(err.find("NotSupported"), std::string::npos) << err;
  EXPECT_NE(err.find(file), std::string::npos) << err;
  EXPECT_EQ(Contents(table_), before);
}

}  // namespace
}  // namespace datashard
