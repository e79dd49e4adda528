#include "commit/manifest_merge.h"

#include <algorithm>

namespace datashard {
namespace {

// The run to merge: how many of `candidates` (newest first), and their entries.
struct Run {
  size_t length = 0;
  int64_t entries = 0;
};

Run ChooseRun(const std::vector<ManifestFile>& candidates, int64_t target) {
  Run run{1, candidates.front().entry_count()};
  int64_t bytes = candidates.front().manifest_length;
  for (; run.length < candidates.size(); ++run.length) {
    const ManifestFile& m = candidates[run.length];
    if (m.entry_count() > run.entries || bytes + m.manifest_length > target) break;
    run.entries += m.entry_count();
    bytes += m.manifest_length;
  }
  return run;
}

}  // namespace

MergeResult MergeManifests(FileIO& io, const ManifestContext& context,
                           const std::vector<ManifestFile>& manifests,
                           const MergeOptions& options) {
  MergeResult result;
  std::vector<ManifestFile> candidates;
  std::vector<ManifestFile> others;
  for (const ManifestFile& m : manifests) {
    const bool candidate =
        m.partition_spec_id == context.partition_spec_id && m.content == context.content;
    (candidate ? candidates : others).push_back(m);
  }
  if (candidates.size() < 2) return MergeResult{manifests, {}, {}};
  const Run chosen = ChooseRun(candidates, options.target_size_bytes);
  const size_t run = chosen.length;
  if (run < 2 || static_cast<int64_t>(run) < options.min_count_to_merge)
    return MergeResult{manifests, {}, {}};
  std::vector<ManifestEntry> entries;
  // No reallocation moving thousands of entries.
  entries.reserve(EntriesToReserve(chosen.entries));
  int64_t min_seq = options.sequence_number;
  for (size_t i = 0; i < run; ++i) {
    const ManifestFile& m = candidates[i];
    for (ManifestEntry& e : ReadManifest(io, m)) {
      const bool ours = e.snapshot_id == options.snapshot_id;
      // The committing snapshot's deletions stay, so that its own manifests
      // say what it removed (as Java's merge keeps them); older ones go.
      if (e.status == EntryStatus::kDeleted && !ours) continue;
      if (!ours) {
        e.status = EntryStatus::kExisting;
        min_seq = std::min(min_seq, e.sequence_number.value_or(0));
      }
      entries.push_back(std::move(e));
    }
    result.replaced.push_back(m.manifest_path);
  }
  const std::string path =
      options.path_prefix + "-m" + std::to_string(options.first_manifest_index) + ".avro";
  ManifestFile merged =
      WriteManifest(io, path, context, options.snapshot_id, entries, options.sync);
  merged.sequence_number = options.sequence_number;
  merged.min_sequence_number = min_seq;
  result.written.push_back(path);
  result.manifests.push_back(std::move(merged));
  result.manifests.insert(result.manifests.end(), candidates.begin() + static_cast<ptrdiff_t>(run),
                          candidates.end());
  result.manifests.insert(result.manifests.end(), others.begin(), others.end());
  return result;
}

}  // namespace datashard
