#include "commit/deferred_deletes.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <memory>
#include <optional>
#include <string_view>

#include "datashard/errors.h"
#include "io/delete_quietly.h"
#include "io/lazy_folder.h"
#include "util/uuid.h"

namespace datashard {
namespace {

std::string ListDir(const std::string& metadata_dir) { return metadata_dir + "/deferred-deletes"; }

// The not-before time of a list named "<ms>-<uuid>.txt" or "<ms>-batch<k>.txt".
std::optional<int64_t> NotBefore(const std::string& name) {
  int64_t ms = 0;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), ms);
  if (ec != std::errc() || end == name.data() || *end != '-') return std::nullopt;
  return ms;
}

// A shared list is this long, zero-filled when made: each commit writes its
// lines at the first zero byte.
constexpr size_t kSharedListBytes = 64 * 1024;
// A shared list collects the commits whose deletions fall due within one
// slot of at most this long and at most 1/16 of the grace period, so that
// deletion waits at most that much longer than the grace period.
constexpr int64_t kMaxSlotMs = 1000;
// Shared lists of one slot before a commit writes a list of its own.
constexpr int kMaxSharedLists = 16;

void WriteOwnList(FileIO& io, const std::string& dir, int64_t not_before, const std::string& text) {
  const std::string list =
      dir + "/" + std::to_string(not_before) + "-" + Uuid::Random().ToString() + ".txt";
  InLazyFolder(io, dir, [&] { io.WriteFile(list, text, /*sync=*/false); });
}

// Whether bytes [offset, offset + n) of `file` are all zero.
bool AllZero(const UpdatableFile& file, uint64_t offset, size_t n) {
  std::string bytes(n, '\0');
  file.ReadAt(offset, n, bytes.data());
  return bytes.find_first_not_of('\0') == std::string::npos;
}

// Where `n` bytes of lines go in a shared list: at its first zero byte, with
// a zero byte left after them. Lines fill a list from its start, so the
// zeros after them are found by bisection over blocks and a full list by
// its last bytes: a commit reads a few KB of the list, not all 64 KB of
// each list it passes. Nullopt when there is no room, and when the place
// found is not a line's end followed by zeros (a list torn at a power loss
// can have zeros between lines): no line already listed is overwritten.
std::optional<uint64_t> FindRoom(const UpdatableFile& file, size_t n) {
  constexpr uint64_t kBlock = 4096;
  const uint64_t size = file.Size();
  if (size <= n || !AllZero(file, size - n - 1, n + 1)) return std::nullopt;
  // The first zero byte lies in block lo (or at `size` when lo == blocks).
  uint64_t lo = 0;
  uint64_t hi = (size + kBlock - 1) / kBlock;
  std::string block;
  uint64_t end = size;
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    const uint64_t start = mid * kBlock;
    block.resize(std::min(kBlock, size - start));
    file.ReadAt(start, block.size(), block.data());
    const size_t zero = block.find('\0');
    if (zero == std::string::npos) {
      lo = mid + 1;
    } else if (zero > 0) {
      lo = hi = mid;
      end = start + zero;
    } else {
      hi = mid;
      end = start;
    }
  }
  if (size - end <= n) return std::nullopt;
  const uint64_t from = end > 0 ? end - 1 : 0;
  std::string around(end - from + n + 1, '\0');
  file.ReadAt(from, around.size(), around.data());
  if (end > 0 && around[0] != '\n') return std::nullopt;
  if (around.find_first_not_of('\0', end - from) != std::string::npos) return std::nullopt;
  return end;
}

// Adds `text` to a shared list of the slot that ends at `not_before`, under
// the folder's lock (writers in other processes would otherwise write at
// the same offset: lines lost, their files left to gc). False when no list
// has room or the lock is busy. Writing into a file costs far less than
// creating one: ext4 without a journal scans past every inode deleted in
// the last minute to create one, and a plain commit creates five besides.
bool AddToSharedList(FileIO& io, const std::string& dir, int64_t not_before,
                     const std::string& text) {
  if (text.size() >= kSharedListBytes) return false;
  const std::string lock_path = dir + "/append.lock";
  const std::unique_ptr<FileLock> lock = InLazyFolder(
      io, dir, [&] { return io.TryLockFor(lock_path, std::chrono::milliseconds(100)); });
  if (!lock) return false;
  for (int k = 0; k < kMaxSharedLists; ++k) {
    const std::string list =
        dir + "/" + std::to_string(not_before) + "-batch" + std::to_string(k) + ".txt";
    if (!io.Exists(list)) io.WriteFile(list, std::string(kSharedListBytes, '\0'), /*sync=*/false);
    const std::unique_ptr<UpdatableFile> file = io.OpenForUpdate(list);
    const std::optional<uint64_t> at = FindRoom(*file, text.size());
    if (!at) continue;  // full
    file->WriteAt(*at, text.data(), text.size());
    return true;
  }
  return false;
}

}  // namespace

void RetireFiles(FileIO& io, const std::string& metadata_dir, const std::vector<std::string>& paths,
                 int64_t now_ms, int64_t grace_ms) noexcept {
  if (paths.empty()) return;
  if (grace_ms > 0) {
    std::string text;
    for (const std::string& p : paths) text += p + "\n";
    try {
      const std::string dir = ListDir(metadata_dir);
      const int64_t due = now_ms + grace_ms;
      const int64_t slot = std::min(kMaxSlotMs, grace_ms / 16);
      if (slot > 0) {
        try {
          // Every commit of the slot falls due before its end.
          if (AddToSharedList(io, dir, (due / slot + 1) * slot, text)) return;
        } catch (...) {
          // A list of its own instead.
        }
      }
      WriteOwnList(io, dir, due, text);
    } catch (...) {
      // Cannot defer: leave the files as orphans rather than delete them under
      // a reader.
    }
    return;
  }
  DeleteQuietly(io, paths);
}

int64_t SweepDeferredDeletes(FileIO& io, const std::string& metadata_dir, int64_t now_ms) noexcept {
  int64_t done = 0;
  try {
    const std::string dir = ListDir(metadata_dir);
    if (!io.Exists(dir)) return 0;
    // Names only: the folder holds a list per commit of the grace period.
    for (const std::string& name : io.ListNames(dir)) {
      const std::optional<int64_t> not_before = NotBefore(name);
      if (!not_before || *not_before > now_ms) continue;
      const std::string list = dir + "/" + name;
      std::string text;
      try {
        text = io.ReadFile(list);
      } catch (const NotFound&) {
        continue;  // another sweeper took it
      }
      // Only whole lines: a list cut short by a crash names no partial path.
      std::vector<std::string> paths;
      size_t start = 0;
      for (size_t end = text.find('\n'); end != std::string::npos;
           start = end + 1, end = text.find('\n', start)) {
        // A line with a zero byte is torn (unsynced bytes lost at a power loss).
        const std::string_view line = std::string_view(text).substr(start, end - start);
        if (!line.empty() && line.find('\0') == std::string_view::npos) paths.emplace_back(line);
      }
      io.DeleteEach(paths);
      DeleteQuietly(io, list);
      ++done;
    }
  } catch (...) {
    // Best effort: the next sweep tries again.
  }
  return done;
}

}  // namespace datashard
