#include "commit/manifest_merge.h"

#include <algorithm>

namespace datashard {
namespace {

// Bins of consecutive manifests, packed from the end of the list so that the
// first (newest) bin is the one left partly filled.
std::vector<std::vector<ManifestFile>> PackEnd(const std::vector<ManifestFile>& items,
                                               int64_t target) {
  std::vector<std::vector<ManifestFile>> bins;
  std::vector<ManifestFile> bin;
  int64_t size = 0;
  for (auto it = items.rbegin(); it != items.rend(); ++it) {
    if (!bin.empty() && size + it->manifest_length > target) {
      std::reverse(bin.begin(), bin.end());
      bins.push_back(std::move(bin));
      bin.clear();
      size = 0;
    }
    bin.push_back(*it);
    size += it->manifest_length;
  }
  if (!bin.empty()) {
    std::reverse(bin.begin(), bin.end());
    bins.push_back(std::move(bin));
  }
  std::reverse(bins.begin(), bins.end());
  return bins;
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
  const std::string& newest = candidates.front().manifest_path;
  int index = options.first_manifest_index;
  for (const std::vector<ManifestFile>& bin : PackEnd(candidates, options.target_size_bytes)) {
    const bool has_newest = bin.front().manifest_path == newest;
    if (bin.size() == 1 ||
        (has_newest && static_cast<int64_t>(bin.size()) < options.min_count_to_merge)) {
      result.manifests.insert(result.manifests.end(), bin.begin(), bin.end());
      continue;
    }
    std::vector<ManifestEntry> entries;
    size_t count = 0;
    for (const ManifestFile& m : bin) {
      count += static_cast<size_t>(m.added_files_count + m.existing_files_count);
    }
    entries.reserve(count);  // no reallocation moving thousands of entries
    int64_t min_seq = options.sequence_number;
    for (const ManifestFile& m : bin) {
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
    const std::string path = options.path_prefix + "-m" + std::to_string(index++) + ".avro";
    ManifestFile merged = WriteManifest(io, path, context, options.snapshot_id, entries);
    merged.sequence_number = options.sequence_number;
    merged.min_sequence_number = min_seq;
    result.written.push_back(path);
    result.manifests.push_back(std::move(merged));
  }
  result.manifests.insert(result.manifests.end(), others.begin(), others.end());
  return result;
}

}  // namespace datashard
