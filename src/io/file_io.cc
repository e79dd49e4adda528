#include "datashard/file_io.h"

#include <set>

#include "io/lock_poll.h"
#include "util/lexical_path.h"

namespace datashard {

std::string FileIO::ReadFile(const std::string& path) {
  std::unique_ptr<RandomAccessFile> file = OpenRead(path);
  std::string data(file->Size(), '\0');
  if (!data.empty()) file->ReadAt(0, data.size(), data.data());
  return data;
}

void FileIO::WriteFile(const std::string& path, const std::string& data, bool sync) {
  std::unique_ptr<WritableFile> file = Create(path);
  file->Append(data);
  if (sync) file->Sync();
  file->Close();
}

void FileIO::WriteFile(const std::string& path, const std::string& data, SyncGroup& group) {
  std::unique_ptr<WritableFile> file = Create(path);
  file->Append(data);
  group.Add(std::move(file));
}

std::vector<std::string> FileIO::ListNames(const std::string& dir) {
  std::vector<std::string> names;
  for (FileInfo& info : List(dir)) names.push_back(std::move(info.name));
  return names;
}

size_t FileIO::DeleteEach(const std::vector<std::string>& paths) noexcept {
  size_t deleted = 0;
  for (const std::string& p : paths) {
    try {
      Delete(p);
      ++deleted;
    } catch (...) {
      // Stays, as documented.
    }
  }
  return deleted;
}

namespace {

// Each file fsynced as it comes, each folder once in Sync().
class FsyncEachGroup final : public SyncGroup {
 public:
  explicit FsyncEachGroup(FileIO& io) : io_(io) {}

  void Add(std::unique_ptr<WritableFile> file) override {
    file->Sync();
    file->Close();
    dirs_.insert(ParentPath(file->path()));
  }

  void Sync() override {
    while (!dirs_.empty()) {
      io_.SyncDir(*dirs_.begin());
      dirs_.erase(dirs_.begin());
    }
  }

 private:
  FileIO& io_;
  std::set<std::string> dirs_;  // folders of added files whose names are not durable yet
};

}  // namespace

std::unique_ptr<SyncGroup> FileIO::NewSyncGroup(const std::string& /*dir*/) {
  return std::make_unique<FsyncEachGroup>(*this);
}

std::unique_ptr<FileLock> FileIO::TryLockFor(const std::string& path,
                                             std::chrono::microseconds timeout,
                                             LockWaiter* waiter) {
  return PollForLock(timeout, waiter, [&] { return Lock(path, /*wait=*/false); });
}

}  // namespace datashard
