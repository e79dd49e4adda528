// A FileIO decorator that keeps a table's I/O inside the table folder
// (docs/reading.md, "Paths outside the table folder"): every path is made
// absolute and "." and ".." are resolved lexically; a path inside the folder
// goes to the inner FileIO, one below the location the table's metadata
// records (a copied or moved table) is mapped into the folder, and any other
// is refused with Corruption, unless reads outside were allowed: then reads
// (never writes, deletes or locks) go to a second FileIO. Symbolic links are
// the inner FileIO's business: NewPosixFileIO(root) refuses those that lead
// out of the folder, which this FileIO reports as Corruption too.
// Thread-safe once configured.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "datashard/file_io.h"

namespace datashard {

class ConfinedFileIO final : public FileIO {
 public:
  /// `inside` serves the paths in `folder` (absolute, lexically normal);
  /// `outside` serves the reads outside it once allowed.
  ConfinedFileIO(std::shared_ptr<FileIO> inside, std::shared_ptr<FileIO> outside,
                 std::string folder);

  /// Paths below `recorded_location` (the table's location in its metadata,
  /// absolute) are mapped into the folder, and reads outside the folder are
  /// allowed or not. Call before the FileIO is shared.
  void Configure(const std::string& recorded_location, bool allow_outside_reads);

  const std::string& folder() const { return folder_; }

  /// Whether a read of `path` would be served (inside, mapped, or allowed
  /// outside); touches no file, so links are not looked at.
  bool MayRead(const std::string& path) const;

  std::unique_ptr<RandomAccessFile> OpenRead(const std::string& path) override;
  std::unique_ptr<WritableFile> Create(const std::string& path) override;
  bool LinkIfAbsent(const std::string& source, const std::string& target) override;
  void Rename(const std::string& source, const std::string& target) override;
  void SyncDir(const std::string& dir) override;
  std::unique_ptr<SyncGroup> NewSyncGroup(const std::string& dir) override;
  void Delete(const std::string& path) override;
  size_t DeleteEach(const std::vector<std::string>& paths) noexcept override;
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

 private:
  // `path` inside the folder (mapped from the recorded location when it lies
  // there); nullopt for a path outside both.
  std::optional<std::string> InFolder(const std::string& path) const;
  // `path` inside the folder, or Corruption naming `op`.
  std::string Inside(const std::string& path, const char* op) const;
  // Runs `read` on the FileIO and path that serve a read of `path`.
  template <typename F>
  auto Read(const std::string& path, const char* op, F&& read);

  std::shared_ptr<FileIO> inside_;
  std::shared_ptr<FileIO> outside_;
  std::string folder_;
  std::string recorded_;  // normal; empty when it is the folder itself
  bool allow_outside_reads_ = false;
};

}  // namespace datashard
