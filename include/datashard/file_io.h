// FileIO: the only way datashard touches files (DESIGN.md §2, LevelDB's Env).
// Tables and formats do all I/O through it, so tests can swap in a
// fault-injecting implementation. Implementations are safe to use from many
// threads at once; the file objects they return are not shared between threads.
//
// Errors: NotFound for a missing path, AlreadyExists where a name is taken,
// IOError for every other failure, each naming the operation and path.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace datashard {

/// A file opened for positional reads.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  virtual uint64_t Size() const = 0;
  /// Reads exactly n bytes at offset into buf; throws IOError on a short read.
  virtual void ReadAt(uint64_t offset, size_t n, char* buf) const = 0;
  const std::string& path() const { return path_; }

 protected:
  explicit RandomAccessFile(std::string path) : path_(std::move(path)) {}

 private:
  std::string path_;
};

/// A new file being written sequentially. Nothing is durable until Sync().
/// Close() is required to see errors; the destructor closes silently.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual void Append(const char* data, size_t n) = 0;
  void Append(const std::string& s) { Append(s.data(), s.size()); }
  /// Flushes written bytes to stable storage (fsync).
  virtual void Sync() = 0;
  virtual void Close() = 0;
  virtual uint64_t Size() const = 0;
  const std::string& path() const { return path_; }

 protected:
  explicit WritableFile(std::string path) : path_(std::move(path)) {}

 private:
  std::string path_;
};

/// An existing file updated in place at chosen offsets, never growing: the
/// ingest log's pre-zeroed segments (DESIGN.md §6a). Nothing written is
/// durable until SyncData().
class UpdatableFile {
 public:
  virtual ~UpdatableFile() = default;
  virtual uint64_t Size() const = 0;
  /// Reads exactly n bytes at offset into buf; IOError on a short read.
  virtual void ReadAt(uint64_t offset, size_t n, char* buf) const = 0;
  /// Writes n bytes at offset; InvalidArgument if they would pass Size().
  virtual void WriteAt(uint64_t offset, const char* data, size_t n) = 0;
  /// fdatasync: the written bytes become durable. The size never changes,
  /// so no file metadata has to be written with them.
  virtual void SyncData() = 0;
  const std::string& path() const { return path_; }

 protected:
  explicit UpdatableFile(std::string path) : path_(std::move(path)) {}

 private:
  std::string path_;
};

/// Memory that every process mapping the same file shares (MAP_SHARED).
/// For volatile coordination state only: nothing in it is ever durable.
class SharedMemory {
 public:
  virtual ~SharedMemory() = default;
  virtual char* data() = 0;
  virtual size_t size() const = 0;
  /// Sleeps while the 32-bit word at `offset` still holds `value`, until
  /// WakeAll on it (from any process) or `timeout_us` passes (a futex).
  virtual void WaitWhileEqual(size_t offset, uint32_t value, int64_t timeout_us) = 0;
  /// Wakes every process waiting on the word at `offset`.
  virtual void WakeAll(size_t offset) = 0;
  /// Wakes one process waiting on the word at `offset` (where only one can
  /// make progress, so that the others sleep on). Waking all is correct too.
  virtual void WakeOne(size_t offset) { WakeAll(offset); }
  /// WaitWhileEqual as one of a class of waiters: `bits` names the classes it
  /// belongs to, so that WakeClass can wake some waiters of a word and let the
  /// others sleep on (FUTEX_WAIT_BITSET). WakeAll and WakeOne wake any class.
  virtual void WaitInClass(size_t offset, uint32_t value, int64_t timeout_us, uint32_t /*bits*/) {
    WaitWhileEqual(offset, value, timeout_us);
  }
  /// Wakes every waiter (or one, unless `all`) on the word at `offset` whose
  /// classes overlap `bits`. Waking more is correct too, waking fewer is not:
  /// the default, without classes, wakes all.
  virtual void WakeClass(size_t offset, uint32_t /*bits*/, bool /*all*/) { WakeAll(offset); }
};

/// How a process waiting for a file lock passes the time between two tries
/// (FileIO::TryLockFor): Linux has no timed wait for a file lock.
class LockWaiter {
 public:
  virtual ~LockWaiter() = default;
  /// Called right before each try.
  virtual void BeforeTry() = 0;
  /// Called after a failed try; returns within `left`.
  virtual void Pause(std::chrono::microseconds left) = 0;
};

/// An advisory whole-file lock (an OFD lock), released by its destructor or
/// when the holding process dies. For liveness only, never for correctness.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

/// Files made durable together, as one commit makes its files before it
/// publishes them: each file handed over is durable, with its name, once
/// Sync() returns. The default fsyncs each file when it is added and each
/// folder in Sync(); the POSIX FileIO makes a group's small files durable
/// with one syncfs(2) of their filesystem instead, which saves a device
/// flush per file (see posix_file_io.cc for when it does). Not thread-safe.
class SyncGroup {
 public:
  virtual ~SyncGroup() = default;
  /// Takes a new file whose writing is finished (not closed): it is closed
  /// here, readable at once, and durable with its name once Sync() returns
  /// (unless it was deleted before: a deleted file is simply left out).
  virtual void Add(std::unique_ptr<WritableFile> file) = 0;
  /// Makes every file added so far durable, names included; IOError if it
  /// cannot (the files may then be lost after a crash). May be called again
  /// for files added later.
  virtual void Sync() = 0;
  /// Sync() file by file, for when other writers are busy on the same
  /// filesystem: a shared flush would wait for their writes too.
  virtual void SyncEach() { Sync(); }
};

struct FileInfo {
  std::string name;  // last path component
  uint64_t size = 0;
  int64_t mtime_ms = 0;
  bool is_directory = false;
  bool is_symlink = false;  // List() reports a link itself, never what it points to
};

class FileIO {
 public:
  virtual ~FileIO() = default;

  virtual std::unique_ptr<RandomAccessFile> OpenRead(const std::string& path) = 0;
  /// Creates a new file; AlreadyExists if the name is taken (O_EXCL).
  virtual std::unique_ptr<WritableFile> Create(const std::string& path) = 0;
  /// Atomic put-if-absent: makes `target` name the file `source` names
  /// (link(2)). Returns false, changing nothing, when `target` already exists.
  /// The new name is durable only after SyncDir of its directory.
  virtual bool LinkIfAbsent(const std::string& source, const std::string& target) = 0;
  /// Replaces `target` with `source` (rename(2)); only for hints, never for
  /// publishing a commit.
  virtual void Rename(const std::string& source, const std::string& target) = 0;
  /// fsync of a directory, making created, linked and removed names durable.
  virtual void SyncDir(const std::string& dir) = 0;
  /// Removes a file or an empty directory; NotFound if it does not exist.
  virtual void Delete(const std::string& path) = 0;
  /// Deletes each of `paths` it can, as Delete would one at a time, and
  /// returns how many it deleted; one it cannot delete (missing, refused)
  /// stays and throws nothing, as clean-up wants. Paths in one folder may
  /// share the work of reaching it. The default calls Delete for each.
  virtual size_t DeleteEach(const std::vector<std::string>& paths) noexcept;
  virtual bool Exists(const std::string& path) = 0;
  /// Stats one path; NotFound if it does not exist.
  virtual FileInfo Stat(const std::string& path) = 0;
  /// Entries of a directory (not recursive), sorted by name; NotFound if absent.
  virtual std::vector<FileInfo> List(const std::string& dir) = 0;
  /// Names of a directory's entries (not recursive), sorted; NotFound if
  /// absent. Stats nothing, so it costs far less than List() on a folder of
  /// thousands of files. The default takes the names from List().
  virtual std::vector<std::string> ListNames(const std::string& dir);
  /// Creates a directory and its missing parents; no error if it exists.
  virtual void CreateDirs(const std::string& dir) = 0;
  /// Takes an exclusive advisory lock on `path` (created if missing). With
  /// wait=false returns nullptr when another holder has it.
  virtual std::unique_ptr<FileLock> Lock(const std::string& path, bool wait) = 0;
  /// Takes the lock as Lock() does, waiting at most `timeout` for another
  /// holder (zero: one try): nullptr when the lock is still held then.
  /// IOError when locking fails otherwise (e.g. ENOLCK). `waiter`, when
  /// given, passes the time between tries; without, pauses grow to 2 ms.
  /// The default polls Lock(path, false).
  virtual std::unique_ptr<FileLock> TryLockFor(const std::string& path,
                                               std::chrono::microseconds timeout,
                                               LockWaiter* waiter = nullptr);
  /// Opens an existing file for in-place updates; NotFound if absent.
  virtual std::unique_ptr<UpdatableFile> OpenForUpdate(const std::string& path) = 0;
  /// Maps `size` bytes of `path` shared between processes, creating the
  /// file (zero-filled) or growing it to `size` when it is smaller.
  virtual std::unique_ptr<SharedMemory> MapShared(const std::string& path, size_t size) = 0;
  /// Whether `path` (an existing folder) lies on a network filesystem (NFS,
  /// SMB/CIFS, 9p, Ceph, Lustre, GPFS, AFS): shared memory, futexes and OFD
  /// locks there do not coordinate the machines that share it.
  virtual bool IsNetworkFilesystem(const std::string& path) = 0;
  /// Identifies the current boot of the machine: volatile shared state
  /// stamped with another boot id is stale (written before a reboot).
  virtual std::string BootId() = 0;
  /// `path` made absolute against the working directory (unchanged if it is
  /// already absolute); touches no file.
  virtual std::string AbsolutePath(const std::string& path) = 0;

  /// A group for new files under `dir` (an existing folder), made before
  /// any of them is written, so that a write-back error of the folder's
  /// filesystem after this call reaches Sync(). The default fsyncs each
  /// file as it is added and each of their folders in Sync().
  virtual std::unique_ptr<SyncGroup> NewSyncGroup(const std::string& dir);

  /// Whole-file helpers built on the primitives above.
  std::string ReadFile(const std::string& path);
  /// Writes a new file with `data` and fsyncs it; AlreadyExists if present.
  void WriteFile(const std::string& path, const std::string& data, bool sync = true);
  /// Writes a new file with `data` and hands it to `group`.
  void WriteFile(const std::string& path, const std::string& data, SyncGroup& group);
};

/// The POSIX FileIO. With a non-empty `root`, every path must lie under it
/// and symlinks that lead out of it are refused (InvalidArgument).
std::shared_ptr<FileIO> NewPosixFileIO(const std::string& root = "");

/// The process-wide default: NewPosixFileIO() without a root.
std::shared_ptr<FileIO> DefaultFileIO();

}  // namespace datashard
