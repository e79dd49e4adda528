#include "lock/lock_rules.h"

#include <gtest/gtest.h>

#include "datashard/errors.h"

namespace datashard::lock {
namespace {

Lease Held(const std::string& resource, const std::string& owner, LockMode mode) {
  return Lease{resource, owner, mode, {}, 1};
}

TEST(LockRulesTest, AncestorsAreOutermostFirst) {
  EXPECT_EQ(Ancestors("flight/123/seat/4A"),
            (std::vector<std::string>{"flight", "flight/123", "flight/123/seat"}));
  EXPECT_TRUE(Ancestors("flight").empty());
}

TEST(LockRulesTest, RelatedMeansEqualAncestorOrDescendant) {
  EXPECT_TRUE(Related("flight/123", "flight/123"));
  EXPECT_TRUE(Related("flight/123", "flight/123/seat/4A"));
  EXPECT_TRUE(Related("flight/123/seat/4A", "flight"));
  EXPECT_FALSE(Related("flight/123", "flight/1234"));
  EXPECT_FALSE(Related("flight/123/seat/4A", "flight/123/seat/4B"));
}

TEST(LockRulesTest, ValidationRefusesMalformedNames) {
  EXPECT_THROW(ValidateResource(""), InvalidArgument);
  EXPECT_THROW(ValidateResource("/a"), InvalidArgument);
  EXPECT_THROW(ValidateResource("a/"), InvalidArgument);
  EXPECT_THROW(ValidateResource("a//b"), InvalidArgument);
  EXPECT_THROW(ValidateResource("a\nb"), InvalidArgument);
  EXPECT_THROW(ValidateResource(std::string(1025, 'x')), InvalidArgument);
  EXPECT_NO_THROW(ValidateResource("flight/123/seat/4A"));
  EXPECT_THROW(ValidateOwner(""), InvalidArgument);
  EXPECT_THROW(ValidateOwner("a\tb"), InvalidArgument);
  EXPECT_THROW(ValidateDurations(std::chrono::milliseconds(0), std::chrono::milliseconds(0)),
               InvalidArgument);
  EXPECT_THROW(ValidateDurations(std::chrono::milliseconds(1), std::chrono::milliseconds(-1)),
               InvalidArgument);
}

// Issue 12 item 14: names are UTF-8 text (they reach JSON, PostgreSQL text
// columns and Python str); invalid UTF-8 is refused up front.
TEST(LockRulesTest, ValidationRefusesInvalidUtf8) {
  EXPECT_THROW(ValidateResource("flight/\xff"), InvalidArgument);
  EXPECT_THROW(ValidateResource("flight/\xc3"), InvalidArgument);          // truncated
  EXPECT_THROW(ValidateResource("flight/\xc0\xaf"), InvalidArgument);      // overlong '/'
  EXPECT_THROW(ValidateResource("flight/\xed\xa0\x80"), InvalidArgument);  // surrogate
  EXPECT_THROW(ValidateOwner("app-\xfe"), InvalidArgument);
  EXPECT_NO_THROW(ValidateResource("vol/z\xc3\xbcrich/\xe2\x82\xac/\xf0\x9f\x9b\xab"));
  EXPECT_NO_THROW(ValidateOwner("app-\xc3\xa9"));
}

TEST(LockRulesTest, ConflictsNeedAnotherOwnerARelatedResourceAndAnExclusiveMode) {
  const std::vector<Lease> leases{Held("flight/123", "a", LockMode::kShared)};
  auto blockers = [&](const std::string& r, const std::string& o, LockMode m) {
    return BlockingOwners(GrantRequest{r, o, m}, std::nullopt, leases, {});
  };
  EXPECT_EQ(blockers("flight/123/seat/4A", "b", LockMode::kExclusive),
            std::vector<std::string>{"a"});
  EXPECT_EQ(blockers("flight", "b", LockMode::kExclusive), std::vector<std::string>{"a"});
  EXPECT_TRUE(blockers("flight", "b", LockMode::kShared).empty());
  EXPECT_TRUE(blockers("flight/124", "b", LockMode::kExclusive).empty());
  EXPECT_TRUE(blockers("flight/123", "a", LockMode::kExclusive).empty());
}

TEST(LockRulesTest, EarlierConflictingWaitersGoFirst) {
  const std::vector<Waiter> waiters{{"w", "x", LockMode::kExclusive, 5}};
  const GrantRequest shared{"x", "n", LockMode::kShared};
  EXPECT_EQ(BlockingOwners(shared, std::nullopt, {}, waiters), std::vector<std::string>{"w"});
  EXPECT_EQ(BlockingOwners(shared, 9, {}, waiters), std::vector<std::string>{"w"});
  EXPECT_TRUE(BlockingOwners(shared, 3, {}, waiters).empty());
  // An owner holding a related lease is not queued behind others: it would
  // wait for a waiter that waits for it.
  const std::vector<Lease> mine{Held("x/y", "n", LockMode::kShared)};
  EXPECT_TRUE(BlockingOwners(shared, std::nullopt, mine, waiters).empty());
}

TEST(LockRulesTest, NextInLineMeansNoEarlierConflictingWaiter) {
  const std::vector<Lease> held{Held("x", "h", LockMode::kExclusive)};
  const std::vector<Waiter> waiters{{"w1", "x", LockMode::kExclusive, 5},
                                    {"w2", "x", LockMode::kExclusive, 8}};
  EXPECT_TRUE(NextInLine(GrantRequest{"x", "w1", LockMode::kExclusive}, 5, held, waiters));
  EXPECT_FALSE(NextInLine(GrantRequest{"x", "w2", LockMode::kExclusive}, 8, held, waiters));
  EXPECT_FALSE(
      NextInLine(GrantRequest{"x", "new", LockMode::kShared}, std::nullopt, held, waiters));
  EXPECT_TRUE(NextInLine(GrantRequest{"y", "new", LockMode::kShared}, std::nullopt, held, waiters));
}

TEST(LockRulesTest, TwoOwnerCycleMakesTheYoungestWaiterTheVictim) {
  LockSnapshot s;
  s.leases = {Held("x", "a", LockMode::kExclusive), Held("y", "b", LockMode::kExclusive)};
  s.waiters = {{"a", "y", LockMode::kExclusive, 7}, {"b", "x", LockMode::kExclusive, 4}};
  for (const char* who : {"a", "b"}) {
    auto d = FindDeadlock(s, who);
    ASSERT_TRUE(d.has_value()) << who;
    EXPECT_EQ(d->victim, "a");
    EXPECT_EQ(d->owners, (std::vector<std::string>{"a", "b"}));
  }
}

TEST(LockRulesTest, ThreeOwnerCycleHasOneVictimAndBystandersNone) {
  LockSnapshot s;
  s.leases = {Held("x", "a", LockMode::kExclusive), Held("y", "b", LockMode::kExclusive),
              Held("z", "c", LockMode::kExclusive)};
  s.waiters = {{"a", "y", LockMode::kExclusive, 1},
               {"b", "z", LockMode::kExclusive, 9},
               {"c", "x", LockMode::kExclusive, 3},
               {"d", "x", LockMode::kExclusive, 12}};
  for (const char* who : {"a", "b", "c"}) {
    auto d = FindDeadlock(s, who);
    ASSERT_TRUE(d.has_value()) << who;
    EXPECT_EQ(d->victim, "b");
  }
  EXPECT_FALSE(FindDeadlock(s, "d").has_value());  // waits on the cycle, is not in it
}

TEST(LockRulesTest, WaitingWithoutCycleIsNoDeadlock) {
  LockSnapshot s;
  s.leases = {Held("x", "a", LockMode::kExclusive)};
  s.waiters = {{"b", "x", LockMode::kExclusive, 1}};
  EXPECT_FALSE(FindDeadlock(s, "b").has_value());
  EXPECT_FALSE(FindDeadlock(s, "a").has_value());
}

}  // namespace
}  // namespace datashard::lock
