// Bounded commit cost (DESIGN.md §6), measured in I/O rather than time: the
// files opened and bytes read and written by a commit after 2,000 commits
// stay close to those after 100, because manifests are merged, snapshots
// expire and the metadata log is capped. Prints the numbers it compares.
#include <cstdio>
#include <cstdlib>

#include <gtest/gtest.h>

#include "datashard/table.h"
#include "io/fault_injection_file_io.h"
#include "io/temp_dir.h"
#include "metadata/manifest.h"
#include "table/table_test_util.h"

namespace datashard {
namespace {

using testing::IdValueRows;
using testing::IdValueSchema;

struct Cost {
  double bytes_read = 0, bytes_written = 0, opens = 0, creates = 0;
};

// Mean I/O of `n` commits, measured one commit at a time.
Cost MeasureCommits(Table& t, FaultInjectionFileIO& io, int64_t* next_id, int n) {
  Cost c;
  for (int i = 0; i < n; ++i) {
    io.ResetCounters();
    t.AppendRecords(IdValueRows((*next_id)++, 1), IdValueSchema());
    const FileIOCounters k = io.counters();
    c.bytes_read += static_cast<double>(k.bytes_read) / n;
    c.bytes_written += static_cast<double>(k.bytes_appended) / n;
    c.opens += static_cast<double>(k.opens) / n;
    c.creates += static_cast<double>(k.creates) / n;
  }
  return c;
}

// A plain commit writes its five files (data, manifest, manifest list,
// metadata, version hint) and publishes one name: no folder is made once the
// first commit made data/, and the six fsyncs are the files' four and the
// two folders' (data/ for the data file's name, metadata/ after the link).
TEST(CommitCostTest, PlainCommitCreatesFiveFilesAndNoFolders) {
  TempDir dir;
  auto io = std::make_shared<FaultInjectionFileIO>(NewPosixFileIO());
  Table t = CreateTable(dir.Join("t"), IdValueSchema(), PartitionSpec(), {}, {io});
  t.AppendRecords(IdValueRows(0, 1), IdValueSchema());
  io->ResetCounters();
  t.AppendRecords(IdValueRows(1, 1), IdValueSchema());
  const FileIOCounters k = io->counters();
  EXPECT_EQ(k.creates, 5);
  EXPECT_EQ(k.create_dirs, 0);
  EXPECT_EQ(k.links, 1);
  EXPECT_EQ(k.renames, 1);
  EXPECT_EQ(k.syncs, 4);
  // The data and metadata folders before the link (the new files' names:
  // the FileIO here has the default sync group), the metadata folder after.
  EXPECT_EQ(k.sync_dirs, 3);
  EXPECT_EQ(k.lists, 0);
}

// A reader writes nothing into the table's folder: the check that link()
// gives put-if-absent there waits for the first commit of the process.
TEST(CommitCostTest, OpeningAndReadingATableWriteNothing) {
  TempDir dir;
  auto io = std::make_shared<FaultInjectionFileIO>(NewPosixFileIO());
  CreateTable(dir.Join("t"), IdValueSchema(), PartitionSpec(), {}, {io})
      .AppendRecords(IdValueRows(0, 3), IdValueSchema());
  io->ResetCounters();
  Table t = OpenTable(dir.Join("t"), {io});
  EXPECT_EQ(t.ScanAll().size(), 3u);
  FileIOCounters k = io->counters();
  EXPECT_EQ(k.creates, 0);
  EXPECT_EQ(k.links, 0);
  t.AppendRecords(IdValueRows(3, 1), IdValueSchema());
  k = io->counters();
  EXPECT_EQ(k.links, 2 + 1);  // the probe's two, then the publication's
  io->ResetCounters();
  t.AppendRecords(IdValueRows(4, 1), IdValueSchema());
  EXPECT_EQ(io->counters().links, 1);  // probed once per opened table
}

TEST(CommitCostTest, CostAfter2000CommitsStaysNearCostAfter100) {
  // The cost is counted in I/O, not time: tmpfs keeps the 2,200 commits quick.
  if (DefaultFileIO()->Exists("/dev/shm")) setenv("TMPDIR", "/dev/shm", 1);
  TempDir dir;
  auto io = std::make_shared<FaultInjectionFileIO>(NewPosixFileIO());
  Table t = CreateTable(dir.Join("t"), IdValueSchema(), PartitionSpec(), {}, {io});
  int64_t next_id = 0;
  constexpr int kWindow = 200;  // two merge cycles: merges are amortised in the mean
  MeasureCommits(t, *io, &next_id, 100);
  const Cost early = MeasureCommits(t, *io, &next_id, kWindow);
  while (next_id < 2000) MeasureCommits(t, *io, &next_id, 100);
  const Cost late = MeasureCommits(t, *io, &next_id, kWindow);
  const TableMetadata m = t.metadata();
  const size_t manifests = ReadManifestList(t.io(), m.CurrentSnapshot()->manifest_list).size();
  std::printf("per commit       after 100-300   after 2000-2200\n");
  std::printf("bytes read       %14.0f %16.0f\n", early.bytes_read, late.bytes_read);
  std::printf("bytes written    %14.0f %16.0f\n", early.bytes_written, late.bytes_written);
  std::printf("files opened     %14.2f %16.2f\n", early.opens, late.opens);
  std::printf("files created    %14.2f %16.2f\n", early.creates, late.creates);
  std::printf("snapshots kept %zu, metadata log %zu, manifests in the current snapshot %zu\n",
              m.snapshots.size(), m.metadata_log.size(), manifests);
  EXPECT_EQ(m.snapshots.size(), 100u);
  EXPECT_EQ(m.metadata_log.size(), 100u);
  // Fewer than min-count (100) new manifests and one merged manifest per
  // doubling of the entries.
  EXPECT_LE(manifests, 99u + 6u);
  // An entry is rewritten about log2(entries / 100) times in all, so the
  // amortised merge cost grows a little; everything else is flat (reads
  // 1.0x to 1.1x here).
  EXPECT_LT(late.bytes_read, 1.25 * early.bytes_read);
  EXPECT_LT(late.bytes_written, 1.25 * early.bytes_written);
  EXPECT_LT(late.opens, 1.5 * early.opens + 1);
  EXPECT_LT(late.creates, 1.5 * early.creates + 1);
}

}  // namespace
}  // namespace datashard
