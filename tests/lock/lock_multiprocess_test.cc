// Real processes against every backend: mutual exclusion of a read-modify-
// write, fencing of a stalled holder, and deadlock victims.
#include <gtest/gtest.h>

#include <memory>

#include "child_process.h"
#include "datashard/file_io.h"
#include "datashard/lock_manager.h"
#include "io/temp_dir.h"
#include "lock_counter_file.h"
#include "lock_test_backends.h"

namespace datashard::lock_test {
namespace {

class LockMultiProcessTest : public testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    backend_ = std::make_unique<TestBackend>(GetParam());
    ASSERT_TRUE(backend_->ok());
    id_ = "mp" + UniqueId();
    prefix_ = id_ + "/";
    io_ = NewPosixFileIO();
  }

  /// lock_worker's command line: MODE URL ARGS... from {MODE, ARGS...}.
  std::vector<std::string> Worker(const std::vector<std::string>& mode_and_args) {
    std::vector<std::string> argv{DATASHARD_LOCK_WORKER, mode_and_args[0], backend_->url()};
    argv.insert(argv.end(), mode_and_args.begin() + 1, mode_and_args.end());
    return argv;
  }

  std::unique_ptr<TestBackend> backend_;
  std::string id_;      // owner names: id_ + "-" + name
  std::string prefix_;  // resources live under it
  std::shared_ptr<FileIO> io_;
  TempDir dir_{"datashard-lock-mp"};
};

TEST_P(LockMultiProcessTest, CounterUnderTheLockLosesNoIncrement) {
  constexpr int kProcesses = 4;
  constexpr int kIterations = 25;
  const std::string file = dir_.Join("counter");
  std::vector<std::unique_ptr<ChildProcess>> children;
  for (int p = 0; p < kProcesses; ++p) {
    children.push_back(std::make_unique<ChildProcess>(
        Worker({"counter", prefix_ + "counter", id_ + "-w" + std::to_string(p), file,
                std::to_string(kIterations)})));
  }
  for (auto& c : children) {
    EXPECT_EQ(c->ReadLine(), "done " + std::to_string(kIterations) + " 0");
    EXPECT_EQ(c->Wait(), 0);
  }
  const CounterFile result = ReadCounterFile(*io_, file);
  ASSERT_EQ(result.lines.size(), static_cast<size_t>(kProcesses * kIterations));
  for (size_t i = 0; i < result.lines.size(); ++i) {
    EXPECT_EQ(result.lines[i].value, static_cast<int64_t>(i + 1));
    if (i > 0) {
      EXPECT_GT(result.lines[i].token, result.lines[i - 1].token) << "line " << i;
    }
  }
}

TEST_P(LockMultiProcessTest, StalledHolderWithAnExpiredLeaseIsFencedOff) {
  const std::string file = dir_.Join("counter");
  const std::string resource = prefix_ + "counter";
  ChildProcess stale(Worker({"stale", resource, id_ + "-stale", file, "300"}));
  const std::string acquired = stale.ReadLine();
  ASSERT_EQ(acquired.rfind("acquired ", 0), 0u) << acquired;
  const uint64_t stale_token = std::stoull(acquired.substr(9));
  // The stalled holder's lease runs out; the next holder gets the lock.
  auto locks = backend_->Open();
  const Lease lease = locks->Acquire(resource, id_ + "-fresh", LockMode::kExclusive,
                                     milliseconds(30000), milliseconds(10000));
  EXPECT_GT(lease.fencing_token, stale_token);
  FencedAppend(*io_, file, ReadCounterFile(*io_, file), lease.fencing_token, id_ + "-fresh");
  locks->Release(resource, id_ + "-fresh");
  stale.WriteLine("go");
  EXPECT_EQ(stale.ReadLine(), "refused");
  EXPECT_EQ(stale.Wait(), 0);
  const CounterFile result = ReadCounterFile(*io_, file);
  ASSERT_EQ(result.lines.size(), 1u);
  EXPECT_EQ(result.lines[0].token, lease.fencing_token);
}

// Each process holds its first resource and then waits for the next one's:
// a cycle. Exactly one is the victim; the others get their locks.
void RunDeadlockCycle(LockMultiProcessTest& t, const std::vector<std::vector<std::string>>& args,
                      std::vector<std::unique_ptr<ChildProcess>>& children) {
  for (const auto& a : args) children.push_back(std::make_unique<ChildProcess>(a));
  for (auto& c : children) ASSERT_EQ(c->ReadLine(), "held");
  for (auto& c : children) c->WriteLine("go");
  int victims = 0, granted = 0;
  for (auto& c : children) {
    const std::string outcome = c->ReadLine();
    victims += outcome == "victim";
    granted += outcome == "granted";
    EXPECT_EQ(c->Wait(), 0);
  }
  EXPECT_EQ(victims, 1);
  EXPECT_EQ(granted, static_cast<int>(children.size()) - 1);
  (void)t;
}

TEST_P(LockMultiProcessTest, TwoProcessDeadlockHasExactlyOneVictim) {
  std::vector<std::unique_ptr<ChildProcess>> children;
  RunDeadlockCycle(*this,
                   {Worker({"deadlock", id_ + "-a", prefix_ + "x", prefix_ + "y"}),
                    Worker({"deadlock", id_ + "-b", prefix_ + "y", prefix_ + "x"})},
                   children);
}

TEST_P(LockMultiProcessTest, ThreeProcessDeadlockHasExactlyOneVictim) {
  std::vector<std::unique_ptr<ChildProcess>> children;
  RunDeadlockCycle(*this,
                   {Worker({"deadlock", id_ + "-a", prefix_ + "x", prefix_ + "y"}),
                    Worker({"deadlock", id_ + "-b", prefix_ + "y", prefix_ + "z"}),
                    Worker({"deadlock", id_ + "-c", prefix_ + "z", prefix_ + "x"})},
                   children);
}

INSTANTIATE_TEST_SUITE_P(Backends, LockMultiProcessTest,
                         testing::Values("sqlite", "postgres", "redis"),
                         [](const testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace datashard::lock_test
