// Real processes (fork) sharing one table: concurrent writers with and
// without the advisory commit lock, writers killed with SIGKILL at random
// moments, and a reader pinned to a snapshot while other processes merge
// manifests and expire snapshots; row-level changes of disjoint partitions
// and of one row.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "commit/commit_ids.h"
#include "commit/group_publication.h"
#include "datashard/errors.h"
#include "datashard/table.h"
#include "io/temp_dir.h"
#include "table/table_test_util.h"

namespace datashard {
namespace {

using testing::ExpectNothingDangling;
using testing::IdValueSchema;
using testing::SortedIds;

struct ChildProcess {
  pid_t pid = -1;
  int fd = -1;  // read end of the child's report pipe
};

// Runs `body(write_fd)` in a forked child that exits with its return value.
ChildProcess Fork(const std::function<int(int)>& body) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    int rc = 1;
    try {
      rc = body(fds[1]);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child process %d: %s\n", static_cast<int>(::getpid()), e.what());
      rc = 3;
    } catch (...) {
      rc = 3;
    }
    std::_Exit(rc);
  }
  ::close(fds[1]);
  return ChildProcess{pid, fds[0]};
}

void WriteLine(int fd, const std::string& line) {
  const std::string s = line + "\n";
  ssize_t ignored = ::write(fd, s.data(), s.size());
  (void)ignored;
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(fd);
  return out;
}

int Wait(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Rows of commit `seq` of `writer`: ids writer*1e6 + seq*100 + r.
std::vector<Record> CommitRows(int writer, int seq, int rows) {
  std::vector<Record> out;
  for (int r = 0; r < rows; ++r) {
    const int64_t id = writer * 1000000LL + seq * 100LL + r;
    out.push_back({Value(id), Value("w" + std::to_string(writer))});
  }
  return out;
}

void ConcurrentWriters(const std::map<std::string, std::string>& properties) {
  TempDir dir;
  const std::string path = dir.Join("t");
  CreateTable(path, IdValueSchema(), PartitionSpec(), properties);
  constexpr int kWriters = 6, kCommits = 25, kRows = 3;
  std::vector<ChildProcess> children;
  for (int w = 0; w < kWriters; ++w) {
    children.push_back(Fork([&, w](int fd) {
      Table t = OpenTable(path);
      for (int seq = 0; seq < kCommits; ++seq) {
        t.AppendRecords(CommitRows(w, seq, kRows), IdValueSchema());
        WriteLine(fd, std::to_string(w) + " " + std::to_string(seq));
      }
      return 0;
    }));
  }
  int acks = 0;
  for (ChildProcess& c : children) {
    std::istringstream in(ReadAll(c.fd));
    std::string line;
    while (std::getline(in, line)) ++acks;
    EXPECT_EQ(Wait(c.pid), 0);
  }
  EXPECT_EQ(acks, kWriters * kCommits);
  Table t = OpenTable(path);
  std::vector<int64_t> expect;
  for (int w = 0; w < kWriters; ++w) {
    for (int seq = 0; seq < kCommits; ++seq) {
      for (const Record& r : CommitRows(w, seq, kRows)) expect.push_back(r[0].as_long());
    }
  }
  std::sort(expect.begin(), expect.end());
  EXPECT_EQ(SortedIds(t), expect);
  const TableStats stats = t.Stats();
  EXPECT_EQ(stats.table_commits, kWriters * kCommits);
  EXPECT_EQ(stats.records, kWriters * kCommits * kRows);
  // Appends waiting for the lock share snapshots (group publication).
  EXPECT_LE(stats.snapshots, 100);
  EXPECT_GE(stats.snapshots, 1);
  ExpectNothingDangling(t.io(), t.metadata());
}

TEST(MultiProcessTest, ConcurrentWritersWithCommitLockLoseNothing) { ConcurrentWriters({}); }

TEST(MultiProcessTest, ConcurrentWritersRacingOnLinkLoseNothing) {
  ConcurrentWriters({{"datashard.commit.lock.enabled", "false"},
                     {"commit.retry.num-retries", "1000"},
                     {"commit.manifest.min-count-to-merge", "10"}});
}

// Writers (and, with an ingest log, a process checkpointing in a loop) are
// killed at random moments, kKills times; then every acknowledged commit is
// present whole and once, and the table still takes commits.
void KillAtRandom(const std::map<std::string, std::string>& properties, int kKills) {
  TempDir dir;
  const std::string path = dir.Join("t");
  CreateTable(path, IdValueSchema(), PartitionSpec(), properties);
  const bool log = properties.count(table_properties::kIngestLogEnabled) > 0;
  constexpr int kSlots = 3, kRows = 4;
  std::mt19937 rng(20240531);
  std::map<int, ChildProcess> running;  // writer number -> process
  std::set<std::pair<int, int>> acked;
  int next_writer = 0, kills = 0;
  auto start = [&] {
    const int w = next_writer++;
    running[w] = Fork([&, w](int fd) -> int {
      Table t = OpenTable(path);
      for (int seq = 0;; ++seq) {
        t.AppendRecords(CommitRows(w, seq, kRows), IdValueSchema());
        WriteLine(fd, std::to_string(w) + " " + std::to_string(seq));
      }
    });
  };
  auto collect = [&](const ChildProcess& c) {
    std::istringstream in(ReadAll(c.fd));
    int w = 0, seq = 0;
    while (in >> w >> seq) acked.insert({w, seq});
  };
  for (int i = 0; i < kSlots; ++i) start();
  // Checkpoints run in the writers' background threads too; this one folds
  // without pause, so kills land mid-checkpoint often.
  ChildProcess checkpointer;
  const auto start_checkpointer = [&] {
    checkpointer = Fork([&](int) -> int {
      Table t = OpenTable(path);
      for (;;) t.Checkpoint();
    });
  };
  if (log) start_checkpointer();
  while (kills < kKills) {
    if (log && kills % 5 == 4) {
      std::this_thread::sleep_for(
          std::chrono::microseconds(std::uniform_int_distribution<int>(0, 15000)(rng)));
      ::kill(checkpointer.pid, SIGKILL);
      EXPECT_EQ(Wait(checkpointer.pid), 128 + SIGKILL);
      ReadAll(checkpointer.fd);
      start_checkpointer();
    }
    std::this_thread::sleep_for(
        std::chrono::microseconds(std::uniform_int_distribution<int>(0, 15000)(rng)));
    auto victim = running.begin();
    std::advance(victim,
                 std::uniform_int_distribution<int>(0, static_cast<int>(running.size()) - 1)(rng));
    ::kill(victim->second.pid, SIGKILL);
    EXPECT_EQ(Wait(victim->second.pid), 128 + SIGKILL);
    collect(victim->second);
    running.erase(victim);
    ++kills;
    start();
  }
  for (auto& [w, c] : running) {
    ::kill(c.pid, SIGKILL);
    Wait(c.pid);
    collect(c);
  }
  if (log) {
    ::kill(checkpointer.pid, SIGKILL);
    Wait(checkpointer.pid);
    ReadAll(checkpointer.fd);
  }
  Table t = OpenTable(path);
  std::map<int64_t, int> seen;
  std::map<std::pair<int, int>, int> per_commit;
  for (const Record& r : t.ScanAll()) {
    const int64_t id = r[0].as_long();
    seen[id]++;
    per_commit[{static_cast<int>(id / 1000000), static_cast<int>(id % 1000000 / 100)}]++;
  }
  for (const auto& [id, n] : seen) EXPECT_EQ(n, 1) << "row " << id << " duplicated";
  for (const auto& [commit, n] : per_commit)
    EXPECT_EQ(n, kRows) << "commit " << commit.first << "/" << commit.second << " torn";
  for (const auto& commit : acked) {
    EXPECT_TRUE(per_commit.count(commit))
        << "acknowledged commit " << commit.first << "/" << commit.second << " lost";
  }
  if (log) {
    // A checkpoint folds exactly what reads of the current state showed.
    t.Checkpoint();
    std::vector<int64_t> current;
    for (const auto& [id, n] : seen) current.push_back(id);
    EXPECT_EQ(SortedIds(t, t.CurrentSnapshot()->snapshot_id), current);
  }
  EXPECT_EQ(t.CurrentSnapshot()->SummaryLong("total-records"), static_cast<int64_t>(seen.size()));
  EXPECT_GT(acked.size(), 50u);
  EXPECT_GT(ExpectNothingDangling(t.io(), t.metadata()), 0);
  // Still writable after all the crashes (a dead holder's lock vanished).
  t.AppendRecords(CommitRows(99999, 0, 1), IdValueSchema());
}

TEST(MultiProcessTest, WritersKilledAtRandomMomentsLeaveAConsistentTable) {
  KillAtRandom({{"commit.manifest.min-count-to-merge", "8"},
                {"history.expire.min-snapshots-to-keep", "20"},
                {"write.metadata.previous-versions-max", "5"}},
               200);
}

TEST(MultiProcessTest, IngestLogWritersAndCheckpointersKilledAtRandomLoseAndRepeatNothing) {
  KillAtRandom({{table_properties::kIngestLogEnabled, "true"},
                {table_properties::kIngestLogSegmentBytes, "65536"},
                {table_properties::kCheckpointIntervalMs, "5"},
                {table_properties::kIngestLogRecycleGraceMs, "0"},
                {"history.expire.min-snapshots-to-keep", "20"},
                {"write.metadata.previous-versions-max", "5"}},
               100);
}

TEST(MultiProcessTest, PinnedReaderKeepsReadingWhileOthersMergeAndExpire) {
  TempDir dir;
  const std::string path = dir.Join("t");
  Table t = CreateTable(path, IdValueSchema(), PartitionSpec(),
                        {{"commit.manifest.min-count-to-merge", "3"},
                         {"history.expire.min-snapshots-to-keep", "12"},
                         {"write.metadata.previous-versions-max", "3"}});
  for (int seq = 0; seq < 20; ++seq) t.AppendRecords(CommitRows(0, seq, 2), IdValueSchema());
  const int64_t pinned = t.CurrentSnapshot()->snapshot_id;
  const std::vector<int64_t> pinned_ids = SortedIds(t, pinned);
  ASSERT_EQ(pinned_ids.size(), 40u);

  int stop[2];
  ASSERT_EQ(::pipe(stop), 0);
  ChildProcess reader = Fork([&](int fd) {
    ::close(stop[1]);
    Table r = OpenTable(path);
    int scans = 0;
    for (;;) {
      pollfd p{stop[0], POLLIN, 0};
      const bool last = ::poll(&p, 1, 0) > 0;
      if (SortedIds(r, pinned) != pinned_ids) return 1;
      ++scans;
      if (last) break;
    }
    WriteLine(fd, std::to_string(scans));
    return 0;
  });
  ::close(stop[0]);
  std::vector<ChildProcess> writers;
  for (int w = 1; w <= 2; ++w) {
    writers.push_back(Fork([&, w](int) {
      Table tw = OpenTable(path);
      for (int seq = 0; seq < 5; ++seq) tw.AppendRecords(CommitRows(w, seq, 2), IdValueSchema());
      return 0;
    }));
  }
  for (ChildProcess& c : writers) {
    ReadAll(c.fd);
    EXPECT_EQ(Wait(c.pid), 0);
  }
  ::close(stop[1]);
  const std::string scans = ReadAll(reader.fd);
  EXPECT_EQ(Wait(reader.pid), 0) << "the pinned reader saw other rows";
  EXPECT_GT(std::stoi(scans), 0);

  t.Refresh();
  const TableMetadata m = t.metadata();
  EXPECT_EQ(m.snapshots.size(), 12u);  // retention ran: 30 commits, 12 kept
  ASSERT_NE(m.SnapshotById(pinned), nullptr);
  EXPECT_EQ(SortedIds(t, pinned), pinned_ids);
  for (const Snapshot& s : t.History()) {
    EXPECT_EQ(static_cast<int64_t>(SortedIds(t, s.snapshot_id).size()),
              s.SummaryLong("total-records"));
  }
  ExpectNothingDangling(t.io(), m);
}

// Row-level changes of disjoint partitions by concurrent processes never
// conflict (DESIGN.md §5): each process appends, deletes and updates rows of
// its own partition only, under serializable isolation, in both write
// modes; every change commits and the table ends as the union of what each
// process did.
TEST(MultiProcessTest, RowChangesOfDisjointPartitionsAllCommit) {
  for (const char* mode : {"copy-on-write", "merge-on-read"}) {
    SCOPED_TRACE(mode);
    TempDir dir;
    const std::string path = dir.Join("t");
    CreateTable(path, IdValueSchema(),
                PartitionSpec::Parse("truncate(1000000,record_id)", IdValueSchema()),
                {{"write.delete.mode", mode}, {"write.update.mode", mode}});
    constexpr int kWorkers = 4, kRounds = 6;
    std::vector<ChildProcess> children;
    for (int w = 0; w < kWorkers; ++w) {
      children.push_back(Fork([&, w](int fd) {
        Table t = OpenTable(path);
        const int64_t base = w * 1000000LL;
        for (int round = 0; round < kRounds; ++round) {
          t.AppendRecords(CommitRows(w, round, 10), IdValueSchema());
          // Round r's rows are base + r*100 + [0, 10): delete two, update one.
          const int64_t first = base + round * 100;
          Transaction del = t.NewTransaction();
          if (del.Delete("record_id >= " + std::to_string(first) + " and record_id < " +
                         std::to_string(first + 2)) != 2)
            return 4;
          del.Commit();
          Transaction upd = t.NewTransaction();
          if (upd.Update({{"value", Value("u" + std::to_string(w))}},
                         "record_id = " + std::to_string(first + 5)) != 1)
            return 5;
          upd.Commit();
          WriteLine(fd, std::to_string(round));
        }
        return 0;
      }));
    }
    for (ChildProcess& c : children) {
      ReadAll(c.fd);
      EXPECT_EQ(Wait(c.pid), 0);
    }
    Table t = OpenTable(path);
    std::map<int64_t, std::string> want;
    for (int w = 0; w < kWorkers; ++w) {
      for (int round = 0; round < kRounds; ++round) {
        for (int r = 2; r < 10; ++r) {
          want[w * 1000000LL + round * 100 + r] =
              r == 5 ? "u" + std::to_string(w) : "w" + std::to_string(w);
        }
      }
    }
    std::map<int64_t, std::string> got;
    size_t rows = 0;
    for (const Record& r : t.ScanAll()) {
      got[r[0].as_long()] = r[1].as_bytes();
      ++rows;
    }
    EXPECT_EQ(rows, got.size());  // no row twice
    EXPECT_EQ(got, want);
    EXPECT_EQ(t.Stats().table_conflicts, 0);
    EXPECT_TRUE(t.Verify().ok());
  }
}

// Processes updating the same row: each update commits or ends in
// CommitConflict; the row is never lost or doubled, and its final value is
// the one of a committed update (the last to commit).
TEST(MultiProcessTest, UpdatesOfTheSameRowCommitOrConflict) {
  TempDir dir;
  const std::string path = dir.Join("t");
  CreateTable(path, IdValueSchema(), PartitionSpec(), {{"write.update.mode", "merge-on-read"}})
      .AppendRecords(CommitRows(0, 0, 3), IdValueSchema());
  constexpr int kWorkers = 4, kUpdates = 8;
  std::vector<ChildProcess> children;
  for (int w = 0; w < kWorkers; ++w) {
    children.push_back(Fork([&, w](int fd) {
      Table t = OpenTable(path);
      for (int i = 0; i < kUpdates; ++i) {
        const std::string value = "w" + std::to_string(w) + "-" + std::to_string(i);
        Transaction tx = t.NewTransaction();
        tx.Update({{"value", Value(value)}}, "record_id = 1");
        try {
          tx.Commit();
          WriteLine(fd,
                    "ok " + value + " " + std::to_string(tx.committed_snapshot()->sequence_number));
        } catch (const CommitConflict&) {
          WriteLine(fd, "conflict " + value);
        }
      }
      return 0;
    }));
  }
  std::map<int64_t, std::string> committed;  // by sequence number
  int conflicts = 0;
  for (ChildProcess& c : children) {
    std::istringstream in(ReadAll(c.fd));
    std::string kind, value;
    while (in >> kind >> value) {
      if (kind == "ok") {
        int64_t seq = 0;
        in >> seq;
        committed[seq] = value;
      } else {
        ++conflicts;
      }
    }
    EXPECT_EQ(Wait(c.pid), 0);
  }
  EXPECT_EQ(static_cast<int>(committed.size()) + conflicts, kWorkers * kUpdates);
  ASSERT_FALSE(committed.empty());
  Table t = OpenTable(path);
  std::map<int64_t, std::string> got;
  for (const Record& r : t.ScanAll()) got[r[0].as_long()] = r[1].as_bytes();
  ASSERT_EQ(t.ScanAll().size(), 3u);
  EXPECT_EQ(got.at(1), committed.rbegin()->second);
  EXPECT_TRUE(t.Verify().ok());
}

// Group publication (DESIGN.md §6). The test holds the commit lock, as a
// slow committer would, while writers commit: each leaves a pending
// descriptor and waits.

std::vector<std::string> PendingNames(const std::string& table) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(table + "/metadata/pending", ec))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Waits until `n` descriptors are pending and locked by their writers
// (each writer waits in the group).
void AwaitPending(const std::string& table, size_t n) {
  std::shared_ptr<FileIO> io = NewPosixFileIO();
  const auto waiting = [&] {
    const std::vector<std::string> names = PendingNames(table);
    return static_cast<size_t>(std::count_if(names.begin(), names.end(), [&](const std::string& f) {
             return io->Lock(table + "/metadata/pending/" + f, false) == nullptr;
           })) == n;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!waiting()) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "writers never waited in a group";
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// Holds the table's commit lock in a process of its own (a lock taken here
// would be shared with every child forked later) until Release() kills it.
class LockHolder {
 public:
  explicit LockHolder(const std::string& table) {
    child_ = Fork([=](int fd) {
      std::unique_ptr<FileLock> held =
          NewPosixFileIO()->Lock(table + "/metadata/commit.lock", true);
      WriteLine(fd, "held");
      for (;;) ::pause();
      return 0;
    });
    char c = 0;
    EXPECT_EQ(::read(child_.fd, &c, 1), 1);
  }
  ~LockHolder() { Release(); }
  void Release() {
    if (child_.pid < 0) return;
    ::kill(child_.pid, SIGKILL);
    Wait(child_.pid);
    ::close(child_.fd);
    child_.pid = -1;
  }

 private:
  ChildProcess child_;
};

// A writer committing one append with commit id `id`; reports
// "<id> <snapshot id> <sequence number>".
ChildProcess GroupWriter(const std::string& path, int writer, const std::string& id) {
  return Fork([=](int fd) {
    Table t = OpenTable(path);
    TransactionOptions options;
    options.commit_id = id;
    Transaction tx = t.NewTransaction(options);
    tx.AppendData(CommitRows(writer, 0, 2), IdValueSchema());
    if (!tx.Commit() || !tx.committed_snapshot()) return 2;
    WriteLine(fd, id + " " + std::to_string(tx.committed_snapshot()->snapshot_id) + " " +
                      std::to_string(tx.committed_snapshot()->sequence_number));
    return 0;
  });
}

TEST(GroupPublicationTest, AppendsWaitingForTheLockArePublishedInOneSnapshot) {
  TempDir dir;
  const std::string path = dir.Join("t");
  CreateTable(path, IdValueSchema(), PartitionSpec(), {})
      .AppendRecords(CommitRows(9, 0, 1), IdValueSchema());
  LockHolder held(path);
  constexpr int kWriters = 5;
  std::vector<ChildProcess> children;
  std::set<std::string> ids;
  for (int w = 0; w < kWriters; ++w) {
    ids.insert("append-" + std::to_string(w));
    children.push_back(GroupWriter(path, w, "append-" + std::to_string(w)));
  }
  AwaitPending(path, kWriters);
  held.Release();
  std::set<std::string> reported_ids, snapshots;
  for (ChildProcess& c : children) {
    std::istringstream in(ReadAll(c.fd));
    std::string id, snapshot, seq;
    while (in >> id >> snapshot >> seq) {
      reported_ids.insert(id);
      snapshots.insert(snapshot + " " + seq);
    }
    EXPECT_EQ(Wait(c.pid), 0);
  }
  EXPECT_EQ(reported_ids, ids);
  // The first writer to take the lock published all five: one snapshot.
  Table t = OpenTable(path);
  ASSERT_EQ(snapshots.size(), 1u);
  ASSERT_EQ(t.History().size(), 2u);
  const Snapshot group = t.History().back();
  EXPECT_EQ(std::to_string(group.snapshot_id) + " " + std::to_string(group.sequence_number),
            *snapshots.begin());
  const std::vector<std::string> carried = CommitIdsOf(group);
  EXPECT_EQ(std::set<std::string>(carried.begin(), carried.end()), ids);
  EXPECT_EQ(carried.size(), static_cast<size_t>(kWriters));
  EXPECT_EQ(group.summary.at("added-records"), std::to_string(2 * kWriters));
  EXPECT_EQ(group.summary.at("added-data-files"), std::to_string(kWriters));
  EXPECT_EQ(group.summary.at("datashard.total-commits"), std::to_string(1 + kWriters));
  std::vector<int64_t> expect = {9000000};
  for (int w = 0; w < kWriters; ++w) {
    for (const Record& r : CommitRows(w, 0, 2)) expect.push_back(r[0].as_long());
  }
  std::sort(expect.begin(), expect.end());
  EXPECT_EQ(SortedIds(t), expect);
  EXPECT_EQ(t.Stats().table_commits, 1 + kWriters);
  EXPECT_EQ(PendingNames(path), std::vector<std::string>{});
  EXPECT_TRUE(t.Verify().ok());
  ExpectNothingDangling(t.io(), t.metadata());
  // Each member's id is the table's now: a retry under it is refused.
  for (const std::string& id : ids) {
    TransactionOptions options;
    options.commit_id = id;
    Transaction again = t.NewTransaction(options);
    again.AppendData(CommitRows(8, 0, 1), IdValueSchema());
    EXPECT_THROW(again.Commit(), InvalidArgument) << id;
  }
}

TEST(GroupPublicationTest, AWriterWhoseHolderDiedBeforePublishingPublishesItself) {
  TempDir dir;
  const std::string path = dir.Join("t");
  CreateTable(path, IdValueSchema(), PartitionSpec(), {});
  std::shared_ptr<FileIO> io = NewPosixFileIO();
  LockHolder held(path);
  ChildProcess child = GroupWriter(path, 1, "orphan");
  AwaitPending(path, 1);
  // A holder claims the descriptor, then dies holding the lock.
  const std::string pending = path + "/metadata/pending/" + PendingNames(path).front();
  const std::string claimed = pending.substr(0, pending.size() - 5) + ".claimed";
  io->Rename(pending, claimed);
  held.Release();
  std::istringstream in(ReadAll(child.fd));
  std::string id, snapshot, seq;
  ASSERT_TRUE(in >> id >> snapshot >> seq);
  EXPECT_EQ(Wait(child.pid), 0);
  Table t = OpenTable(path);
  ASSERT_EQ(t.History().size(), 1u);
  EXPECT_EQ(CommitIdsOf(t.History().back()), std::vector<std::string>{"orphan"});
  EXPECT_EQ(snapshot, std::to_string(t.History().back().snapshot_id));
  EXPECT_EQ(SortedIds(t), (std::vector<int64_t>{1000000, 1000001}));
  EXPECT_EQ(PendingNames(path), std::vector<std::string>{});
}

TEST(GroupPublicationTest, AWriterWhoseLockWaitRunsOutWithdrawsAndCommitsAlone) {
  TempDir dir;
  const std::string path = dir.Join("t");
  CreateTable(path, IdValueSchema(), PartitionSpec(), {{"datashard.commit.lock.wait-ms", "300"}});
  LockHolder held(path);
  ChildProcess child = GroupWriter(path, 2, "impatient");
  std::istringstream in(ReadAll(child.fd));  // committed while the lock is held
  std::string id, snapshot, seq;
  ASSERT_TRUE(in >> id >> snapshot >> seq);
  EXPECT_EQ(Wait(child.pid), 0);
  held.Release();
  Table t = OpenTable(path);
  ASSERT_EQ(t.History().size(), 1u);
  EXPECT_EQ(CommitIdsOf(t.History().back()), std::vector<std::string>{"impatient"});
  EXPECT_EQ(SortedIds(t), (std::vector<int64_t>{2000000, 2000001}));
  EXPECT_EQ(PendingNames(path), std::vector<std::string>{});
}

TEST(GroupPublicationTest, DescriptorsWithoutALiveWriterAreNeverPublishedAndGoOnceOld) {
  TempDir dir;
  const std::string path = dir.Join("t");
  Table t = CreateTable(path, IdValueSchema(), PartitionSpec(), {});
  // What writers that died leave: descriptors nobody locks, waiting
  // (.json) or already published by a holder (.done).
  PendingAppend dead;
  dead.commit_id = "dead";
  ManifestFile m;
  m.manifest_path = path + "/metadata/missing-m0.avro";
  dead.manifests.push_back(m);
  std::filesystem::create_directories(path + "/metadata/pending");
  const std::string pending = path + "/metadata/pending/";
  const std::string young = pending + "00000000-0000-4000-8000-000000000000.json";
  const std::string old = pending + "11111111-1111-4111-8111-111111111111.json";
  const std::string old_done = pending + "22222222-2222-4222-8222-222222222222.done";
  for (const std::string& f : {young, old, old_done})
    t.io().WriteFile(f, PendingAppendToJson(dead));
  for (const std::string& f : {old, old_done}) {
    std::filesystem::last_write_time(
        f, std::filesystem::file_time_type::clock::now() - std::chrono::hours(2));
  }
  // Two live writers wait: the one that takes the lock claims the other and
  // looks at every descriptor.
  LockHolder held(path);
  std::vector<ChildProcess> children = {GroupWriter(path, 4, "live-4"),
                                        GroupWriter(path, 5, "live-5")};
  AwaitPending(path, 2);
  held.Release();
  for (ChildProcess& c : children) {
    std::istringstream in(ReadAll(c.fd));
    std::string id, snapshot, seq;
    EXPECT_TRUE(in >> id >> snapshot >> seq);
    EXPECT_EQ(Wait(c.pid), 0);
  }
  t.Refresh();
  ASSERT_EQ(t.History().size(), 1u);
  std::vector<std::string> ids = CommitIdsOf(t.History().back());
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"live-4", "live-5"}));
  EXPECT_EQ(SortedIds(t), (std::vector<int64_t>{4000000, 4000001, 5000000, 5000001}));
  // The young one stays: its writer may be about to lock it.
  EXPECT_EQ(PendingNames(path),
            std::vector<std::string>{"00000000-0000-4000-8000-000000000000.json"});
}

}  // namespace
}  // namespace datashard
