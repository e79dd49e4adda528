// Fencing: the resource side of a lock's fencing token (DESIGN.md §7). A lease
// can expire while its holder is paused; the holder's late write must then be
// refused by the resource itself. A guarded resource remembers the highest
// token it has accepted and refuses older ones with StaleFencingToken.
//
// Thread-safety: FencingGuard may be used from many threads at once.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace datashard {

/// Accepts `token` for a write to `resource` if it is at least `highest_seen`
/// (equal: the same holder writing again); StaleFencingToken otherwise, naming
/// the resource and both tokens. For resources that persist their own highest
/// token (a file header, a database row) next to the data they protect.
void CheckFencingToken(const std::string& resource, uint64_t token, uint64_t highest_seen);

/// Remembers the highest token accepted per resource, in memory.
class FencingGuard {
 public:
  /// Checks `token` as CheckFencingToken does and records it when accepted.
  void Admit(const std::string& resource, uint64_t token);
  /// The highest token accepted for `resource`; 0 if none.
  uint64_t highest(const std::string& resource) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, uint64_t> highest_;
};

}  // namespace datashard
