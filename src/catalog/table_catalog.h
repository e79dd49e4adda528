// TableCatalog: where one table's current metadata is and how the next
// version is published atomically (DESIGN.md §4), the one interface the
// commit path uses. Implementations: FileCatalog (v<N>.metadata.json and
// link() in the table folder) and SqlTableCatalog (a row of a SQL catalog,
// swapped with compare-and-swap). The catalog layer deals in metadata text
// and locations, never in parsed metadata: where an outcome can only be told
// from the metadata, the caller's CommitProbe is asked.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "datashard/file_io.h"
#include "io/lock_signal.h"

namespace datashard {

/// One published metadata version of a table.
struct MetadataPointer {
  /// N of v<N>.metadata.json, NNNNN of <NNNNN>-<uuid>.metadata.json.
  int64_t version = 0;
  /// Absolute path of the metadata file.
  std::string location;
};

/// Asked when a publication's outcome is ambiguous (a connection lost after
/// sending the swap) and the table now points at other metadata: true when
/// `current_text`, the table's current metadata, carries the commit that
/// tried to publish `location` (its commit id in the snapshot ancestry, or
/// `location` in the metadata log), i.e. the commit happened and a later
/// one built on it.
using CommitProbe =
    std::function<bool(const std::string& current_text, const std::string& location)>;

class TableCatalog {
 public:
  /// `table_path`: absolute folder of the table, holding metadata/ and data/.
  TableCatalog(std::shared_ptr<FileIO> io, std::string table_path);
  virtual ~TableCatalog() = default;
  TableCatalog(const TableCatalog&) = delete;
  TableCatalog& operator=(const TableCatalog&) = delete;

  const std::string& table_path() const { return table_path_; }
  std::string metadata_dir() const { return table_path_ + "/metadata"; }

  /// The current metadata, or nullopt when the table has none (never
  /// created, or dropped). `at_least`: a version known to exist, where the
  /// catalog's own search may start.
  virtual std::optional<MetadataPointer> FindCurrent(int64_t at_least = 0) const = 0;

  /// The message of the NotFound a reader gets when FindCurrent finds nothing.
  virtual std::string NoTableMessage() const = 0;

  /// The JSON text of published metadata; NotFound when the file is gone
  /// (retired by a newer commit).
  virtual std::string ReadMetadata(const MetadataPointer& pointer) const = 0;

  /// Publishes `text` as the version after `base` (nullopt: the table's
  /// first version). Returns where it was published, or nullopt when another
  /// writer published after `base` first (a lost race: nothing of this call
  /// is left behind). A pointer is returned only once the publication is
  /// durable. IOError when a step before the swap failed (nothing was
  /// published); CommitStateUnknown when the outcome cannot be told, or the
  /// publication may not be durable. `probe` resolves an ambiguous swap.
  /// `sync`, when given, holds the commit's files not yet durable: the
  /// metadata file joins them and all are made durable before the swap.
  virtual std::optional<MetadataPointer> PublishNext(const std::optional<MetadataPointer>& base,
                                                     const std::string& text,
                                                     const CommitProbe& probe,
                                                     SyncGroup* sync) const = 0;

  /// Records `published` where readers without the catalog look first (the
  /// file catalog's version hint). Best effort, never throws; called under
  /// the commit lock.
  virtual void WriteHint(const MetadataPointer& published) const noexcept = 0;

  /// Takes the advisory commit lock (<table>/metadata/commit.lock), waiting
  /// at most `timeout` for another holder. Serialises publication between
  /// writers of one machine; correctness never depends on it, so nullptr
  /// (commit without it) when it is still held then or locking fails
  /// (ENOLCK, no OFD locks). Never throws.
  /// A waiter sleeps until the holder releases it (or `timeout`), woken
  /// through the commit events below.
  std::unique_ptr<FileLock> LockCommits(std::chrono::microseconds timeout) const noexcept;

  /// Commit events: a counter shared by the processes of this machine
  /// (<table>/metadata/commit.events, mapped), raised when the commit lock
  /// is released (a group publication settles its members before), so that
  /// waiters sleep instead of polling. Where it cannot be mapped, or on a
  /// network filesystem whose other machines it does not reach, waits end
  /// after their timeout, at most kMaxCommitEventWait: liveness only.
  uint32_t CommitEvents() const noexcept;
  /// Sleeps while the counter still equals `seen`, at most `timeout`
  /// (capped at kMaxCommitEventWait).
  void WaitForCommitEvent(uint32_t seen, std::chrono::microseconds timeout) const noexcept;
  /// Appends of this machine waiting in a group publication (a hint, kept
  /// with the events: holders look for pending appends only when it is not
  /// zero, and a waiter that died stays counted). Zero when unmapped.
  uint32_t WaitingAppends() const noexcept;
  void CountWaitingAppend(int delta) const noexcept;
  static constexpr std::chrono::milliseconds kMaxCommitEventWait{2};

 protected:
  FileIO& io() const { return *io_; }

 private:
  std::shared_ptr<SharedMemory> Events() const noexcept;
  LockSignal CommitSignal() const noexcept;

  std::shared_ptr<FileIO> io_;
  std::string table_path_;
  mutable std::once_flag events_once_;
  mutable std::shared_ptr<SharedMemory> events_;
};

}  // namespace datashard
