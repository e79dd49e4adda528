#include "commit/commit_ids.h"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <memory>
#include <string_view>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "datashard/errors.h"
#include "metadata/file_location.h"
#include "util/bounded_memo.h"
#include "util/hex.h"
#include "util/uuid.h"

namespace datashard {
namespace {

namespace tp = table_properties;

// More ids than this in the property move to a new file.
constexpr size_t kMaxInlineIds = 64;

std::string Escape(const std::string& id) {
  std::string out;
  out.reserve(id.size());
  for (const char c : id) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '%' || c == ',' || c == ';' || u < 0x20 || u == 0x7f) {
      out += '%';
      out += HexEncode(std::string_view(&c, 1));
    } else {
      out += c;
    }
  }
  return out;
}

bool ParseLong(std::string_view text, int64_t* out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

struct RememberedId {
  int64_t snapshot_id = 0;
  int64_t timestamp_ms = 0;
  std::string escaped_id;
};

// Ids in the order they expired, oldest first, with an index by id.
struct RememberedIds {
  std::vector<RememberedId> ids;
  std::unordered_map<std::string_view, size_t> newest_by_id;

  // Position of `escaped_id` counted from the newest (0), or nullopt.
  std::optional<size_t> FromNewest(const std::string& escaped_id) const {
    const auto it = newest_by_id.find(escaped_id);
    if (it == newest_by_id.end()) return std::nullopt;
    return ids.size() - 1 - it->second;
  }
};

// `where` names the property or file for errors.
std::shared_ptr<const RememberedIds> Parse(std::string_view text, const std::string& where) {
  auto out = std::make_shared<RememberedIds>();
  size_t begin = 0;
  while (begin < text.size()) {
    const size_t end = text.find(';', begin);
    const std::string_view entry =
        text.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin);
    const size_t first = entry.find(',');
    const size_t second = first == std::string_view::npos ? first : entry.find(',', first + 1);
    RememberedId id;
    if (end == std::string_view::npos || second == std::string_view::npos ||
        !ParseLong(entry.substr(0, first), &id.snapshot_id) ||
        !ParseLong(entry.substr(first + 1, second - first - 1), &id.timestamp_ms) ||
        second + 1 == entry.size()) {
      throw Corruption(where + " has a malformed entry at byte " + std::to_string(begin) + ": '" +
                       std::string(entry.substr(0, 200)) + "'");
    }
    id.escaped_id = std::string(entry.substr(second + 1));
    out->ids.push_back(std::move(id));
    begin = end + 1;
  }
  // Views into `ids`, which no longer grows.
  for (size_t i = 0; i < out->ids.size(); ++i) out->newest_by_id[out->ids[i].escaped_id] = i;
  return out;
}

std::string Format(const std::vector<RememberedId>& ids) {
  std::string text;
  for (const RememberedId& id : ids) {
    text += std::to_string(id.snapshot_id) + "," + std::to_string(id.timestamp_ms) + "," +
            id.escaped_id + ";";
  }
  return text;
}

std::shared_ptr<const RememberedIds> InlineIds(const TableMetadata& metadata) {
  return Parse(
      metadata.Property(tp::kExpiredCommitIds, ""),
      "table property " + std::string(tp::kExpiredCommitIds) + " of '" + metadata.location + "'");
}

// The file's ids (none without a file). Files are immutable: read once per
// process, and checked to be there with one stat (a table removed and made
// again at the same place has other files).
std::shared_ptr<const RememberedIds> FileIds(FileIO& io, const TableMetadata& metadata) {
  static BoundedMemo<std::shared_ptr<const RememberedIds>> memo(16);
  const std::optional<std::string> path = RememberedCommitsFile(metadata);
  if (!path) return std::make_shared<RememberedIds>();
  FileInfo info;
  try {
    info = io.Stat(*path);
  } catch (const NotFound&) {
    throw NotFound("the remembered commit ids of '" + metadata.location + "' (" +
                   tp::kExpiredCommitIdsFile + ") are missing: " + *path);
  }
  const std::string key =
      *path + "\n" + std::to_string(info.size) + "\n" + std::to_string(info.mtime_ms);
  return memo.Get(key,
                  [&] { return Parse(io.ReadFile(*path), "remembered commit ids file " + *path); });
}

// Commits of kept snapshots count toward the horizon first.
size_t ExpiredToRemember(const TableMetadata& metadata) {
  const int64_t horizon =
      metadata.PropertyLong(tp::kCommitIdHorizonCommits, tp::kCommitIdHorizonCommitsDefault);
  int64_t kept = 0;
  for (const Snapshot& s : metadata.snapshots) kept += static_cast<int64_t>(CommitIdsOf(s).size());
  return static_cast<size_t>(std::max<int64_t>(0, horizon - kept));
}

}  // namespace

std::string GroupCommitIdsText(const std::vector<std::string>& ids) {
  return nlohmann::json(ids).dump();
}

std::vector<std::string> CommitIdsOf(const Snapshot& snapshot) {
  std::vector<std::string> ids;
  const auto own = snapshot.summary.find(kCommitIdSummaryKey);
  if (own == snapshot.summary.end()) return ids;
  ids.push_back(own->second);
  const auto group = snapshot.summary.find(kGroupCommitIdsSummaryKey);
  if (group == snapshot.summary.end()) return ids;
  try {
    for (const auto& id : nlohmann::json::parse(group->second))
      ids.push_back(id.get<std::string>());
  } catch (const nlohmann::json::exception& e) {
    throw Corruption("summary " + std::string(kGroupCommitIdsSummaryKey) + " of snapshot " +
                     std::to_string(snapshot.snapshot_id) +
                     " is not a JSON array of strings: " + e.what());
  }
  return ids;
}

std::optional<std::string> RememberedCommitsFile(const TableMetadata& metadata) {
  const auto it = metadata.properties.find(tp::kExpiredCommitIdsFile);
  if (it == metadata.properties.end()) return std::nullopt;
  return LocalFilePath(it->second, "remembered commit ids file");
}

std::optional<CommitRecord> FindCommit(FileIO& io, const TableMetadata& metadata,
                                       const std::string& commit_id) {
  for (const Snapshot& s : metadata.snapshots) {
    const auto it = s.summary.find(kCommitIdSummaryKey);
    if (it == s.summary.end()) continue;
    if (it->second == commit_id || (s.summary.count(kGroupCommitIdsSummaryKey) &&
                                    std::ranges::count(CommitIdsOf(s), commit_id) > 0))
      return CommitRecord{s.snapshot_id, s.timestamp_ms, s};
  }
  if (!metadata.properties.count(tp::kExpiredCommitIds) && !RememberedCommitsFile(metadata))
    return std::nullopt;
  // Remembered is what lies within the horizon counted from the newest
  // commit; older entries wait for the next rewrite to go.
  const size_t remember = ExpiredToRemember(metadata);
  const std::string escaped = Escape(commit_id);
  // The newest ids are in the property, the older ones in the file.
  size_t newer = 0;
  for (const auto& ids : {InlineIds(metadata), FileIds(io, metadata)}) {
    if (const std::optional<size_t> at = ids->FromNewest(escaped)) {
      if (newer + *at >= remember) return std::nullopt;
      const RememberedId& id = ids->ids[ids->ids.size() - 1 - *at];
      return CommitRecord{id.snapshot_id, id.timestamp_ms, std::nullopt};
    }
    newer += ids->ids.size();
  }
  return std::nullopt;
}

int64_t CountRememberedCommits(FileIO& io, const TableMetadata& metadata) {
  return static_cast<int64_t>(InlineIds(metadata)->ids.size() + FileIds(io, metadata)->ids.size());
}

RememberedCommitsChange RememberExpiredCommits(FileIO& io, const std::string& metadata_dir,
                                               TableMetadata* metadata,
                                               const std::vector<Snapshot>& expired) {
  RememberedCommitsChange change;
  std::vector<RememberedId> ids = InlineIds(*metadata)->ids;
  for (const Snapshot& s : expired) {
    for (const std::string& id : CommitIdsOf(s))  // none: another engine's commit
      ids.push_back({s.snapshot_id, s.timestamp_ms, Escape(id)});
  }
  const size_t remember = ExpiredToRemember(*metadata);
  const std::optional<std::string> file = RememberedCommitsFile(*metadata);
  if (ids.size() >= remember || ids.size() > kMaxInlineIds) {
    // The file's ids are all past the horizon, or the property is full:
    // what is remembered moves to the property or to a new file.
    if (file) {
      const auto file_ids = FileIds(io, *metadata);
      if (ids.size() < remember) {
        const size_t take = std::min(file_ids->ids.size(), remember - ids.size());
        ids.insert(ids.begin(), file_ids->ids.end() - static_cast<ptrdiff_t>(take),
                   file_ids->ids.end());
      }
      change.replaced = file;
      metadata->properties.erase(tp::kExpiredCommitIdsFile);
    }
    ids.erase(ids.begin(), ids.end() - static_cast<ptrdiff_t>(std::min(ids.size(), remember)));
    if (ids.size() > kMaxInlineIds) {
      const std::string path =
          metadata_dir + "/expired-commit-ids-" + Uuid::Random().ToString() + ".txt";
      io.WriteFile(path, Format(ids));
      change.written = path;
      metadata->properties[tp::kExpiredCommitIdsFile] = path;
      ids.clear();
    }
  }
  if (ids.empty()) {
    metadata->properties.erase(tp::kExpiredCommitIds);
  } else {
    metadata->properties[tp::kExpiredCommitIds] = Format(ids);
  }
  return change;
}

}  // namespace datashard
