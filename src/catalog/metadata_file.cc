#include "catalog/metadata_file.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string_view>
#include <vector>

#include "datashard/errors.h"

namespace datashard {
namespace {

// The name without its metadata suffix (".metadata.json", ".gz.metadata.json"
// or ".metadata.json.gz"), or nullopt when it has none.
std::optional<std::string> StemOf(const std::string& name) {
  for (const std::string_view suffix :
       {".gz.metadata.json", ".metadata.json.gz", ".metadata.json"}) {
    if (name.ends_with(suffix)) return name.substr(0, name.size() - suffix.size());
  }
  return std::nullopt;
}

std::optional<int64_t> ParseDigits(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t v = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end || v < 0) return std::nullopt;
  return v;
}

// A UUID in its canonical 8-4-4-4-12 hex form.
bool IsCanonicalUuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

std::string Gunzip(const std::string& in, const std::string& path) {
  z_stream s{};
  // windowBits 15 + 32: zlib or gzip wrapper, detected from the header.
  if (inflateInit2(&s, 15 + 32) != Z_OK) throw IOError("gzip: inflateInit2 failed for " + path);
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  s.avail_in = static_cast<uInt>(in.size());
  std::string out;
  int rc = Z_OK;
  while (true) {
    if (out.size() > kMaxMetadataFileBytes) {
      inflateEnd(&s);
      throw Corruption("metadata file " + path + " decompresses to more than " +
                       std::to_string(kMaxMetadataFileBytes) + " bytes");
    }
    const size_t have = out.size();
    out.resize(have + std::min<size_t>(std::max<size_t>(64 * 1024, have),
                                       kMaxMetadataFileBytes + 1 - have));
    s.next_out = reinterpret_cast<Bytef*>(out.data() + have);
    s.avail_out = static_cast<uInt>(out.size() - have);
    rc = inflate(&s, Z_NO_FLUSH);
    out.resize(out.size() - s.avail_out);
    if (rc == Z_STREAM_END) {
      if (s.avail_in == 0) break;
      // Concatenated gzip members decode as one stream (RFC 1952 §2.2).
      if (inflateReset(&s) != Z_OK) break;
      continue;
    }
    if (rc != Z_OK) break;
    if (s.avail_in == 0 && s.avail_out != 0) {
      rc = Z_BUF_ERROR;  // input ended inside a member
      break;
    }
  }
  const uLong consumed = s.total_in;
  inflateEnd(&s);
  if (rc != Z_STREAM_END) {
    throw Corruption("metadata file " + path + " is gzip data that does not decode (zlib code " +
                     std::to_string(rc) + " after " + std::to_string(consumed) + " of " +
                     std::to_string(in.size()) + " bytes)");
  }
  return out;
}

}  // namespace

bool IsMetadataFileName(const std::string& name) { return StemOf(name).has_value(); }

std::optional<int64_t> CatalogMetadataSequence(const std::string& name) {
  const std::optional<std::string> stem = StemOf(name);
  if (!stem) return std::nullopt;
  const size_t dash = stem->find('-');
  if (dash == std::string::npos || !IsCanonicalUuid(stem->substr(dash + 1))) return std::nullopt;
  return ParseDigits(stem->substr(0, dash));
}

std::optional<int64_t> MetadataFileVersion(const std::string& name) {
  if (const auto sequence = CatalogMetadataSequence(name)) return sequence;
  const std::optional<std::string> stem = StemOf(name);
  if (!stem || stem->size() < 2 || (*stem)[0] != 'v') return std::nullopt;
  return ParseDigits(stem->substr(1));
}

std::string ReadMetadataFile(FileIO& io, const std::string& path) {
  std::string text = io.ReadFile(path);
  if (text.size() >= 2 && static_cast<unsigned char>(text[0]) == 0x1f &&
      static_cast<unsigned char>(text[1]) == 0x8b) {
    return Gunzip(text, path);
  }
  return text;
}

std::optional<std::string> GuessCatalogMetadataFile(FileIO& io, const std::string& metadata_dir) {
  std::vector<FileInfo> entries;
  try {
    entries = io.List(metadata_dir);
  } catch (const NotFound&) {
    return std::nullopt;
  }
  int64_t highest = -1;
  std::vector<std::string> newest;
  for (const FileInfo& e : entries) {
    if (e.is_directory) continue;
    const std::optional<int64_t> sequence = CatalogMetadataSequence(e.name);
    if (!sequence || *sequence < highest) continue;
    if (*sequence > highest) newest.clear();
    highest = *sequence;
    newest.push_back(e.name);
  }
  if (newest.empty()) return std::nullopt;
  if (newest.size() > 1) {
    std::string names;
    for (const std::string& n : newest) names += (names.empty() ? "" : ", ") + n;
    throw NotFound("cannot tell the current metadata of the table in " + metadata_dir +
                   ": it has no v<N>.metadata.json, and several catalog-written metadata files "
                   "share the highest sequence number " +
                   std::to_string(highest) + " (" + names +
                   "); only the catalog that wrote them knows which one committed, so pass the "
                   "path of that metadata file instead of the folder");
  }
  return metadata_dir + "/" + newest.front();
}

}  // namespace datashard
