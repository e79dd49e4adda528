// The Redis lock scripts at the server's own cost (issue 18 item 3): an
// uncontended grant and a release run only the commands they need, counted
// by the server's command statistics on a server of this test alone.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <map>
#include <sstream>

#include "datashard/lock_manager.h"
#include "lock_test_backends.h"
#include "own_server.h"

namespace datashard::lock_test {
namespace {

constexpr LockMode kX = LockMode::kExclusive;

class RedisScriptTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start());
    const std::string url = server_.url();
    const int port = std::stoi(url.substr(url.rfind(':') + 1));
    ctx_ = redisConnect("127.0.0.1", port);
    ASSERT_TRUE(ctx_ != nullptr && ctx_->err == 0);
    locks_ = OpenLockManager(url);
  }
  void TearDown() override {
    if (ctx_ != nullptr) redisFree(ctx_);
  }

  /// Runs a command; its reply as text (integers in decimal).
  std::string Command(const std::string& command) {
    auto* r = static_cast<redisReply*>(redisCommand(ctx_, command.c_str()));
    if (r == nullptr) {
      ADD_FAILURE() << command << ": " << ctx_->errstr;
      return "";
    }
    std::string out = r->type == REDIS_REPLY_INTEGER ? std::to_string(r->integer)
                      : r->str != nullptr            ? std::string(r->str, r->len)
                                                     : "";
    freeReplyObject(r);
    return out;
  }

  /// Calls per command since the last CONFIG RESETSTAT, scripts' included.
  std::map<std::string, int> Calls() {
    std::map<std::string, int> calls;
    std::istringstream in(Command("INFO commandstats"));
    for (std::string line; std::getline(in, line);) {
      const size_t colon = line.find(':'), eq = line.find("calls="), comma = line.find(',');
      if (line.rfind("cmdstat_", 0) != 0 || eq == std::string::npos) continue;
      const std::string name = line.substr(8, colon - 8);
      if (name == "info" || name.rfind("config", 0) == 0) continue;  // the test's own
      calls[name] = std::stoi(line.substr(eq + 6, comma - eq - 6));
    }
    return calls;
  }

  OwnServer server_{"redis"};
  redisContext* ctx_ = nullptr;
  std::unique_ptr<LockManager> locks_;
};

TEST_F(RedisScriptTest, GrantAndReleaseRunOnlyTheCommandsTheyNeed) {
  // Loads the scripts and starts the fencing counter.
  locks_->Release(locks_->Acquire("t/warm", "o", kX, milliseconds(60000), milliseconds(0)));
  Command("CONFIG RESETSTAT");
  locks_->Release(locks_->Acquire("t/r", "o", kX, milliseconds(60000), milliseconds(0)));
  const std::map<std::string, int> expected{
      {"evalsha", 2},      // one script call each
      {"time", 2},         // the server clock, once each
      {"hgetall", 3},      // grant: holders of t and t/r, and the waits
      {"zrangebylex", 1},  // grant: holders below t/r
      {"set", 1},          // grant: the fencing counter, set to the clock (SET GET)
      {"hset", 1},         // grant: the lease
      {"zadd", 1},         // grant: t/r has holders
      {"sadd", 1},         // grant: the owner's leases
      {"pexpire", 1},      // grant: their TTL, one call on a new set
      {"hget", 1},         // release: the lease, compared
      {"hdel", 1},         // release: deleted
      {"srem", 1},         // release: from the owner's leases
      {"exists", 1},       // release: any holder of t/r left?
      {"zrem", 1},         // release: none, so t/r leaves the index
  };
  EXPECT_EQ(Calls(), expected);
}

// The owner's set of leases lives as long as its longest lease: a shorter
// grant leaves its TTL, a longer one extends it.
TEST_F(RedisScriptTest, OwnerSetLivesAsLongAsTheLongestLease) {
  locks_->Acquire("t/long", "o", kX, milliseconds(60000), milliseconds(0));
  EXPECT_GT(std::stoll(Command("PTTL datashard:lock:o:o")), 50000);
  locks_->Acquire("t/short", "o", kX, milliseconds(1000), milliseconds(0));
  EXPECT_GT(std::stoll(Command("PTTL datashard:lock:o:o")), 50000);
  locks_->Acquire("t/longer", "o", kX, milliseconds(120000), milliseconds(0));
  EXPECT_GT(std::stoll(Command("PTTL datashard:lock:o:o")), 110000);
  EXPECT_EQ(locks_->ReleaseAll("o"), 3u);
}

}  // namespace
}  // namespace datashard::lock_test
