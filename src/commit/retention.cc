#include "commit/retention.h"

#include <algorithm>
#include <map>

#include "commit/commit_ids.h"
#include "datashard/errors.h"

namespace datashard {
namespace {

// A snapshot's manifests, or null when its list cannot be read.
std::shared_ptr<const std::vector<ManifestFile>> ListManifests(FileIO& io, ManifestListMemo* lists,
                                                               const Snapshot& s) {
  try {
    return ReadManifestList(io, s.manifest_list, lists);
  } catch (const Error&) {
    return nullptr;
  }
}

// Adds to `out` the files snapshot `id` removed (its own DELETED entries,
// which only manifests it wrote hold): no snapshot after it has them live.
// Unreadable manifests are skipped.
void FilesRemovedBy(FileIO& io, int64_t id, const std::vector<ManifestFile>& manifests,
                    std::map<std::string, std::pair<FileContent, int64_t>>* out) {
  for (const ManifestFile& m : manifests) {
    if (m.added_snapshot_id != id || m.deleted_files_count == 0) continue;
    try {
      for (const ManifestEntry& e : ReadManifest(io, m)) {
        if (e.status == EntryStatus::kDeleted && e.snapshot_id == id) {
          (*out)[e.data_file.file_path] = {e.data_file.content, e.data_file.file_size_in_bytes};
        }
      }
    } catch (const Error&) {
      // Unknown: those files stay, for gc.
    }
  }
}

}  // namespace

std::set<int64_t> SelectExpiredSnapshots(const TableMetadata& metadata, int64_t cutoff_ms,
                                         int64_t retain_last) {
  std::set<int64_t> expired;
  const int64_t keep = std::max<int64_t>(1, retain_last);
  const std::vector<const Snapshot*> ancestry = metadata.CurrentAncestry();
  if (static_cast<int64_t>(ancestry.size()) <= keep) return expired;
  std::set<int64_t> referenced_by_refs;
  for (const auto& [name, ref] : metadata.refs) referenced_by_refs.insert(ref.snapshot_id);
  const size_t candidates = ancestry.size() - static_cast<size_t>(keep);
  for (size_t i = 0; i < candidates; ++i) {
    const Snapshot* s = ancestry[i];
    if (s->timestamp_ms >= cutoff_ms || referenced_by_refs.count(s->snapshot_id)) break;
    expired.insert(s->snapshot_id);
  }
  return expired;
}

RetentionResult RemoveSnapshots(FileIO& io, const std::string& metadata_dir,
                                TableMetadata* metadata, const std::set<int64_t>& expired,
                                const std::vector<ManifestFile>& current_manifests,
                                ManifestListMemo* memo) {
  RetentionResult result;
  if (expired.empty()) return result;
  std::vector<Snapshot> expired_snapshots;
  for (const std::shared_ptr<const Snapshot>& s : metadata->snapshots.Keep(
           [&](const Snapshot& s) { return expired.count(s.snapshot_id) == 0; })) {
    expired_snapshots.push_back(*s);
  }
  std::vector<SnapshotLogEntry> log;
  for (const SnapshotLogEntry& e : metadata->snapshot_log) {
    if (!expired.count(e.snapshot_id)) log.push_back(e);
  }
  metadata->snapshot_log = std::move(log);
  result.expired_snapshot_ids.assign(expired.begin(), expired.end());
  const RememberedCommitsChange remembered =
      RememberExpiredCommits(io, metadata_dir, metadata, expired_snapshots);
  if (remembered.written) result.written_files.push_back(*remembered.written);
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
  // the oldest kept ancestor plus the current snapshot cover every kept
  // snapshot; with snapshots off the branch, read every kept list.
  std::set<std::string> referenced;
  for (const ManifestFile& m : current_manifests) referenced.insert(m.manifest_path);
  const std::vector<const Snapshot*> chain = metadata->CurrentAncestry();
  const std::set<int64_t> branch = [&] {
    std::set<int64_t> ids;
    for (const Snapshot* s : chain) ids.insert(s->snapshot_id);
    return ids;
  }();
  std::vector<const Snapshot*> to_read;
  bool linear = true;
  for (const Snapshot& s : metadata->snapshots) linear = linear && branch.count(s.snapshot_id) > 0;
  if (linear) {
    if (chain.size() > 1) to_read.push_back(chain.front());
  } else {
    for (const Snapshot& s : metadata->snapshots) to_read.push_back(&s);
  }
  std::map<int64_t, std::shared_ptr<const std::vector<ManifestFile>>> lists;
  for (const Snapshot* s : to_read) {
    if (s->snapshot_id == metadata->current_snapshot_id) continue;
    auto manifests = ListManifests(io, memo, *s);
    if (!manifests) return result;  // unknown references: delete nothing
    for (const ManifestFile& m : *manifests) referenced.insert(m.manifest_path);
    lists[s->snapshot_id] = std::move(manifests);
  }
  std::set<std::string> deletable;
  if (remembered.replaced) deletable.insert(*remembered.replaced);
  for (const std::string& p : stale_statistics) {
    if (!kept_statistics.count(p) && deletable.insert(p).second) ++result.statistics_files;
  }
  // Data and delete files a snapshot removed are live in no later one; once
  // every snapshot before it expired, nothing kept has them live. That holds
  // for the expired snapshots and the oldest kept one.
  std::map<std::string, std::pair<FileContent, int64_t>> removed_files;
  for (const Snapshot& s : expired_snapshots) {
    const auto manifests = ListManifests(io, memo, s);
    if (!manifests) continue;
    if (deletable.insert(s.manifest_list).second) {
      ++result.manifest_lists;
      try {
        result.bytes += static_cast<int64_t>(io.Stat(s.manifest_list).size);
      } catch (const Error&) {
        // Size unknown; the file is retired all the same.
      }
    }
    for (const ManifestFile& m : *manifests) {
      if (!referenced.count(m.manifest_path) && deletable.insert(m.manifest_path).second) {
        ++result.manifests;
        result.bytes += m.manifest_length;
      }
    }
    if (linear) FilesRemovedBy(io, s.snapshot_id, *manifests, &removed_files);
  }
  if (linear && !chain.empty()) {
    const Snapshot* oldest = chain.front();
    if (oldest->snapshot_id == metadata->current_snapshot_id) {
      FilesRemovedBy(io, oldest->snapshot_id, current_manifests, &removed_files);
    } else if (lists.count(oldest->snapshot_id)) {
      FilesRemovedBy(io, oldest->snapshot_id, *lists[oldest->snapshot_id], &removed_files);
    }
  }
  for (const auto& [path, info] : removed_files) {
    if (!deletable.insert(path).second) continue;
    ++(info.first == FileContent::kData ? result.data_files : result.delete_files);
    result.bytes += info.second;
  }
  result.deletable_files.assign(deletable.begin(), deletable.end());
  return result;
}

RetentionResult ApplyRetention(FileIO& io, const std::string& metadata_dir, TableMetadata* metadata,
                               int64_t now_ms, const std::vector<ManifestFile>& current_manifests,
                               ManifestListMemo* memo) {
  const int64_t min_keep = metadata->PropertyLong(table_properties::kMinSnapshotsToKeep,
                                                  table_properties::kMinSnapshotsToKeepDefault);
  const int64_t max_age = metadata->PropertyLong(table_properties::kMaxSnapshotAgeMs,
                                                 table_properties::kMaxSnapshotAgeMsDefault);
  return RemoveSnapshots(io, metadata_dir, metadata,
                         SelectExpiredSnapshots(*metadata, now_ms - max_age, min_keep),
                         current_manifests, memo);
}

}  // namespace datashard
