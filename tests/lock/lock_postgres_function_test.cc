// The server side of the PostgreSQL lock backend (issue 18 item 3): the
// functions it installs find related leases and waits by index, a release
// wakes waiters only when one waits, and the schema installs once under
// concurrent first users, next to the tables of an earlier version.
#include <gtest/gtest.h>

#include <algorithm>
#include <future>

#include "datashard/errors.h"
#include "datashard/lock_manager.h"
#include "lock_test_backends.h"
#include "postgres_session.h"

namespace datashard::lock_test {
namespace {

constexpr LockMode kX = LockMode::kExclusive;
const milliseconds kLong(60000);

class PostgresFunctionTest : public testing::Test {
 protected:
  void SetUp() override {
    backend_ = std::make_unique<TestBackend>("postgres");
    ASSERT_TRUE(backend_->ok());
    locks_ = backend_->Open();
    id_ = UniqueId();
    prefix_ = "t" + id_;
    a_ = "a-" + id_;
    b_ = "b-" + id_;
    observer_ = std::make_unique<Session>(backend_->url());
  }

  /// The test URL with `schema` as the only schema on the search path.
  std::string UrlWithSchema(const std::string& schema) const {
    const std::string& url = backend_->url();
    return url + (url.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
           schema;
  }

  std::unique_ptr<TestBackend> backend_;
  std::unique_ptr<LockManager> locks_;
  std::unique_ptr<Session> observer_;
  std::string id_, prefix_, a_, b_;
};

// With enough rows that a scan would cost more than an index probe, every
// statement of a grant and a release that reads the lock or waiter table uses
// the text_pattern_ops indexes: the resource and its ancestors by equality,
// descendants by range. Leases are read by plain index scans, never bitmap
// scans, which leave the dead entries of released leases for every later
// grant to visit again. The plans come from auto_explain, which logs the
// statements run inside the functions.
TEST_F(PostgresFunctionTest, RelatedLeasesAndWaitsAreFoundByIndex) {
  const std::string schema = "ds_plans_" + id_;
  observer_->Query("CREATE SCHEMA " + schema);
  OpenLockManager(UrlWithSchema(schema));  // installs the tables and functions there
  observer_->Query("SET search_path = " + schema);
  const std::string expiry = "(extract(epoch from clock_timestamp()) * 1000)::bigint + 600000";
  observer_->Query("INSERT INTO datashard_locks SELECT '" + prefix_ + "/r' || i, 'o' || i || '-" +
                   id_ + "', 1, " + expiry + ", i FROM generate_series(1, 2000) i");
  observer_->Query("INSERT INTO datashard_lock_waiters SELECT 'w' || i || '-" + id_ + "', '" +
                   prefix_ + "/r' || i || '/c', 1, i, " + expiry +
                   " FROM generate_series(1, 2000) i");
  observer_->Query("ANALYZE datashard_locks");
  observer_->Query("ANALYZE datashard_lock_waiters");
  observer_->Query("LOAD 'auto_explain'");
  observer_->Query("SET auto_explain.log_min_duration = 0");
  observer_->Query("SET auto_explain.log_nested_statements = on");
  observer_->Query("SET client_min_messages = log");
  const std::string blockers =
      observer_->Query("SELECT blockers FROM datashard_lock_grant_v3('" + prefix_ + "/r5', '" + a_ +
                       "', 1, 60000, false, 5000, '{" + prefix_ + "}')");
  EXPECT_EQ(blockers, "'o5-" + id_ + "' (exclusive on " + prefix_ + "/r5), 'w5-" + id_ +
                          "' (queued earlier for exclusive on " + prefix_ + "/r5/c)");
  EXPECT_EQ(observer_->Query("SELECT datashard_lock_release_v2('" + prefix_ + "/r7', 'o7-" + id_ +
                             "', 0)"),
            "t");
  observer_->Query("SET client_min_messages = notice");
  int locks_read = 0, waiters_read = 0;
  for (const std::string& m : observer_->messages()) {
    EXPECT_EQ(m.find("Seq Scan"), std::string::npos) << m;
    if (m.find("datashard_locks_path") != std::string::npos) {
      ++locks_read;
      EXPECT_EQ(m.find("Bitmap"), std::string::npos) << m;
    }
    if (m.find("datashard_lock_waiters_path") != std::string::npos) ++waiters_read;
  }
  EXPECT_GE(locks_read, 1);    // the grant's leases (the release deletes by key)
  EXPECT_GE(waiters_read, 2);  // the grant's waits and the release's wake-up check
  observer_->Query("SET search_path = public");
  observer_->Query("DROP SCHEMA " + schema + " CASCADE");
}

// The client hands a grant the resource's ancestors as a text[] parameter:
// segments spelled like array syntax (quotes, backslashes, braces, commas,
// spaces, NULL) still name their own ancestors, so a lease on one blocks
// its children and nothing else.
TEST_F(PostgresFunctionTest, AncestorsSpelledLikeArraySyntaxStillCover) {
  const std::string parent = prefix_ + "/a,\"b\\ {NULL}";
  const Lease held = locks_->Acquire(parent, a_, kX, kLong, milliseconds(0));
  EXPECT_FALSE(locks_->TryAcquire(parent + "/c, d", b_, kX, kLong).has_value());
  EXPECT_FALSE(locks_->TryAcquire(parent + "/NULL/\"", b_, kX, kLong).has_value());
  EXPECT_FALSE(locks_->TryAcquire(prefix_, b_, LockMode::kShared, kLong).has_value());
  for (const std::string& unrelated : {prefix_ + "/a", prefix_ + "/a,\"b\\ {NULL}x"}) {
    const auto other = locks_->TryAcquire(unrelated, b_, kX, kLong);
    ASSERT_TRUE(other.has_value()) << unrelated << " is not related to " << parent;
    locks_->Release(*other);
  }
  locks_->Release(held);
  const auto child = locks_->TryAcquire(parent + "/c, d", b_, kX, kLong);
  ASSERT_TRUE(child.has_value());
  locks_->Release(*child);
}

// A release with nobody waiting sends no NOTIFY (whose commit would
// serialise with every other notifying commit); one with a waiter on a
// related resource does. Notifications arrive in commit order, so once the
// second release's has arrived, the first one's would have too.
TEST_F(PostgresFunctionTest, ReleaseNotifiesOnlyWhenARelatedWaiterWaits) {
  Session listener(backend_->url());
  listener.Query("LISTEN datashard_locks");
  const std::string quiet = prefix_ + "/quiet", busy = prefix_ + "/busy";
  locks_->Release(locks_->Acquire(quiet, a_, kX, kLong, milliseconds(0)));

  const Lease held = locks_->Acquire(busy + "/x", a_, kX, kLong, milliseconds(0));
  std::unique_ptr<LockManager> other = backend_->Open();
  auto waiter =
      std::async(std::launch::async, [&] { return other->Acquire(busy, b_, kX, kLong, kLong); });
  while (observer_->Number("SELECT count(*) FROM datashard_lock_waiters WHERE owner = '" + b_ +
                           "'") == 0) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  locks_->Release(held);
  std::vector<std::string> seen;
  auto notified = [&](const std::string& r) {
    return std::find(seen.begin(), seen.end(), r) != seen.end();
  };
  for (int i = 0; i < 30000 && !notified(busy + "/x"); ++i) {
    std::this_thread::sleep_for(milliseconds(1));
    seen = listener.Notifications();
  }
  EXPECT_TRUE(notified(busy + "/x")) << "the release a waiter waits for sends a NOTIFY";
  EXPECT_FALSE(notified(quiet)) << "a release nobody waits for sends no NOTIFY";
  other->Release(waiter.get());
}

// Concurrent first users of a schema without lock tables all succeed, and
// tables an earlier version created (no path indexes, no functions), holding
// that version's leases, are completed in place and keep excluding.
TEST_F(PostgresFunctionTest, SchemaInstallsOnceAndUpgradesAnEarlierVersionInPlace) {
  const std::string fresh = "ds_fresh_" + id_, earlier = "ds_earlier_" + id_;
  observer_->Query("CREATE SCHEMA " + fresh);
  std::vector<std::future<bool>> opens;
  for (int i = 0; i < 4; ++i) {
    opens.push_back(std::async(std::launch::async, [&, i] {
      auto m = OpenLockManager(UrlWithSchema(fresh));
      return m->TryAcquire(prefix_ + "/r", a_ + std::to_string(i), kX, kLong).has_value();
    }));
  }
  int granted = 0;
  for (auto& o : opens) granted += o.get() ? 1 : 0;
  EXPECT_EQ(granted, 1);
  EXPECT_EQ(observer_->Number("SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON"
                              " n.oid = p.pronamespace WHERE n.nspname = '" +
                              fresh + "' AND proname LIKE 'datashard_lock_%'"),
            5);

  observer_->Query("CREATE SCHEMA " + earlier);
  observer_->Query("SET search_path = " + earlier);
  observer_->Query(
      "CREATE TABLE datashard_locks(resource text NOT NULL, owner text NOT NULL,"
      " mode int NOT NULL, expiry_ms bigint NOT NULL, token bigint NOT NULL,"
      " PRIMARY KEY(resource, owner));"
      "CREATE INDEX datashard_locks_owner ON datashard_locks(owner);"
      "CREATE TABLE datashard_lock_waiters(owner text NOT NULL, resource text NOT NULL,"
      " mode int NOT NULL, ticket bigint NOT NULL, expiry_ms bigint NOT NULL,"
      " PRIMARY KEY(owner, resource));"
      "CREATE SEQUENCE datashard_lock_fence; CREATE SEQUENCE datashard_lock_ticket;"
      "INSERT INTO datashard_locks VALUES ('" +
      prefix_ + "/old', 'old-" + id_ +
      "', 1, (extract(epoch from clock_timestamp()) * 1000)::bigint + 600000, 7)");
  observer_->Query("SET search_path = public");
  auto upgraded = OpenLockManager(UrlWithSchema(earlier));
  EXPECT_FALSE(upgraded->TryAcquire(prefix_ + "/old/child", b_, kX, kLong).has_value());
  const Lease lease = upgraded->Acquire(prefix_ + "/new", b_, kX, kLong, milliseconds(0));
  EXPECT_GT(lease.fencing_token, 0u);
  upgraded->Release(lease);
  observer_->Query("DROP SCHEMA " + fresh + " CASCADE");
  observer_->Query("DROP SCHEMA " + earlier + " CASCADE");
}

}  // namespace
}  // namespace datashard::lock_test
