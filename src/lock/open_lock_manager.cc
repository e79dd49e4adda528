// OpenLockManager: picks the backend a URL names; lock mode names and the
// DURATION syntax of the CLI contract.
#include <cctype>

#include "datashard/errors.h"
#include "datashard/lock_manager.h"
#include "lock/lock_service.h"
#include "lock/postgres_lock_backend.h"
#include "lock/redis_lock_backend.h"
#include "lock/sqlite_lock_backend.h"
#include "sql/postgres_connection.h"

namespace datashard {

const char* LockModeName(LockMode mode) {
  return mode == LockMode::kShared ? "shared" : "exclusive";
}

std::chrono::milliseconds ParseLockDuration(const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  const std::string unit = text.substr(digits);
  int64_t scale = 0;
  if (unit == "ms") scale = 1;
  if (unit == "s") scale = 1000;
  if (unit == "m") scale = 60 * 1000;
  if (unit == "h") scale = 3600 * 1000;
  if (digits == 0 || digits > 12 || scale == 0) {
    throw InvalidArgument("duration '" + text +
                          "' is not a whole number followed by ms, s, m or h (e.g. 500ms, 30s)");
  }
  return std::chrono::milliseconds(std::stoll(text.substr(0, digits)) * scale);
}

std::unique_ptr<LockManager> OpenLockManager(const std::string& url, const LockOptions& options) {
  lock::LockService::BackendFactory open;
  auto starts = [&](const char* prefix) { return url.rfind(prefix, 0) == 0; };
  if (starts("sqlite:")) {
    open = [path = url.substr(7), options] { return lock::OpenSqliteLockBackend(path, options); };
  } else if (starts("postgresql://") || starts("postgres://")) {
    if (options.clock) {
      throw InvalidArgument("lock backend " + sql::RedactPassword(url) +
                            " uses server time; a clock cannot be set");
    }
    open = [url] { return lock::OpenPostgresLockBackend(url); };
  } else if (starts("redis://")) {
    if (options.clock) {
      throw InvalidArgument("lock backend " + url + " uses server time; a clock cannot be set");
    }
    open = [url] { return lock::OpenRedisLockBackend(url); };
  } else {
    throw InvalidArgument("lock backend URL '" + sql::RedactPassword(url) +
                          "' must start with sqlite:, postgresql:// or redis://");
  }
  return std::make_unique<lock::LockService>(std::move(open), url, options);
}

}  // namespace datashard
