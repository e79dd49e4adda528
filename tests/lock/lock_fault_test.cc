// PostgreSQL and Redis restarted while locks are held. Each test runs its own
// throwaway server on a free port (scripts/services.sh), so the shared test
// servers stay up for everyone else.
#include <gtest/gtest.h>

#include <sstream>
#include <thread>

#include "child_process.h"
#include "datashard/errors.h"
#include "datashard/file_io.h"
#include "datashard/lock_manager.h"
#include "io/temp_dir.h"
#include "lock_counter_file.h"
#include "lock_test_backends.h"
#include "own_server.h"

namespace datashard::lock_test {
namespace {

constexpr LockMode kX = LockMode::kExclusive;

// Leases must survive a restart: a durable PostgreSQL, and Redis with an
// fsync-always append-only file (without it Redis forgets leases; see
// redis_lock_backend.h).
std::string DurableRedisOptions() { return "--appendonly yes --appendfsync always"; }

class LockFaultTest : public testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    server_ =
        std::make_unique<OwnServer>(GetParam(), GetParam() == "redis" ? DurableRedisOptions() : "");
    ASSERT_TRUE(server_->Start());
  }
  LockOptions Options() const {
    LockOptions o;
    o.max_poll_interval = milliseconds(20);
    return o;
  }
  std::unique_ptr<OwnServer> server_;
};

TEST_P(LockFaultTest, ClientsGetUnavailableAndLeasesSurviveARestart) {
  auto holder = OpenLockManager(server_->url(), Options());
  auto other = OpenLockManager(server_->url(), Options());
  const Lease lease = holder->Acquire("r", "holder", kX, milliseconds(60000), milliseconds(0));
  server_->Stop();
  EXPECT_THROW(holder->Renew("r", "holder", milliseconds(60000)), Unavailable);
  EXPECT_THROW(other->TryAcquire("r", "other", kX, milliseconds(60000)), Unavailable);
  EXPECT_THROW(other->Acquire("r", "other", kX, milliseconds(60000), milliseconds(100)),
               Unavailable);
  EXPECT_THROW(OpenLockManager(server_->url(), Options()), Unavailable);
  ASSERT_TRUE(server_->Start());
  // Clients reconnect by themselves; the lease is still held, by its holder only.
  EXPECT_FALSE(other->TryAcquire("r", "other", kX, milliseconds(60000)).has_value());
  const Lease renewed = holder->Renew("r", "holder", milliseconds(60000));
  EXPECT_EQ(renewed.fencing_token, lease.fencing_token);
  holder->Release("r", "holder");
  const Lease next = other->Acquire("r", "other", kX, milliseconds(60000), milliseconds(0));
  EXPECT_GT(next.fencing_token, lease.fencing_token);
}

TEST_P(LockFaultTest, RestartUnderLoadNeverGrantsTwoExclusiveHolders) {
  constexpr int kProcesses = 3;
  constexpr int kIterations = 30;
  TempDir dir("datashard-lock-fault");
  const std::string file = dir.Join("counter");
  std::vector<std::unique_ptr<ChildProcess>> workers;
  for (int p = 0; p < kProcesses; ++p) {
    workers.push_back(std::make_unique<ChildProcess>(std::vector<std::string>{
        DATASHARD_LOCK_WORKER, "counter", server_->url(), "counter", "w" + std::to_string(p), file,
        std::to_string(kIterations), "retry"}));
  }
  for (auto& w : workers) ASSERT_EQ(w->ReadLine(), "started");
  server_->Stop();
  std::this_thread::sleep_for(milliseconds(300));
  ASSERT_TRUE(server_->Start());
  size_t rounds = 0;
  for (auto& w : workers) {
    // "done ROUNDS UNAVAILABLE": each worker runs until the restart reached it.
    std::istringstream done(w->ReadLine());
    std::string word;
    size_t worker_rounds = 0;
    int unavailable = 0;
    ASSERT_TRUE(done >> word >> worker_rounds >> unavailable);
    EXPECT_EQ(word, "done");
    EXPECT_GT(unavailable, 0);
    rounds += worker_rounds;
    EXPECT_EQ(w->Wait(), 0);
  }
  const CounterFile result = ReadCounterFile(*NewPosixFileIO(), file);
  ASSERT_EQ(result.lines.size(), rounds);
  for (size_t i = 0; i < result.lines.size(); ++i) {
    EXPECT_EQ(result.lines[i].value, static_cast<int64_t>(i + 1));
    if (i > 0) {
      EXPECT_GT(result.lines[i].token, result.lines[i - 1].token) << "line " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Servers, LockFaultTest, testing::Values("postgres", "redis"),
                         [](const testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

TEST(LockRedisRestartTest, FencingTokensIncreaseEvenWhenRedisForgetsEverything) {
  OwnServer server("redis");  // no persistence at all
  ASSERT_TRUE(server.Start());
  const uint64_t before = OpenLockManager(server.url())
                              ->Acquire("r", "a", kX, milliseconds(60000), milliseconds(0))
                              .fencing_token;
  server.Stop();
  ASSERT_TRUE(server.Start());
  auto locks = OpenLockManager(server.url());
  EXPECT_TRUE(locks->List().empty());  // the restart lost the lease...
  const Lease after = locks->Acquire("r", "b", kX, milliseconds(60000), milliseconds(0));
  EXPECT_GT(after.fencing_token, before);  // ...but not the order of tokens
}

}  // namespace
}  // namespace datashard::lock_test
