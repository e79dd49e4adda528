#include "io/confined_file_io.h"

#include <optional>

#include "datashard/errors.h"
#include "util/lexical_path.h"

namespace datashard {
namespace {

// The inner FileIO refuses a symbolic link that leads out of the folder with
// InvalidArgument (a caller's bad path); for a table it is stored data.
template <typename F>
auto Guarded(const std::string& folder, F&& op) -> decltype(op()) {
  try {
    return op();
  } catch (const InvalidArgument& e) {
    throw Corruption("table folder " + folder + ": " + e.what());
  }
}

}  // namespace

ConfinedFileIO::ConfinedFileIO(std::shared_ptr<FileIO> inside, std::shared_ptr<FileIO> outside,
                               std::string folder)
    : inside_(std::move(inside)), outside_(std::move(outside)), folder_(std::move(folder)) {}

void ConfinedFileIO::Configure(const std::string& recorded_location, bool allow_outside_reads) {
  const std::string recorded = LexicallyNormal(recorded_location);
  recorded_ = recorded == folder_ ? "" : recorded;
  allow_outside_reads_ = allow_outside_reads;
}

std::optional<std::string> ConfinedFileIO::InFolder(const std::string& path) const {
  const std::string normal = LexicallyNormal(inside_->AbsolutePath(path));
  if (PathBelow(normal, folder_)) return normal;
  if (!recorded_.empty()) {
    if (const auto below = PathBelow(normal, recorded_)) return LexicallyNormal(folder_ + *below);
  }
  return std::nullopt;
}

bool ConfinedFileIO::MayRead(const std::string& path) const {
  return allow_outside_reads_ || InFolder(path).has_value();
}

std::string ConfinedFileIO::Inside(const std::string& path, const char* op) const {
  if (auto in = InFolder(path)) return *in;
  throw Corruption("table " + folder_ + ": refusing to " + op + " " + path +
                   ", which lies outside the table folder" +
                   (recorded_.empty() ? "" : " and outside its recorded location " + recorded_));
}

template <typename F>
auto ConfinedFileIO::Read(const std::string& path, const char* op, F&& read) {
  if (auto in = InFolder(path)) return Guarded(folder_, [&] { return read(*inside_, *in); });
  if (!allow_outside_reads_) {
    throw Corruption("table " + folder_ + ": refusing to " + op + " " + path +
                     ", which lies outside the table folder" +
                     (recorded_.empty() ? "" : " and outside its recorded location " + recorded_) +
                     " (the table property datashard.read.allow-outside-paths=true allows reads "
                     "there)");
  }
  return read(*outside_, path);
}

std::unique_ptr<RandomAccessFile> ConfinedFileIO::OpenRead(const std::string& path) {
  return Read(path, "read", [](FileIO& io, const std::string& p) { return io.OpenRead(p); });
}

std::unique_ptr<WritableFile> ConfinedFileIO::Create(const std::string& path) {
  const std::string p = Inside(path, "create");
  return Guarded(folder_, [&] { return inside_->Create(p); });
}

bool ConfinedFileIO::LinkIfAbsent(const std::string& source, const std::string& target) {
  const std::string s = Inside(source, "link");
  const std::string t = Inside(target, "link");
  return Guarded(folder_, [&] { return inside_->LinkIfAbsent(s, t); });
}

void ConfinedFileIO::Rename(const std::string& source, const std::string& target) {
  const std::string s = Inside(source, "rename");
  const std::string t = Inside(target, "rename");
  Guarded(folder_, [&] { inside_->Rename(s, t); });
}

void ConfinedFileIO::SyncDir(const std::string& dir) {
  const std::string p = Inside(dir, "sync");
  Guarded(folder_, [&] { inside_->SyncDir(p); });
}

std::unique_ptr<SyncGroup> ConfinedFileIO::NewSyncGroup(const std::string& dir) {
  const std::string p = Inside(dir, "sync");
  return Guarded(folder_, [&] { return inside_->NewSyncGroup(p); });
}

void ConfinedFileIO::Delete(const std::string& path) {
  const std::string p = Inside(path, "delete");
  Guarded(folder_, [&] { inside_->Delete(p); });
}

size_t ConfinedFileIO::DeleteEach(const std::vector<std::string>& paths) noexcept {
  std::vector<std::string> inside;
  inside.reserve(paths.size());
  for (const std::string& p : paths) {
    try {
      if (auto in = InFolder(p)) inside.push_back(std::move(*in));
    } catch (...) {
      // Not a path of the folder: it stays.
    }
  }
  return inside_->DeleteEach(inside);
}

bool ConfinedFileIO::Exists(const std::string& path) {
  return Read(path, "look for", [](FileIO& io, const std::string& p) { return io.Exists(p); });
}

FileInfo ConfinedFileIO::Stat(const std::string& path) {
  return Read(path, "stat", [](FileIO& io, const std::string& p) { return io.Stat(p); });
}

std::vector<FileInfo> ConfinedFileIO::List(const std::string& dir) {
  return Read(dir, "list", [](FileIO& io, const std::string& p) { return io.List(p); });
}

std::vector<std::string> ConfinedFileIO::ListNames(const std::string& dir) {
  return Read(dir, "list", [](FileIO& io, const std::string& p) { return io.ListNames(p); });
}

void ConfinedFileIO::CreateDirs(const std::string& dir) {
  const std::string p = Inside(dir, "create");
  Guarded(folder_, [&] { inside_->CreateDirs(p); });
}

std::unique_ptr<FileLock> ConfinedFileIO::Lock(const std::string& path, bool wait) {
  const std::string p = Inside(path, "lock");
  return Guarded(folder_, [&] { return inside_->Lock(p, wait); });
}

std::unique_ptr<FileLock> ConfinedFileIO::TryLockFor(const std::string& path,
                                                     std::chrono::microseconds timeout,
                                                     LockWaiter* waiter) {
  const std::string p = Inside(path, "lock");
  return Guarded(folder_, [&] { return inside_->TryLockFor(p, timeout, waiter); });
}

std::unique_ptr<UpdatableFile> ConfinedFileIO::OpenForUpdate(const std::string& path) {
  const std::string p = Inside(path, "update");
  return Guarded(folder_, [&] { return inside_->OpenForUpdate(p); });
}

std::unique_ptr<SharedMemory> ConfinedFileIO::MapShared(const std::string& path, size_t size) {
  const std::string p = Inside(path, "map");
  return Guarded(folder_, [&] { return inside_->MapShared(p, size); });
}

bool ConfinedFileIO::IsNetworkFilesystem(const std::string& path) {
  return Read(path, "inspect",
              [](FileIO& io, const std::string& p) { return io.IsNetworkFilesystem(p); });
}

std::string ConfinedFileIO::BootId() { return inside_->BootId(); }

std::string ConfinedFileIO::AbsolutePath(const std::string& path) {
  return inside_->AbsolutePath(path);
}

}  // namespace datashard
