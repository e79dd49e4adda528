#include "commit/snapshot_producer.h"

#include <algorithm>
#include <set>

#include "commit/commit_ids.h"
#include "commit/data_file_writer.h"
#include "commit/manifest_merge.h"
#include "commit/retention.h"
#include "datashard/errors.h"
#include "io/delete_quietly.h"

namespace datashard {
namespace {

namespace tp = table_properties;

std::string Str(int64_t v) { return std::to_string(v); }

std::map<std::string, std::string> Summary(const Snapshot* parent, const SnapshotInput& in) {
  std::map<std::string, std::string> s = in.extra_summary;
  s["operation"] = in.operation;
  const int64_t removed_files = static_cast<int64_t>(in.removed_data.size());
  int64_t removed_records = 0;
  int64_t removed_size = 0;
  for (const DataFile& f : in.removed_data) {
    removed_records += f.record_count;
    removed_size += f.file_size_in_bytes;
  }
  // An append states its counts even when zero; other operations, like
  // Java's, only those that changed.
  const bool append = in.operation == "append";
  const auto count = [&](const char* key, int64_t v) {
    if (append || v != 0) s[key] = Str(v);
  };
  count("added-data-files", in.added_files);
  count("added-records", in.added_records);
  count("added-files-size", in.added_size);
  count("changed-partition-count", in.changed_partitions);
  int64_t removed_position_deletes = 0;
  int64_t removed_equality_deletes = 0;
  int64_t removed_position_files = 0;
  for (const DataFile& f : in.removed_deletes) {
    removed_size += f.file_size_in_bytes;
    const bool position = f.content == FileContent::kPositionDeletes;
    (position ? removed_position_deletes : removed_equality_deletes) += f.record_count;
    removed_position_files += position ? 1 : 0;
  }
  const auto removed_delete_files = static_cast<int64_t>(in.removed_deletes.size());
  if (!append) {
    count("removed-delete-files", removed_delete_files);
    count("removed-position-delete-files", removed_position_files);
    count("removed-equality-delete-files", removed_delete_files - removed_position_files);
    count("removed-position-deletes", removed_position_deletes);
    count("removed-equality-deletes", removed_equality_deletes);
    count("deleted-data-files", removed_files);
    count("deleted-records", removed_records);
    count("removed-files-size", removed_size);
    count("added-delete-files", in.added_delete_files);
    count("added-position-delete-files", in.added_delete_files);
    count("added-position-deletes", in.added_position_deletes);
    if (in.added_delete_size != 0)
      s["added-files-size"] = Str(in.added_size + in.added_delete_size);
  }
  // Totals continue the parent's; like Java, only when the parent has them.
  const auto total = [&](const char* key, int64_t added) {
    if (parent == nullptr) {
      s[key] = Str(added);
    } else if (parent->summary.count(key)) {
      s[key] = Str(parent->SummaryLong(key) + added);
    }
  };
  total("total-data-files", in.added_files - removed_files);
  total("total-records", in.added_records - removed_records);
  total("total-files-size", in.added_size + in.added_delete_size - removed_size);
  total("total-delete-files", in.added_delete_files - removed_delete_files);
  total("total-position-deletes", in.added_position_deletes - removed_position_deletes);
  total("total-equality-deletes", -removed_equality_deletes);
  // The ingest log position folded so far holds until a checkpoint moves it.
  for (const char* key : {kLogFoldedOffsetSummaryKey, kLogFoldedLsnSummaryKey}) {
    if (parent != nullptr && !s.count(key) && parent->summary.count(key)) {
      s[key] = parent->summary.at(key);
    }
  }
  s["engine-name"] = "datashard";
  s["engine-version"] = "0.1.0";
  s[kCommitIdSummaryKey] = in.commit_id;
  if (!in.group_commit_ids.empty())
    s[kGroupCommitIdsSummaryKey] = GroupCommitIdsText(in.group_commit_ids);
  s[kCommitRetriesSummaryKey] = Str(in.retries);
  const int64_t commits = parent ? parent->SummaryLong(kTotalCommitsSummaryKey) : 0;
  const int64_t retries = parent ? parent->SummaryLong(kTotalRetriesSummaryKey) : 0;
  s[kTotalCommitsSummaryKey] = Str(commits + 1 + static_cast<int64_t>(in.group_commit_ids.size()));
  s[kTotalRetriesSummaryKey] = Str(retries + in.retries);
  const int64_t conflicts = parent ? parent->SummaryLong(kTotalConflictsSummaryKey) : 0;
  s[kTotalConflictsSummaryKey] = Str(conflicts + in.conflicts);
  return s;
}

// The parent's manifests with the removed data files marked DELETED: each
// manifest holding one is rewritten (its other live entries EXISTING, its
// older DELETED entries dropped); a manifest whose entries an earlier commit
// all deleted is left out. CommitConflict when a removed or required file is
// not live.
std::vector<ManifestFile> RemoveDataFiles(FileIO& io, std::vector<ManifestFile> parent,
                                          const SnapshotInput& in, int64_t seq,
                                          const std::string& prefix, ProducedCommit& out) {
  std::vector<ManifestFile> kept;
  std::set<std::string> pending;
  for (const DataFile& f : in.removed_data) pending.insert(f.file_path);
  for (const DataFile& f : in.removed_deletes) pending.insert(f.file_path);
  std::set<std::string> required(in.required_data.begin(), in.required_data.end());
  int index = 0;
  for (ManifestFile& m : parent) {
    const bool only_deleted =
        m.added_files_count == 0 && m.existing_files_count == 0 && m.deleted_files_count > 0;
    if (only_deleted) continue;
    if ((pending.empty() && required.empty()) ||
        (m.content != FileContent::kData && in.removed_deletes.empty())) {
      kept.push_back(std::move(m));
      continue;
    }
    std::vector<ManifestEntry> entries = ReadManifest(io, m);
    for (const ManifestEntry& e : entries) {
      if (e.status != EntryStatus::kDeleted) required.erase(e.data_file.file_path);
    }
    const bool touched = std::any_of(entries.begin(), entries.end(), [&](const ManifestEntry& e) {
      return e.status != EntryStatus::kDeleted && pending.count(e.data_file.file_path) > 0;
    });
    if (!touched) {
      kept.push_back(std::move(m));
      continue;
    }
    std::vector<ManifestEntry> rewritten;
    int64_t min_seq = seq;
    for (ManifestEntry& e : entries) {
      if (e.status == EntryStatus::kDeleted) continue;
      if (pending.erase(e.data_file.file_path) > 0) {
        e.status = EntryStatus::kDeleted;
        e.snapshot_id = in.snapshot_id;
      } else {
        e.status = EntryStatus::kExisting;
        min_seq = std::min(min_seq, e.sequence_number.value_or(0));
      }
      rewritten.push_back(std::move(e));
    }
    const std::string path = prefix + "-r" + std::to_string(index++) + ".avro";
    out.attempt_files.push_back(path);
    ManifestFile written = WriteManifest(io, path, ReadManifestContext(io, m.manifest_path),
                                         in.snapshot_id, rewritten, in.sync);
    written.sequence_number = seq;
    written.min_sequence_number = min_seq;
    kept.push_back(std::move(written));
  }
  if (!pending.empty() || !required.empty()) {
    throw CommitConflict("file " + *(pending.empty() ? required : pending).begin() +
                             " that this commit changes is no longer in the table: a concurrent "
                             "commit removed or rewrote it",
                         std::nullopt, std::nullopt, std::nullopt, in.retries);
  }
  return kept;
}

void ProduceOrThrow(FileIO& io, const TableCatalog& catalog, const TableMetadata& base,
                    const MetadataPointer& base_pointer, const SnapshotInput& in,
                    ProducedCommit& out) {
  TableMetadata& next = out.next;
  next = base;
  const Snapshot* parent = base.CurrentSnapshot();
  const int64_t seq = base.last_sequence_number + 1;
  const int64_t now = std::max(in.now_ms, base.last_updated_ms);

  std::vector<ManifestFile> manifests;
  std::set<std::string> own;
  for (ManifestFile m : in.new_manifests) {
    m.sequence_number = seq;
    m.min_sequence_number = seq;
    own.insert(m.manifest_path);
    manifests.push_back(std::move(m));
  }
  const std::string prefix = catalog.metadata_dir() + "/" + in.commit_uuid;
  if (parent != nullptr) {
    for (ManifestFile& m :
         RemoveDataFiles(io, *ReadManifestList(io, parent->manifest_list, in.manifest_lists), in,
                         seq, prefix + "-a" + std::to_string(in.attempt), out)) {
      if (m.added_snapshot_id == in.snapshot_id) own.insert(m.manifest_path);
      manifests.push_back(std::move(m));
    }
  }
  std::vector<std::string> merged_own;
  if (base.PropertyBool(tp::kManifestMergeEnabled, tp::kManifestMergeEnabledDefault)) {
    MergeOptions options;
    options.min_count_to_merge = std::max<int64_t>(
        2, base.PropertyLong(tp::kManifestMinMergeCount, tp::kManifestMinMergeCountDefault));
    options.target_size_bytes =
        base.PropertyLong(tp::kManifestTargetSizeBytes, tp::kManifestTargetSizeBytesDefault);
    options.snapshot_id = in.snapshot_id;
    options.sequence_number = seq;
    options.path_prefix = prefix + "-a" + std::to_string(in.attempt);
    options.sync = in.sync;
    MergeResult merged = MergeManifests(io, DataManifestContext(base), manifests, options);
    out.attempt_files.insert(out.attempt_files.end(), merged.written.begin(), merged.written.end());
    // Manifests this commit wrote and merged away at once are obsolete once
    // it publishes; the parent's stay for the snapshots that list them.
    for (const std::string& replaced : merged.replaced) {
      if (own.count(replaced)) merged_own.push_back(replaced);
    }
    manifests = std::move(merged.manifests);
  }

  const std::string list_path = catalog.metadata_dir() + "/snap-" + std::to_string(in.snapshot_id) +
                                "-" + std::to_string(in.attempt) + "-" + in.commit_uuid + ".avro";
  out.attempt_files.push_back(list_path);
  WriteManifestList(io, list_path, in.snapshot_id,
                    parent ? std::optional<int64_t>(parent->snapshot_id) : std::nullopt, seq,
                    manifests, in.sync);

  Snapshot snap;
  snap.snapshot_id = in.snapshot_id;
  if (parent != nullptr) snap.parent_snapshot_id = parent->snapshot_id;
  snap.sequence_number = seq;
  snap.timestamp_ms = now;
  snap.manifest_list = list_path;
  snap.summary = Summary(parent, in);
  snap.schema_id = base.current_schema_id;
  next.snapshots.push_back(snap);
  next.last_sequence_number = seq;
  next.current_snapshot_id = snap.snapshot_id;
  next.refs["main"] = SnapshotRef{snap.snapshot_id};
  next.snapshot_log.push_back({now, snap.snapshot_id});

  // The next commit reads this list as its parent's, and retention reads
  // each list twice (as the oldest kept, then as the expired one).
  if (in.manifest_lists)
    in.manifest_lists->Put(list_path, std::make_shared<const std::vector<ManifestFile>>(manifests));
  RetentionResult retention =
      ApplyRetention(io, catalog.metadata_dir(), &next, now, manifests, in.manifest_lists);
  out.attempt_files.insert(out.attempt_files.end(), retention.written_files.begin(),
                           retention.written_files.end());
  out.obsolete_files = std::move(retention.deletable_files);
  out.obsolete_files.insert(out.obsolete_files.end(), merged_own.begin(), merged_own.end());

  FinishMetadata(base, base_pointer, now, &out);
}

}  // namespace

ProducedCommit ProduceSnapshot(FileIO& io, const TableCatalog& catalog, const TableMetadata& base,
                               const MetadataPointer& base_pointer, const SnapshotInput& input) {
  ProducedCommit out;
  try {
    ProduceOrThrow(io, catalog, base, base_pointer, input, out);
    return out;
  } catch (...) {
    // Only this attempt's own, never published files.
    DeleteQuietly(io, out.attempt_files);
    throw;
  }
}

}  // namespace datashard
