#include "lock/redis_lock_backend.h"

#include <hiredis/hiredis.h>

#include <array>
#include <mutex>
#include <thread>

#include "datashard/errors.h"
#include "lock/lock_rules.h"

namespace datashard::lock {
namespace {

using std::chrono::milliseconds;

// The scripts are built from the pieces below, each carrying only the helpers
// it uses: every definition runs again on every call (a closure each), which
// cost a short script about a tenth of its time. Numbers leave Lua as strings
// formatted with %d (a 64-bit integer in the server's Lua, exact below 2^53):
// Lua's tostring would round tokens above 1e14, and %.0f costs more.
constexpr const char* kPrefix = R"lua(
local P = 'datashard:lock:'
)lua";

constexpr const char* kClock = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
)lua";

constexpr const char* kNum = R"lua(
local function num(x) return string.format('%d', x) end
)lua";

constexpr const char* kUnindex = R"lua(
local function unindex(r)
  if redis.call('EXISTS', P .. 'h:' .. r) == 0 then redis.call('ZREM', P .. 'index', r) end
end
)lua";

// Live holders of r as {owner, mode, expiry, token}; drops expired ones,
// and r from the index when none is left or when r came from the index
// (indexed) yet has no holders. A holder is "mode expiry token".
constexpr const char* kHolders = R"lua(
local function holders(r, indexed)
  local key = P .. 'h:' .. r
  local h = redis.call('HGETALL', key)
  local out = {}
  for i = 1, #h, 2 do
    local mode, expiry, token = string.match(h[i + 1], '(%S+) (%S+) (%S+)')
    if tonumber(expiry) <= now then
      redis.call('HDEL', key, h[i])
    else
      out[#out + 1] = {h[i], tonumber(mode), expiry, token}
    end
  end
  if #out == 0 and (#h > 0 or indexed) then redis.call('ZREM', P .. 'index', r) end
  return out
end
)lua";

// Live waits as {owner, resource, mode, ticket, field}; drops stale ones. A
// wait is "mode ticket expiry" under the field "owner\nresource".
constexpr const char* kWaiters = R"lua(
local function waiters()
  local w = redis.call('HGETALL', P .. 'waiters')
  local out = {}
  for i = 1, #w, 2 do
    local mode, ticket, expiry = string.match(w[i + 1], '(%S+) (%S+) (%S+)')
    if tonumber(expiry) <= now then
      redis.call('HDEL', P .. 'waiters', w[i])
    else
      local sep = string.find(w[i], '\n', 1, true)
      out[#out + 1] = {string.sub(w[i], 1, sep - 1), string.sub(w[i], sep + 1), tonumber(mode),
                       tonumber(ticket), w[i]}
    end
  end
  return out
end
)lua";

// Makes key live at least ttl ms longer: one call on a key without a TTL
// (a new owner set); servers before Redis 7 lack NX/GT and take PTTL first.
constexpr const char* kExtend = R"lua(
local function extend(key, ttl)
  local set = redis.pcall('PEXPIRE', key, ttl, 'NX')
  if type(set) == 'table' then
    if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
  elseif set == 0 then
    redis.call('PEXPIRE', key, ttl, 'GT')
  end
end
)lua";

// ARGV: resource, owner, mode (0 shared, 1 exclusive), ttl ms, waiting (0/1),
// waiter ttl ms, ancestors... Returns {1, token, expiry} or {0, blockers,
// next in line (1 when no earlier waiter blocks it)}.
constexpr const char* kGrant = R"lua(
local now_us = tonumber(t[1]) * 1000000 + tonumber(t[2])
local res, owner, mode, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local blockers = {}
local holds_related = false
local next_in_line = 1
local function modename(m) if m == 1 then return 'exclusive' end return 'shared' end
local function below(c, p)
  return #c > #p and string.sub(c, 1, #p) == p and string.sub(c, #p + 1, #p + 1) == '/'
end
local function check(r, indexed)
  for _, h in ipairs(holders(r, indexed)) do
    if h[1] == owner then
      holds_related = true
    elseif h[2] == 1 or mode == 1 then
      blockers[#blockers + 1] = "'" .. h[1] .. "' (" .. modename(h[2]) .. ' on ' .. r .. ')'
    end
  end
end
for i = 7, #ARGV do check(ARGV[i], false) end
check(res, false)
for _, r in ipairs(redis.call('ZRANGEBYLEX', P .. 'index', '[' .. res .. '/', '(' .. res .. '0')) do
  check(r, true)
end
local field = owner .. '\n' .. res
local my_ticket = nil
local queue = waiters()
for _, w in ipairs(queue) do
  if w[5] == field then my_ticket = w[4] end
end
if not holds_related then
  for _, w in ipairs(queue) do
    if w[1] ~= owner and (w[2] == res or below(w[2], res) or below(res, w[2])) and
        (w[3] == 1 or mode == 1) and (my_ticket == nil or w[4] < my_ticket) then
      next_in_line = 0
      blockers[#blockers + 1] = "'" .. w[1] .. "' (queued earlier for " .. modename(w[3]) ..
          ' on ' .. w[2] .. ')'
    end
  end
end
if #blockers == 0 then
  -- Tokens stay above the clock (in microseconds), so they keep increasing
  -- even after the server lost the counter: one call sets the counter to the
  -- clock, a second raises it past a counter that ran ahead. Servers before
  -- Redis 6.2 lack SET GET and take INCR first.
  local fence = P .. 'fence'
  local token = now_us
  local last = redis.pcall('SET', fence, num(now_us), 'GET')
  if type(last) == 'table' then
    token = redis.call('INCR', fence)
    if token < now_us then
      token = now_us
      redis.call('SET', fence, num(token))
    end
  elseif last and tonumber(last) >= now_us then
    token = tonumber(last) + 1
    redis.call('SET', fence, num(token))
  end
  token = num(token)
  local expiry = num(now + ttl)
  redis.call('HSET', P .. 'h:' .. res, owner, mode .. ' ' .. expiry .. ' ' .. token)
  redis.call('ZADD', P .. 'index', 0, res)
  local owned = P .. 'o:' .. owner
  redis.call('SADD', owned, res)
  extend(owned, ttl)
  if my_ticket ~= nil then redis.call('HDEL', P .. 'waiters', field) end
  return {1, token, expiry}
end
if ARGV[5] == '1' then
  if my_ticket == nil then my_ticket = redis.call('INCR', P .. 'ticket') end
  redis.call('HSET', P .. 'waiters', field,
             mode .. ' ' .. num(my_ticket) .. ' ' .. num(now + tonumber(ARGV[6])))
end
return {0, table.concat(blockers, ', '), next_in_line}
)lua";

// ARGV: resource, owner, ttl ms, token ('0': whichever lease the owner
// holds). Returns {1, mode, expiry, token} or {0}; never touches another grant.
constexpr const char* kRenew = R"lua(
local key = P .. 'h:' .. ARGV[1]
local v = redis.call('HGET', key, ARGV[2])
if not v then return {0} end
local mode, expiry, token = string.match(v, '(%S+) (%S+) (%S+)')
if ARGV[4] ~= '0' and token ~= ARGV[4] then return {0} end
if tonumber(expiry) <= now then
  redis.call('HDEL', key, ARGV[2])
  unindex(ARGV[1])
  return {0}
end
expiry = num(now + tonumber(ARGV[3]))
redis.call('HSET', key, ARGV[2], mode .. ' ' .. expiry .. ' ' .. token)
extend(P .. 'o:' .. ARGV[2], tonumber(ARGV[3]))
return {1, mode, expiry, token}
)lua";

// Compare-and-delete. ARGV: resource, owner, token ('0': whichever).
// Returns 1 if the lease was live.
constexpr const char* kRelease = R"lua(
local key = P .. 'h:' .. ARGV[1]
local v = redis.call('HGET', key, ARGV[2])
if not v then return 0 end
local expiry, token = string.match(v, '%S+ (%S+) (%S+)')
if ARGV[3] ~= '0' and token ~= ARGV[3] then return 0 end
redis.call('HDEL', key, ARGV[2])
redis.call('SREM', P .. 'o:' .. ARGV[2], ARGV[1])
unindex(ARGV[1])
if tonumber(expiry) <= now then return 0 end
return 1
)lua";

// ARGV: owner. Returns the number of live leases released.
constexpr const char* kReleaseAll = R"lua(
local owned = P .. 'o:' .. ARGV[1]
local released = 0
for _, r in ipairs(redis.call('SMEMBERS', owned)) do
  local key = P .. 'h:' .. r
  local v = redis.call('HGET', key, ARGV[1])
  if v then
    redis.call('HDEL', key, ARGV[1])
    unindex(r)
    if tonumber(string.match(v, '%S+ (%S+)')) > now then released = released + 1 end
  end
end
redis.call('DEL', owned)
for _, w in ipairs(waiters()) do
  if w[1] == ARGV[1] then redis.call('HDEL', P .. 'waiters', w[5]) end
end
return released
)lua";

// ARGV: owner, resource.
constexpr const char* kWithdraw = R"lua(
redis.call('HDEL', P .. 'waiters', ARGV[1] .. '\n' .. ARGV[2])
return 0
)lua";

// Returns {leases: r, o, mode, expiry, token ...; waiters: o, r, mode, ticket ...}.
constexpr const char* kSnapshot = R"lua(
local leases, queue = {}, {}
for _, r in ipairs(redis.call('ZRANGE', P .. 'index', 0, -1)) do
  for _, h in ipairs(holders(r, true)) do
    for _, x in ipairs({r, h[1], tostring(h[2]), h[3], h[4]}) do leases[#leases + 1] = x end
  end
end
for _, w in ipairs(waiters()) do
  for _, x in ipairs({w[1], w[2], tostring(w[3]), num(w[4])}) do queue[#queue + 1] = x end
end
return {leases, queue}
)lua";

enum ScriptId {
  kGrantId,
  kRenewId,
  kReleaseId,
  kReleaseAllId,
  kWithdrawId,
  kSnapshotId,
  kScriptCount
};

// The source of a script: its pieces in order.
const std::string& ScriptText(ScriptId id) {
  static const std::array<std::string, kScriptCount> kTexts = {
      std::string(kPrefix) + kClock + kNum + kHolders + kWaiters + kExtend + kGrant,
      std::string(kPrefix) + kClock + kNum + kUnindex + kExtend + kRenew,
      std::string(kPrefix) + kClock + kUnindex + kRelease,
      std::string(kPrefix) + kClock + kUnindex + kWaiters + kReleaseAll,
      std::string(kPrefix) + kWithdraw,
      std::string(kPrefix) + kClock + kNum + kHolders + kWaiters + kSnapshot,
  };
  return kTexts[id];
}

std::chrono::system_clock::time_point FromMs(int64_t ms) {
  return std::chrono::system_clock::time_point(milliseconds(ms));
}

class Reply {
 public:
  explicit Reply(redisReply* r) : r_(r) {}
  ~Reply() { freeReplyObject(r_); }
  Reply(const Reply&) = delete;
  Reply& operator=(const Reply&) = delete;
  const redisReply* get() const { return r_; }

 private:
  redisReply* r_;
};

std::string Str(const redisReply* r) {
  if (r->type == REDIS_REPLY_INTEGER) return std::to_string(r->integer);
  return std::string(r->str, r->len);
}
int64_t Int(const redisReply* r) {
  return r->type == REDIS_REPLY_INTEGER ? r->integer : std::stoll(Str(r));
}

class RedisLockBackend : public LockBackend {
 public:
  explicit RedisLockBackend(std::string url) : url_(std::move(url)) {
    std::string rest = url_.substr(std::string("redis://").size());
    const size_t slash = rest.find('/');
    if (slash != std::string::npos) {
      const std::string db = rest.substr(slash + 1);
      if (db.empty() || db.find_first_not_of("0123456789") != std::string::npos) {
        throw InvalidArgument("redis lock URL '" + url_ + "': database must be a number");
      }
      db_ = db;
      rest = rest.substr(0, slash);
    }
    const size_t colon = rest.rfind(':');
    host_ = rest.substr(0, colon);
    const std::string port = colon == std::string::npos ? "6379" : rest.substr(colon + 1);
    if (host_.empty() || port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string::npos) {
      throw InvalidArgument("redis lock URL '" + url_ + "' is not redis://host:port[/db]");
    }
    port_ = std::stoi(port);
    std::lock_guard<std::mutex> lock(mu_);
    Connect();
  }
  ~RedisLockBackend() override {
    if (ctx_ != nullptr) redisFree(ctx_);
  }

  GrantResult TryGrant(const GrantRequest& request) override {
    std::vector<std::string> args{request.resource,
                                  request.owner,
                                  std::to_string(static_cast<int>(request.mode)),
                                  std::to_string(request.ttl.count()),
                                  request.waiting ? "1" : "0",
                                  std::to_string(kWaiterTtl.count())};
    for (std::string& a : Ancestors(request.resource)) args.push_back(std::move(a));
    std::lock_guard<std::mutex> lock(mu_);
    Reply r = Eval(kGrantId, args);
    const redisReply* v = r.get();
    GrantResult result;
    if (Int(v->element[0]) == 1) {
      result.lease = Lease{request.resource, request.owner, request.mode,
                           FromMs(Int(v->element[2])), static_cast<uint64_t>(Int(v->element[1]))};
    } else {
      result.blockers = Str(v->element[1]);
      result.next_in_line = Int(v->element[2]) == 1;
    }
    return result;
  }

  void Withdraw(const std::string& owner, const std::string& resource) override {
    std::lock_guard<std::mutex> lock(mu_);
    Eval(kWithdrawId, {owner, resource});
  }

  Lease Renew(const std::string& resource, const std::string& owner, uint64_t token,
              milliseconds ttl) override {
    std::lock_guard<std::mutex> lock(mu_);
    Reply r = Eval(kRenewId, {resource, owner, std::to_string(ttl.count()), std::to_string(token)});
    const redisReply* v = r.get();
    if (Int(v->element[0]) == 0) throw LockExpired(NotHeld(resource, owner, token, "renew"));
    return Lease{resource, owner, static_cast<LockMode>(Int(v->element[1])),
                 FromMs(Int(v->element[2])), static_cast<uint64_t>(Int(v->element[3]))};
  }

  void Release(const std::string& resource, const std::string& owner, uint64_t token) override {
    std::lock_guard<std::mutex> lock(mu_);
    Reply r = Eval(kReleaseId, {resource, owner, std::to_string(token)});
    if (Int(r.get()) == 0) throw LockExpired(NotHeld(resource, owner, token, "release"));
  }

  size_t ReleaseAll(const std::string& owner) override {
    std::lock_guard<std::mutex> lock(mu_);
    Reply r = Eval(kReleaseAllId, {owner});
    return static_cast<size_t>(Int(r.get()));
  }

  LockSnapshot Snapshot() override {
    std::lock_guard<std::mutex> lock(mu_);
    Reply r = Eval(kSnapshotId, {});
    const redisReply* leases = r.get()->element[0];
    const redisReply* queue = r.get()->element[1];
    LockSnapshot s;
    for (size_t i = 0; i + 4 < leases->elements; i += 5) {
      s.leases.push_back(Lease{Str(leases->element[i]), Str(leases->element[i + 1]),
                               static_cast<LockMode>(Int(leases->element[i + 2])),
                               FromMs(Int(leases->element[i + 3])),
                               static_cast<uint64_t>(Int(leases->element[i + 4]))});
    }
    for (size_t i = 0; i + 3 < queue->elements; i += 4) {
      s.waiters.push_back(Waiter{Str(queue->element[i]), Str(queue->element[i + 1]),
                                 static_cast<LockMode>(Int(queue->element[i + 2])),
                                 Int(queue->element[i + 3])});
    }
    return s;
  }

  void WaitForChange(milliseconds timeout) override { std::this_thread::sleep_for(timeout); }

  std::string url() const override { return url_; }

 private:
  void Connect() {
    if (ctx_ != nullptr && ctx_->err == 0) return;
    if (ctx_ != nullptr) redisFree(ctx_);
    ctx_ = redisConnectWithTimeout(host_.c_str(), port_, timeval{2, 0});
    if (ctx_ == nullptr || ctx_->err != 0) {
      const std::string msg = ctx_ ? ctx_->errstr : "out of memory";
      if (ctx_ != nullptr) redisFree(ctx_);
      ctx_ = nullptr;
      throw Unavailable("lock server " + url_ + " cannot be reached: " + msg);
    }
    redisSetTimeout(ctx_, timeval{5, 0});
    try {
      if (!db_.empty()) Reply selected(Command({"SELECT", db_}));
      for (int i = 0; i < kScriptCount; ++i) {
        Reply r(Command({"SCRIPT", "LOAD", ScriptText(static_cast<ScriptId>(i))}));
        shas_[i] = Str(r.get());
      }
    } catch (...) {
      redisFree(ctx_);
      ctx_ = nullptr;
      throw;
    }
  }

  // Sends one command; Unavailable if the connection fails, IOError for an
  // error reply. The caller owns the reply.
  redisReply* Command(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const std::string& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()));
    if (r == nullptr) {
      const std::string msg = ctx_->errstr;
      redisFree(ctx_);
      ctx_ = nullptr;
      throw Unavailable("lock server " + url_ + " lost during " + args[0] + ": " + msg);
    }
    if (r->type == REDIS_REPLY_ERROR) {
      const std::string msg(r->str, r->len);
      freeReplyObject(r);
      if (msg.rfind("NOSCRIPT", 0) == 0) throw NoScript();
      if (msg.rfind("LOADING", 0) == 0 || msg.rfind("BUSY", 0) == 0) {
        throw Unavailable("lock server " + url_ + " is not ready: " + msg);
      }
      throw IOError("lock server " + url_ + " refused " + args[0] + ": " + msg);
    }
    return r;
  }

  struct NoScript {};

  Reply Eval(ScriptId id, const std::vector<std::string>& script_args) {
    Connect();
    std::vector<std::string> args{"EVALSHA", shas_[id], "0"};
    args.insert(args.end(), script_args.begin(), script_args.end());
    try {
      return Reply(Command(args));
    } catch (const NoScript&) {
      // The server lost its script cache (restart, SCRIPT FLUSH): send the body.
      args[0] = "EVAL";
      args[1] = ScriptText(id);
      return Reply(Command(args));
    }
  }

  std::string NotHeld(const std::string& resource, const std::string& owner, uint64_t token,
                      const char* op) const {
    return "cannot " + std::string(op) + " lock on '" + resource + "' for owner '" + owner +
           "' in " + url_ + ": the owner holds no live lease " +
           (token == 0 ? std::string("on it") : "with fencing token " + std::to_string(token)) +
           " (expired, released, taken again since, or never acquired)";
  }

  const std::string url_;
  std::string host_;
  int port_ = 6379;
  std::string db_;
  std::mutex mu_;
  redisContext* ctx_ = nullptr;
  std::string shas_[kScriptCount];
};

}  // namespace

std::unique_ptr<LockBackend> OpenRedisLockBackend(const std::string& url) {
  return std::make_unique<RedisLockBackend>(url);
}

}  // namespace datashard::lock
