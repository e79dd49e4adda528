#include "maintenance/gc.h"

#include <algorithm>
#include <set>

#include "catalog/metadata_file.h"
#include "commit/commit_ids.h"
#include "datashard/errors.h"
#include "metadata/file_location.h"
#include "metadata/manifest.h"
#include "metadata/table_metadata_json.h"

namespace datashard {
namespace {

namespace tp = table_properties;

std::string WithoutTrailingSlash(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

// Adds every file `m` references: the remembered commit ids file, and of
// its snapshots the manifest lists, manifests, and the data and delete
// files live in any snapshot, as local paths. A list or manifest already in
// `referenced` was read before. With `current` false (an older metadata
// version), a snapshot whose files are gone expired since and retention
// retired them (DESIGN.md §6): it protects nothing. In the current metadata
// a missing file is an error.
void AddReferences(FileIO& io, const TableMetadata& m, bool current,
                   std::set<std::string>* referenced) {
  if (const std::optional<std::string> ids = RememberedCommitsFile(m)) referenced->insert(*ids);
  for (const Snapshot& s : m.snapshots) {
    const std::string list_path = LocalFilePath(s.manifest_list, "manifest list");
    if (!referenced->insert(list_path).second) continue;
    try {
      for (const ManifestFile& mf : ReadManifestList(io, s.manifest_list)) {
        if (!referenced->insert(LocalFilePath(mf.manifest_path, "manifest")).second) continue;
        for (const ManifestEntry& e : ReadManifest(io, mf)) {
          if (e.status == EntryStatus::kDeleted) continue;
          referenced->insert(LocalFilePath(e.data_file.file_path, "data file"));
        }
      }
    } catch (const NotFound&) {
      if (current) throw;
    }
  }
}

// Files under `dir` (recursively), skipping symbolic links and whatever
// they point to.
void Walk(FileIO& io, const std::string& dir, std::vector<std::pair<std::string, FileInfo>>* out) {
  std::vector<FileInfo> entries;
  try {
    entries = io.List(dir);
  } catch (const NotFound&) {
    return;
  }
  for (FileInfo& e : entries) {
    if (e.is_symlink) continue;
    const std::string path = dir + "/" + e.name;
    if (e.is_directory) {
      Walk(io, path, out);
    } else {
      out->emplace_back(path, std::move(e));
    }
  }
}

// Files gc never deletes whatever their age: the catalogs' metadata
// versions (v<N>, and <NNNNN>-<uuid> of a SQL catalog, whose pointer is not
// in the folder), the version hint, lock files and the commit events.
bool Protected(const std::string& name) {
  return MetadataFileVersion(name).has_value() || name == "version-hint.text" ||
         name == "commit.events" ||
         (name.size() > 5 && name.compare(name.size() - 5, 5, ".lock") == 0);
}

}  // namespace

GcReport CollectGarbage(FileIO& io, const std::string& root, const TableMetadata& current,
                        int64_t now_ms, const GcOptions& options) {
  const std::string table = WithoutTrailingSlash(root);
  const std::string location = WithoutTrailingSlash(LocalFilePath(current.location, "table"));
  if (location != table) {
    throw InvalidArgument("gc refuses " + table + ": its metadata says the table lives at " +
                          current.location +
                          ", so its references may name other files (a moved or copied table)");
  }
  GcReport report;
  report.grace_ms = current.PropertyLong(tp::kGcGraceMs, tp::kGcGraceMsDefault);
  const int64_t commit_timeout_ms =
      current.PropertyLong(tp::kCommitTotalTimeoutMs, tp::kCommitTotalTimeoutMsDefault);
  if (report.grace_ms < commit_timeout_ms) {
    throw InvalidArgument("gc of " + table + ": " + tp::kGcGraceMs + " (" +
                          std::to_string(report.grace_ms) + " ms) is shorter than " +
                          tp::kCommitTotalTimeoutMs + " (" + std::to_string(commit_timeout_ms) +
                          " ms): a commit still in progress could lose its files");
  }

  // Listed before the references are read: a file written after this
  // listing is not a candidate, one published meanwhile is referenced.
  // A data/ or metadata/ folder that is a symbolic link is not entered: what
  // it points to may lie outside the table.
  std::vector<std::pair<std::string, FileInfo>> files;
  for (const FileInfo& e : io.List(table)) {
    if ((e.name == "data" || e.name == "metadata") && e.is_directory && !e.is_symlink) {
      Walk(io, table + "/" + e.name, &files);
    }
  }

  std::set<std::string> referenced;
  AddReferences(io, current, /*current=*/true, &referenced);
  for (const FileInfo& f : io.List(table + "/metadata")) {
    if (!MetadataFileVersion(f.name)) continue;
    const std::string path = table + "/metadata/" + f.name;
    std::string text;
    try {
      text = ReadMetadataFile(io, path);
    } catch (const NotFound&) {
      continue;  // removed by retention since the listing
    }
    AddReferences(io, TableMetadataFromJson(text, path), /*current=*/false, &referenced);
    ++report.metadata_versions;
  }
  report.metadata_versions = std::max<int64_t>(report.metadata_versions, 1);  // `current`
  report.referenced = static_cast<int64_t>(referenced.size());

  for (const auto& [path, info] : files) {
    if (Protected(info.name) || referenced.count(path) != 0) continue;
    if (now_ms - info.mtime_ms < report.grace_ms) {
      ++report.young;
      continue;
    }
    if (!options.dry_run) {
      try {
        io.Delete(path);
      } catch (const NotFound&) {
        continue;  // another gc took it
      }
    }
    report.orphans.push_back({path, info.size, now_ms - info.mtime_ms});
    report.bytes += info.size;
  }
  return report;
}

}  // namespace datashard
