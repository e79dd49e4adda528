#include "datashard/file_io.h"

#include <algorithm>
#include <thread>

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

std::unique_ptr<FileLock> FileIO::TryLockFor(const std::string& path,
                                             std::chrono::microseconds timeout) {
  // Polled: Linux has no timed wait for a file lock. Pauses grow to 2 ms, so
  // a released lock is taken soon after.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::chrono::microseconds pause(50);
  for (;;) {
    if (std::unique_ptr<FileLock> lock = Lock(path, /*wait=*/false)) return lock;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return nullptr;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(pause, deadline - now));
    pause = std::min<std::chrono::microseconds>(pause * 2, std::chrono::milliseconds(2));
  }
}

}  // namespace datashard
