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

// One "snapshot-id,timestamp-ms,escaped-id" entry (its ';' cut off) that
// starts at byte `at` of `where`.
RememberedId ParseEntry(std::string_view entry, size_t at, const std::string& where) {
  const size_t first = entry.find(',');
  const size_t second = first == std::string_view::npos ? first : entry.find(',', first + 1);
  RememberedId id;
  if (second == std::string_view::npos || !ParseLong(entry.substr(0, first), &id.snapshot_id) ||
      !ParseLong(entry.substr(first + 1, second - first - 1), &id.timestamp_ms) ||
      second + 1 == entry.size()) {
    throw Corruption(where + " has a malformed entry at byte " + std::to_string(at) + ": '" +
                     std::string(entry.substr(0, 200)) + "'");
  }
  id.escaped_id = std::string(entry.substr(second + 1));
  return id;
}

// Ids in the order they expired, oldest first. `where` names the property
// or file for errors.
std::vector<RememberedId> Parse(std::string_view text, const std::string& where) {
  std::vector<RememberedId> ids;
  size_t begin = 0;
  while (begin < text.size()) {
    const size_t end = text.find(';', begin);
    if (end == std::string_view::npos) {
      throw Corruption(where + " has a malformed entry at byte " + std::to_string(begin) + ": '" +
                       std::string(text.substr(begin, 200)) + "' (no ';' ends it)");
    }
    ids.push_back(ParseEntry(text.substr(begin, end - begin), begin, where));
    begin = end + 1;
  }
  return ids;
}

std::string Format(const std::vector<RememberedId>& ids) {
  std::string text;
  for (const RememberedId& id : ids) {
    text += std::to_string(id.snapshot_id) + "," + std::to_string(id.timestamp_ms) + "," +
            id.escaped_id + ";";
  }
  return text;
}

std::string InlineWhere(const TableMetadata& metadata) {
  return "table property " + std::string(tp::kExpiredCommitIds) + " of '" + metadata.location + "'";
}

const std::string& InlineText(const TableMetadata& metadata) {
  static const std::string kNone;
  const auto it = metadata.properties.find(tp::kExpiredCommitIds);
  return it == metadata.properties.end() ? kNone : it->second;
}

// The newest entry of the property with id `escaped_id`, and how many
// entries follow it. An escaped id holds neither ',' nor ';', so ",id;"
// matches only an entry's last field: no need to parse the other entries.
std::optional<std::pair<RememberedId, size_t>> FindInline(const TableMetadata& metadata,
                                                          const std::string& escaped_id) {
  const std::string& text = InlineText(metadata);
  const size_t at = text.rfind("," + escaped_id + ";");
  if (at == std::string::npos) return std::nullopt;
  const size_t before = at == 0 ? std::string::npos : text.rfind(';', at - 1);
  const size_t begin = before == std::string::npos ? 0 : before + 1;
  const size_t end = at + escaped_id.size() + 1;
  const RememberedId id =
      ParseEntry(std::string_view(text).substr(begin, end - begin), begin, InlineWhere(metadata));
  if (id.escaped_id != escaped_id) return std::nullopt;
  return std::make_pair(id,
                        static_cast<size_t>(std::count(text.begin() + end + 1, text.end(), ';')));
}

// The ids of a file, with an index by id.
struct FileIdIndex {
  std::vector<RememberedId> ids;
  std::unordered_map<std::string_view, size_t> newest_by_id;  // views into `ids`
};

// The file's ids (none without a file). The file is immutable and its name
// unique (a table made again at the same place names other files), so it is
// read once per process; a stat per use still finds it missing.
std::shared_ptr<const FileIdIndex> FileIds(FileIO& io, const TableMetadata& metadata) {
  static BoundedMemo<std::shared_ptr<const FileIdIndex>> memo(16);
  const std::optional<std::string> path = RememberedCommitsFile(metadata);
  if (!path) return std::make_shared<FileIdIndex>();
  if (!io.Exists(*path)) {
    throw NotFound("the remembered commit ids of '" + metadata.location + "' (" +
                   tp::kExpiredCommitIdsFile + ") are missing: " + *path);
  }
  return memo.Get(*path, [&] {
    auto index = std::make_shared<FileIdIndex>();
    index->ids = Parse(io.ReadFile(*path), "remembered commit ids file " + *path);
    for (size_t i = 0; i < index->ids.size(); ++i)
      index->newest_by_id[index->ids[i].escaped_id] = i;
    return index;
  });
}

// The number of elements of `text` when it is a JSON array of strings.
std::optional<size_t> CountJsonStrings(std::string_view text) {
  size_t i = 0;
  // The next character that is not white space; i == text.size() at the end.
  const auto next = [&] {
    while (i < text.size() &&
           (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
      ++i;
    return i < text.size() ? text[i] : '\0';
  };
  const auto only_space_left = [&] {
    next();
    return i == text.size();
  };
  if (next() != '[') return std::nullopt;
  ++i;
  if (next() == ']') {
    ++i;
    return only_space_left() ? std::optional<size_t>(0) : std::nullopt;
  }
  for (size_t n = 1;; ++n) {
    if (next() != '"') return std::nullopt;
    for (++i; i < text.size() && text[i] != '"'; ++i) {
      if (text[i] == '\\') ++i;  // an escaped character never ends the string
    }
    if (i >= text.size()) return std::nullopt;
    ++i;
    const char after = next();
    if (i == text.size()) return std::nullopt;
    ++i;
    if (after == ']') return only_space_left() ? std::optional<size_t>(n) : std::nullopt;
    if (after != ',') return std::nullopt;
  }
}

// Commits of kept snapshots count toward the horizon first.
size_t ExpiredToRemember(const TableMetadata& metadata) {
  const int64_t horizon =
      metadata.PropertyLong(tp::kCommitIdHorizonCommits, tp::kCommitIdHorizonCommitsDefault);
  int64_t kept = 0;
  for (const Snapshot& s : metadata.snapshots) kept += static_cast<int64_t>(CommitIdCount(s));
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

size_t CommitIdCount(const Snapshot& snapshot) {
  if (!snapshot.summary.contains(kCommitIdSummaryKey)) return 0;
  const auto group = snapshot.summary.find(kGroupCommitIdsSummaryKey);
  if (group == snapshot.summary.end()) return 1;
  if (const std::optional<size_t> n = CountJsonStrings(group->second)) return 1 + *n;
  return CommitIdsOf(snapshot).size();
}

std::optional<std::string> RememberedCommitsFile(const TableMetadata& metadata) {
  const auto it = metadata.properties.find(tp::kExpiredCommitIdsFile);
  if (it == metadata.properties.end()) return std::nullopt;
  return LocalFilePath(it->second, "remembered commit ids file");
}

std::optional<CommitRecord> FindCommit(FileIO& io, const TableMetadata& metadata,
                                       const std::string& commit_id) {
  return CommitFinder(io, metadata).Find(commit_id);
}

std::optional<CommitRecord> CommitFinder::Find(const std::string& commit_id) {
  // A group's ids are parsed only where the id's JSON text occurs. Newest
  // first: the commit looked for is most often the one just published.
  const std::string quoted = nlohmann::json(commit_id).dump();
  for (size_t i = metadata_.snapshots.size(); i-- > 0;) {
    const Snapshot& s = metadata_.snapshots[i];
    const auto it = s.summary.find(kCommitIdSummaryKey);
    if (it == s.summary.end()) continue;
    const auto group = s.summary.find(kGroupCommitIdsSummaryKey);
    if (it->second == commit_id ||
        (group != s.summary.end() && group->second.find(quoted) != std::string::npos &&
         std::ranges::count(CommitIdsOf(s), commit_id) > 0))
      return CommitRecord{s.snapshot_id, s.timestamp_ms, s};
  }
  if (!metadata_.properties.count(tp::kExpiredCommitIds) && !RememberedCommitsFile(metadata_))
    return std::nullopt;
  // Remembered is what lies within the horizon counted from the newest
  // commit; older entries wait for the next rewrite to go.
  if (!remember_) remember_ = ExpiredToRemember(metadata_);
  const size_t remember = *remember_;
  const std::string escaped = Escape(commit_id);
  // The newest ids are in the property, the older ones in the file.
  if (const auto found = FindInline(metadata_, escaped)) {
    if (found->second >= remember) return std::nullopt;
    return CommitRecord{found->first.snapshot_id, found->first.timestamp_ms, std::nullopt};
  }
  const std::string& text = InlineText(metadata_);
  const auto newer = static_cast<size_t>(std::count(text.begin(), text.end(), ';'));
  if (newer >= remember) return std::nullopt;
  const std::shared_ptr<const FileIdIndex> file = FileIds(io_, metadata_);
  const auto it = file->newest_by_id.find(escaped);
  if (it == file->newest_by_id.end()) return std::nullopt;
  if (newer + file->ids.size() - 1 - it->second >= remember) return std::nullopt;
  const RememberedId& id = file->ids[it->second];
  return CommitRecord{id.snapshot_id, id.timestamp_ms, std::nullopt};
}

int64_t CountRememberedCommits(FileIO& io, const TableMetadata& metadata) {
  return static_cast<int64_t>(Parse(InlineText(metadata), InlineWhere(metadata)).size() +
                              FileIds(io, metadata)->ids.size());
}

RememberedCommitsChange RememberExpiredCommits(FileIO& io, const std::string& metadata_dir,
                                               TableMetadata* metadata,
                                               const std::vector<Snapshot>& expired) {
  RememberedCommitsChange change;
  std::vector<RememberedId> ids = Parse(InlineText(*metadata), InlineWhere(*metadata));
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
