// A FileIO decorator for tests of every layer (DESIGN.md §9, LevelDB's
// fault_injection_test): it fails chosen operations with a chosen errno,
// simulates power loss by forgetting what was never made durable, and counts
// operations and fsyncs. Safe to use from many threads.
//
// Power-loss model (DropUnsyncedData):
//   - File data: a file created through this FileIO keeps only the bytes it
//     had at its last Sync(); files that existed before are taken as durable.
//   - Names: a name created by Create, LinkIfAbsent or Rename disappears
//     unless the directory holding it was SyncDir'ed after the operation.
//     An unsynced Rename is undone: the target gets back the content it had
//     (or vanishes if it was new) and the source reappears with the content
//     it had when renamed. A Rename is durable once both directories were
//     synced after it.
//   - In-place updates (OpenForUpdate): bytes written since the file's last
//     SyncData() get back what they held before.
//   - Shared memory (MapShared) is volatile: the power loss starts a new
//     boot, so BootId() changes and mapped state must be rebuilt by its users.
//   - Approximations: Delete and CreateDirs are durable at once; names that
//     shared one file through LinkIfAbsent are restored as separate files with
//     equal bytes; a renamed file's content is captured when renamed (renames
//     are for small hint files, so the copy is cheap).
// Handles opened before a DropUnsyncedData fail with IOError afterwards.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "datashard/file_io.h"

namespace datashard {

/// Operation kinds that can be made to fail, combinable as a bit mask.
enum class FaultOp : uint32_t {
  kCreate = 1u << 0,
  kAppend = 1u << 1,
  kSync = 1u << 2,
  kSyncDir = 1u << 3,
  kLink = 1u << 4,
  kRename = 1u << 5,
  kDelete = 1u << 6,
  kRead = 1u << 7,   // RandomAccessFile::ReadAt
  kWrite = 1u << 8,  // UpdatableFile::WriteAt (SyncData counts as kSync)
  kLock = 1u << 9,   // Lock and TryLockFor
  kOpen = 1u << 10,  // OpenRead
};
using FaultOpMask = uint32_t;
/// Every operation that changes or reads file bytes and names; the advisory
/// lock and opening a file to read apart.
constexpr FaultOpMask kAllFaultOps = 0x1ff;
constexpr FaultOpMask operator|(FaultOp a, FaultOp b) {
  return static_cast<FaultOpMask>(a) | static_cast<FaultOpMask>(b);
}
constexpr FaultOpMask operator|(FaultOpMask a, FaultOp b) {
  return a | static_cast<FaultOpMask>(b);
}

/// Calls made through a FaultInjectionFileIO (failed ones included).
struct FileIOCounters {
  int64_t opens = 0;  // OpenRead
  int64_t creates = 0;
  int64_t appends = 0;
  int64_t syncs = 0;  // WritableFile::Sync, one fsync each
  int64_t sync_dirs = 0;
  int64_t links = 0;
  int64_t renames = 0;
  int64_t deletes = 0;
  int64_t reads = 0;  // ReadAt calls
  int64_t lists = 0;  // List and ListNames
  int64_t create_dirs = 0;
  int64_t stats = 0;  // Stat and Exists
  int64_t locks = 0;
  int64_t writes = 0;  // UpdatableFile::WriteAt
  int64_t bytes_appended = 0;
  int64_t bytes_read = 0;

  int64_t fsyncs() const { return syncs + sync_dirs; }
};

class FaultInjectionFileIO final : public FileIO {
 public:
  /// Wraps `base`, kept alive by this object and by the files it returns.
  explicit FaultInjectionFileIO(std::shared_ptr<FileIO> base);
  ~FaultInjectionFileIO() override;

  /// Arms a fault: counting from now, the `n`-th call (1-based) whose kind is
  /// in `ops` throws IOError with strerror(`err`) (e.g. EIO, ENOSPC) and has no
  /// effect. With `sticky`, every later matching call fails as well (a full
  /// disk); otherwise the fault disarms after firing. Replaces an armed fault.
  void FailNth(FaultOpMask ops, int64_t n, int err, bool sticky = false);
  void FailNth(FaultOp op, int64_t n, int err, bool sticky = false) {
    FailNth(static_cast<FaultOpMask>(op), n, err, sticky);
  }
  /// Disarms any fault.
  void ClearFaults();
  /// Runs `hook` at the start of every call whose kind is in `ops`, before an
  /// armed fault is checked: on the calling thread, with no lock of this
  /// FileIO held, so it may make calls of its own (which see the hook too).
  /// `path` is the call's path; `target` the new name of a link or rename,
  /// else empty. A hook that throws fails the call with no effect. Replaces
  /// any hook; an empty `hook` removes it. For stepping into a race.
  using Hook = std::function<void(FaultOp op, const std::string& path, const std::string& target)>;
  void SetHook(FaultOpMask ops, Hook hook);
  void SetHook(FaultOp op, Hook hook) { SetHook(static_cast<FaultOpMask>(op), std::move(hook)); }
  /// Calls that were made to fail so far.
  int64_t faults_injected() const;
  /// Stat and List report modification times moved by `ms`: a file server
  /// whose clock differs from this process's.
  void ShiftModificationTimes(int64_t ms);

  /// Makes the underlying files look as after a power loss now (see the model
  /// above), then continues as a freshly booted machine: everything left is
  /// durable. Throws if the underlying FileIO fails while rewriting.
  /// REQUIRES: no other thread is using this FileIO or its files meanwhile.
  void DropUnsyncedData();

  FileIOCounters counters() const;
  void ResetCounters();

  std::unique_ptr<RandomAccessFile> OpenRead(const std::string& path) override;
  std::unique_ptr<WritableFile> Create(const std::string& path) override;
  bool LinkIfAbsent(const std::string& source, const std::string& target) override;
  void Rename(const std::string& source, const std::string& target) override;
  void SyncDir(const std::string& dir) override;
  void Delete(const std::string& path) override;
  bool Exists(const std::string& path) override;
  FileInfo Stat(const std::string& path) override;
  std::vector<FileInfo> List(const std::string& dir) override;
  std::vector<std::string> ListNames(const std::string& dir) override;
  void CreateDirs(const std::string& dir) override;
  std::unique_ptr<FileLock> Lock(const std::string& path, bool wait) override;
  std::unique_ptr<FileLock> TryLockFor(const std::string& path, std::chrono::microseconds timeout,
                                       LockWaiter* waiter) override;
  std::unique_ptr<UpdatableFile> OpenForUpdate(const std::string& path) override;
  std::unique_ptr<SharedMemory> MapShared(const std::string& path, size_t size) override;
  bool IsNetworkFilesystem(const std::string& path) override;
  std::string BootId() override;
  std::string AbsolutePath(const std::string& path) override;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace datashard
