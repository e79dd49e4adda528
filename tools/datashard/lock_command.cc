// `datashard lock acquire|release|release-all|list` (DESIGN.md §11): the lock
// manager from the shell, e.g. for scripts guarding a business transaction.
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "datashard/errors.h"
#include "datashard/file_io.h"
#include "datashard/lock_manager.h"

namespace datashard::cli {
namespace {

// The default lock database (DESIGN.md §11): one per user, the same from
// every folder.
constexpr const char* kDefaultRule =
    "$DATASHARD_LOCKS, else sqlite:$XDG_STATE_HOME/datashard/locks.db, else "
    "sqlite:~/.local/state/datashard/locks.db";

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

// The default backend: its URL ("" when neither DATASHARD_LOCKS, an
// absolute XDG_STATE_HOME nor HOME is set) and the folder to create for it.
struct DefaultLocks {
  std::string url;
  std::string folder;
};

DefaultLocks DefaultBackend() {
  if (std::string url = Env("DATASHARD_LOCKS"); !url.empty()) return {url, ""};
  std::string folder;
  if (std::string state = Env("XDG_STATE_HOME"); !state.empty() && state[0] == '/') {
    folder = state + "/datashard";
  } else if (std::string home = Env("HOME"); !home.empty()) {
    folder = home + "/.local/state/datashard";
  } else {
    return {};
  }
  return {"sqlite:" + folder + "/locks.db", folder};
}

}  // namespace

std::unique_ptr<LockManager> OpenLockBackend(const std::string& given) {
  if (!given.empty()) return OpenLockManager(given);
  const DefaultLocks locks = DefaultBackend();
  if (locks.url.empty()) {
    throw InvalidArgument(
        "no lock backend: pass --backend URL or set DATASHARD_LOCKS (or HOME) for the default " +
        std::string(kDefaultRule));
  }
  if (!locks.folder.empty()) DefaultFileIO()->CreateDirs(locks.folder);
  return OpenLockManager(locks.url);
}

namespace {

struct LockArgs {
  std::string resource;
  std::string owner;
  std::string backend;  // "": the default
  std::string ttl = "60s";
  std::string wait = "0s";
  bool shared = false;
  bool json = false;
};

int64_t EpochMs(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// ISO-8601 UTC with milliseconds: 2024-01-31T12:00:00.123Z.
std::string IsoTime(std::chrono::system_clock::time_point t) {
  const int64_t ms = EpochMs(t);
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
  return out;
}

void AddBackendOption(CLI::App* cmd, LockArgs& args) {
  const std::string now = DefaultBackend().url;
  cmd->add_option("--backend", args.backend,
                  "sqlite:PATH | postgresql://... | redis://host:port (default: " +
                      std::string(kDefaultRule) + "; here: " + (now.empty() ? "none" : now) + ")");
}

nlohmann::json LeaseJson(const Lease& l) {
  return {{"resource", l.resource},         {"owner", l.owner},
          {"mode", LockModeName(l.mode)},   {"fencing_token", l.fencing_token},
          {"expiry_ms", EpochMs(l.expiry)}, {"expires", IsoTime(l.expiry)}};
}

// Names are validated UTF-8; a database written by an older version may
// hold other bytes: shown as U+FFFD rather than failing.
std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

void AddLockCommands(CLI::App& app) {
  auto args = std::make_shared<LockArgs>();
  CLI::App* lock = app.add_subcommand("lock", "Pessimistic offline locks with leases and fencing");
  lock->require_subcommand(1);

  CLI::App* acquire = lock->add_subcommand("acquire",
                                           "Take a lock; prints the lease and its fencing token "
                                           "(exit 4 when not acquired)");
  acquire->add_option("RESOURCE", args->resource, "'/'-separated path, e.g. flight/123")
      ->required();
  acquire->add_option("--owner", args->owner, "Owner id")->required();
  acquire->add_flag("--shared", args->shared, "Shared (read) lock instead of exclusive");
  acquire->add_option("--ttl", args->ttl, "Lease DURATION: number + ms|s|m|h (default 60s)");
  acquire->add_option("--wait", args->wait, "Wait up to DURATION for the lock (default 0s)");
  acquire->add_flag("--json", args->json,
                    "Print the lease as JSON: {resource, owner, mode, fencing_token, expiry_ms, "
                    "expires}");
  AddBackendOption(acquire, *args);
  acquire->callback([args] {
    const auto ttl = ParseLockDuration(args->ttl);
    const auto wait = ParseLockDuration(args->wait);
    auto locks = OpenLockBackend(args->backend);
    const Lease lease =
        locks->Acquire(args->resource, args->owner,
                       args->shared ? LockMode::kShared : LockMode::kExclusive, ttl, wait);
    if (args->json) {
      std::cout << Dump(LeaseJson(lease)) << "\n";
      return;
    }
    std::cout << "resource=" << lease.resource << " owner=" << lease.owner
              << " mode=" << LockModeName(lease.mode) << " fencing_token=" << lease.fencing_token
              << " expires=" << IsoTime(lease.expiry) << "\n";
  });

  CLI::App* release = lock->add_subcommand("release", "Release the owner's lock on RESOURCE");
  release->add_option("RESOURCE", args->resource, "Locked resource")->required();
  release->add_option("--owner", args->owner, "Owner id")->required();
  AddBackendOption(release, *args);
  release->callback(
      [args] { OpenLockBackend(args->backend)->Release(args->resource, args->owner); });

  CLI::App* release_all =
      lock->add_subcommand("release-all", "Release every lock of an owner; prints how many");
  release_all->add_option("--owner", args->owner, "Owner id")->required();
  AddBackendOption(release_all, *args);
  release_all->callback(
      [args] { std::cout << OpenLockBackend(args->backend)->ReleaseAll(args->owner) << "\n"; });

  CLI::App* list = lock->add_subcommand("list", "List live leases");
  list->add_flag("--json", args->json,
                 "JSON array of {resource, owner, mode, fencing_token, expiry_ms, expires}");
  AddBackendOption(list, *args);
  list->callback([args] {
    const std::vector<Lease> leases = OpenLockBackend(args->backend)->List();
    if (args->json) {
      nlohmann::json out = nlohmann::json::array();
      for (const Lease& l : leases) out.push_back(LeaseJson(l));
      std::cout << Dump(out) << "\n";
      return;
    }
    for (const Lease& l : leases) {
      std::cout << l.resource << "\t" << l.owner << "\t" << LockModeName(l.mode) << "\t"
                << l.fencing_token << "\t" << IsoTime(l.expiry) << "\n";
    }
  });
}

}  // namespace datashard::cli
