#include "datashard/snapshot.h"

#include <charconv>

namespace datashard {

std::string Snapshot::operation() const {
  const auto it = summary.find("operation");
  return it == summary.end() ? std::string() : it->second;
}

int64_t Snapshot::SummaryLong(const std::string& key, int64_t fallback) const {
  const auto it = summary.find(key);
  if (it == summary.end()) return fallback;
  int64_t v = 0;
  const char* end = it->second.data() + it->second.size();
  const auto [ptr, ec] = std::from_chars(it->second.data(), end, v);
  return (ec == std::errc() && ptr == end) ? v : fallback;
}

}  // namespace datashard
