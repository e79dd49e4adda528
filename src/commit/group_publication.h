// Group publication of plain appends (DESIGN.md §6): when the commit lock is
// taken, an append of another process on this machine leaves a descriptor
// of its manifests in <table>/metadata/pending/ and waits; whoever holds the
// lock publishes its own commit and every pending append in one snapshot,
// then tells each member the outcome. The state of a descriptor is its name:
//
//   <uuid>.json     pending: its writer waits, holding an OFD lock on it
//   <uuid>.claimed  a lock holder took it into the snapshot it publishes
//   <uuid>.done     published, durably (the holder's publication returned)
//   <uuid>.unknown  the holder's publication outcome is unknown
//
// A claim is a rename under the commit lock; a waiter withdraws by renaming
// its pending descriptor away, so exactly one of the two wins. A holder
// settles every member before it releases the lock: a member that takes
// the lock and finds itself still claimed knows that holder died.
// Correctness never rests on the lock: every publication checks each
// member's commit id against the metadata it builds on, so an append is
// published once at most. The lock and the OFD locks only decide who
// publishes, and whether a waiter that gave up may still be published
// (never: it withdrew first).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "datashard/file_io.h"
#include "metadata/manifest.h"

namespace datashard {

/// A plain append as a lock holder publishes it for its writer.
struct PendingAppend {
  std::string commit_id;
  std::string commit_uuid;  // names the descriptor
  int schema_id = 0;
  int spec_id = 0;
  int64_t first_write_ms = 0;  // when its first file was written (gc grace)
  std::vector<ManifestFile> manifests;
  int64_t added_files = 0;
  int64_t added_records = 0;
  int64_t added_size = 0;
  std::set<std::string> partitions;  // partition keys of its data files
};

std::string PendingAppendToJson(const PendingAppend& append);
/// Corruption naming `where` when `text` is not a descriptor.
PendingAppend PendingAppendFromJson(const std::string& text, const std::string& where);

/// The folder of descriptors of a table's metadata folder.
std::string PendingAppendsDir(const std::string& metadata_dir);

/// A waiting writer's descriptor, from its writing to its removal.
class PendingAppendSlot {
 public:
  enum class State { kPending, kClaimed, kDone, kUnknown };

  /// Writes the descriptor (not fsynced: it does not outlive its writer)
  /// and takes its OFD lock, which tells holders the writer still waits.
  PendingAppendSlot(FileIO& io, const std::string& metadata_dir, const PendingAppend& append);
  /// Removes the descriptor under whichever name it has. Never throws.
  ~PendingAppendSlot();
  PendingAppendSlot(const PendingAppendSlot&) = delete;
  PendingAppendSlot& operator=(const PendingAppendSlot&) = delete;

  State Poll();
  /// Takes the descriptor back while it is pending; false once claimed.
  bool Withdraw();

 private:
  std::string Path(const char* suffix) const;

  FileIO& io_;
  std::string base_;  // <pending dir>/<uuid>
  std::unique_ptr<FileLock> lock_;
};

/// The members a lock holder publishes with its own commit. Settle() tells
/// them the outcome; members not settled go back to pending when the group
/// is destroyed (their writers take them up again). Destroy or settle it
/// before releasing the commit lock.
class AppendGroup {
 public:
  AppendGroup() = default;
  /// Claims at most `limit` pending appends of live writers, under the
  /// commit lock. Descriptors whose writers died (in any state) are removed
  /// once they are older than `abandoned_after_ms`. Best effort: an I/O
  /// error claims fewer.
  static AppendGroup Claim(FileIO& io, const std::string& metadata_dir, size_t limit,
                           int64_t now_ms, int64_t abandoned_after_ms);
  ~AppendGroup();
  AppendGroup(AppendGroup&& other) noexcept;
  AppendGroup& operator=(AppendGroup&& other) noexcept;
  AppendGroup(const AppendGroup&) = delete;
  AppendGroup& operator=(const AppendGroup&) = delete;

  const std::vector<PendingAppend>& members() const { return members_; }
  bool empty() const { return members_.empty(); }
  /// Member `i` goes back to pending and out of the group (it does not fit
  /// the metadata this attempt builds on; its writer commits it itself).
  void Return(size_t i) noexcept;
  /// Member `i` leaves the group with an unknown outcome (its commit id is
  /// already in the table: a holder that died published it).
  void Unknown(size_t i) noexcept;
  /// Every member: published (durably) or unknown. Never throws.
  void Settle(bool published) noexcept;

 private:
  void Rename(size_t i, const char* suffix) noexcept;
  // Member `i` leaves the group, its descriptor renamed to `suffix`.
  void Leave(size_t i, const char* suffix) noexcept;
  void Clear() noexcept;

  FileIO* io_ = nullptr;
  std::vector<std::string> bases_;  // <pending dir>/<uuid> per member
  std::vector<PendingAppend> members_;
};

}  // namespace datashard
