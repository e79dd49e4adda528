#include "commit/deferred_deletes.h"

#include <charconv>
#include <optional>

#include "datashard/errors.h"
#include "io/delete_quietly.h"
#include "util/uuid.h"

namespace datashard {
namespace {

std::string ListDir(const std::string& metadata_dir) { return metadata_dir + "/deferred-deletes"; }

// The not-before time of a list named "<ms>-<uuid>.txt".
std::optional<int64_t> NotBefore(const std::string& name) {
  int64_t ms = 0;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), ms);
  if (ec != std::errc() || end == name.data() || *end != '-') return std::nullopt;
  return ms;
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
      const std::string list =
          dir + "/" + std::to_string(now_ms + grace_ms) + "-" + Uuid::Random().ToString() + ".txt";
      // The folder is made once, when a write finds it missing, not per commit.
      try {
        io.WriteFile(list, text, /*sync=*/false);
      } catch (const NotFound&) {
        io.CreateDirs(dir);
        io.WriteFile(list, text, /*sync=*/false);
      }
      return;
    } catch (...) {
      // Cannot defer: leave the files as orphans rather than delete them under
      // a reader.
      return;
    }
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
      size_t start = 0;
      for (size_t end = text.find('\n'); end != std::string::npos;
           start = end + 1, end = text.find('\n', start)) {
        if (end > start) DeleteQuietly(io, text.substr(start, end - start));
      }
      DeleteQuietly(io, list);
      ++done;
    }
  } catch (...) {
    // Best effort: the next sweep tries again.
  }
  return done;
}

}  // namespace datashard
