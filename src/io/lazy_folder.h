// Files written into a folder that is made only when needed: the folder is
// made once, when an operation finds it missing, not before every write
// (a stat or mkdir per commit costs a system call each).
#pragma once

#include <string>

#include "datashard/errors.h"
#include "datashard/file_io.h"

namespace datashard {

/// Runs `op`; if it fails with NotFound, makes `dir` (and its parents) and
/// runs `op` once more.
template <typename Op>
auto InLazyFolder(FileIO& io, const std::string& dir, Op op) {
  try {
    return op();
  } catch (const NotFound&) {
    io.CreateDirs(dir);
    return op();
  }
}

}  // namespace datashard
