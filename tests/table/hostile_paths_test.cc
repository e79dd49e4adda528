// Issue 17 item 5: paths in metadata and manifests that lead outside the
// table folder ("..", absolute, file: URIs, symbolic links) are refused on
// read with Corruption naming the table and the path, unless the table opts
// in to reads outside; retention never deletes outside; a table folder that
// is a symbolic link is resolved once at open; a copied table reads and
// writes its own folder.
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "datashard/errors.h"
#include "datashard/table.h"
#include "io/temp_dir.h"
#include "table/table_test_util.h"

namespace datashard {
namespace {

namespace fs = std::filesystem;
namespace tp = table_properties;
using testing::IdValueRows;
using testing::IdValueSchema;
using testing::SortedIds;

class HostilePathsTest : public ::testing::Test {
 protected:
  // Publishes the next metadata version: the current one with `edit`
  // applied to its JSON. Returns its path.
  template <typename F>
  std::string EditMetadata(Table& t, F&& edit) {
    const std::string metadata = root_ + "/metadata/v";
    nlohmann::json j = nlohmann::json::parse(
        io_->ReadFile(metadata + std::to_string(t.metadata_version()) + ".metadata.json"));
    edit(j);
    const std::string file = metadata + std::to_string(t.metadata_version() + 1) + ".metadata.json";
    io_->WriteFile(file, j.dump());
    return file;
  }

  // Copies the current snapshot's manifest list outside the folder (once)
  // and publishes metadata naming the copy as `spelling` spells it.
  std::string PointManifestListOutside(Table& t, const std::string& spelling) {
    io_->CreateDirs(outside_);
    if (!io_->Exists(outside_ + "/list.avro")) {
      fs::copy_file(t.metadata().CurrentSnapshot()->manifest_list, outside_ + "/list.avro");
    }
    return EditMetadata(t, [&](nlohmann::json& j) {
      for (auto& s : j["snapshots"]) s["manifest-list"] = spelling;
    });
  }

  TempDir dir_{"hostile-paths"};
  std::string root_ = dir_.Join("t");
  std::string outside_ = dir_.Join("outside");
  std::shared_ptr<FileIO> io_ = DefaultFileIO();
};

TEST_F(HostilePathsTest, AManifestListOutsideTheFolderIsCorruptionInEverySpelling) {
  Table t = CreateTable(root_, IdValueSchema());
  t.AppendRecords(IdValueRows(0, 3), IdValueSchema());
  for (const std::string& spelling :
       {root_ + "/../outside/list.avro", root_ + "/metadata/../../outside/list.avro",
        outside_ + "/list.avro", "file:" + outside_ + "/list.avro",
        "file://" + outside_ + "/list.avro", "file://localhost" + outside_ + "/list.avro"}) {
    SCOPED_TRACE(spelling);
    // Opening names the metadata file that names the path.
    const std::string file = PointManifestListOutside(t, spelling);
    try {
      OpenTable(root_);
      ADD_FAILURE() << "opened";
    } catch (const Corruption& e) {
      EXPECT_EQ(std::string(e.what()),
                "table " + root_ + ": metadata file " + file + " names " + spelling +
                    " (manifest list of snapshot " +
                    std::to_string(*t.metadata().current_snapshot_id) +
                    "), which lies outside the table folder (the table property "
                    "datashard.read.allow-outside-paths=true allows reads there)");
    }
    // A table already open that refreshes onto it refuses the read itself.
    t.Refresh();
    try {
      t.ScanAll();
      ADD_FAILURE() << "read outside the table folder";
    } catch (const Corruption& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.rfind("table " + root_ + ": refusing to read ", 0), 0u) << what;
      EXPECT_NE(what.find("outside/list.avro, which lies outside the table folder"),
                std::string::npos)
          << what;
    }
  }
}

TEST_F(HostilePathsTest, ReadsOutsideAreAnExplicitOptIn) {
  Table t =
      CreateTable(root_, IdValueSchema(), PartitionSpec(), {{tp::kReadAllowOutsidePaths, "true"}});
  t.AppendRecords(IdValueRows(0, 3), IdValueSchema());
  PointManifestListOutside(t, "file:" + outside_ + "/list.avro");
  Table opened = OpenTable(root_);
  EXPECT_EQ(SortedIds(opened), (std::vector<int64_t>{0, 1, 2}));
}

TEST_F(HostilePathsTest, ADataFileThatIsASymlinkLeadingOutIsCorruption) {
  Table t = CreateTable(root_, IdValueSchema());
  t.AppendRecords(IdValueRows(0, 3), IdValueSchema());
  io_->CreateDirs(outside_);
  const std::string data = root_ + "/data/" + io_->List(root_ + "/data").at(0).name;
  fs::rename(data, outside_ + "/secret.parquet");
  fs::create_symlink(outside_ + "/secret.parquet", data);
  EXPECT_THROW(OpenTable(root_).ScanAll(), Corruption);
  // A link that stays inside the folder is followed.
  fs::rename(outside_ + "/secret.parquet", root_ + "/data/real.parquet");
  fs::remove(data);
  fs::create_symlink(root_ + "/data/real.parquet", data);
  Table reopened = OpenTable(root_);
  EXPECT_EQ(SortedIds(reopened), (std::vector<int64_t>{0, 1, 2}));
}

TEST_F(HostilePathsTest, RetentionNeverDeletesOutsideTheFolder) {
  Table t = CreateTable(root_, IdValueSchema(), PartitionSpec(),
                        {{tp::kMinSnapshotsToKeep, "1"},
                         {tp::kMaxSnapshotAgeMs, "1"},
                         {tp::kExpireDeleteGraceMs, "0"}});
  t.AppendRecords(IdValueRows(0, 3), IdValueSchema());
  PointManifestListOutside(t, outside_ + "/list.avro");
  EXPECT_THROW(OpenTable(root_), Corruption);
  t.Refresh();
  EXPECT_THROW(t.AppendRecords(IdValueRows(3, 3), IdValueSchema()), Corruption);
  EXPECT_TRUE(io_->Exists(outside_ + "/list.avro"));
}

// Even with reads outside allowed, expiring the snapshot that named a file
// outside leaves that file alone.
TEST_F(HostilePathsTest, RetentionNeverDeletesOutsideEvenWhenReadsThereAreAllowed) {
  Table t = CreateTable(root_, IdValueSchema(), PartitionSpec(),
                        {{tp::kMinSnapshotsToKeep, "1"},
                         {tp::kMaxSnapshotAgeMs, "1"},
                         {tp::kExpireDeleteGraceMs, "0"},
                         {tp::kReadAllowOutsidePaths, "true"}});
  t.AppendRecords(IdValueRows(0, 3), IdValueSchema());
  PointManifestListOutside(t, outside_ + "/list.avro");
  Table opened = OpenTable(root_);
  opened.AppendRecords(IdValueRows(3, 3), IdValueSchema());
  ASSERT_EQ(opened.metadata().snapshots.size(), 1u);
  EXPECT_TRUE(io_->Exists(outside_ + "/list.avro"));
  EXPECT_EQ(SortedIds(opened), (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));
}

// A deferred-delete list planted in metadata/ names files outside: the sweep
// (every 16th commit) deletes nothing there. Before tables were confined to
// their folder it deleted whatever the list named.
TEST_F(HostilePathsTest, DeferredDeleteListsNeverDeleteOutsideTheFolder) {
  Table t = CreateTable(root_, IdValueSchema());
  io_->CreateDirs(outside_);
  io_->WriteFile(outside_ + "/victim", "keep");
  io_->CreateDirs(root_ + "/metadata/deferred-deletes");
  io_->WriteFile(
      root_ + "/metadata/deferred-deletes/0-00000000-0000-0000-0000-000000000000.txt",
      outside_ + "/victim\n" + root_ + "/../outside/victim\nfile:" + outside_ + "/victim\n");
  for (int i = 0; i < 16; ++i) t.AppendRecords(IdValueRows(i, 1), IdValueSchema());
  EXPECT_EQ(t.metadata().CurrentSnapshot()->sequence_number, 16);
  EXPECT_FALSE(io_->Exists(root_ + "/metadata/deferred-deletes/"
                                   "0-00000000-0000-0000-0000-000000000000.txt"));  // swept
  EXPECT_EQ(io_->ReadFile(outside_ + "/victim"), "keep");
}

TEST_F(HostilePathsTest, AFolderThatIsASymlinkIsResolvedOnceAtOpen) {
  const std::string first = dir_.Join("first"), second = dir_.Join("second");
  io_->CreateDirs(first);
  io_->CreateDirs(second);
  const std::string link = dir_.Join("link");
  fs::create_directory_symlink(first, link);
  Table t = CreateTable(link, IdValueSchema());
  t.AppendRecords(IdValueRows(0, 3), IdValueSchema());
  EXPECT_EQ(t.location(), link);
  EXPECT_EQ(SortedIds(t), (std::vector<int64_t>{0, 1, 2}));

  // Retargeting the link does not move the open table: its commits, scans
  // and gc stay in the folder it resolved.
  fs::remove(link);
  fs::create_directory_symlink(second, link);
  t.AppendRecords(IdValueRows(3, 2), IdValueSchema());
  EXPECT_EQ(SortedIds(t), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(t.CollectGarbage().orphans.empty());
  EXPECT_TRUE(fs::is_empty(second));
  Table through_target = OpenTable(first);
  EXPECT_EQ(SortedIds(through_target), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_THROW(OpenTable(link), NotFound);
}

TEST_F(HostilePathsTest, ACopiedTableReadsAndWritesItsOwnFolder) {
  const std::string original = dir_.Join("original");
  {
    Table t = CreateTable(original, IdValueSchema());
    t.AppendRecords(IdValueRows(0, 3), IdValueSchema());
  }
  fs::copy(original, root_, fs::copy_options::recursive);
  fs::remove_all(original);
  Table copy = OpenTable(root_);
  EXPECT_EQ(copy.metadata().location, original);
  EXPECT_EQ(SortedIds(copy), (std::vector<int64_t>{0, 1, 2}));
  copy.AppendRecords(IdValueRows(3, 1), IdValueSchema());
  EXPECT_EQ(SortedIds(copy), (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_FALSE(fs::exists(original));
}

}  // namespace
}  // namespace datashard
