#include "io/lock_signal.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "datashard/file_io.h"
#include "io/temp_dir.h"

namespace datashard {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Steady = std::chrono::steady_clock;

// A sleep far longer than any test waits: a waiter that gets the lock in
// time was woken by the release, not by the end of its sleep.
constexpr seconds kLongSleep(60);

class LockSignalTest : public ::testing::Test {
 protected:
  LockSignal Signal() {
    return LockSignal(io_->MapShared(dir_.Join("events"), 64), 0, 4, kLongSleep);
  }

  TempDir dir_;
  std::shared_ptr<FileIO> io_ = NewPosixFileIO();
  const std::string path_ = dir_.Join("commit.lock");
};

TEST_F(LockSignalTest, AReleaseWakesAWaiterAsleepForLonger) {
  const LockSignal signal = Signal();
  auto held = signal.Lock(*io_, path_, milliseconds(0), /*wake_all=*/false);
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(signal.Counter(), 0u);
  std::atomic<bool> got{false};
  const auto start = Steady::now();
  std::thread waiter(
      [&] { got = signal.Lock(*io_, path_, seconds(30), /*wake_all=*/false) != nullptr; });
  std::this_thread::sleep_for(milliseconds(50));  // most likely asleep by now
  EXPECT_FALSE(got);
  held.reset();
  waiter.join();
  EXPECT_TRUE(got);
  EXPECT_LT(Steady::now() - start, seconds(20));
  EXPECT_EQ(signal.Counter(), 2u);  // both locks were released
}

TEST_F(LockSignalTest, WakingOneAtATimeHandsTheLockDownALine) {
  const LockSignal signal = Signal();
  auto held = signal.Lock(*io_, path_, milliseconds(0), /*wake_all=*/false);
  ASSERT_NE(held, nullptr);
  std::atomic<int> taken{0};
  std::vector<std::thread> waiters;
  for (int i = 0; i < 3; ++i) {
    waiters.emplace_back([&] {
      auto lock = signal.Lock(*io_, path_, seconds(30), /*wake_all=*/false);
      if (lock) ++taken;
    });
  }
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(taken, 0);
  const auto start = Steady::now();
  held.reset();
  for (std::thread& t : waiters) t.join();
  EXPECT_EQ(taken, 3);
  EXPECT_LT(Steady::now() - start, seconds(20));
  EXPECT_EQ(signal.Counter(), 4u);
}

TEST_F(LockSignalTest, GivesUpWhileTheLockStaysHeld) {
  const LockSignal signal = Signal();
  auto held = io_->Lock(path_, /*wait=*/false);  // a holder that raises nothing
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(signal.Lock(*io_, path_, milliseconds(0), false), nullptr);
  EXPECT_EQ(signal.Lock(*io_, path_, milliseconds(20), false), nullptr);
  EXPECT_EQ(signal.Counter(), 0u);
  held.reset();
  EXPECT_NE(signal.Lock(*io_, path_, milliseconds(0), false), nullptr);
}

TEST_F(LockSignalTest, WithoutSharedMemoryPollsTheLock) {
  const LockSignal signal(nullptr, 0, 4, milliseconds(2));
  auto held = signal.Lock(*io_, path_, milliseconds(0), true);
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(signal.Lock(*io_, path_, milliseconds(10), true), nullptr);
  held.reset();
  EXPECT_NE(signal.Lock(*io_, path_, milliseconds(10), true), nullptr);
  EXPECT_EQ(signal.Counter(), 0u);
}

}  // namespace
}  // namespace datashard
