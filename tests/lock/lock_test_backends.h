// What the lock tests need to know about each backend: how to open a fresh
// lock manager and how to let time pass. SQLite runs on a test clock (real
// time plus an offset the test can advance); PostgreSQL and Redis use server
// time, so their expiry tests use short leases and real waiting. Server URLs
// come from DATASHARD_TEST_POSTGRES_URL / DATASHARD_TEST_REDIS_URL, which
// scripts/services.sh exports; an unset variable fails the test.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include "datashard/lock_manager.h"
#include "io/temp_dir.h"

namespace datashard::lock_test {

using std::chrono::milliseconds;

/// A random token for unique resource prefixes, owners and file names.
inline std::string UniqueId() {
  static std::mt19937_64 rng{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

/// The URL of the server a backend's tests use; "" with a test failure when unset.
inline std::string ServerUrl(const std::string& backend) {
  const char* var =
      backend == "postgres" ? "DATASHARD_TEST_POSTGRES_URL" : "DATASHARD_TEST_REDIS_URL";
  const char* value = std::getenv(var);
  if (value == nullptr || *value == '\0') {
    ADD_FAILURE() << var << " is not set: run `source scripts/services.sh && "
                  << "datashard_services_start` (scripts/test.sh does) before the lock tests";
    return "";
  }
  return value;
}

class TestBackend {
 public:
  /// backend: "sqlite", "postgres" or "redis".
  explicit TestBackend(std::string backend) : backend_(std::move(backend)) {
    if (backend_ == "sqlite") {
      dir_ = std::make_unique<TempDir>("datashard-lock");
      url_ = "sqlite:" + dir_->Join("locks.db");
    } else {
      url_ = ServerUrl(backend_);
    }
  }
  bool ok() const { return !url_.empty(); }
  const std::string& url() const { return url_; }
  bool has_test_clock() const { return backend_ == "sqlite"; }

  std::unique_ptr<LockManager> Open() {
    LockOptions options;
    options.max_poll_interval = milliseconds(20);
    options.monotonic_clock = [offset = monotonic_offset_] {
      return std::chrono::steady_clock::now() + milliseconds(offset->load());
    };
    if (has_test_clock()) {
      options.clock = [offset = offset_] {
        return std::chrono::system_clock::now() + milliseconds(offset->load());
      };
    }
    return OpenLockManager(url_, options);
  }

  /// A lease short enough to wait out (instant on the test clock), long
  /// enough that a loaded machine does not expire it between two calls.
  milliseconds short_ttl() const {
    return has_test_clock() ? milliseconds(10000) : milliseconds(1000);
  }

  /// Advances the client's monotonic clock (lease deadlines) by `d`; the
  /// server's lease expiry is untouched.
  void PassMonotonic(milliseconds d) { monotonic_offset_->fetch_add(d.count()); }

  /// Lets `d` pass for lease expiry: advances the test clock, else sleeps.
  void Pass(milliseconds d) {
    if (has_test_clock()) {
      offset_->fetch_add(d.count());
    } else {
      std::this_thread::sleep_for(d);
    }
  }

 private:
  std::string backend_;
  std::string url_;
  std::unique_ptr<TempDir> dir_;  // holds the SQLite file
  std::shared_ptr<std::atomic<int64_t>> offset_ = std::make_shared<std::atomic<int64_t>>(0);
  std::shared_ptr<std::atomic<int64_t>> monotonic_offset_ =
      std::make_shared<std::atomic<int64_t>>(0);
};

}  // namespace datashard::lock_test
