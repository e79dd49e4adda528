// The one exception hierarchy of datashard (DESIGN.md §8).
//
// Each kind tells the caller what to do next:
//   retry the whole transaction: CommitConflict, DeadlockDetected
//   retry the call later:        LockNotAcquired, Unavailable
//   fix something first:         InvalidArgument, SchemaMismatch, NotFound, AlreadyExists,
//                                LockExpired, StaleFencingToken, NotSupported
//   stop and inspect:            Corruption, IOError
//   refresh and check:           CommitStateUnknown (never retried blindly)
// Messages name the table, file and value at fault.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace datashard {

/// Stable code of each error kind; the CLI and Python map these, not class names.
enum class ErrorCode {
  kInvalidArgument,
  kSchemaMismatch,
  kNotFound,
  kAlreadyExists,
  kNotSupported,
  kCommitConflict,
  kCommitStateUnknown,
  kDeadlockDetected,
  kLockNotAcquired,
  kLockExpired,
  kStaleFencingToken,
  kUnavailable,
  kCorruption,
  kIOError,
};

/// Name of an error code, e.g. "CommitConflict".
const char* ErrorCodeName(ErrorCode code);

/// Base of every datashard exception.
class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

#define DATASHARD_DEFINE_ERROR(Name, Base)                               \
  class Name : public Base {                                            \
   public:                                                              \
    explicit Name(const std::string& message)                           \
        : Base(ErrorCode::k##Name, message) {}                          \
                                                                        \
   protected:                                                           \
    Name(ErrorCode code, const std::string& message) : Base(code, message) {} \
  };

/// Bad input from the caller; nothing was written.
DATASHARD_DEFINE_ERROR(InvalidArgument, Error)
/// Records or files do not match the table schema; nothing was written.
DATASHARD_DEFINE_ERROR(SchemaMismatch, InvalidArgument)
DATASHARD_DEFINE_ERROR(NotFound, Error)
DATASHARD_DEFINE_ERROR(AlreadyExists, Error)
/// A feature of the format or request that datashard does not support (yet).
DATASHARD_DEFINE_ERROR(NotSupported, Error)
/// The commit may or may not have happened: refresh the table and check.
DATASHARD_DEFINE_ERROR(CommitStateUnknown, Error)
/// A waiter chosen as the victim of a wait-for cycle; retry the transaction.
DATASHARD_DEFINE_ERROR(DeadlockDetected, Error)
/// The lock is held by someone else (fail fast or wait timed out); retry later.
DATASHARD_DEFINE_ERROR(LockNotAcquired, Error)
/// The caller's lease expired; it no longer holds the lock.
DATASHARD_DEFINE_ERROR(LockExpired, Error)
/// A write carried a fencing token older than the newest one issued.
DATASHARD_DEFINE_ERROR(StaleFencingToken, Error)
/// A server (PostgreSQL, Redis) cannot be reached; retry later.
DATASHARD_DEFINE_ERROR(Unavailable, Error)
/// Stored bytes are not what they must be; stop and inspect.
DATASHARD_DEFINE_ERROR(Corruption, Error)
/// The operating system refused an operation (EIO, ENOSPC, EACCES...).
DATASHARD_DEFINE_ERROR(IOError, Error)

#undef DATASHARD_DEFINE_ERROR

/// Optimistic commit lost after the retry budget was spent (Python:
/// ConcurrentModificationException). Retry the whole transaction.
class CommitConflict : public Error {
 public:
  CommitConflict(const std::string& message, std::optional<int64_t> base_snapshot_id,
                 std::optional<int64_t> current_snapshot_id,
                 std::optional<int64_t> conflicting_snapshot_id, int retries)
      : Error(ErrorCode::kCommitConflict, message),
        base_snapshot_id_(base_snapshot_id),
        current_snapshot_id_(current_snapshot_id),
        conflicting_snapshot_id_(conflicting_snapshot_id),
        retries_(retries) {}
  explicit CommitConflict(const std::string& message)
      : CommitConflict(message, std::nullopt, std::nullopt, std::nullopt, 0) {}

  std::optional<int64_t> base_snapshot_id() const { return base_snapshot_id_; }
  std::optional<int64_t> current_snapshot_id() const { return current_snapshot_id_; }
  std::optional<int64_t> conflicting_snapshot_id() const { return conflicting_snapshot_id_; }
  int retries() const { return retries_; }

 private:
  std::optional<int64_t> base_snapshot_id_;
  std::optional<int64_t> current_snapshot_id_;
  std::optional<int64_t> conflicting_snapshot_id_;
  int retries_;
};

}  // namespace datashard
