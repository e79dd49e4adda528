#include "commit/commit_ids.h"

#include <algorithm>
#include <charconv>

#include "datashard/errors.h"
#include "util/hex.h"

namespace datashard {
namespace {

namespace tp = table_properties;

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

}  // namespace

std::optional<CommitRecord> FindCommit(const TableMetadata& metadata,
                                       const std::string& commit_id) {
  for (const Snapshot& s : metadata.snapshots) {
    const auto it = s.summary.find(kCommitIdSummaryKey);
    if (it != s.summary.end() && it->second == commit_id)
      return CommitRecord{s.snapshot_id, s.timestamp_ms, s};
  }
  const auto list = metadata.properties.find(tp::kExpiredCommitIds);
  if (list == metadata.properties.end()) return std::nullopt;
  const std::string& text = list->second;
  // Ids are escaped so that ",<id>;" only matches the last field of an entry.
  const size_t at = text.find("," + Escape(commit_id) + ";");
  if (at == std::string::npos) return std::nullopt;
  const size_t begin = at == 0 ? 0 : text.rfind(';', at - 1) + 1;  // npos + 1 == 0
  const std::string_view entry(text.data() + begin, at - begin);
  const size_t comma = entry.find(',');
  CommitRecord r;
  if (comma == std::string_view::npos || !ParseLong(entry.substr(0, comma), &r.snapshot_id) ||
      !ParseLong(entry.substr(comma + 1), &r.timestamp_ms)) {
    throw Corruption("table property " + std::string(tp::kExpiredCommitIds) + " of '" +
                     metadata.location + "' has a malformed entry for commit id '" + commit_id +
                     "': '" + std::string(entry) + "'");
  }
  return r;
}

void RememberExpiredCommits(TableMetadata* metadata, const std::vector<Snapshot>& expired) {
  const int64_t horizon =
      metadata->PropertyLong(tp::kCommitIdHorizonCommits, tp::kCommitIdHorizonCommitsDefault);
  std::string text = metadata->Property(tp::kExpiredCommitIds, "");
  for (const Snapshot& s : expired) {
    const auto it = s.summary.find(kCommitIdSummaryKey);
    if (it == s.summary.end()) continue;  // another engine's commit
    text += std::to_string(s.snapshot_id) + "," + std::to_string(s.timestamp_ms) + "," +
            Escape(it->second) + ";";
  }
  const int64_t kept =
      std::count_if(metadata->snapshots.begin(), metadata->snapshots.end(),
                    [](const Snapshot& s) { return s.summary.count(kCommitIdSummaryKey) > 0; });
  const int64_t keep = std::max<int64_t>(0, horizon - kept);
  int64_t entries = std::count(text.begin(), text.end(), ';');
  size_t from = 0;
  for (; entries > keep; --entries) from = text.find(';', from) + 1;
  text.erase(0, from);
  if (text.empty()) {
    metadata->properties.erase(tp::kExpiredCommitIds);
  } else {
    metadata->properties[tp::kExpiredCommitIds] = std::move(text);
  }
}

}  // namespace datashard
