#include "datashard/table_metadata.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "datashard/errors.h"

namespace datashard {

const Schema* TableMetadata::SchemaById(int id) const {
  for (const Schema& s : schemas) {
    if (s.schema_id() == id) return &s;
  }
  return nullptr;
}

const PartitionSpec* TableMetadata::SpecById(int id) const {
  for (const PartitionSpec& s : partition_specs) {
    if (s.spec_id() == id) return &s;
  }
  return nullptr;
}

const Schema& TableMetadata::CurrentSchema() const {
  const Schema* s = SchemaById(current_schema_id);
  if (s == nullptr) {
    throw Corruption("table metadata of '" + location + "' has no schema with current-schema-id " +
                     std::to_string(current_schema_id));
  }
  return *s;
}

const PartitionSpec& TableMetadata::DefaultSpec() const {
  const PartitionSpec* s = SpecById(default_spec_id);
  if (s == nullptr) {
    throw Corruption("table metadata of '" + location +
                     "' has no partition spec with default-spec-id " +
                     std::to_string(default_spec_id));
  }
  return *s;
}

const Snapshot* TableMetadata::CurrentSnapshot() const {
  return current_snapshot_id ? SnapshotById(*current_snapshot_id) : nullptr;
}

const Snapshot* TableMetadata::SnapshotById(int64_t id) const {
  for (const Snapshot& s : snapshots) {
    if (s.snapshot_id == id) return &s;
  }
  return nullptr;
}

std::vector<const Snapshot*> TableMetadata::CurrentAncestry() const {
  std::vector<const Snapshot*> chain;
  std::set<int64_t> seen;
  for (const Snapshot* s = CurrentSnapshot(); s != nullptr && seen.insert(s->snapshot_id).second;
       s = s->parent_snapshot_id ? SnapshotById(*s->parent_snapshot_id) : nullptr) {
    chain.push_back(s);
  }
  std::reverse(chain.begin(), chain.end());
  return chain;
}

std::string TableMetadata::Property(const std::string& key, const std::string& fallback) const {
  const auto it = properties.find(key);
  return it == properties.end() ? fallback : it->second;
}

int64_t TableMetadata::PropertyLong(const std::string& key, int64_t fallback) const {
  const auto it = properties.find(key);
  if (it == properties.end()) return fallback;
  int64_t v = 0;
  const char* end = it->second.data() + it->second.size();
  const auto [ptr, ec] = std::from_chars(it->second.data(), end, v);
  if (ec != std::errc() || ptr != end) {
    throw InvalidArgument("table property '" + key + "' of '" + location + "' is '" + it->second +
                          "', not an integer");
  }
  return v;
}

bool TableMetadata::PropertyBool(const std::string& key, bool fallback) const {
  const auto it = properties.find(key);
  if (it == properties.end()) return fallback;
  if (it->second == "true") return true;
  if (it->second == "false") return false;
  throw InvalidArgument("table property '" + key + "' of '" + location + "' is '" + it->second +
                        "', not true or false");
}

}  // namespace datashard
