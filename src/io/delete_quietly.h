// Best-effort deletion for clean-up paths: a file that cannot be deleted (or
// is already gone) is left as an unreferenced orphan for gc, and the error
// that started the clean-up is the one that stays.
#pragma once

#include <string>
#include <vector>

#include "datashard/file_io.h"

namespace datashard {

inline void DeleteQuietly(FileIO& io, const std::string& path) noexcept {
  try {
    io.Delete(path);
  } catch (...) {
    // Left as an orphan.
  }
}

inline void DeleteQuietly(FileIO& io, const std::vector<std::string>& paths) noexcept {
  io.DeleteEach(paths);
}

}  // namespace datashard
