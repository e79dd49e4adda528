#include "io/fault_injection_file_io.h"

#include <algorithm>
#include <cerrno>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "datashard/errors.h"
#include "io/io_error.h"

namespace datashard {

namespace {

const char* OpName(FaultOp op) {
  switch (op) {
    case FaultOp::kCreate:
      return "create";
    case FaultOp::kAppend:
      return "append";
    case FaultOp::kSync:
      return "fsync";
    case FaultOp::kSyncDir:
      return "fsync directory";
    case FaultOp::kLink:
      return "link";
    case FaultOp::kRename:
      return "rename";
    case FaultOp::kDelete:
      return "delete";
    case FaultOp::kRead:
      return "read";
    case FaultOp::kWrite:
      return "write";
    case FaultOp::kLock:
      return "lock";
    case FaultOp::kOpen:
      return "open";
  }
  return "operation";
}

// Lexical form used as a key: no empty or "." components, ".." folded.
std::string Normalize(const std::string& path) {
  const bool absolute = !path.empty() && path[0] == '/';
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const std::string part = path.substr(start, end - start);
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!absolute) {
        parts.push_back(part);
      }
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    start = end + 1;
  }
  std::string out = absolute ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? "/" : "") + parts[i];
  return out.empty() ? "." : out;
}

std::string DirOf(const std::string& normalized) {
  const size_t slash = normalized.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : normalized.substr(0, slash);
}

// Durability of one file's bytes; shared by every name of the file.
struct FileState {
  uint64_t size = 0;
  uint64_t synced = 0;
  // In-place writes since the last SyncData: offset and the bytes overwritten.
  std::vector<std::pair<uint64_t, std::string>> unsynced_writes;
};

// A name operation not yet made durable by SyncDir of every listed directory.
struct PendingName {
  enum class Kind { kCreated, kRenamed } kind;
  std::string path;  // the new name (created, link target, rename target)
  std::set<std::string> unsynced_dirs;
  // Renames only: what to restore if undone.
  std::string source;
  std::string source_content;
  std::shared_ptr<FileState> source_state;
  std::optional<std::string> target_content;  // nullopt: the target was new
  std::shared_ptr<FileState> target_state;
};

}  // namespace

struct FaultInjectionFileIO::State {
  explicit State(std::shared_ptr<FileIO> b) : base(std::move(b)) {}

  // Runs the hook, counts the call and throws if an armed fault fires on it.
  void Enter(FaultOp op, const std::string& path, int64_t FileIOCounters::*counter,
             const std::string& target = "") {
    RunHook(op, path, target);
    std::lock_guard<std::mutex> lock(mu);
    ++(counters.*counter);
    if (fault_mask & static_cast<FaultOpMask>(op)) {
      if (fault_firing || --fault_remaining == 0) {
        fault_firing = fault_sticky;
        if (!fault_sticky) fault_mask = 0;
        ++faults_injected;
        ThrowIoError(std::string(OpName(op)) + " (injected fault)",
                     target.empty() ? path : path + "' to '" + target, fault_errno);
      }
    }
  }

  void RunHook(FaultOp op, const std::string& path, const std::string& target) {
    FaultInjectionFileIO::Hook run;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!(hook_mask & static_cast<FaultOpMask>(op))) return;
      run = hook;
    }
    run(op, path, target);
  }

  // A read through a file handle of either kind: counted, perhaps made to
  // fail, refused after a simulated power loss.
  template <typename File>
  void ReadThrough(const File& file, uint64_t handle_epoch, uint64_t offset, size_t n, char* buf) {
    Enter(FaultOp::kRead, file.path(), &FileIOCounters::reads);
    CheckEpoch(handle_epoch, file.path());
    file.ReadAt(offset, n, buf);
    std::lock_guard<std::mutex> lock(mu);
    counters.bytes_read += static_cast<int64_t>(n);
  }

  void Count(int64_t FileIOCounters::*counter) {
    std::lock_guard<std::mutex> lock(mu);
    ++(counters.*counter);
  }

  void CheckEpoch(uint64_t handle_epoch, const std::string& path) {
    std::lock_guard<std::mutex> lock(mu);
    if (handle_epoch != epoch) {
      throw IOError("'" + path + "': file handle opened before a simulated power loss");
    }
  }

  std::shared_ptr<FileIO> base;
  mutable std::mutex mu;
  FileIOCounters counters;
  FaultOpMask fault_mask = 0;
  int64_t fault_remaining = 0;
  int fault_errno = EIO;
  bool fault_sticky = false;
  bool fault_firing = false;
  int64_t faults_injected = 0;
  FaultOpMask hook_mask = 0;
  int64_t mtime_shift_ms = 0;
  FaultInjectionFileIO::Hook hook;
  uint64_t epoch = 0;
  std::map<std::string, std::shared_ptr<FileState>> files;  // by normalized name
  std::vector<PendingName> pending;                         // oldest first
};

namespace {

class FaultRandomAccessFile final : public RandomAccessFile {
 public:
  FaultRandomAccessFile(std::shared_ptr<FaultInjectionFileIO::State> state,
                        std::unique_ptr<RandomAccessFile> base, uint64_t epoch)
      : RandomAccessFile(base->path()),
        state_(std::move(state)),
        base_(std::move(base)),
        epoch_(epoch) {}

  uint64_t Size() const override { return base_->Size(); }

  void ReadAt(uint64_t offset, size_t n, char* buf) const override {
    state_->ReadThrough(*base_, epoch_, offset, n, buf);
  }

 private:
  std::shared_ptr<FaultInjectionFileIO::State> state_;
  std::unique_ptr<RandomAccessFile> base_;
  uint64_t epoch_;
};

class FaultWritableFile final : public WritableFile {
 public:
  FaultWritableFile(std::shared_ptr<FaultInjectionFileIO::State> state,
                    std::unique_ptr<WritableFile> base, std::shared_ptr<FileState> file,
                    uint64_t epoch)
      : WritableFile(base->path()),
        state_(std::move(state)),
        base_(std::move(base)),
        file_(std::move(file)),
        epoch_(epoch) {}

  void Append(const char* data, size_t n) override {
    state_->Enter(FaultOp::kAppend, path(), &FileIOCounters::appends);
    state_->CheckEpoch(epoch_, path());
    base_->Append(data, n);
    std::lock_guard<std::mutex> lock(state_->mu);
    file_->size += n;
    state_->counters.bytes_appended += static_cast<int64_t>(n);
  }

  void Sync() override {
    state_->Enter(FaultOp::kSync, path(), &FileIOCounters::syncs);
    state_->CheckEpoch(epoch_, path());
    base_->Sync();
    std::lock_guard<std::mutex> lock(state_->mu);
    file_->synced = file_->size;
  }

  void Close() override {
    state_->CheckEpoch(epoch_, path());
    base_->Close();
  }

  uint64_t Size() const override { return base_->Size(); }

 private:
  std::shared_ptr<FaultInjectionFileIO::State> state_;
  std::unique_ptr<WritableFile> base_;
  std::shared_ptr<FileState> file_;
  uint64_t epoch_;
};

class FaultUpdatableFile final : public UpdatableFile {
 public:
  FaultUpdatableFile(std::shared_ptr<FaultInjectionFileIO::State> state,
                     std::unique_ptr<UpdatableFile> base, std::shared_ptr<FileState> file,
                     uint64_t epoch)
      : UpdatableFile(base->path()),
        state_(std::move(state)),
        base_(std::move(base)),
        file_(std::move(file)),
        epoch_(epoch) {}

  uint64_t Size() const override { return base_->Size(); }

  void ReadAt(uint64_t offset, size_t n, char* buf) const override {
    state_->ReadThrough(*base_, epoch_, offset, n, buf);
  }

  void WriteAt(uint64_t offset, const char* data, size_t n) override {
    state_->Enter(FaultOp::kWrite, path(), &FileIOCounters::writes);
    state_->CheckEpoch(epoch_, path());
    std::string old(n, '\0');
    if (offset <= base_->Size() && n <= base_->Size() - offset)
      base_->ReadAt(offset, n, old.data());
    base_->WriteAt(offset, data, n);
    std::lock_guard<std::mutex> lock(state_->mu);
    file_->unsynced_writes.emplace_back(offset, std::move(old));
  }

  void SyncData() override {
    state_->Enter(FaultOp::kSync, path(), &FileIOCounters::syncs);
    state_->CheckEpoch(epoch_, path());
    // What is written before the fdatasync starts is what it makes durable.
    size_t covered;
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      covered = file_->unsynced_writes.size();
    }
    base_->SyncData();
    std::lock_guard<std::mutex> lock(state_->mu);
    auto& w = file_->unsynced_writes;
    w.erase(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(std::min(covered, w.size())));
  }

 private:
  std::shared_ptr<FaultInjectionFileIO::State> state_;
  std::unique_ptr<UpdatableFile> base_;
  std::shared_ptr<FileState> file_;
  uint64_t epoch_;
};

}  // namespace

FaultInjectionFileIO::FaultInjectionFileIO(std::shared_ptr<FileIO> base)
    : state_(std::make_shared<State>(std::move(base))) {}

FaultInjectionFileIO::~FaultInjectionFileIO() = default;

void FaultInjectionFileIO::FailNth(FaultOpMask ops, int64_t n, int err, bool sticky) {
  if (n < 1) throw InvalidArgument("FailNth: n must be at least 1, got " + std::to_string(n));
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->fault_mask = ops;
  state_->fault_remaining = n;
  state_->fault_errno = err;
  state_->fault_sticky = sticky;
  state_->fault_firing = false;
}

void FaultInjectionFileIO::ClearFaults() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->fault_mask = 0;
  state_->fault_firing = false;
}

void FaultInjectionFileIO::SetHook(FaultOpMask ops, Hook hook) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->hook_mask = hook ? ops : 0;
  state_->hook = std::move(hook);
}

int64_t FaultInjectionFileIO::faults_injected() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->faults_injected;
}

FileIOCounters FaultInjectionFileIO::counters() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->counters;
}

void FaultInjectionFileIO::ResetCounters() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->counters = FileIOCounters();
}

std::unique_ptr<RandomAccessFile> FaultInjectionFileIO::OpenRead(const std::string& path) {
  state_->Enter(FaultOp::kOpen, path, &FileIOCounters::opens);
  std::unique_ptr<RandomAccessFile> base = state_->base->OpenRead(path);
  std::lock_guard<std::mutex> lock(state_->mu);
  return std::make_unique<FaultRandomAccessFile>(state_, std::move(base), state_->epoch);
}

std::unique_ptr<WritableFile> FaultInjectionFileIO::Create(const std::string& path) {
  state_->Enter(FaultOp::kCreate, path, &FileIOCounters::creates);
  std::unique_ptr<WritableFile> base = state_->base->Create(path);
  std::lock_guard<std::mutex> lock(state_->mu);
  const std::string key = Normalize(path);
  auto file = std::make_shared<FileState>();
  state_->files[key] = file;
  state_->pending.push_back({PendingName::Kind::kCreated, key, {DirOf(key)}});
  return std::make_unique<FaultWritableFile>(state_, std::move(base), std::move(file),
                                             state_->epoch);
}

bool FaultInjectionFileIO::LinkIfAbsent(const std::string& source, const std::string& target) {
  state_->Enter(FaultOp::kLink, source, &FileIOCounters::links, target);
  if (!state_->base->LinkIfAbsent(source, target)) return false;
  std::lock_guard<std::mutex> lock(state_->mu);
  const std::string key = Normalize(target);
  auto it = state_->files.find(Normalize(source));
  if (it != state_->files.end()) state_->files[key] = it->second;
  state_->pending.push_back({PendingName::Kind::kCreated, key, {DirOf(key)}});
  return true;
}

void FaultInjectionFileIO::Rename(const std::string& source, const std::string& target) {
  state_->Enter(FaultOp::kRename, source, &FileIOCounters::renames, target);
  PendingName undo{PendingName::Kind::kRenamed, Normalize(target), {}};
  undo.source = Normalize(source);
  undo.unsynced_dirs = {DirOf(undo.source), DirOf(undo.path)};
  // Capture what an undo needs before the rename changes it.
  undo.source_content = state_->base->ReadFile(source);
  if (state_->base->Exists(target)) undo.target_content = state_->base->ReadFile(target);
  state_->base->Rename(source, target);
  std::lock_guard<std::mutex> lock(state_->mu);
  auto src = state_->files.find(undo.source);
  if (src != state_->files.end()) {
    undo.source_state = src->second;
    state_->files.erase(src);
  }
  auto tgt = state_->files.find(undo.path);
  if (tgt != state_->files.end()) {
    undo.target_state = tgt->second;
    state_->files.erase(tgt);
  }
  if (undo.source_state) state_->files[undo.path] = undo.source_state;
  state_->pending.push_back(std::move(undo));
}

void FaultInjectionFileIO::SyncDir(const std::string& dir) {
  state_->Enter(FaultOp::kSyncDir, dir, &FileIOCounters::sync_dirs);
  state_->base->SyncDir(dir);
  std::lock_guard<std::mutex> lock(state_->mu);
  const std::string key = Normalize(dir);
  std::vector<PendingName> still;
  for (PendingName& p : state_->pending) {
    p.unsynced_dirs.erase(key);
    if (!p.unsynced_dirs.empty()) still.push_back(std::move(p));
  }
  state_->pending = std::move(still);
}

void FaultInjectionFileIO::Delete(const std::string& path) {
  state_->Enter(FaultOp::kDelete, path, &FileIOCounters::deletes);
  state_->base->Delete(path);
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->files.erase(Normalize(path));
}

bool FaultInjectionFileIO::Exists(const std::string& path) {
  state_->Count(&FileIOCounters::stats);
  return state_->base->Exists(path);
}

FileInfo FaultInjectionFileIO::Stat(const std::string& path) {
  state_->Count(&FileIOCounters::stats);
  FileInfo info = state_->base->Stat(path);
  std::lock_guard<std::mutex> lock(state_->mu);
  info.mtime_ms += state_->mtime_shift_ms;
  return info;
}

std::vector<FileInfo> FaultInjectionFileIO::List(const std::string& dir) {
  state_->Count(&FileIOCounters::lists);
  std::vector<FileInfo> infos = state_->base->List(dir);
  std::lock_guard<std::mutex> lock(state_->mu);
  for (FileInfo& info : infos) info.mtime_ms += state_->mtime_shift_ms;
  return infos;
}

std::vector<std::string> FaultInjectionFileIO::ListNames(const std::string& dir) {
  state_->Count(&FileIOCounters::lists);
  return state_->base->ListNames(dir);
}

void FaultInjectionFileIO::ShiftModificationTimes(int64_t ms) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->mtime_shift_ms = ms;
}

void FaultInjectionFileIO::CreateDirs(const std::string& dir) {
  state_->Count(&FileIOCounters::create_dirs);
  state_->base->CreateDirs(dir);
}

std::unique_ptr<FileLock> FaultInjectionFileIO::Lock(const std::string& path, bool wait) {
  state_->Enter(FaultOp::kLock, path, &FileIOCounters::locks);
  return state_->base->Lock(path, wait);
}

std::unique_ptr<FileLock> FaultInjectionFileIO::TryLockFor(const std::string& path,
                                                           std::chrono::microseconds timeout,
                                                           LockWaiter* waiter) {
  state_->Enter(FaultOp::kLock, path, &FileIOCounters::locks);
  return state_->base->TryLockFor(path, timeout, waiter);
}

std::unique_ptr<UpdatableFile> FaultInjectionFileIO::OpenForUpdate(const std::string& path) {
  state_->Count(&FileIOCounters::opens);
  std::unique_ptr<UpdatableFile> base = state_->base->OpenForUpdate(path);
  std::lock_guard<std::mutex> lock(state_->mu);
  std::shared_ptr<FileState>& file = state_->files[Normalize(path)];
  if (!file) {
    // A file that existed before this FileIO saw it is taken as durable.
    file = std::make_shared<FileState>();
    file->size = file->synced = base->Size();
  }
  return std::make_unique<FaultUpdatableFile>(state_, std::move(base), file, state_->epoch);
}

std::unique_ptr<SharedMemory> FaultInjectionFileIO::MapShared(const std::string& path,
                                                              size_t size) {
  return state_->base->MapShared(path, size);
}

bool FaultInjectionFileIO::IsNetworkFilesystem(const std::string& path) {
  return state_->base->IsNetworkFilesystem(path);
}

std::string FaultInjectionFileIO::BootId() {
  std::string id = state_->base->BootId();
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->epoch == 0 ? id : id + "+" + std::to_string(state_->epoch);
}

std::string FaultInjectionFileIO::AbsolutePath(const std::string& path) {
  return state_->base->AbsolutePath(path);
}

void FaultInjectionFileIO::DropUnsyncedData() {
  std::lock_guard<std::mutex> lock(state_->mu);
  FileIO& base = *state_->base;
  auto replace = [&base](const std::string& path, const std::string& content) {
    if (base.Exists(path)) base.Delete(path);
    base.WriteFile(path, content);
  };
  // Undo names newest first, so a rename of a created file restores the
  // source before the creation itself is undone.
  for (auto it = state_->pending.rbegin(); it != state_->pending.rend(); ++it) {
    PendingName& p = *it;
    if (p.kind == PendingName::Kind::kCreated) {
      if (base.Exists(p.path)) base.Delete(p.path);
      state_->files.erase(p.path);
      continue;
    }
    if (p.target_content) {
      replace(p.path, *p.target_content);
    } else if (base.Exists(p.path)) {
      base.Delete(p.path);
    }
    state_->files.erase(p.path);
    if (p.target_state) state_->files[p.path] = p.target_state;
    replace(p.source, p.source_content);
    if (p.source_state) state_->files[p.source] = p.source_state;
  }
  state_->pending.clear();
  // Give bytes updated in place since their last SyncData their old content,
  // newest write first.
  for (const auto& [path, file] : state_->files) {
    if (file->unsynced_writes.empty() || !base.Exists(path)) continue;
    std::unique_ptr<UpdatableFile> f = base.OpenForUpdate(path);
    for (auto it = file->unsynced_writes.rbegin(); it != file->unsynced_writes.rend(); ++it) {
      f->WriteAt(it->first, it->second.data(), it->second.size());
    }
    f->SyncData();
    file->unsynced_writes.clear();
  }
  // Cut every surviving file back to its last fsynced size.
  for (const auto& [path, file] : state_->files) {
    if (file->synced >= file->size || !base.Exists(path)) continue;
    std::string keep(file->synced, '\0');
    if (file->synced > 0) base.OpenRead(path)->ReadAt(0, keep.size(), keep.data());
    replace(path, keep);
  }
  for (const auto& entry : state_->files) entry.second->size = entry.second->synced;
  state_->files.clear();
  ++state_->epoch;
}

}  // namespace datashard
