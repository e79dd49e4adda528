#include "datashard/errors.h"

namespace datashard {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "InvalidArgument";
    case ErrorCode::kSchemaMismatch: return "SchemaMismatch";
    case ErrorCode::kNotFound: return "NotFound";
    case ErrorCode::kAlreadyExists: return "AlreadyExists";
    case ErrorCode::kNotSupported: return "NotSupported";
    case ErrorCode::kCommitConflict: return "CommitConflict";
    case ErrorCode::kCommitStateUnknown: return "CommitStateUnknown";
    case ErrorCode::kDeadlockDetected: return "DeadlockDetected";
    case ErrorCode::kLockNotAcquired: return "LockNotAcquired";
    case ErrorCode::kLockExpired: return "LockExpired";
    case ErrorCode::kStaleFencingToken: return "StaleFencingToken";
    case ErrorCode::kUnavailable: return "Unavailable";
    case ErrorCode::kCorruption: return "Corruption";
    case ErrorCode::kIOError: return "IOError";
  }
  return "Error";
}

}  // namespace datashard
