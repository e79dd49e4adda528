// The POSIX FileIO. With a root, every operation works on a directory file
// descriptor of the parent and the final name, so neither `..` nor a symlink
// can reach outside the root. The parent is opened from a descriptor of the
// root held for the FileIO's life with openat2(RESOLVE_BENEATH), one system
// call in which the kernel refuses any escape; only where that fails (an
// absolute symlink, a kernel without openat2) is it resolved with realpath()
// and checked to lie under the root, where a race that swaps a parent
// component for a symlink between the check and the open is not defended
// against.
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <linux/openat2.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "datashard/errors.h"
#include "datashard/file_io.h"
#include "io/io_error.h"
#include "io/lock_poll.h"
#include "util/lexical_path.h"

namespace datashard {

namespace {

// Owns a file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }

  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

int64_t MtimeMillis(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

std::string BaseName(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  const size_t slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

// Splits a path into components, dropping empty ones and ".".
std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(start, end - start);
    if (!part.empty() && part != ".") out.push_back(std::move(part));
    start = end + 1;
  }
  return out;
}

std::string Join(const std::vector<std::string>& parts, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += "/" + parts[i];
  return out;
}

// Resolves "." and ".." lexically in an absolute path.
std::vector<std::string> Normalize(const std::string& absolute) {
  std::vector<std::string> out;
  for (std::string& part : Split(absolute)) {
    if (part == "..") {
      if (!out.empty()) out.pop_back();
    } else {
      out.push_back(std::move(part));
    }
  }
  return out;
}

bool HasPrefix(const std::vector<std::string>& parts, const std::vector<std::string>& prefix) {
  return parts.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), parts.begin());
}

std::string RealPath(const std::string& path, const std::string& shown) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr) ThrowIoError("resolve", shown, errno);
  return buf;
}

// Reads exactly n bytes at offset; IOError naming the file on a short read.
void PreadFully(int fd, const std::string& path, uint64_t offset, size_t n, char* buf) {
  size_t done = 0;
  while (done < n) {
    const ssize_t r = ::pread(fd, buf + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      ThrowIoError("read at offset " + std::to_string(offset + done), path, errno);
    }
    if (r == 0) {
      throw IOError("read '" + path + "': short read of " + std::to_string(n) +
                    " bytes at offset " + std::to_string(offset) + ", file ends after " +
                    std::to_string(offset + done));
    }
    done += static_cast<size_t>(r);
  }
}

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, Fd fd, uint64_t size)
      : RandomAccessFile(std::move(path)), fd_(std::move(fd)), size_(size) {}

  uint64_t Size() const override { return size_; }

  void ReadAt(uint64_t offset, size_t n, char* buf) const override {
    PreadFully(fd_.get(), path(), offset, n, buf);
  }

 private:
  Fd fd_;
  uint64_t size_;
};

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, Fd fd) : WritableFile(std::move(path)), fd_(std::move(fd)) {}

  ~PosixWritableFile() override {
    if (fd_.get() < 0) return;
    try {
      Flush();
    } catch (const Error&) {
      // The destructor closes silently by contract; Close() reports errors.
    }
  }

  void Append(const char* data, size_t n) override {
    CheckOpen("append");
    if (buffer_.size() + n > kBufferSize) Flush();
    if (n >= kBufferSize) {
      WriteAll(data, n);
    } else {
      buffer_.append(data, n);
    }
    size_ += n;
  }

  void Sync() override {
    CheckOpen("sync");
    Flush();
    if (::fsync(fd_.get()) != 0) ThrowIoError("fsync", path(), errno);
  }

  void Close() override {
    if (fd_.get() < 0) return;
    Flush();
    if (::close(fd_.release()) != 0) ThrowIoError("close", path(), errno);
  }

  uint64_t Size() const override { return size_; }

  /// The device of the filesystem holding the file.
  dev_t Device() const {
    CheckOpen("stat");
    struct stat st;
    if (::fstat(fd_.get(), &st) != 0) ThrowIoError("stat", path(), errno);
    return st.st_dev;
  }

 private:
  static constexpr size_t kBufferSize = 64 * 1024;

  void CheckOpen(const char* op) const {
    if (fd_.get() < 0) throw IOError(std::string(op) + " '" + path() + "': file is closed");
  }

  void Flush() {
    if (buffer_.empty()) return;
    std::string pending;
    pending.swap(buffer_);
    WriteAll(pending.data(), pending.size());
  }

  void WriteAll(const char* data, size_t n) {
    while (n > 0) {
      const ssize_t w = ::write(fd_.get(), data, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        ThrowIoError("write", path(), errno);
      }
      data += w;
      n -= static_cast<size_t>(w);
    }
  }

  Fd fd_;
  std::string buffer_;
  uint64_t size_ = 0;
};

// Closing the descriptor releases the OFD lock.
class PosixUpdatableFile final : public UpdatableFile {
 public:
  PosixUpdatableFile(std::string path, Fd fd, uint64_t size)
      : UpdatableFile(std::move(path)), fd_(std::move(fd)), size_(size) {}

  uint64_t Size() const override { return size_; }

  void ReadAt(uint64_t offset, size_t n, char* buf) const override {
    PreadFully(fd_.get(), path(), offset, n, buf);
  }

  void WriteAt(uint64_t offset, const char* data, size_t n) override {
    if (offset > size_ || n > size_ - offset) {
      throw InvalidArgument("write of " + std::to_string(n) + " bytes at offset " +
                            std::to_string(offset) + " passes the end of '" + path() + "' (" +
                            std::to_string(size_) + " bytes)");
    }
    size_t done = 0;
    while (done < n) {
      const ssize_t w =
          ::pwrite(fd_.get(), data + done, n - done, static_cast<off_t>(offset + done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) ThrowIoError("write", path(), errno);
      done += static_cast<size_t>(w);
    }
  }

  void SyncData() override {
    if (::fdatasync(fd_.get()) != 0) ThrowIoError("fdatasync", path(), errno);
  }

 private:
  Fd fd_;
  uint64_t size_;
};

class PosixSharedMemory final : public SharedMemory {
 public:
  PosixSharedMemory(void* data, size_t size) : data_(static_cast<char*>(data)), size_(size) {}
  ~PosixSharedMemory() override { ::munmap(data_, size_); }
  char* data() override { return data_; }
  size_t size() const override { return size_; }

  // The class-less calls are those of the class of all classes.
  void WaitWhileEqual(size_t offset, uint32_t value, int64_t timeout_us) override {
    WaitInClass(offset, value, timeout_us, FUTEX_BITSET_MATCH_ANY);
  }

  void WakeAll(size_t offset) override { WakeClass(offset, FUTEX_BITSET_MATCH_ANY, true); }

  void WakeOne(size_t offset) override { WakeClass(offset, FUTEX_BITSET_MATCH_ANY, false); }

  void WaitInClass(size_t offset, uint32_t value, int64_t timeout_us, uint32_t bits) override {
    if (bits == 0) throw InvalidArgument("a futex waiter needs a class");
    // FUTEX_WAIT_BITSET takes a deadline on CLOCK_MONOTONIC.
    timespec t{};
    ::clock_gettime(CLOCK_MONOTONIC, &t);
    const int64_t ns = static_cast<int64_t>(t.tv_nsec) + timeout_us % 1000000 * 1000;
    t.tv_sec += static_cast<time_t>(timeout_us / 1000000 + ns / 1000000000);
    t.tv_nsec = static_cast<long>(ns % 1000000000);
    // Spurious and EINTR/EAGAIN returns are fine: callers re-check their condition.
    ::syscall(SYS_futex, Word(offset), FUTEX_WAIT_BITSET, value, &t, nullptr, bits);
  }

  void WakeClass(size_t offset, uint32_t bits, bool all) override {
    if (bits == 0) return;
    ::syscall(SYS_futex, Word(offset), FUTEX_WAKE_BITSET, all ? INT32_MAX : 1, nullptr, nullptr,
              bits);
  }

 private:
  uint32_t* Word(size_t offset) {
    if (offset % 4 != 0 || offset + 4 > size_) {
      throw InvalidArgument("futex word at offset " + std::to_string(offset) + " is misplaced");
    }
    return reinterpret_cast<uint32_t*>(data_ + offset);
  }

  char* data_;
  size_t size_;
};

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(Fd fd) : fd_(std::move(fd)) {}

 private:
  Fd fd_;
};

// Where an operation acts: a name inside a directory descriptor.
struct Location {
  int dir = AT_FDCWD;
  std::string name;
  Fd owned_dir;  // holds `dir` open when it is not AT_FDCWD
};

// Whether a filesystem is one that other machines share (NFS, SMB/CIFS, 9p,
// Ceph, Lustre, GPFS, AFS), by the magic numbers of linux/magic.h and the
// filesystems' own headers.
bool IsNetworkType(const struct statfs& st) {
  switch (static_cast<uint64_t>(st.f_type)) {
    case 0x6969:      // NFS
    case 0x517B:      // SMB
    case 0xFF534D42:  // CIFS
    case 0xFE534D42:  // SMB2
    case 0x01021997:  // 9p
    case 0x00C36400:  // Ceph
    case 0x0BD00BD0:  // Lustre
    case 0x47504653:  // GPFS
    case 0x5346414F:  // AFS
      return true;
    default:
      return false;
  }
}

// syncfs(2) reports write-back errors since Linux 5.8; before, it returned
// success whatever happened, so a group there syncs file by file.
bool SyncfsReportsErrors() {
  static const bool reports = [] {
    struct utsname u;
    int major = 0;
    int minor = 0;
    if (::uname(&u) != 0 || std::sscanf(u.release, "%d.%d", &major, &minor) != 2) return false;
    return major > 5 || (major == 5 && minor >= 8);
  }();
  return reports;
}

// DATASHARD_SYNC_GROUP=each: every group fsyncs its files one by one, as it
// does while other writes are pending; =shared: every group makes its files
// durable with one syncfs whatever else is pending. Either is as durable as
// the default choice (auto); they let tests take each path on purpose, where
// the machine's write-back would otherwise choose.
enum class SyncGroupMode { kAuto, kEach, kShared };

SyncGroupMode ForcedSyncGroupMode() {
  static const SyncGroupMode mode = [] {
    const char* v = std::getenv("DATASHARD_SYNC_GROUP");
    const std::string_view text = v == nullptr ? "auto" : v;
    if (text == "each") return SyncGroupMode::kEach;
    if (text == "shared") return SyncGroupMode::kShared;
    if (text != "auto") {
      throw InvalidArgument("DATASHARD_SYNC_GROUP is '" + std::string(text) +
                            "': expected auto, each or shared");
    }
    return SyncGroupMode::kAuto;
  }();
  return mode;
}

// Bytes the kernel has yet to write back, all filesystems together
// (/proc/meminfo Dirty + Writeback); nullopt where it cannot be read.
std::optional<uint64_t> PendingWriteback() {
  Fd fd(::open("/proc/meminfo", O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return std::nullopt;
  char buf[8192];
  const ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
  if (n <= 0) return std::nullopt;
  buf[n] = '\0';
  uint64_t total = 0;
  for (const char* key : {"\nDirty:", "\nWriteback:"}) {
    const char* at = std::strstr(buf, key);
    if (at == nullptr) return std::nullopt;
    total += std::strtoull(at + std::strlen(key), nullptr, 10) * 1024;  // in kB
  }
  return total;
}

class PosixFileIO final : public FileIO {
 public:
  explicit PosixFileIO(const std::string& root) {
    if (root.empty()) return;
    root_ = RealPath(root, root);
    root_parts_ = Normalize(root_);
    given_root_parts_ = Normalize(Absolute(root));
    root_fd_ = Fd(::open(root_.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (root_fd_.get() < 0) ThrowIoError("open directory", root, errno);
  }

  std::unique_ptr<RandomAccessFile> OpenRead(const std::string& path) override {
    Fd fd = OpenFollowing(path, O_RDONLY | O_CLOEXEC);
    if (fd.get() < 0) ThrowIoError("open", path, errno);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) ThrowIoError("stat", path, errno);
    if (S_ISDIR(st.st_mode)) ThrowIoError("open", path, EISDIR);
    return std::make_unique<PosixRandomAccessFile>(path, std::move(fd),
                                                   static_cast<uint64_t>(st.st_size));
  }

  std::unique_ptr<WritableFile> Create(const std::string& path) override {
    Location loc = Locate(path, /*follow=*/false);
    Fd fd(::openat(loc.dir, loc.name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (fd.get() < 0) ThrowIoError("create", path, errno);
    return std::make_unique<PosixWritableFile>(path, std::move(fd));
  }

  bool LinkIfAbsent(const std::string& source, const std::string& target) override {
    Location from = Locate(source, /*follow=*/false);
    Location to = Locate(target, /*follow=*/false);
    if (::linkat(from.dir, from.name.c_str(), to.dir, to.name.c_str(), 0) == 0) return true;
    if (errno == EEXIST) return false;
    ThrowIoError("link", source + "' to '" + target, errno);
  }

  void Rename(const std::string& source, const std::string& target) override {
    Location from = Locate(source, /*follow=*/false);
    Location to = Locate(target, /*follow=*/false);
    if (::renameat(from.dir, from.name.c_str(), to.dir, to.name.c_str()) != 0) {
      ThrowIoError("rename", source + "' to '" + target, errno);
    }
  }

  void SyncDir(const std::string& dir) override {
    const Fd fd = OpenDir(dir);
    if (::fsync(fd.get()) != 0) ThrowIoError("fsync directory", dir, errno);
  }

  /// `dir` opened for reading (fsync, syncfs); IOError if it cannot be.
  Fd OpenDir(const std::string& dir) const {
    Location loc = Locate(dir, /*follow=*/true);
    Fd fd(::openat(loc.dir, loc.name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) ThrowIoError("open directory", dir, errno);
    return fd;
  }

  std::unique_ptr<SyncGroup> NewSyncGroup(const std::string& dir) override;

  /// fsync of a sync group's file by name (closed). Nothing when the file
  /// was removed since it was added: a commit that rebases deletes the files
  /// of its first attempt, which then need no flush.
  void SyncFileUnlessRemoved(const std::string& path) {
    Fd fd = OpenFollowing(path, O_RDONLY | O_CLOEXEC);
    if (fd.get() < 0 && errno == ENOENT) return;
    if (fd.get() < 0) ThrowIoError("open", path, errno);
    if (::fsync(fd.get()) != 0) ThrowIoError("fsync", path, errno);
  }

  void Delete(const std::string& path) override {
    const Location loc = Locate(path, /*follow=*/false);
    UnlinkAt(loc.dir, loc.name, path);
  }

  // A sweep deletes hundreds of files of one folder: the folder is reached
  // once for each run of paths in it, not once per path.
  size_t DeleteEach(const std::vector<std::string>& paths) noexcept override {
    size_t deleted = 0;
    Location folder;
    std::vector<std::string> folder_parts;  // of `folder`; empty: none located
    for (const std::string& path : paths) {
      try {
        const std::vector<std::string> parts =
            root_.empty() ? std::vector<std::string>{} : BelowRoot(path);
        if (parts.size() < 2) {
          Delete(path);
        } else {
          const std::vector<std::string> dirs(parts.begin(), parts.end() - 1);
          if (dirs != folder_parts) {
            folder_parts.clear();  // should Locate throw
            folder = Locate(path, /*follow=*/false);
            folder_parts = dirs;
          }
          UnlinkAt(folder.dir, parts.back(), path);
        }
        ++deleted;
      } catch (...) {
        // Stays, as FileIO::DeleteEach documents.
      }
    }
    return deleted;
  }

  bool Exists(const std::string& path) override {
    {
      const Fd fd = OpenWholeBeneath(path, O_PATH | O_CLOEXEC);
      if (fd.get() >= 0) return true;
      if (errno == ENOENT || errno == ENOTDIR) return false;
    }
    struct stat st;
    try {
      if (StatFollowing(path, &st) == 0) return true;
    } catch (const NotFound&) {
      return false;
    }
    if (errno == ENOENT || errno == ENOTDIR) return false;
    ThrowIoError("stat", path, errno);
  }

  FileInfo Stat(const std::string& path) override {
    struct stat st;
    if (StatFollowing(path, &st) != 0) ThrowIoError("stat", path, errno);
    return Info(BaseName(path), st);
  }

  std::vector<FileInfo> List(const std::string& dir) override {
    std::vector<FileInfo> out;
    ForEachEntry(dir, [&](int dir_fd, const std::string& name) {
      struct stat st;
      if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return;  // removed since readdir returned it
        ThrowIoError("stat", dir + "/" + name, errno);
      }
      out.push_back(Info(name, st));
    });
    std::sort(out.begin(), out.end(),
              [](const FileInfo& a, const FileInfo& b) { return a.name < b.name; });
    return out;
  }

  std::vector<std::string> ListNames(const std::string& dir) override {
    std::vector<std::string> out;
    ForEachEntry(dir, [&](int, const std::string& name) { out.push_back(name); });
    std::sort(out.begin(), out.end());
    return out;
  }

  void CreateDirs(const std::string& dir) override {
    std::vector<std::string> prefixes;
    if (root_.empty()) {
      const std::vector<std::string> parts = Split(dir);
      const bool absolute = !dir.empty() && dir[0] == '/';
      for (size_t i = 1; i <= parts.size(); ++i) {
        prefixes.push_back(absolute ? Join(parts, i) : Join(parts, i).substr(1));
      }
    } else {
      const std::vector<std::string> parts = BelowRoot(dir);
      for (size_t i = 1; i <= parts.size(); ++i) prefixes.push_back(root_ + Join(parts, i));
    }
    for (const std::string& prefix : prefixes) {
      Location loc = Locate(prefix, /*follow=*/false);
      if (::mkdirat(loc.dir, loc.name.c_str(), 0755) != 0 && errno != EEXIST) {
        ThrowIoError("create directory", prefix, errno);
      }
    }
    if (!Stat(dir).is_directory) ThrowIoError("create directory", dir, ENOTDIR);
  }

  std::unique_ptr<FileLock> Lock(const std::string& path, bool wait) override {
    Fd fd = OpenLockFile(path);
    if (!LockFd(fd, path, wait)) return nullptr;
    return std::make_unique<PosixFileLock>(std::move(fd));
  }

  // One descriptor for the whole wait: opening and closing the file per try
  // would also drop any POSIX lock this process holds on it.
  std::unique_ptr<FileLock> TryLockFor(const std::string& path, std::chrono::microseconds timeout,
                                       LockWaiter* waiter) override {
    Fd fd = OpenLockFile(path);
    if (!PollForLock(timeout, waiter, [&] { return LockFd(fd, path, /*wait=*/false); }))
      return nullptr;
    return std::make_unique<PosixFileLock>(std::move(fd));
  }

  std::unique_ptr<UpdatableFile> OpenForUpdate(const std::string& path) override {
    Fd fd = OpenFollowing(path, O_RDWR | O_CLOEXEC);
    if (fd.get() < 0) ThrowIoError("open for update", path, errno);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) ThrowIoError("stat", path, errno);
    if (!S_ISREG(st.st_mode)) ThrowIoError("open for update", path, EISDIR);
    return std::make_unique<PosixUpdatableFile>(path, std::move(fd),
                                                static_cast<uint64_t>(st.st_size));
  }

  std::unique_ptr<SharedMemory> MapShared(const std::string& path, size_t size) override {
    Location loc = Locate(path, /*follow=*/false);
    Fd fd(::openat(loc.dir, loc.name.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | nofollow(), 0644));
    if (fd.get() < 0) ThrowIoError("open shared memory file", path, errno);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) ThrowIoError("stat", path, errno);
    // Growing only: two processes racing here both ask for the same size.
    if (static_cast<uint64_t>(st.st_size) < size &&
        ::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
      ThrowIoError("extend shared memory file", path, errno);
    }
    void* data = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
    if (data == MAP_FAILED) ThrowIoError("map", path, errno);
    return std::make_unique<PosixSharedMemory>(data, size);
  }

  bool IsNetworkFilesystem(const std::string& path) override {
    struct statfs st;
    if (::statfs(path.c_str(), &st) != 0) ThrowIoError("statfs", path, errno);
    return IsNetworkType(st);
  }

  std::string BootId() override {
    Fd fd(::open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) ThrowIoError("open", "/proc/sys/kernel/random/boot_id", errno);
    char buf[64];
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n <= 0) ThrowIoError("read", "/proc/sys/kernel/random/boot_id", n < 0 ? errno : EIO);
    std::string id(buf, static_cast<size_t>(n));
    while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
    return id;
  }

  std::string AbsolutePath(const std::string& path) override { return Absolute(path); }

 private:
  int nofollow() const { return root_.empty() ? 0 : O_NOFOLLOW; }
  int stat_flags() const { return root_.empty() ? 0 : AT_SYMLINK_NOFOLLOW; }

  Fd OpenLockFile(const std::string& path) {
    Fd fd = OpenFollowing(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd.get() < 0) ThrowIoError("open lock file", path, errno);
    return fd;
  }

  // openat() of `path` with `flags`, a final symbolic link followed as far
  // as it stays under the root. The common case, no link, costs the one
  // call: with a root O_NOFOLLOW makes a link fail with ELOOP, and only then
  // is it resolved. An invalid Fd with errno set on failure.
  Fd OpenFollowing(const std::string& path, int flags, mode_t mode = 0) const {
    // A file to create if missing (a lock file) usually exists: opened as
    // such first, created on the slower path.
    if ((flags & O_EXCL) == 0) {
      const bool create = (flags & O_CREAT) != 0;
      Fd fd = OpenWholeBeneath(path, flags & ~O_CREAT);
      if (fd.get() >= 0 || (!create && (errno == ENOENT || errno == ENOTDIR))) return fd;
    }
    Location loc = Locate(path, /*follow=*/false);
    Fd fd(::openat(loc.dir, loc.name.c_str(), flags | nofollow(), mode));
    if (fd.get() >= 0 || errno != ELOOP || root_.empty()) return fd;
    loc = Locate(path, /*follow=*/true);
    return Fd(::openat(loc.dir, loc.name.c_str(), flags | nofollow(), mode));
  }

  // fstatat() of `path` into `st`, a final symbolic link followed as
  // OpenFollowing does; 0 or -1 with errno set.
  int StatFollowing(const std::string& path, struct stat* st) const {
    Location loc = Locate(path, /*follow=*/false);
    const int rc = ::fstatat(loc.dir, loc.name.c_str(), st, stat_flags());
    if (rc != 0 || root_.empty() || !S_ISLNK(st->st_mode)) return rc;
    loc = Locate(path, /*follow=*/true);
    return ::fstatat(loc.dir, loc.name.c_str(), st, stat_flags());
  }

  // Takes the OFD write lock on `fd`; false when held elsewhere and !wait.
  static bool LockFd(const Fd& fd, const std::string& path, bool wait) {
    struct flock fl;
    std::memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    for (;;) {
      if (::fcntl(fd.get(), wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl) == 0) return true;
      if (errno == EINTR) continue;
      if (!wait && (errno == EAGAIN || errno == EACCES)) return false;
      ThrowIoError("lock", path, errno);
    }
  }

  // Calls f(directory fd, name) for each entry of `dir` but "." and "..".
  template <typename F>
  void ForEachEntry(const std::string& dir, F f) {
    Location loc = Locate(dir, /*follow=*/true);
    Fd fd(::openat(loc.dir, loc.name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) ThrowIoError("list", dir, errno);
    DIR* d = ::fdopendir(fd.get());
    if (d == nullptr) ThrowIoError("list", dir, errno);
    fd.release();  // owned by `d` now
    std::unique_ptr<DIR, int (*)(DIR*)> closer(d, &::closedir);
    for (;;) {
      errno = 0;
      struct dirent* e = ::readdir(d);
      if (e == nullptr) {
        if (errno != 0) ThrowIoError("list", dir, errno);
        return;
      }
      const std::string name = e->d_name;
      if (name != "." && name != "..") f(::dirfd(d), name);
    }
  }

  static std::string Absolute(const std::string& path) {
    if (!path.empty() && path[0] == '/') return path;
    char buf[PATH_MAX];
    if (::getcwd(buf, sizeof(buf)) == nullptr) ThrowIoError("getcwd", path, errno);
    return std::string(buf) + "/" + path;
  }

  static FileInfo Info(std::string name, const struct stat& st) {
    FileInfo info;
    info.name = std::move(name);
    info.size = static_cast<uint64_t>(st.st_size);
    info.mtime_ms = MtimeMillis(st);
    info.is_directory = S_ISDIR(st.st_mode);
    info.is_symlink = S_ISLNK(st.st_mode);
    return info;
  }

  bool UnderRoot(const std::string& real) const {
    return real == root_ || root_ == "/" || real.compare(0, root_.size() + 1, root_ + "/") == 0;
  }

  // Components of `path` below the root after resolving "." and ".."
  // lexically; relative paths are relative to the root.
  std::vector<std::string> BelowRoot(const std::string& path) const {
    const bool absolute = !path.empty() && path[0] == '/';
    const std::vector<std::string> parts = Normalize(absolute ? path : root_ + "/" + path);
    for (const auto* prefix : {&root_parts_, &given_root_parts_}) {
      if (HasPrefix(parts, *prefix)) {
        return std::vector<std::string>(parts.begin() + static_cast<long>(prefix->size()),
                                        parts.end());
      }
    }
    throw InvalidArgument("path '" + path + "' is outside the root '" + root_ + "'");
  }

  // The directory `parts` names below the root, opened so that nothing in
  // the walk leaves the root; an invalid Fd where the kernel would not do it
  // alone (see the top of the file).
  Fd OpenBeneath(const std::vector<std::string>& parts) const {
    return OpenAt2Beneath(parts, O_PATH | O_DIRECTORY | O_CLOEXEC);
  }

  // openat2 of the path `parts` name below the root, with `flags`, refusing
  // any escape from the root and any magic link.
  Fd OpenAt2Beneath(const std::vector<std::string>& parts, int flags) const {
    struct open_how how;
    std::memset(&how, 0, sizeof how);
    how.flags = static_cast<uint64_t>(flags);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    const std::string relative = Join(parts, parts.size()).substr(1);
    return Fd(static_cast<int>(
        ::syscall(SYS_openat2, root_fd_.get(), relative.c_str(), &how, sizeof how)));
  }

  // `path` opened with `flags` by one openat2 from the root that the kernel
  // keeps beneath it, a final symbolic link followed when it stays there:
  // two system calls fewer than opening the parent first. An invalid Fd
  // with errno set otherwise; ENOENT and ENOTDIR are final, any other
  // failure (EXDEV or ELOOP for a link the kernel would not follow alone,
  // ENOSYS) is for the slower path to resolve or report.
  Fd OpenWholeBeneath(const std::string& path, int flags) const {
    if (root_.empty()) {
      errno = ENOSYS;
      return Fd();
    }
    const std::vector<std::string> parts = BelowRoot(path);
    if (parts.empty()) {
      errno = EINVAL;
      return Fd();
    }
    return OpenAt2Beneath(parts, flags);
  }

  static void UnlinkAt(int dir, const std::string& name, const std::string& path) {
    if (::unlinkat(dir, name.c_str(), 0) == 0) return;
    if (errno == EISDIR && ::unlinkat(dir, name.c_str(), AT_REMOVEDIR) == 0) return;
    ThrowIoError("delete", path, errno);
  }

  Location Locate(const std::string& path, bool follow) const {
    Location loc;
    if (root_.empty()) {
      loc.name = path;
      return loc;
    }
    const std::vector<std::string> parts = BelowRoot(path);
    std::string parent = root_;
    loc.dir = root_fd_.get();
    if (parts.size() > 1) {
      const std::vector<std::string> dirs(parts.begin(), parts.end() - 1);
      loc.owned_dir = OpenBeneath(dirs);
      if (loc.owned_dir.get() < 0) {
        parent = RealPath(root_ + Join(parts, parts.size() - 1), path);
        if (!UnderRoot(parent)) {
          throw InvalidArgument("path '" + path + "' leads out of the root '" + root_ +
                                "' through a symlink");
        }
        loc.owned_dir = Fd(::open(parent.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (loc.owned_dir.get() < 0) ThrowIoError("open directory", parent, errno);
      } else {
        parent = root_ + Join(dirs, dirs.size());
      }
      loc.dir = loc.owned_dir.get();
    }
    loc.name = parts.empty() ? "." : parts.back();
    if (!follow || parts.empty()) return loc;
    struct stat st;
    if (::fstatat(loc.dir, loc.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISLNK(st.st_mode)) {
      return loc;
    }
    const std::string target = RealPath(parent + "/" + loc.name, path);
    if (!UnderRoot(target)) {
      throw InvalidArgument("path '" + path + "' leads out of the root '" + root_ +
                            "' through a symlink");
    }
    return Locate(target, /*follow=*/false);
  }

  std::string root_;  // realpath of the root, empty without one
  Fd root_fd_;        // the root, open for the FileIO's life
  std::vector<std::string> root_parts_;
  std::vector<std::string> given_root_parts_;
};

// A commit's files made durable by one syncfs(2) of their filesystem, which
// writes them and their folders back and flushes the device once, where
// fsyncing each would flush it once per file (one writer's plain commits on
// a virtio disk: 440 per second against 340). The folder descriptor opened
// when the group is made samples the filesystem's write-back error state,
// so a failed write-back of any file written after that reaches Sync().
// Files are closed as they are added (a transaction may hold a group for
// long, and many at once); a file synced on its own later is opened again,
// which still reports a write-back error nobody has seen, and nobody else
// fsyncs a commit's new file. syncfs writes back everything pending on the
// filesystem, so a group whose filesystem is busy with other writes must
// not wait for them: where more than kBusyBytes besides the group's own
// files wait for write-back, in SyncEach(), and for files over kLargeBytes
// (nothing to share) or on another filesystem, each file is fsynced on its
// own. DATASHARD_SYNC_GROUP forces either way (see above). Network
// filesystems, and kernels whose syncfs reports no errors, get the default
// group (fsync each).
class PosixSyncGroup final : public SyncGroup {
 public:
  PosixSyncGroup(PosixFileIO& io, std::string dir_path, Fd dir, dev_t device)
      : io_(io), dir_path_(std::move(dir_path)), dir_(std::move(dir)), device_(device) {}

  void Add(std::unique_ptr<WritableFile> file) override {
    auto* posix = dynamic_cast<PosixWritableFile*>(file.get());
    const bool hold = posix != nullptr && file->Size() <= kLargeBytes && posix->Device() == device_;
    if (!hold) {
      file->Sync();
      file->Close();
      other_dirs_.insert(ParentPath(file->path()));
      return;
    }
    file->Close();  // its bytes are the kernel's now: readable, and left to write back
    held_bytes_ += file->Size();
    held_dirs_.insert(ParentPath(file->path()));
    held_.push_back(file->path());
  }

  void Sync() override { Guarded(/*shared=*/true); }
  void SyncEach() override { Guarded(/*shared=*/false); }

 private:
  static constexpr uint64_t kLargeBytes = 1 << 20;
  static constexpr uint64_t kBusyBytes = 16 << 20;

  void Guarded(bool shared) {
    // A reported write-back error is reported once: after one, every later
    // Sync() fails too rather than vouch for files that may be lost.
    if (failed_) throw IOError("sync of files under " + dir_path_ + ": an earlier sync failed");
    failed_ = true;
    SyncHeldAndFolders(shared);
    failed_ = false;
  }

  // One syncfs for the held files, or an fsync of each (see above).
  bool OneSyncfs(bool shared) const {
    switch (ForcedSyncGroupMode()) {
      case SyncGroupMode::kEach:
        return false;
      case SyncGroupMode::kShared:
        return true;
      case SyncGroupMode::kAuto:
        break;
    }
    if (!shared) return false;
    const std::optional<uint64_t> pending = PendingWriteback();
    return pending && *pending <= held_bytes_ + kBusyBytes;
  }

  void SyncHeldAndFolders(bool shared) {
    if (!held_.empty()) {
      if (OneSyncfs(shared)) {
        if (::syncfs(dir_.get()) != 0) {
          ThrowIoError("syncfs of the filesystem holding", held_.front(), errno);
        }
        held_dirs_.clear();
      } else {
        for (const std::string& path : held_) io_.SyncFileUnlessRemoved(path);
        other_dirs_.merge(held_dirs_);
      }
      held_.clear();
      held_bytes_ = 0;
    }
    while (!other_dirs_.empty()) {
      io_.SyncDir(*other_dirs_.begin());
      other_dirs_.erase(other_dirs_.begin());
    }
  }

  PosixFileIO& io_;
  std::string dir_path_;
  Fd dir_;
  dev_t device_;
  std::vector<std::string> held_;  // written and closed, left to syncfs
  uint64_t held_bytes_ = 0;
  std::set<std::string> held_dirs_;   // folders of held_, made durable by the syncfs
  std::set<std::string> other_dirs_;  // folders of files fsynced on their own
  bool failed_ = false;
};

std::unique_ptr<SyncGroup> PosixFileIO::NewSyncGroup(const std::string& dir) {
  if (!SyncfsReportsErrors()) return FileIO::NewSyncGroup(dir);
  Fd fd = OpenDir(dir);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) ThrowIoError("stat", dir, errno);
  // A network filesystem's flush of everything is its servers' business.
  struct statfs fs;
  if (::fstatfs(fd.get(), &fs) != 0) ThrowIoError("statfs", dir, errno);
  if (IsNetworkType(fs)) return FileIO::NewSyncGroup(dir);
  return std::make_unique<PosixSyncGroup>(*this, dir, std::move(fd), st.st_dev);
}

}  // namespace

std::shared_ptr<FileIO> NewPosixFileIO(const std::string& root) {
  return std::make_shared<PosixFileIO>(root);
}

std::shared_ptr<FileIO> DefaultFileIO() {
  static const std::shared_ptr<FileIO> io = NewPosixFileIO();
  return io;
}

}  // namespace datashard
