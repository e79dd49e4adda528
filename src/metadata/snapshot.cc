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

SnapshotList::SnapshotList(std::initializer_list<Snapshot> snapshots) {
  for (const Snapshot& s : snapshots) push_back(s);
}

void SnapshotList::push_back(Snapshot snapshot) {
  items_.push_back(std::make_shared<Snapshot>(std::move(snapshot)));
}

void SnapshotList::push_back(std::shared_ptr<const Snapshot> snapshot) {
  items_.push_back(std::move(snapshot));
}

void SnapshotList::Replace(size_t i, Snapshot snapshot) {
  items_.at(i) = std::make_shared<const Snapshot>(std::move(snapshot));
}

bool SnapshotList::operator==(const SnapshotList& other) const {
  if (items_.size() != other.items_.size()) return false;
  for (size_t i = 0; i < items_.size(); ++i) {
    if (items_[i] != other.items_[i] && !(*items_[i] == *other.items_[i])) return false;
  }
  return true;
}

}  // namespace datashard
