// Throughput of the lock manager: acquire+release pairs per second from P
// processes (fork), each on its own resource, for a fixed time. Also the raw
// SQLite baseline of the same work: a pair of durable BEGIN IMMEDIATE
// transactions (insert a row, delete it) with the lock database's settings.
//
//   lock_bench lock URL PROCESSES SECONDS
//   lock_bench sqlite-raw PATH PROCESSES SECONDS
// Prints "pairs_per_second=N".
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "datashard/errors.h"
#include "datashard/lock_manager.h"

namespace {

using Clock = std::chrono::steady_clock;

void Exec(sqlite3* db, const char* sql) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    throw datashard::IOError(std::string("sqlite-raw: ") + sql + ": " + sqlite3_errmsg(db));
  }
}

// One process's loop; returns the number of pairs done before `end`.
int64_t RunLock(const std::string& url, int process, Clock::time_point end) {
  auto locks = datashard::OpenLockManager(url);
  const std::string resource = "bench/p" + std::to_string(process) + "-" + std::to_string(getpid());
  const std::string owner = "bench-" + std::to_string(getpid());
  int64_t pairs = 0;
  while (Clock::now() < end) {
    locks->Acquire(resource, owner, datashard::LockMode::kExclusive, std::chrono::seconds(30),
                   std::chrono::seconds(10));
    locks->Release(resource, owner);
    ++pairs;
  }
  return pairs;
}

int64_t RunSqliteRaw(const std::string& path, int process, Clock::time_point end) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) throw datashard::IOError("open " + path);
  sqlite3_busy_timeout(db, 10000);
  Exec(db, "PRAGMA journal_mode=WAL");
  Exec(db, "PRAGMA synchronous=FULL");
  const std::string key = "'p" + std::to_string(process) + "-" + std::to_string(getpid()) + "'";
  const std::string insert = "INSERT INTO raw VALUES(" + key + ", 'o')";
  const std::string remove = "DELETE FROM raw WHERE resource = " + key;
  int64_t pairs = 0;
  while (Clock::now() < end) {
    Exec(db, "BEGIN IMMEDIATE");
    Exec(db, insert.c_str());
    Exec(db, "COMMIT");
    Exec(db, "BEGIN IMMEDIATE");
    Exec(db, remove.c_str());
    Exec(db, "COMMIT");
    ++pairs;
  }
  sqlite3_close(db);
  return pairs;
}

int Main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: lock_bench lock|sqlite-raw URL|PATH PROCESSES SECONDS\n";
    return 2;
  }
  const std::string mode = argv[1], target = argv[2];
  const int processes = std::stoi(argv[3]);
  const double seconds = std::stod(argv[4]);
  if (mode == "sqlite-raw") {
    sqlite3* db = nullptr;
    sqlite3_open(target.c_str(), &db);
    sqlite3_busy_timeout(db, 10000);
    Exec(db, "PRAGMA journal_mode=WAL");
    Exec(db, "CREATE TABLE IF NOT EXISTS raw(resource TEXT PRIMARY KEY, owner TEXT)");
    sqlite3_close(db);
  } else if (mode == "lock") {
    datashard::OpenLockManager(target);  // creates the lock tables once
  } else {
    std::cerr << "lock_bench: unknown mode " << mode << "\n";
    return 2;
  }
  // Children start together, a moment after all are forked.
  const auto start = Clock::now() + std::chrono::milliseconds(300);
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::pair<pid_t, int>> children;
  for (int p = 0; p < processes; ++p) {
    int fds[2];
    if (pipe(fds) != 0) return 1;
    const pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      int64_t pairs = -1;
      try {
        std::this_thread::sleep_until(start);
        pairs = mode == "lock" ? RunLock(target, p, end) : RunSqliteRaw(target, p, end);
      } catch (const std::exception& e) {
        std::cerr << "lock_bench: " << e.what() << "\n";
      }
      const ssize_t written = write(fds[1], &pairs, sizeof pairs);
      _exit(written == sizeof pairs && pairs >= 0 ? 0 : 1);
    }
    close(fds[1]);
    children.emplace_back(pid, fds[0]);
  }
  int64_t total = 0;
  bool failed = false;
  for (auto [pid, fd] : children) {
    int64_t pairs = -1;
    if (read(fd, &pairs, sizeof pairs) != sizeof pairs || pairs < 0) failed = true;
    total += pairs;
    close(fd);
    int status = 0;
    waitpid(pid, &status, 0);
    failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
  }
  if (failed) return 1;
  std::printf("pairs_per_second=%.0f\n", static_cast<double>(total) / seconds);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "lock_bench: " << e.what() << "\n";
    return 1;
  }
}
