// A lock client process for the multi-process tests (lock_multiprocess_test,
// lock_fault_test). Each mode prints progress lines on stdout and exits 0 when
// what it did behaved as the contract says, 1 (with a message on stderr)
// otherwise.
//
//   counter URL RESOURCE OWNER FILE ITERATIONS [retry]
//     ITERATIONS times: take RESOURCE, read-modify-write the counter FILE
//     (fenced by the lease's token), release. Inside the critical section it
//     holds FILE.inside, created exclusively: two holders at once fail. With
//     "retry" (fault tests), prints "started" after the first round, retries
//     calls that fail with Unavailable (server restarting) and goes on past
//     ITERATIONS until it has seen the server go away (at most 100 times as
//     long). Prints "done ROUNDS UNAVAILABLE_ERRORS".
//   stale URL RESOURCE OWNER FILE TTL_MS
//     takes RESOURCE with a short lease, reads FILE, prints "acquired", waits
//     for a line on stdin (the test lets the lease expire and another holder
//     write meanwhile), then tries its write: prints "refused" when fencing
//     refuses it, "written" when it went through.
//   deadlock URL OWNER FIRST SECOND
//     takes FIRST, prints "held", waits for a line on stdin, then takes
//     SECOND (waiting up to 60s) and prints "granted" or "victim"; releases all.
//   hold URL RESOURCE OWNER TTL_MS
//     takes RESOURCE exclusively, prints the token, waits for a line on stdin,
//     then releases (prints "released" or the error kind).
#include <iostream>
#include <string>
#include <thread>

#include "datashard/errors.h"
#include "datashard/fencing.h"
#include "datashard/file_io.h"
#include "datashard/lock_manager.h"
#include "lock_counter_file.h"

namespace datashard::lock_test {
namespace {

using std::chrono::milliseconds;

void WaitForLine() {
  std::string line;
  std::getline(std::cin, line);
}

// Runs `fn`, retrying while the server is unavailable when `retry` is set.
template <typename Fn>
auto Retrying(bool retry, int& unavailable, Fn&& fn) {
  for (int attempt = 0;; ++attempt) {
    try {
      return fn();
    } catch (const Unavailable&) {
      ++unavailable;
      if (!retry || attempt >= 600) throw;
      std::this_thread::sleep_for(milliseconds(50));
    }
  }
}

int Counter(LockManager& locks, const std::string& resource, const std::string& owner,
            const std::string& file, int iterations, bool retry) {
  auto io = NewPosixFileIO();
  int unavailable = 0;
  int rounds = 0;
  for (; rounds < iterations || (retry && unavailable == 0 && rounds < 100 * iterations);
       ++rounds) {
    const Lease lease = Retrying(retry, unavailable, [&] {
      return locks.Acquire(resource, owner, LockMode::kExclusive, milliseconds(30000),
                           milliseconds(60000));
    });
    // Exclusive creation fails if another process is inside right now.
    io->WriteFile(file + ".inside", owner, /*sync=*/false);
    const CounterFile state = ReadCounterFile(*io, file);
    FencedAppend(*io, file, state, lease.fencing_token, owner);
    io->Delete(file + ".inside");
    const int before = unavailable;
    try {
      Retrying(retry, unavailable, [&] {
        locks.Release(resource, owner);
        return 0;
      });
    } catch (const LockExpired&) {
      // A release whose reply was lost to a restart has happened already.
      if (unavailable == before) throw;
    }
    if (retry && rounds == 0) std::cout << "started" << std::endl;
  }
  std::cout << "done " << rounds << " " << unavailable << std::endl;
  return 0;
}

int Stale(LockManager& locks, const std::string& resource, const std::string& owner,
          const std::string& file, milliseconds ttl) {
  auto io = NewPosixFileIO();
  const Lease lease = locks.Acquire(resource, owner, LockMode::kExclusive, ttl, milliseconds(0));
  const CounterFile state = ReadCounterFile(*io, file);
  std::cout << "acquired " << lease.fencing_token << std::endl;
  WaitForLine();
  try {
    FencedAppend(*io, file, state, lease.fencing_token, owner);
  } catch (const StaleFencingToken& e) {
    std::cout << "refused" << std::endl;
    return 0;
  }
  std::cout << "written" << std::endl;
  return 1;
}

int Deadlock(LockManager& locks, const std::string& owner, const std::string& first,
             const std::string& second) {
  locks.Acquire(first, owner, LockMode::kExclusive, milliseconds(60000), milliseconds(0));
  std::cout << "held" << std::endl;
  WaitForLine();
  try {
    locks.Acquire(second, owner, LockMode::kExclusive, milliseconds(60000), milliseconds(60000));
    std::cout << "granted" << std::endl;
  } catch (const DeadlockDetected&) {
    std::cout << "victim" << std::endl;
  }
  locks.ReleaseAll(owner);
  return 0;
}

int Hold(LockManager& locks, const std::string& resource, const std::string& owner,
         milliseconds ttl) {
  const Lease lease = locks.Acquire(resource, owner, LockMode::kExclusive, ttl, milliseconds(0));
  std::cout << "token " << lease.fencing_token << std::endl;
  WaitForLine();
  try {
    locks.Release(resource, owner);
    std::cout << "released" << std::endl;
  } catch (const Error& e) {
    std::cout << ErrorCodeName(e.code()) << std::endl;
  }
  return 0;
}

int Main(int argc, char** argv) {
  const std::vector<std::string> a(argv + 1, argv + argc);
  auto need = [&](size_t n) {
    if (a.size() != n)
      throw InvalidArgument("lock_worker " + (a.empty() ? "" : a[0]) +
                            ": wrong number of arguments");
  };
  if (a.empty()) need(1);
  std::unique_ptr<LockManager> locks;
  for (int attempt = 0; !locks; ++attempt) {
    try {
      locks = OpenLockManager(a.at(1));
    } catch (const Unavailable&) {
      // A server restarting under a fault test; the first call must not fail.
      if (attempt >= 600) throw;
      std::this_thread::sleep_for(milliseconds(50));
    }
  }
  if (a[0] == "counter") {
    if (a.size() != 7) need(6);
    return Counter(*locks, a[2], a[3], a[4], std::stoi(a[5]), a.size() == 7 && a[6] == "retry");
  }
  if (a[0] == "stale") {
    need(6);
    return Stale(*locks, a[2], a[3], a[4], milliseconds(std::stoll(a[5])));
  }
  if (a[0] == "deadlock") {
    need(5);
    return Deadlock(*locks, a[2], a[3], a[4]);
  }
  if (a[0] == "hold") {
    need(5);
    return Hold(*locks, a[2], a[3], milliseconds(std::stoll(a[4])));
  }
  throw InvalidArgument("lock_worker: unknown mode '" + a[0] + "'");
}

}  // namespace
}  // namespace datashard::lock_test

int main(int argc, char** argv) {
  try {
    return datashard::lock_test::Main(argc, argv);
  } catch (const datashard::Error& e) {
    std::cerr << "lock_worker: " << datashard::ErrorCodeName(e.code()) << ": " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "lock_worker: " << e.what() << "\n";
    return 1;
  }
}
