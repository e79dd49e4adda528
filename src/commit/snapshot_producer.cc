#include "commit/snapshot_producer.h"

#include <algorithm>

#include "commit/data_file_writer.h"
#include "commit/manifest_merge.h"
#include "commit/retention.h"
#include "datashard/errors.h"

namespace datashard {
namespace {

namespace tp = table_properties;

std::string Str(int64_t v) { return std::to_string(v); }

std::map<std::string, std::string> Summary(const Snapshot* parent, const AppendSnapshotInput& in) {
  std::map<std::string, std::string> s = in.extra_summary;
  s["operation"] = "append";
  s["added-data-files"] = Str(in.added_files);
  s["added-records"] = Str(in.added_records);
  s["added-files-size"] = Str(in.added_size);
  s["changed-partition-count"] = Str(in.changed_partitions);
  // Totals continue the parent's; like Java, only when the parent has them.
  const auto total = [&](const char* key, int64_t added) {
    if (parent == nullptr) {
      s[key] = Str(added);
    } else if (parent->summary.count(key)) {
      s[key] = Str(parent->SummaryLong(key) + added);
    }
  };
  total("total-data-files", in.added_files);
  total("total-records", in.added_records);
  total("total-files-size", in.added_size);
  total("total-delete-files", 0);
  total("total-position-deletes", 0);
  total("total-equality-deletes", 0);
  // The ingest log position folded so far holds until a checkpoint moves it.
  for (const char* key : {kLogFoldedOffsetSummaryKey, kLogFoldedLsnSummaryKey}) {
    if (parent != nullptr && !s.count(key) && parent->summary.count(key)) {
      s[key] = parent->summary.at(key);
    }
  }
  s["engine-name"] = "datashard";
  s["engine-version"] = "0.1.0";
  s[kCommitIdSummaryKey] = in.commit_id;
  s[kCommitRetriesSummaryKey] = Str(in.retries);
  const int64_t commits = parent ? parent->SummaryLong(kTotalCommitsSummaryKey) : 0;
  const int64_t retries = parent ? parent->SummaryLong(kTotalRetriesSummaryKey) : 0;
  s[kTotalCommitsSummaryKey] = Str(commits + 1);
  s[kTotalRetriesSummaryKey] = Str(retries + in.retries);
  const int64_t conflicts = parent ? parent->SummaryLong(kTotalConflictsSummaryKey) : 0;
  s[kTotalConflictsSummaryKey] = Str(conflicts + in.conflicts);
  return s;
}

void ProduceAppendOrThrow(FileIO& io, const FileCatalog& catalog, const TableMetadata& base,
                          int64_t base_version, const AppendSnapshotInput& in,
                          ProducedCommit& out) {
  TableMetadata& next = out.next;
  next = base;
  const Snapshot* parent = base.CurrentSnapshot();
  const int64_t seq = base.last_sequence_number + 1;
  const int64_t now = std::max(in.now_ms, base.last_updated_ms);

  ManifestFile added = in.new_manifest;
  added.sequence_number = seq;
  added.min_sequence_number = seq;
  std::vector<ManifestFile> manifests{added};
  if (parent != nullptr) {
    for (ManifestFile& m : ReadManifestList(io, parent->manifest_list))
      manifests.push_back(std::move(m));
  }
  const std::string prefix = catalog.metadata_dir() + "/" + in.commit_uuid;
  if (base.PropertyBool(tp::kManifestMergeEnabled, tp::kManifestMergeEnabledDefault)) {
    MergeOptions options;
    options.min_count_to_merge = std::max<int64_t>(
        2, base.PropertyLong(tp::kManifestMinMergeCount, tp::kManifestMinMergeCountDefault));
    options.target_size_bytes =
        base.PropertyLong(tp::kManifestTargetSizeBytes, tp::kManifestTargetSizeBytesDefault);
    options.snapshot_id = in.snapshot_id;
    options.sequence_number = seq;
    options.path_prefix = prefix + "-a" + std::to_string(in.attempt);
    MergeResult merged = MergeManifests(io, DataManifestContext(base), manifests, options);
    out.attempt_files = merged.written;
    out.new_manifest_merged = std::find(merged.replaced.begin(), merged.replaced.end(),
                                        added.manifest_path) != merged.replaced.end();
    manifests = std::move(merged.manifests);
  }

  const std::string list_path = catalog.metadata_dir() + "/snap-" + std::to_string(in.snapshot_id) +
                                "-" + std::to_string(in.attempt) + "-" + in.commit_uuid + ".avro";
  out.attempt_files.push_back(list_path);
  WriteManifestList(io, list_path, in.snapshot_id,
                    parent ? std::optional<int64_t>(parent->snapshot_id) : std::nullopt, seq,
                    manifests);

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
  next.last_updated_ms = now;
  next.current_snapshot_id = snap.snapshot_id;
  next.refs["main"] = SnapshotRef{snap.snapshot_id};
  next.snapshot_log.push_back({now, snap.snapshot_id});

  RetentionResult retention = ApplyRetention(io, &next, now, manifests);
  out.obsolete_files = std::move(retention.deletable_files);
  if (out.new_manifest_merged) out.obsolete_files.push_back(added.manifest_path);

  next.metadata_log.push_back({base.last_updated_ms, catalog.MetadataPath(base_version)});
  const int64_t max_log = std::max<int64_t>(
      1,
      base.PropertyLong(tp::kMetadataPreviousVersionsMax, tp::kMetadataPreviousVersionsMaxDefault));
  const bool delete_old =
      base.PropertyBool(tp::kMetadataDeleteAfterCommit, tp::kMetadataDeleteAfterCommitDefault);
  while (static_cast<int64_t>(next.metadata_log.size()) > max_log) {
    const std::string& file = next.metadata_log.front().metadata_file;
    const auto version = FileCatalog::ParseVersionFileName(file.substr(file.rfind('/') + 1));
    // v1 stays: it makes every later create of this table find it exists.
    if (delete_old && version && *version > 1) out.obsolete_versions.push_back(*version);
    next.metadata_log.erase(next.metadata_log.begin());
  }
}

}  // namespace

ProducedCommit ProduceAppend(FileIO& io, const FileCatalog& catalog, const TableMetadata& base,
                             int64_t base_version, const AppendSnapshotInput& input) {
  ProducedCommit out;
  try {
    ProduceAppendOrThrow(io, catalog, base, base_version, input, out);
    return out;
  } catch (...) {
    // Only this attempt's own, never published files.
    for (const std::string& f : out.attempt_files) {
      try {
        io.Delete(f);
      } catch (const Error&) {
      }
    }
    throw;
  }
}

}  // namespace datashard
