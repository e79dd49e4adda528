#include "catalog/file_catalog.h"

#include <charconv>

#include "datashard/errors.h"
#include "util/uuid.h"

namespace datashard {
namespace {

constexpr const char* kHintName = "version-hint.text";

std::optional<int64_t> ParseDecimal(const std::string& text) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end || v <= 0) return std::nullopt;
  return v;
}

}  // namespace

FileCatalog::FileCatalog(std::shared_ptr<FileIO> io, std::string table_path)
    : TableCatalog(std::move(io), std::move(table_path)) {}

std::optional<MetadataPointer> FileCatalog::FindCurrent(int64_t at_least) const {
  const std::optional<int64_t> v = FindLatest(at_least);
  if (!v) return std::nullopt;
  return MetadataPointer{*v, MetadataPath(*v)};
}

std::string FileCatalog::NoTableMessage() const {
  return "no Iceberg table at " + table_path() + " (no metadata/v<N>.metadata.json)";
}

std::string FileCatalog::ReadMetadata(const MetadataPointer& pointer) const {
  return ReadVersion(pointer.version);
}

std::optional<MetadataPointer> FileCatalog::PublishNext(const std::optional<MetadataPointer>& base,
                                                        const std::string& text, const CommitProbe&,
                                                        SyncGroup* sync) const {
  const int64_t version = base ? base->version + 1 : 1;
  if (Publish(version, text, sync) == PublishResult::kLostRace) return std::nullopt;
  return MetadataPointer{version, MetadataPath(version)};
}

void FileCatalog::WriteHint(const MetadataPointer& published) const noexcept {
  WriteHint(published.version);
}

std::string FileCatalog::MetadataPath(int64_t version) const {
  return metadata_dir() + "/v" + std::to_string(version) + ".metadata.json";
}

std::optional<int64_t> FileCatalog::ParseVersionFileName(const std::string& name) {
  static const std::string kSuffix = ".metadata.json";
  if (name.size() <= 1 + kSuffix.size() || name[0] != 'v' ||
      name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
    return std::nullopt;
  }
  return ParseDecimal(name.substr(1, name.size() - 1 - kSuffix.size()));
}

std::optional<int64_t> FileCatalog::ReadHint() const {
  try {
    return ParseDecimal(io().ReadFile(metadata_dir() + "/" + kHintName));
  } catch (const Error&) {
    return std::nullopt;  // absent or unreadable: fall back to listing
  }
}

std::optional<int64_t> FileCatalog::FindLatest(int64_t at_least) const {
  // A caller that knows a version is usually current (an ingest-log append,
  // a reader between commits): two stats tell it so, without the hint read.
  // Behind, the probe goes on from the next version or a newer hint; a
  // version found missing on the way (retention) sends it to the listing.
  int64_t start = 0;
  if (at_least > 0 && io().Exists(MetadataPath(at_least))) {
    if (!io().Exists(MetadataPath(at_least + 1))) return at_least;
    start = at_least + 1;
  }
  const int64_t hint = ReadHint().value_or(0);
  if (hint > start && hint >= at_least) start = io().Exists(MetadataPath(hint)) ? hint : 0;
  if (start <= 0) {
    std::vector<FileInfo> entries;
    try {
      entries = io().List(metadata_dir());
    } catch (const NotFound&) {
      return std::nullopt;
    }
    start = 0;
    for (const FileInfo& e : entries) {
      if (const auto v = ParseVersionFileName(e.name)) start = std::max(start, *v);
    }
    if (start == 0) return std::nullopt;
  }
  int64_t v = start;
  while (io().Exists(MetadataPath(v + 1))) ++v;
  return v;
}

std::string FileCatalog::ReadVersion(int64_t version) const {
  return io().ReadFile(MetadataPath(version));
}

FileCatalog::PublishResult FileCatalog::Publish(int64_t version, const std::string& text,
                                                SyncGroup* sync) const {
  const std::string tmp = metadata_dir() + "/.tmp-v" + std::to_string(version) + "-" +
                          Uuid::Random().ToString() + ".json";
  try {
    if (sync != nullptr) {
      io().WriteFile(tmp, text, *sync);
      sync->Sync();
    } else {
      io().WriteFile(tmp, text, /*sync=*/true);
    }
  } catch (const Error&) {
    try {
      io().Delete(tmp);
    } catch (const Error&) {
      // The temporary name is ours alone; a leftover is an orphan for gc.
    }
    throw;
  }
  const std::string target = MetadataPath(version);
  bool linked = false;
  std::string link_error;
  try {
    linked = io().LinkIfAbsent(tmp, target);
  } catch (const Error& e) {
    link_error = e.what();
  }
  try {
    io().Delete(tmp);
  } catch (const Error&) {
    // Only the temporary name; the published version is unaffected.
  }
  if (!linked) {
    // Put-if-absent decides: whoever's metadata v<version> holds published it.
    const std::string failure =
        link_error.empty() ? "link reported that it exists" : "link failed (" + link_error + ")";
    std::string held;
    try {
      held = ReadVersion(version);
    } catch (const Error& e) {
      throw CommitStateUnknown("publishing " + target + ": " + failure +
                               ", and reading it back failed (" + e.what() +
                               "); the version may or may not exist");
    }
    if (held != text) return PublishResult::kLostRace;
  }
  try {
    io().SyncDir(metadata_dir());
  } catch (const Error& e) {
    throw CommitStateUnknown("published " + target + " but fsync of " + metadata_dir() +
                             " failed (" + e.what() + "); the version may not be durable");
  }
  return PublishResult::kPublished;
}

void FileCatalog::WriteHint(int64_t version) const noexcept {
  try {
    // Each round ends by reading the hint back in the next: a few rounds
    // outlast writers that replace it without the commit lock.
    for (int round = 0; round < 3; ++round) {
      while (io().Exists(MetadataPath(version + 1))) ++version;
      const std::optional<int64_t> hint = ReadHint();
      if (hint && *hint >= version && io().Exists(MetadataPath(*hint))) return;
      const std::string tmp = metadata_dir() + "/.tmp-hint-" + Uuid::Random().ToString();
      io().WriteFile(tmp, std::to_string(version), /*sync=*/false);
      try {
        io().Rename(tmp, metadata_dir() + "/" + kHintName);
      } catch (const Error&) {
        io().Delete(tmp);
        return;
      }
    }
  } catch (const Error&) {
    // Best effort: readers probe forward from a stale hint.
  } catch (const std::exception&) {
  }
}

void FileCatalog::ProbeAtomicLink() const {
  const std::string base = metadata_dir() + "/.link-probe-" + Uuid::Random().ToString();
  const std::string a = base + "-a";
  const std::string b = base + "-b";
  io().WriteFile(a, "probe", /*sync=*/false);
  std::string failure;
  try {
    if (!io().LinkIfAbsent(a, b)) {
      failure = "link() to a new name reported that the name exists";
    } else if (io().LinkIfAbsent(a, b)) {
      failure = "link() to a taken name succeeded instead of failing with EEXIST";
    }
  } catch (const Error& e) {
    failure = std::string("link() failed: ") + e.what();
  }
  for (const std::string& p : {a, b}) {
    try {
      io().Delete(p);
    } catch (const Error&) {
      // Probe leftovers are harmless names no reader looks at.
    }
  }
  if (!failure.empty()) {
    throw NotSupported("the filesystem holding " + table_path() +
                       " does not give atomic put-if-absent, which the file catalog needs to "
                       "commit safely (" +
                       failure +
                       "); use a SQL catalog instead (--catalog sqlite:PATH or postgresql://...)");
  }
}

}  // namespace datashard
