// The LockManager contract (DESIGN.md §7), run against every backend.
#include <gtest/gtest.h>

#include <future>

#include "datashard/errors.h"
#include "datashard/fencing.h"
#include "datashard/lock_guard.h"
#include "datashard/lock_manager.h"
#include "lock_test_backends.h"

namespace datashard::lock_test {
namespace {

constexpr LockMode kS = LockMode::kShared;
constexpr LockMode kX = LockMode::kExclusive;
const milliseconds kLong(60000);
const milliseconds kNoWait(0);

class LockConformanceTest : public testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    backend_ = std::make_unique<TestBackend>(GetParam());
    ASSERT_TRUE(backend_->ok());
    locks_ = backend_->Open();
    // Server backends are shared by concurrent tests: names are unique per test.
    const std::string id = UniqueId();
    prefix_ = "t" + id + "/";
    a_ = "a-" + id;
    b_ = "b-" + id;
    c_ = "c-" + id;
  }

  std::string R(const std::string& name) const { return prefix_ + name; }

  /// Live leases under this test's prefix.
  std::vector<Lease> Mine(LockManager& m) const {
    std::vector<Lease> out;
    for (Lease& l : m.List()) {
      if (l.resource.rfind(prefix_, 0) == 0) out.push_back(std::move(l));
    }
    return out;
  }

  bool Free(const std::string& resource, LockMode mode = kX) {
    auto probe = locks_->TryAcquire(resource, "probe-" + a_, mode, kLong);
    if (!probe) return false;
    locks_->Release(resource, "probe-" + a_);
    return true;
  }

  std::unique_ptr<TestBackend> backend_;
  std::unique_ptr<LockManager> locks_;
  std::string prefix_, a_, b_, c_;
};

TEST_P(LockConformanceTest, ExclusiveLockExcludesOtherOwners) {
  Lease lease = locks_->Acquire(R("flight/123"), a_, kX, kLong, kNoWait);
  EXPECT_EQ(lease.resource, R("flight/123"));
  EXPECT_EQ(lease.owner, a_);
  EXPECT_EQ(lease.mode, kX);
  EXPECT_GT(lease.fencing_token, 0u);
  EXPECT_GT(lease.expiry, std::chrono::system_clock::now() + milliseconds(30000));
  EXPECT_FALSE(locks_->TryAcquire(R("flight/123"), b_, kX, kLong).has_value());
  EXPECT_FALSE(locks_->TryAcquire(R("flight/123"), b_, kS, kLong).has_value());
  EXPECT_THROW(locks_->Acquire(R("flight/123"), b_, kX, kLong, kNoWait), LockNotAcquired);
  EXPECT_THROW(locks_->Acquire(R("flight/123"), b_, kX, kLong, milliseconds(50)), LockNotAcquired);
}

TEST_P(LockConformanceTest, SharedLocksCoexistAndExcludeWriters) {
  locks_->Acquire(R("x"), a_, kS, kLong, kNoWait);
  locks_->Acquire(R("x"), b_, kS, kLong, kNoWait);
  EXPECT_FALSE(locks_->TryAcquire(R("x"), c_, kX, kLong).has_value());
  EXPECT_TRUE(locks_->TryAcquire(R("x"), c_, kS, kLong).has_value());
  EXPECT_EQ(Mine(*locks_).size(), 3u);
  locks_->Release(R("x"), a_);
  locks_->Release(R("x"), b_);
  EXPECT_FALSE(locks_->TryAcquire(R("x"), a_, kX, kLong).has_value());
  locks_->Release(R("x"), c_);
  EXPECT_TRUE(locks_->TryAcquire(R("x"), a_, kX, kLong).has_value());
}

TEST_P(LockConformanceTest, ReleaseLetsTheNextOwnerInWithANewerToken) {
  Lease first = locks_->Acquire(R("x"), a_, kX, kLong, kNoWait);
  locks_->Release(R("x"), a_);
  Lease second = locks_->Acquire(R("x"), b_, kX, kLong, kNoWait);
  EXPECT_GT(second.fencing_token, first.fencing_token);
  EXPECT_EQ(Mine(*locks_).size(), 1u);
}

TEST_P(LockConformanceTest, OwnersCannotReleaseOrRenewOthersLocks) {
  Lease held = locks_->Acquire(R("x"), a_, kX, kLong, kNoWait);
  EXPECT_THROW(locks_->Release(R("x"), b_), LockExpired);
  EXPECT_THROW(locks_->Renew(R("x"), b_, kLong), LockExpired);
  EXPECT_EQ(locks_->ReleaseAll(b_), 0u);
  std::vector<Lease> mine = Mine(*locks_);
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].owner, a_);
  EXPECT_EQ(mine[0].fencing_token, held.fencing_token);
  EXPECT_FALSE(locks_->TryAcquire(R("x"), b_, kX, kLong).has_value());
}

TEST_P(LockConformanceTest, RenewExtendsTheLeaseAndKeepsTheToken) {
  const milliseconds ttl = backend_->short_ttl();
  Lease lease = locks_->Acquire(R("x"), a_, kX, ttl, kNoWait);
  Lease renewed = locks_->Renew(R("x"), a_, kLong);
  EXPECT_EQ(renewed.fencing_token, lease.fencing_token);
  EXPECT_EQ(renewed.mode, kX);
  EXPECT_GT(renewed.expiry, lease.expiry);
  backend_->Pass(ttl + milliseconds(200));
  EXPECT_FALSE(locks_->TryAcquire(R("x"), b_, kX, kLong).has_value());
  EXPECT_NO_THROW(locks_->Release(R("x"), a_));
}

TEST_P(LockConformanceTest, ExpiredLeaseFailsRenewAndRelease) {
  const milliseconds ttl = backend_->short_ttl();
  locks_->Acquire(R("x"), a_, kX, ttl, kNoWait);
  locks_->Acquire(R("y"), a_, kS, ttl, kNoWait);
  backend_->Pass(ttl + milliseconds(200));
  EXPECT_TRUE(Mine(*locks_).empty());
  EXPECT_THROW(locks_->Renew(R("x"), a_, kLong), LockExpired);
  EXPECT_THROW(locks_->Release(R("y"), a_), LockExpired);
}

TEST_P(LockConformanceTest, ExpiredLeaseIsTakenOverAndTheOldHolderIsFenced) {
  const milliseconds ttl = backend_->short_ttl();
  Lease old_lease = locks_->Acquire(R("x"), a_, kX, ttl, kNoWait);
  backend_->Pass(ttl + milliseconds(200));
  Lease new_lease = locks_->Acquire(R("x"), b_, kX, kLong, kNoWait);
  EXPECT_GT(new_lease.fencing_token, old_lease.fencing_token);
  EXPECT_THROW(locks_->Renew(R("x"), a_, kLong), LockExpired);
  EXPECT_THROW(locks_->Release(R("x"), a_), LockExpired);
  // Where the write lands (a table's metadata, tests/table/fencing_test.cc),
  // the newer token makes the older one stale.
  EXPECT_THROW(CheckFencingToken(R("x"), old_lease.fencing_token, new_lease.fencing_token),
               StaleFencingToken);
  EXPECT_NO_THROW(CheckFencingToken(R("x"), new_lease.fencing_token, new_lease.fencing_token));
  std::vector<Lease> mine = Mine(*locks_);
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].owner, b_);
}

TEST_P(LockConformanceTest, ParentLockCoversChildren) {
  locks_->Acquire(R("flight/123"), a_, kX, kLong, kNoWait);
  EXPECT_FALSE(locks_->TryAcquire(R("flight/123/seat/4A"), b_, kX, kLong).has_value());
  EXPECT_FALSE(locks_->TryAcquire(R("flight/123/seat/4A"), b_, kS, kLong).has_value());
  EXPECT_FALSE(locks_->TryAcquire(R("flight"), b_, kS, kLong).has_value());
  EXPECT_TRUE(locks_->TryAcquire(R("flight/1234"), b_, kX, kLong).has_value());
  EXPECT_TRUE(locks_->TryAcquire(R("flight/124/seat/4A"), b_, kX, kLong).has_value());
  // The holder itself may lock inside what it holds.
  EXPECT_TRUE(locks_->TryAcquire(R("flight/123/seat/4A"), a_, kX, kLong).has_value());
}

TEST_P(LockConformanceTest, ChildLocksBlockConflictingParentLocks) {
  locks_->Acquire(R("flight/123/seat/4A"), a_, kS, kLong, kNoWait);
  EXPECT_FALSE(locks_->TryAcquire(R("flight/123"), b_, kX, kLong).has_value());
  EXPECT_FALSE(locks_->TryAcquire(R("flight"), b_, kX, kLong).has_value());
  EXPECT_TRUE(locks_->TryAcquire(R("flight/123"), b_, kS, kLong).has_value());
  // b's shared lock on the flight now covers every seat.
  EXPECT_FALSE(locks_->TryAcquire(R("flight/123/seat/4B"), c_, kX, kLong).has_value());
  locks_->Release(R("flight/123/seat/4A"), a_);
  locks_->Release(R("flight/123"), b_);
  EXPECT_TRUE(locks_->TryAcquire(R("flight/123/seat/4B"), c_, kX, kLong).has_value());
  EXPECT_FALSE(locks_->TryAcquire(R("flight/123"), b_, kX, kLong).has_value());  // c's 4B
  locks_->ReleaseAll(c_);
  EXPECT_TRUE(locks_->TryAcquire(R("flight/123"), b_, kX, kLong).has_value());
}

TEST_P(LockConformanceTest, FencingTokensStrictlyIncrease) {
  uint64_t last = 0;
  for (int i = 0; i < 10; ++i) {
    const std::string& owner = i % 2 ? a_ : b_;
    Lease lease = locks_->Acquire(R("x"), owner, i % 3 ? kX : kS, kLong, kNoWait);
    EXPECT_GT(lease.fencing_token, last);
    last = lease.fencing_token;
    locks_->Release(R("x"), owner);
  }
}

TEST_P(LockConformanceTest, FencingTokensIncreaseAcrossReopen) {
  Lease before = locks_->Acquire(R("x"), a_, kX, kLong, kNoWait);
  locks_->Release(R("x"), a_);
  locks_.reset();
  std::unique_ptr<LockManager> reopened = backend_->Open();
  Lease after = reopened->Acquire(R("x"), b_, kX, kLong, kNoWait);
  EXPECT_GT(after.fencing_token, before.fencing_token);
}

TEST_P(LockConformanceTest, LocksSurviveReopen) {
  locks_->Acquire(R("x"), a_, kX, kLong, kNoWait);
  locks_.reset();
  std::unique_ptr<LockManager> reopened = backend_->Open();
  EXPECT_FALSE(reopened->TryAcquire(R("x"), b_, kX, kLong).has_value());
  EXPECT_NO_THROW(reopened->Release(R("x"), a_));
}

TEST_P(LockConformanceTest, AcquireAllTakesResourcesInCanonicalOrder) {
  std::vector<Lease> leases = locks_->AcquireAll(
      {{R("c"), kS}, {R("a"), kS}, {R("b"), kX}, {R("a"), kX}}, a_, kLong, kNoWait);
  ASSERT_EQ(leases.size(), 3u);
  EXPECT_EQ(leases[0].resource, R("a"));
  EXPECT_EQ(leases[0].mode, kX);  // the stronger of the two requests
  EXPECT_EQ(leases[1].resource, R("b"));
  EXPECT_EQ(leases[2].resource, R("c"));
  EXPECT_EQ(leases[2].mode, kS);
  // Taken one after another in that order: tokens follow it.
  EXPECT_LT(leases[0].fencing_token, leases[1].fencing_token);
  EXPECT_LT(leases[1].fencing_token, leases[2].fencing_token);
  EXPECT_EQ(Mine(*locks_).size(), 3u);
}

TEST_P(LockConformanceTest, AcquireAllReleasesWhatItTookOnFailure) {
  locks_->Acquire(R("b"), b_, kX, kLong, kNoWait);
  EXPECT_THROW(
      locks_->AcquireAll({{R("a"), kX}, {R("b"), kX}, {R("c"), kX}}, a_, kLong, milliseconds(30)),
      LockNotAcquired);
  std::vector<Lease> mine = Mine(*locks_);
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].owner, b_);
  EXPECT_TRUE(Free(R("a")));
  EXPECT_TRUE(Free(R("c")));
}

TEST_P(LockConformanceTest, ListAndInspectShowLiveLeases) {
  Lease parent = locks_->Acquire(R("flight/123"), a_, kS, kLong, kNoWait);
  Lease seat = locks_->Acquire(R("flight/123/seat/4A"), b_, kS, kLong, kNoWait);
  Lease other = locks_->Acquire(R("flight/124"), c_, kX, kLong, kNoWait);
  std::vector<Lease> all = Mine(*locks_);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].resource, R("flight/123"));
  EXPECT_EQ(all[0].owner, a_);
  EXPECT_EQ(all[0].mode, kS);
  EXPECT_EQ(all[0].fencing_token, parent.fencing_token);
  EXPECT_EQ(all[1].resource, R("flight/123/seat/4A"));
  EXPECT_EQ(all[1].fencing_token, seat.fencing_token);
  EXPECT_EQ(all[2].resource, R("flight/124"));
  EXPECT_EQ(all[2].mode, kX);
  EXPECT_EQ(all[2].expiry, other.expiry);
  std::vector<Lease> bearing = locks_->Inspect(R("flight/123/seat"));
  ASSERT_EQ(bearing.size(), 2u);
  EXPECT_EQ(bearing[0].owner, a_);
  EXPECT_EQ(bearing[1].owner, b_);
}

TEST_P(LockConformanceTest, ReleaseAllReleasesOnlyTheOwnersLeases) {
  locks_->Acquire(R("x"), a_, kX, kLong, kNoWait);
  locks_->Acquire(R("y"), a_, kS, kLong, kNoWait);
  locks_->Acquire(R("z/1"), a_, kX, kLong, kNoWait);
  locks_->Acquire(R("y"), b_, kS, kLong, kNoWait);
  EXPECT_EQ(locks_->ReleaseAll(a_), 3u);
  std::vector<Lease> mine = Mine(*locks_);
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].owner, b_);
  EXPECT_EQ(locks_->ReleaseAll(a_), 0u);
  EXPECT_THROW(locks_->Release(R("x"), a_), LockExpired);
}

TEST_P(LockConformanceTest, ReacquireByTheHolderReplacesItsLease) {
  Lease shared = locks_->Acquire(R("x"), a_, kS, kLong, kNoWait);
  Lease exclusive = locks_->Acquire(R("x"), a_, kX, kLong, kNoWait);
  EXPECT_GT(exclusive.fencing_token, shared.fencing_token);
  std::vector<Lease> mine = Mine(*locks_);
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].mode, kX);
  EXPECT_FALSE(locks_->TryAcquire(R("x"), b_, kS, kLong).has_value());
}

TEST_P(LockConformanceTest, WaiterGetsTheLockWhenReleased) {
  locks_->Acquire(R("x"), a_, kX, kLong, kNoWait);
  std::unique_ptr<LockManager> other = backend_->Open();
  auto waiter = std::async(std::launch::async, [&] {
    return other->Acquire(R("x"), b_, kX, kLong, milliseconds(30000));
  });
  std::this_thread::sleep_for(milliseconds(100));
  locks_->Release(R("x"), a_);
  Lease got = waiter.get();
  EXPECT_EQ(got.owner, b_);
}

TEST_P(LockConformanceTest, EarlierWaiterIsServedBeforeLaterRequests) {
  locks_->Acquire(R("x"), a_, kS, kLong, kNoWait);
  std::unique_ptr<LockManager> other = backend_->Open();
  auto writer = std::async(std::launch::async, [&] {
    return other->Acquire(R("x"), b_, kX, kLong, milliseconds(30000));
  });
  // Once the writer queues, new readers line up behind it instead of
  // starving it: soon a reader is refused although only readers hold x.
  bool refused = false;
  for (int i = 0; i < 500 && !refused; ++i) {
    if (locks_->TryAcquire(R("x"), c_, kS, kLong)) {
      locks_->Release(R("x"), c_);
      std::this_thread::sleep_for(milliseconds(10));
    } else {
      refused = true;
    }
  }
  EXPECT_TRUE(refused);
  locks_->Release(R("x"), a_);
  EXPECT_EQ(writer.get().owner, b_);
}

TEST_P(LockConformanceTest, DeadlockMakesExactlyOneWaiterTheVictim) {
  std::unique_ptr<LockManager> m1 = backend_->Open();
  std::unique_ptr<LockManager> m2 = backend_->Open();
  m1->Acquire(R("x"), a_, kX, kLong, kNoWait);
  m2->Acquire(R("y"), b_, kX, kLong, kNoWait);
  auto run = [&](LockManager& m, const std::string& owner, const std::string& want) {
    try {
      m.Acquire(R(want), owner, kX, kLong, milliseconds(20000));
      m.ReleaseAll(owner);
      return std::string("granted");
    } catch (const DeadlockDetected&) {
      m.ReleaseAll(owner);
      return std::string("victim");
    }
  };
  auto first = std::async(std::launch::async, run, std::ref(*m1), a_, "y");
  auto second = std::async(std::launch::async, run, std::ref(*m2), b_, "x");
  // Which one queued last (the youngest, the victim) depends on scheduling;
  // lock_rules_test checks the choice itself.
  const std::string outcomes = first.get() + "," + second.get();
  EXPECT_TRUE(outcomes == "granted,victim" || outcomes == "victim,granted") << outcomes;
}

TEST_P(LockConformanceTest, MalformedRequestsAreRefused) {
  EXPECT_THROW(locks_->Acquire("", a_, kX, kLong, kNoWait), InvalidArgument);
  EXPECT_THROW(locks_->Acquire("a//b", a_, kX, kLong, kNoWait), InvalidArgument);
  EXPECT_THROW(locks_->Acquire(R("x"), "", kX, kLong, kNoWait), InvalidArgument);
  EXPECT_THROW(locks_->Acquire(R("x"), a_, kX, milliseconds(0), kNoWait), InvalidArgument);
  EXPECT_THROW(locks_->Acquire(R("x"), a_, kX, kLong, milliseconds(-1)), InvalidArgument);
  EXPECT_TRUE(Mine(*locks_).empty());
}

// Issue 17 item 5: names are data, never SQL, Lua or key syntax. Quotes,
// spaces, backslashes, Lua pattern and SQL comment characters, key
// separators and multi-byte UTF-8 round-trip exactly and do not meet other
// names.
TEST_P(LockConformanceTest, NamesWithQuotesAndSyntaxAreOnlyData) {
  const std::string odd = "it's \"q\" \\ %s %% -- ; DROP TABLE x; :h:{k} * ? \xc3\xa9\xe2\x82\xac";
  const std::string resource = R(odd + "/seat 'A'");
  const std::string owner = a_ + " " + odd;
  Lease lease = locks_->Acquire(resource, owner, kX, kLong, kNoWait);
  EXPECT_FALSE(locks_->TryAcquire(resource, b_, kX, kLong));
  EXPECT_TRUE(Free(R("it's \"q\"")));
  EXPECT_TRUE(Free(R(odd + "/seat 'B'")));
  std::vector<Lease> seen = locks_->Inspect(resource);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].resource, resource);
  EXPECT_EQ(seen[0].owner, owner);
  EXPECT_EQ(seen[0].fencing_token, lease.fencing_token);
  lease = locks_->Renew(lease, kLong);
  EXPECT_EQ(locks_->ReleaseAll(a_), 0u);  // a prefix of the owner is another owner
  EXPECT_EQ(locks_->ReleaseAll(owner), 1u);
  EXPECT_TRUE(Mine(*locks_).empty());
}

// Issue 17 item 5: a NUL, another control character, invalid UTF-8 or a
// huge name is refused with InvalidArgument by every call, before the
// backend sees it.
TEST_P(LockConformanceTest, NamesWithNulInvalidUtf8OrHugeLengthAreRefused) {
  const std::vector<std::string> bad = {std::string("x\0y", 3),
                                        "x\ny",
                                        "x\x7f",
                                        "\xff\xfe",
                                        "\xc3",          // a truncated two-byte sequence
                                        "\xed\xa0\x80",  // an encoded surrogate
                                        std::string(size_t{1} << 20, 'r')};
  for (const std::string& name : bad) {
    SCOPED_TRACE(testing::PrintToString(name.substr(0, 16)));
    EXPECT_THROW(locks_->Acquire(R(name), a_, kX, kLong, kNoWait), InvalidArgument);
    EXPECT_THROW(locks_->Acquire(R("x"), a_ + name, kX, kLong, kNoWait), InvalidArgument);
    EXPECT_THROW(locks_->TryAcquire(R(name), a_, kS, kLong), InvalidArgument);
    EXPECT_THROW(locks_->TryAcquire(R("x"), name, kS, kLong), InvalidArgument);
    EXPECT_THROW(locks_->Renew(R(name), a_, kLong), InvalidArgument);
    EXPECT_THROW(locks_->Release(R("x"), name), InvalidArgument);
    EXPECT_THROW(locks_->ReleaseAll(name), InvalidArgument);
    EXPECT_THROW(locks_->AcquireAll({{R("ok"), kX}, {R(name), kX}}, a_, kLong, kNoWait),
                 InvalidArgument);
    EXPECT_THROW(locks_->Inspect(R(name)), InvalidArgument);
  }
  EXPECT_TRUE(Mine(*locks_).empty());
  EXPECT_TRUE(Free(R("ok")));
}

TEST_P(LockConformanceTest, GuardReleasesOnEveryExitPath) {
  try {
    LockGuard guard(*locks_, R("x"), a_, kX, kLong, kNoWait);
    EXPECT_FALSE(Free(R("x")));
    throw std::runtime_error("work failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_TRUE(Free(R("x")));
  {
    LockGuard guard(*locks_, R("x"), a_, kX, kLong, kNoWait);
    guard.Release();
    EXPECT_TRUE(Free(R("x")));
  }
  EXPECT_TRUE(Free(R("x")));
}

TEST_P(LockConformanceTest, GuardDestructorSwallowsALostLease) {
  const milliseconds ttl = backend_->short_ttl();
  {
    LockGuard guard(*locks_, R("x"), a_, kX, ttl, kNoWait);
    backend_->Pass(ttl + milliseconds(200));
    EXPECT_THROW(guard.Release(), LockExpired);
  }
  {
    LockGuard guard(*locks_, R("y"), a_, kX, ttl, kNoWait);
    backend_->Pass(ttl + milliseconds(200));
  }  // destructor: LockExpired swallowed
  EXPECT_TRUE(Free(R("y")));
}

TEST_P(LockConformanceTest, GuardRenewsWhileWorkRuns) {
  const milliseconds ttl(900);
  LockGuard guard(*locks_, R("x"), a_, kX, ttl, kNoWait, /*auto_renew=*/true);
  const Lease first = guard.lease();
  std::this_thread::sleep_for(milliseconds(2000));
  EXPECT_NO_THROW(guard.CheckHeld());
  EXPECT_FALSE(locks_->TryAcquire(R("x"), b_, kX, kLong).has_value());
  EXPECT_GT(guard.lease().expiry, first.expiry);
  EXPECT_EQ(guard.lease().fencing_token, first.fencing_token);
  guard.Release();
  EXPECT_TRUE(Free(R("x")));
}

// Issue 12 item 11: renew and release name the grant (its fencing token),
// so a paused first incarnation of an owner cannot extend or end the lease a
// second incarnation of the same owner name took after the first expired.
TEST_P(LockConformanceTest, StaleIncarnationCannotRenewOrReleaseTheNewLease) {
  const milliseconds ttl = backend_->short_ttl();
  const Lease first = locks_->Acquire(R("x"), a_, kX, ttl, kNoWait);
  backend_->Pass(ttl + milliseconds(200));
  const Lease second = locks_->Acquire(R("x"), a_, kX, kLong, kNoWait);
  ASSERT_GT(second.fencing_token, first.fencing_token);
  EXPECT_THROW(locks_->Renew(first, kLong * 10), LockExpired);
  EXPECT_THROW(locks_->Release(first), LockExpired);
  std::vector<Lease> mine = Mine(*locks_);
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].fencing_token, second.fencing_token);
  EXPECT_EQ(mine[0].expiry, second.expiry);
  EXPECT_FALSE(locks_->TryAcquire(R("x"), b_, kX, kLong).has_value());
  const Lease renewed = locks_->Renew(second, kLong);
  EXPECT_EQ(renewed.fencing_token, second.fencing_token);
  EXPECT_NO_THROW(locks_->Release(renewed));
  EXPECT_TRUE(Mine(*locks_).empty());
}

// Issue 12 item 12: the holder keeps its own deadline on the monotonic clock
// (send time + TTL - a tenth of it) and learns the lease is lost when it
// passes, even while the server has not answered (or not expired it yet).
TEST_P(LockConformanceTest, HolderSeesItsLeaseLostWhenTheClientDeadlinePasses) {
  const milliseconds ttl(30000);
  LockGuard guard(*locks_, R("x"), a_, kX, ttl, kNoWait);
  EXPECT_NO_THROW(guard.CheckHeld());
  EXPECT_NO_THROW(locks_->CheckHeld(guard.lease()));
  backend_->PassMonotonic(milliseconds(26900));
  EXPECT_NO_THROW(guard.CheckHeld());
  backend_->PassMonotonic(milliseconds(200));  // 27.1 s > 30 s - 3 s
  EXPECT_THROW(guard.CheckHeld(), LockExpired);
  EXPECT_THROW(locks_->CheckHeld(guard.lease()), LockExpired);
  // A renewal that succeeds moves the deadline again.
  const Lease renewed = locks_->Renew(guard.lease(), ttl);
  EXPECT_NO_THROW(locks_->CheckHeld(renewed));
}

// Issue 12 item 13: the canonical order of AcquireAll follows path segments,
// parents first; byte order put `a/b-` between `a/b` and `a/b/c`, so two
// callers could deadlock through the hierarchy.
TEST_P(LockConformanceTest, AcquireAllOrdersByPathSegmentsParentsFirst) {
  std::vector<Lease> leases = locks_->AcquireAll(
      {{R("a/b-"), kX}, {R("a/b/c"), kX}, {R("a/b"), kS}, {R("a"), kS}, {R("a/b/c/d"), kS}}, a_,
      kLong, kNoWait);
  std::vector<std::string> order;
  for (const Lease& l : leases) order.push_back(l.resource);
  EXPECT_EQ(order,
            (std::vector<std::string>{R("a"), R("a/b"), R("a/b/c"), R("a/b/c/d"), R("a/b-")}));
}

// Issue 12 item 14: a huge DURATION must not overflow a deadline (undefined
// behaviour; in practice a wait that ended at once). Waits are capped, TTLs
// beyond the cap refused.
TEST_P(LockConformanceTest, HugeDurationsAreCappedNotOverflowed) {
  const milliseconds huge = ParseLockDuration("999999999999h");
  EXPECT_THROW(locks_->Acquire(R("x"), a_, kX, huge, kNoWait), InvalidArgument);
  EXPECT_THROW(locks_->TryAcquire(R("x"), a_, kX, huge), InvalidArgument);
  EXPECT_TRUE(Mine(*locks_).empty());
  locks_->Acquire(R("x"), a_, kS, kLong, kNoWait);
  std::unique_ptr<LockManager> other = backend_->Open();
  auto waiter =
      std::async(std::launch::async, [&] { return other->Acquire(R("x"), b_, kX, kLong, huge); });
  // Once b queues for x, a later shared request of c is refused (fairness):
  // b is waiting rather than failing at once.
  bool queued = false;
  while (!queued && waiter.wait_for(milliseconds(0)) != std::future_status::ready) {
    if (locks_->TryAcquire(R("x"), c_, kS, kLong)) {
      locks_->Release(R("x"), c_);
      std::this_thread::sleep_for(milliseconds(5));
    } else {
      queued = true;
    }
  }
  locks_->Release(R("x"), a_);
  EXPECT_EQ(waiter.get().owner, b_);
  EXPECT_TRUE(queued);
}

INSTANTIATE_TEST_SUITE_P(Backends, LockConformanceTest,
                         testing::Values("sqlite", "postgres", "redis"),
                         [](const testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

// Issue 12 item 14: a password given as `?password=` (not only `user:pw@`)
// stays out of url() and of every message.
TEST(LockUrlTest, PostgresPasswordIsRedactedFromUrlAndMessages) {
  try {
    OpenLockManager(
        "postgresql://postgres@127.0.0.1:1/datashard?password=hunter2&connect_timeout=2");
    ADD_FAILURE() << "nothing listens on port 1";
  } catch (const Unavailable& e) {
    EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("password=***"), std::string::npos) << e.what();
  }
  try {
    OpenLockManager("postgresql://postgres:hunter2@127.0.0.1:1/datashard?connect_timeout=2");
    ADD_FAILURE() << "nothing listens on port 1";
  } catch (const Unavailable& e) {
    EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
  }
  const std::string server = ServerUrl("postgres");
  ASSERT_FALSE(server.empty());
  const std::string with_password =
      server + (server.find('?') == std::string::npos ? "?" : "&") + "password=hunter2";
  std::unique_ptr<LockManager> locks = OpenLockManager(with_password);
  EXPECT_EQ(locks->url().find("hunter2"), std::string::npos) << locks->url();
  try {
    locks->Release("t" + UniqueId(), "nobody");
    ADD_FAILURE() << "released a lock never taken";
  } catch (const LockExpired& e) {
    EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace datashard::lock_test
