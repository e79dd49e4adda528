#include "commit/group_publication.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "datashard/errors.h"
#include "io/lazy_folder.h"
#include "util/hex.h"

namespace datashard {
namespace {

using nlohmann::json;

constexpr const char* kPending = ".json";
constexpr const char* kClaimed = ".claimed";
constexpr const char* kDone = ".done";
constexpr const char* kUnknown = ".unknown";

json OptionalBytes(const std::optional<std::string>& v) {
  return v ? json(HexEncode(*v)) : json(nullptr);
}

std::optional<std::string> BytesOf(const json& v) {
  if (v.is_null()) return std::nullopt;
  return HexDecode(v.get<std::string>());
}

json ManifestToJson(const ManifestFile& m) {
  json partitions = json::array();
  for (const PartitionFieldSummary& p : m.partitions) {
    partitions.push_back({{"contains_null", p.contains_null},
                          {"contains_nan", p.contains_nan ? json(*p.contains_nan) : json(nullptr)},
                          {"lower", OptionalBytes(p.lower_bound)},
                          {"upper", OptionalBytes(p.upper_bound)}});
  }
  return {{"path", m.manifest_path},
          {"length", m.manifest_length},
          {"spec_id", m.partition_spec_id},
          {"content", static_cast<int>(m.content)},
          {"added_files", m.added_files_count},
          {"existing_files", m.existing_files_count},
          {"deleted_files", m.deleted_files_count},
          {"added_rows", m.added_rows_count},
          {"existing_rows", m.existing_rows_count},
          {"deleted_rows", m.deleted_rows_count},
          {"partitions", std::move(partitions)}};
}

ManifestFile ManifestFromJson(const json& j) {
  ManifestFile m;
  m.manifest_path = j.at("path").get<std::string>();
  m.manifest_length = j.at("length").get<int64_t>();
  m.partition_spec_id = j.at("spec_id").get<int>();
  m.content = static_cast<FileContent>(j.at("content").get<int>());
  m.added_files_count = j.at("added_files").get<int>();
  m.existing_files_count = j.at("existing_files").get<int>();
  m.deleted_files_count = j.at("deleted_files").get<int>();
  m.added_rows_count = j.at("added_rows").get<int64_t>();
  m.existing_rows_count = j.at("existing_rows").get<int64_t>();
  m.deleted_rows_count = j.at("deleted_rows").get<int64_t>();
  for (const json& p : j.at("partitions")) {
    PartitionFieldSummary s;
    s.contains_null = p.at("contains_null").get<bool>();
    if (!p.at("contains_nan").is_null()) s.contains_nan = p.at("contains_nan").get<bool>();
    s.lower_bound = BytesOf(p.at("lower"));
    s.upper_bound = BytesOf(p.at("upper"));
    m.partitions.push_back(std::move(s));
  }
  return m;
}

}  // namespace

std::string PendingAppendToJson(const PendingAppend& a) {
  json manifests = json::array();
  for (const ManifestFile& m : a.manifests) manifests.push_back(ManifestToJson(m));
  json partitions = json::array();
  for (const std::string& p : a.partitions) partitions.push_back(HexEncode(p));
  return json{{"commit_id", a.commit_id},
              {"commit_uuid", a.commit_uuid},
              {"schema_id", a.schema_id},
              {"spec_id", a.spec_id},
              {"first_write_ms", a.first_write_ms},
              {"added_files", a.added_files},
              {"added_records", a.added_records},
              {"added_size", a.added_size},
              {"partitions", std::move(partitions)},
              {"manifests", std::move(manifests)}}
      .dump();
}

PendingAppend PendingAppendFromJson(const std::string& text, const std::string& where) {
  try {
    const json j = json::parse(text);
    PendingAppend a;
    a.commit_id = j.at("commit_id").get<std::string>();
    a.commit_uuid = j.at("commit_uuid").get<std::string>();
    a.schema_id = j.at("schema_id").get<int>();
    a.spec_id = j.at("spec_id").get<int>();
    a.first_write_ms = j.at("first_write_ms").get<int64_t>();
    a.added_files = j.at("added_files").get<int64_t>();
    a.added_records = j.at("added_records").get<int64_t>();
    a.added_size = j.at("added_size").get<int64_t>();
    for (const json& p : j.at("partitions")) a.partitions.insert(HexDecode(p.get<std::string>()));
    for (const json& m : j.at("manifests")) a.manifests.push_back(ManifestFromJson(m));
    return a;
  } catch (const json::exception& e) {
    throw Corruption("pending append " + where + " is malformed: " + e.what());
  } catch (const InvalidArgument& e) {
    throw Corruption("pending append " + where + " is malformed: " + e.what());
  }
}

std::string PendingAppendsDir(const std::string& metadata_dir) { return metadata_dir + "/pending"; }

PendingAppendSlot::PendingAppendSlot(FileIO& io, const std::string& metadata_dir,
                                     const PendingAppend& append)
    : io_(io), base_(PendingAppendsDir(metadata_dir) + "/" + append.commit_uuid) {
  const std::string text = PendingAppendToJson(append);
  InLazyFolder(io_, PendingAppendsDir(metadata_dir),
               [&] { io_.WriteFile(Path(kPending), text, /*sync=*/false); });
  try {
    // Holders skip a descriptor whose lock they can take: written, then
    // locked, it is never claimed half-written.
    lock_ = io_.Lock(Path(kPending), /*wait=*/true);
  } catch (...) {
    try {
      io_.Delete(Path(kPending));
    } catch (const Error&) {
    }
    throw;
  }
}

PendingAppendSlot::~PendingAppendSlot() {
  // Whichever name it has now; the others are not there.
  io_.DeleteEach({Path(kPending), Path(kClaimed), Path(kDone), Path(kUnknown)});
}

std::string PendingAppendSlot::Path(const char* suffix) const { return base_ + suffix; }

PendingAppendSlot::State PendingAppendSlot::Poll() {
  // The descriptor has one name at a time (holders rename it from state to
  // state). The usual answer is looked for first: a waiting writer polls at
  // every commit event. A look that finds no name ran between two renames:
  // a second look tells.
  for (int look = 0; look < 2; ++look) {
    if (io_.Exists(Path(kPending))) return State::kPending;
    if (io_.Exists(Path(kClaimed))) return State::kClaimed;
    if (io_.Exists(Path(kDone))) return State::kDone;
    if (io_.Exists(Path(kUnknown))) return State::kUnknown;
  }
  return State::kPending;
}

bool PendingAppendSlot::Withdraw() {
  try {
    io_.Rename(Path(kPending), base_ + ".withdrawn");
  } catch (const NotFound&) {
    return false;
  }
  try {
    io_.Delete(base_ + ".withdrawn");
  } catch (const Error&) {
  }
  return true;
}

AppendGroup AppendGroup::Claim(FileIO& io, const std::string& metadata_dir, size_t limit,
                               int64_t now_ms, int64_t abandoned_after_ms) {
  AppendGroup group;
  group.io_ = &io;
  const std::string dir = PendingAppendsDir(metadata_dir);
  std::vector<FileInfo> entries;
  try {
    entries = io.List(dir);
  } catch (const Error&) {
    return group;  // none yet
  }
  for (const FileInfo& e : entries) {
    if (group.members_.size() >= limit) break;
    if (e.is_directory) continue;
    const std::string path = dir + "/" + e.name;
    if (!e.name.ends_with(kPending)) {
      // Left by a writer that died after it was claimed: gone once old.
      try {
        if (now_ms - e.mtime_ms > abandoned_after_ms && io.Lock(path, /*wait=*/false) != nullptr)
          io.Delete(path);
      } catch (const Error&) {
      }
      continue;
    }
    try {
      if (std::unique_ptr<FileLock> free = io.Lock(path, /*wait=*/false)) {
        // Its writer died, or has not locked it yet: not ours to publish.
        free.reset();
        if (now_ms - e.mtime_ms > abandoned_after_ms) io.Delete(path);
        continue;
      }
      const std::string base =
          path.substr(0, path.size() - std::char_traits<char>::length(kPending));
      io.Rename(path, base + kClaimed);
      group.bases_.push_back(base);
      try {
        group.members_.push_back(
            PendingAppendFromJson(io.ReadFile(base + kClaimed), base + kClaimed));
      } catch (...) {
        group.bases_.pop_back();
        io.Rename(base + kClaimed, path);
        throw;
      }
    } catch (const Error&) {
      // Withdrawn meanwhile, or unreadable: its writer commits it itself.
    }
  }
  return group;
}

AppendGroup::~AppendGroup() { Clear(); }

AppendGroup::AppendGroup(AppendGroup&& other) noexcept
    : io_(other.io_), bases_(std::move(other.bases_)), members_(std::move(other.members_)) {
  other.bases_.clear();
  other.members_.clear();
}

AppendGroup& AppendGroup::operator=(AppendGroup&& other) noexcept {
  if (this != &other) {
    Clear();
    io_ = other.io_;
    bases_ = std::move(other.bases_);
    members_ = std::move(other.members_);
    other.bases_.clear();
    other.members_.clear();
  }
  return *this;
}

void AppendGroup::Clear() noexcept {
  for (size_t i = 0; i < bases_.size(); ++i) Rename(i, kPending);
  bases_.clear();
  members_.clear();
}

void AppendGroup::Rename(size_t i, const char* suffix) noexcept {
  try {
    io_->Rename(bases_[i] + kClaimed, bases_[i] + suffix);
  } catch (const Error&) {
    // Its writer finds it still claimed once it holds the lock, and
    // resolves its outcome from the table (PendingAppendSlot::Poll).
  }
}

void AppendGroup::Leave(size_t i, const char* suffix) noexcept {
  Rename(i, suffix);
  bases_.erase(bases_.begin() + static_cast<ptrdiff_t>(i));
  members_.erase(members_.begin() + static_cast<ptrdiff_t>(i));
}

void AppendGroup::Return(size_t i) noexcept { Leave(i, kPending); }

void AppendGroup::Unknown(size_t i) noexcept { Leave(i, kUnknown); }

void AppendGroup::Settle(bool published) noexcept {
  for (size_t i = 0; i < bases_.size(); ++i) Rename(i, published ? kDone : kUnknown);
  bases_.clear();
  members_.clear();
}

}  // namespace datashard
