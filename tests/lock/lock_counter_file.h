// The shared resource of the multi-process lock tests: a counter file whose
// lines record every increment as "value owner fencing_token". A correct lock
// leaves values 1..N in order and tokens strictly increasing; a lost update
// shows as a missing or repeated value. Writes are fenced: the file refuses
// a token older than its last line's (the check and the replacement happen
// under the file's own advisory lock, as a storage server would do them).
#pragma once

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "datashard/errors.h"
#include "datashard/fencing.h"
#include "datashard/file_io.h"

namespace datashard::lock_test {

struct CounterLine {
  int64_t value = 0;
  std::string owner;
  uint64_t token = 0;
};

struct CounterFile {
  std::string text;
  std::vector<CounterLine> lines;
  int64_t value() const { return lines.empty() ? 0 : lines.back().value; }
  uint64_t token() const { return lines.empty() ? 0 : lines.back().token; }
};

inline CounterFile ParseCounterFile(const std::string& text, const std::string& path) {
  CounterFile f;
  f.text = text;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    CounterLine l;
    if (!(fields >> l.value >> l.owner >> l.token)) {
      throw Corruption("counter file " + path + ": bad line '" + line + "'");
    }
    f.lines.push_back(l);
  }
  return f;
}

inline CounterFile ReadCounterFile(FileIO& io, const std::string& path) {
  if (!io.Exists(path)) return {};
  return ParseCounterFile(io.ReadFile(path), path);
}

/// Appends the next value to what `seen` holds, as `owner` with `token`.
/// StaleFencingToken if the file already took a newer token.
inline void FencedAppend(FileIO& io, const std::string& path, const CounterFile& seen,
                         uint64_t token, const std::string& owner) {
  auto guard = io.Lock(path + ".guard", /*wait=*/true);
  CheckFencingToken(path, token, ReadCounterFile(io, path).token());
  const std::string tmp = path + ".tmp." + owner;
  if (io.Exists(tmp)) io.Delete(tmp);
  io.WriteFile(tmp,
               seen.text + std::to_string(seen.value() + 1) + " " + owner + " " +
                   std::to_string(token) + "\n",
               /*sync=*/false);
  io.Rename(tmp, path);
}

}  // namespace datashard::lock_test
