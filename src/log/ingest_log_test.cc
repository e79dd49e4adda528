#include "log/ingest_log.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "datashard/errors.h"
#include "io/fault_injection_file_io.h"
#include "io/temp_dir.h"

namespace datashard {
namespace {

constexpr uint64_t kSmallSegment = 4096;

std::string Payload(int i) {
  // Sizes from 0 to ~1.5 KiB, so small segments fill and pad unevenly.
  return std::string(static_cast<size_t>((i * 97) % 1500), static_cast<char>('a' + i % 26)) + "#" +
         std::to_string(i);
}

class IngestLogTest : public ::testing::Test {
 protected:
  std::unique_ptr<IngestLog> Open(std::shared_ptr<FileIO> io) {
    return std::make_unique<IngestLog>(std::move(io), dir_.Join("log"), kSmallSegment,
                                       [this] { return folded_; });
  }
  std::vector<std::string> Payloads(IngestLog& log, LogPosition from = {}) {
    std::vector<std::string> out;
    uint64_t lsn = from.lsn;
    for (const LogRecord& r : log.ReadDurable(from)) {
      EXPECT_EQ(r.lsn, lsn++);
      out.push_back(r.payload);
    }
    return out;
  }

  TempDir dir_{"ingest-log-test"};
  std::shared_ptr<FileIO> posix_ = NewPosixFileIO();
  LogPosition folded_;
};

TEST_F(IngestLogTest, AppendedRecordsReadBackInOrderAcrossSegments) {
  auto log = Open(posix_);
  std::vector<std::string> want;
  LogPosition last;
  for (int i = 0; i < 60; ++i) {
    want.push_back(Payload(i));
    const LogRecord r = log->Append(want.back());
    EXPECT_EQ(r.lsn, static_cast<uint64_t>(i + 1));
    EXPECT_GT(r.next.offset, last.offset);
    last = r.next;
  }
  EXPECT_GT(log->Segments().size(), 10u);
  LogPosition end;
  std::vector<LogRecord> records = log->ReadDurable({}, &end);
  EXPECT_EQ(end, last);
  EXPECT_EQ(Payloads(*log), want);
  // Reading from the middle returns the rest.
  const LogPosition middle = records[29].next;
  const std::vector<std::string> rest = Payloads(*log, middle);
  EXPECT_EQ(rest, std::vector<std::string>(want.begin() + 30, want.end()));
}

TEST_F(IngestLogTest, RefusesARecordLargerThanASegment) {
  auto log = Open(posix_);
  EXPECT_EQ(log->max_payload(), kSmallSegment - IngestLog::kRecordHeaderBytes);
  log->Append(std::string(log->max_payload(), 'x'));
  EXPECT_THROW(log->Append(std::string(log->max_payload() + 1, 'x')), InvalidArgument);
  EXPECT_EQ(Payloads(*log).size(), 1u);
}

TEST_F(IngestLogTest, AnotherHandleSeesTheSameLogAndContinuesIt) {
  auto a = Open(posix_);
  auto b = Open(posix_);
  a->Append("one");
  b->Append("two");
  a->Append("three");
  EXPECT_EQ(Payloads(*b), (std::vector<std::string>{"one", "two", "three"}));
}

TEST_F(IngestLogTest, RecycledSegmentsAreGoneAndReadersOfThemAreTold) {
  auto log = Open(posix_);
  std::vector<LogRecord> appended;
  for (int i = 0; i < 40; ++i) appended.push_back(log->Append(Payload(i)));
  const LogPosition folded = appended[29].next;
  const std::vector<uint64_t> before = log->Segments();
  log->Recycle(folded);
  const std::vector<uint64_t> after = log->Segments();
  const uint64_t bound = folded.offset / kSmallSegment;
  for (uint64_t s : after) EXPECT_TRUE(s >= bound) << s;
  EXPECT_LT(after.size(), before.size());
  EXPECT_THROW(log->ReadDurable({}), NotFound);
  const std::vector<std::string> rest = Payloads(*log, folded);
  ASSERT_EQ(rest.size(), 10u);
  EXPECT_EQ(rest.front(), Payload(30));
  // Appends go on, into the reused segment among others.
  for (int i = 40; i < 80; ++i) log->Append(Payload(i));
  EXPECT_EQ(Payloads(*log, folded).size(), 50u);
}

TEST_F(IngestLogTest, PowerLossKeepsEveryAcknowledgedRecord) {
  auto fault = std::make_shared<FaultInjectionFileIO>(posix_);
  std::vector<std::string> want;
  {
    auto log = Open(fault);
    for (int i = 0; i < 30; ++i) {
      want.push_back(Payload(i));
      log->Append(want.back());
    }
  }
  fault->DropUnsyncedData();
  auto log = Open(fault);
  EXPECT_EQ(Payloads(*log), want);
  log->Append("after");
  want.push_back("after");
  EXPECT_EQ(Payloads(*log), want);
}

TEST_F(IngestLogTest, ARecordWhoseSyncFailedIsGoneAfterPowerLossAndItsLsnReused) {
  auto fault = std::make_shared<FaultInjectionFileIO>(posix_);
  {
    auto log = Open(fault);
    log->Append("kept");
    fault->FailNth(FaultOp::kSync, 1, EIO);
    EXPECT_THROW(log->Append("lost"), CommitStateUnknown);
  }
  fault->DropUnsyncedData();
  auto log = Open(fault);
  EXPECT_EQ(Payloads(*log), std::vector<std::string>{"kept"});
  EXPECT_EQ(log->Append("next").lsn, 2u);
}

// Every I/O operation of a run of appends fails in turn; after a power loss
// the log holds every acknowledged record, in order, and nothing that was
// not attempted.
TEST_F(IngestLogTest, EachFailingOperationThenPowerLossLosesNoAcknowledgedRecord) {
  for (int64_t n = 1;; ++n) {
    SCOPED_TRACE("failing operation " + std::to_string(n));
    TempDir dir("ingest-log-fault");
    auto fault = std::make_shared<FaultInjectionFileIO>(posix_);
    LogPosition folded;
    std::vector<std::string> acked, attempted;
    {
      IngestLog log(fault, dir.Join("log"), kSmallSegment, [&] { return folded; });
      fault->FailNth(kAllFaultOps, n, EIO);
      for (int i = 0; i < 12; ++i) {
        attempted.push_back(Payload(i));
        try {
          log.Append(attempted.back());
          acked.push_back(attempted.back());
        } catch (const IOError&) {
        } catch (const CommitStateUnknown&) {
        }
      }
    }
    const bool fired = fault->faults_injected() > 0;
    fault->ClearFaults();
    fault->DropUnsyncedData();
    IngestLog log(fault, dir.Join("log"), kSmallSegment, [&] { return folded; });
    std::vector<std::string> got;
    uint64_t lsn = 1;
    for (const LogRecord& r : log.ReadDurable({})) {
      EXPECT_EQ(r.lsn, lsn++);
      got.push_back(r.payload);
    }
    // Acknowledged records are a subsequence of what survived, which is a
    // subsequence of what was attempted.
    size_t i = 0;
    for (const std::string& g : got) {
      if (i < acked.size() && g == acked[i]) ++i;
    }
    EXPECT_EQ(i, acked.size());
    size_t j = 0;
    for (const std::string& a : attempted) {
      if (j < got.size() && got[j] == a) ++j;
    }
    EXPECT_EQ(j, got.size());
    if (!fired) break;
  }
}

TEST_F(IngestLogTest, ATornRecordEndsTheLogAfterAReboot) {
  auto fault = std::make_shared<FaultInjectionFileIO>(posix_);
  LogRecord second;
  {
    auto log = Open(fault);
    log->Append("first");
    second = log->Append(std::string(100, 's'));
    log->Append("third");
  }
  // Tear the second record's payload on disk, as a power loss mid-write can.
  {
    std::unique_ptr<UpdatableFile> f = posix_->OpenForUpdate(dir_.Join("log/0000000000000000.log"));
    f->WriteAt(second.next.offset - 16, "XXXX", 4);
    f->SyncData();
  }
  fault->DropUnsyncedData();  // a new boot: the header is rebuilt from the segments
  auto log = Open(fault);
  EXPECT_EQ(Payloads(*log), std::vector<std::string>{"first"});
  EXPECT_EQ(log->Append("again").lsn, 2u);
  EXPECT_EQ(Payloads(*log), (std::vector<std::string>{"first", "again"}));
}

TEST_F(IngestLogTest, CorruptionBelowTheWatermarkIsReportedNotSkipped) {
  auto log = Open(posix_);
  const LogRecord first = log->Append(std::string(64, 'a'));
  log->Append("b");
  std::unique_ptr<UpdatableFile> f = posix_->OpenForUpdate(dir_.Join("log/0000000000000000.log"));
  f->WriteAt(first.next.offset - 8, "ZZ", 2);
  EXPECT_THROW(log->ReadDurable({}), Corruption);
}

TEST_F(IngestLogTest, ConcurrentThreadsGetDistinctLsnsAndLoseNothing) {
  auto log = Open(posix_);
  constexpr int kThreads = 6, kEach = 150;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&log, t] {
      for (int i = 0; i < kEach; ++i)
        log->Append("t" + std::to_string(t) + ":" + std::to_string(i));
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> seen;
  std::vector<int> next(kThreads, 0);
  for (const std::string& p : Payloads(*log)) {
    EXPECT_TRUE(seen.insert(p).second) << p;
    const int t = std::stoi(p.substr(1, p.find(':') - 1));
    EXPECT_EQ(std::stoi(p.substr(p.find(':') + 1)), next[t]++);  // per-writer order kept
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kThreads * kEach));
}

TEST_F(IngestLogTest, ProcessesShareTheLogThroughTheHeader) {
  constexpr int kProcs = 4, kEach = 100;
  std::vector<pid_t> pids;
  for (int p = 0; p < kProcs; ++p) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int code = 0;
      try {
        auto log = Open(NewPosixFileIO());
        for (int i = 0; i < kEach; ++i)
          log->Append("p" + std::to_string(p) + ":" + std::to_string(i));
      } catch (...) {
        code = 1;
      }
      ::_exit(code);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  auto log = Open(posix_);
  std::set<std::string> seen;
  for (const std::string& p : Payloads(*log)) EXPECT_TRUE(seen.insert(p).second) << p;
  EXPECT_EQ(seen.size(), static_cast<size_t>(kProcs * kEach));
}

}  // namespace
}  // namespace datashard
