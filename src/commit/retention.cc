#include "commit/retention.h"

#include <algorithm>
#include <set>

#include "commit/commit_ids.h"
#include "datashard/errors.h"

namespace datashard {
namespace {

// Manifest paths of a snapshot's list, or nullopt when it cannot be read.
std::optional<std::vector<std::string>> ListManifests(FileIO& io, const Snapshot& s) {
  try {
    std::vector<std::string> out;
    for (const ManifestFile& m : ReadManifestList(io, s.manifest_list))
      out.push_back(m.manifest_path);
    return out;
  } catch (const Error&) {
    return std::nullopt;
  }
}

}  // namespace

RetentionResult ApplyRetention(FileIO& io, TableMetadata* metadata, int64_t now_ms,
                               const std::vector<ManifestFile>& current_manifests) {
  RetentionResult result;
  const int64_t min_keep =
      std::max<int64_t>(1, metadata->PropertyLong(table_properties::kMinSnapshotsToKeep,
                                                  table_properties::kMinSnapshotsToKeepDefault));
  const int64_t max_age = metadata->PropertyLong(table_properties::kMaxSnapshotAgeMs,
                                                 table_properties::kMaxSnapshotAgeMsDefault);
  const std::vector<const Snapshot*> ancestry = metadata->CurrentAncestry();
  if (static_cast<int64_t>(ancestry.size()) <= min_keep) return result;

  std::set<int64_t> referenced_by_refs;
  for (const auto& [name, ref] : metadata->refs) referenced_by_refs.insert(ref.snapshot_id);
  std::set<int64_t> expired;
  const size_t candidates = ancestry.size() - static_cast<size_t>(min_keep);
  for (size_t i = 0; i < candidates; ++i) {
    const Snapshot* s = ancestry[i];
    if (s->timestamp_ms < now_ms - max_age && !referenced_by_refs.count(s->snapshot_id)) {
      expired.insert(s->snapshot_id);
    } else {
      break;  // expire only a prefix of the branch, as its oldest part
    }
  }
  if (expired.empty()) return result;

  std::vector<Snapshot> expired_snapshots;
  std::vector<Snapshot> kept;
  for (Snapshot& s : metadata->snapshots) {
    (expired.count(s.snapshot_id) ? expired_snapshots : kept).push_back(std::move(s));
  }
  metadata->snapshots = std::move(kept);
  std::vector<SnapshotLogEntry> log;
  for (const SnapshotLogEntry& e : metadata->snapshot_log) {
    if (!expired.count(e.snapshot_id)) log.push_back(e);
  }
  metadata->snapshot_log = std::move(log);
  result.expired_snapshot_ids.assign(expired.begin(), expired.end());
  RememberExpiredCommits(metadata, expired_snapshots);
  // Statistics of expired snapshots go with them (Java's RemoveSnapshots),
  // and so do their files once no kept entry names them.
  std::set<std::string> stale_statistics;
  std::set<std::string> kept_statistics;
  for (auto* entries : {&metadata->statistics, &metadata->partition_statistics}) {
    std::vector<StatisticsFileRef> kept_entries;
    for (StatisticsFileRef& e : *entries) {
      if (expired.count(e.snapshot_id)) {
        stale_statistics.insert(e.statistics_path);
      } else {
        kept_statistics.insert(e.statistics_path);
        kept_entries.push_back(std::move(e));
      }
    }
    *entries = std::move(kept_entries);
  }

  // What kept snapshots reference. On a linear branch a manifest stays in the
  // lists from the snapshot that added it until one that merged it away, so
  // the oldest kept ancestor plus the new snapshot cover every kept snapshot;
  // with snapshots off the branch, read every kept list.
  std::set<std::string> referenced;
  for (const ManifestFile& m : current_manifests) referenced.insert(m.manifest_path);
  const std::set<int64_t> branch = [&] {
    std::set<int64_t> ids;
    for (const Snapshot* s : metadata->CurrentAncestry()) ids.insert(s->snapshot_id);
    return ids;
  }();
  std::vector<const Snapshot*> to_read;
  bool linear = true;
  for (const Snapshot& s : metadata->snapshots) linear = linear && branch.count(s.snapshot_id) > 0;
  if (linear) {
    const std::vector<const Snapshot*> chain = metadata->CurrentAncestry();
    if (chain.size() > 1) to_read.push_back(chain.front());
  } else {
    for (const Snapshot& s : metadata->snapshots) to_read.push_back(&s);
  }
  for (const Snapshot* s : to_read) {
    if (s->snapshot_id == metadata->current_snapshot_id) continue;
    const auto paths = ListManifests(io, *s);
    if (!paths) return result;  // unknown references: delete nothing
    referenced.insert(paths->begin(), paths->end());
  }
  std::set<std::string> deletable;
  for (const std::string& p : stale_statistics) {
    if (!kept_statistics.count(p)) deletable.insert(p);
  }
  for (const Snapshot& s : expired_snapshots) {
    const auto paths = ListManifests(io, s);
    if (!paths) continue;
    deletable.insert(s.manifest_list);
    for (const std::string& p : *paths) {
      if (!referenced.count(p)) deletable.insert(p);
    }
  }
  result.deletable_files.assign(deletable.begin(), deletable.end());
  return result;
}

}  // namespace datashard
