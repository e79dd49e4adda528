// The file catalog (DESIGN.md §4): where a table's current metadata is and
// how the next version is published atomically on a plain filesystem.
//
//   <table>/metadata/v<N>.metadata.json   one per committed version
//   <table>/metadata/version-hint.text    latest N, no newline; a hint only
//   <table>/metadata/commit.lock          advisory OFD lock (liveness only)
//
// Publication writes the metadata to a temporary name, fsyncs it and then
// link()s it to v<N+1>.metadata.json: put-if-absent, so exactly one writer
// wins each version; never rename() over a name. Readers take the hint and
// probe forward; a missing, stale or garbled hint only costs a directory
// listing, never a re-initialisation. Thread-safe (no mutable state).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "catalog/table_catalog.h"
#include "datashard/file_io.h"

namespace datashard {

class FileCatalog : public TableCatalog {
 public:
  /// `table_path`: absolute folder of the table.
  FileCatalog(std::shared_ptr<FileIO> io, std::string table_path);

  std::optional<MetadataPointer> FindCurrent(int64_t at_least = 0) const override;
  std::string NoTableMessage() const override;
  std::string ReadMetadata(const MetadataPointer& pointer) const override;
  /// Publish(base version + 1, text); `probe` is not needed: put-if-absent
  /// is never ambiguous once v<N> is read back.
  std::optional<MetadataPointer> PublishNext(const std::optional<MetadataPointer>& base,
                                             const std::string& text, const CommitProbe& probe,
                                             SyncGroup* sync) const override;
  void WriteHint(const MetadataPointer& published) const noexcept override;

  /// <table>/metadata/v<version>.metadata.json
  std::string MetadataPath(int64_t version) const;

  /// The newest published version, or nullopt when none exists. Starts at
  /// the larger of the hint and `at_least`, probes forward until a version is
  /// missing, and lists the metadata folder when the starting version is
  /// missing (hint absent, garbled, or naming a deleted version).
  std::optional<int64_t> FindLatest(int64_t at_least = 0) const;

  /// Contents of v<version>.metadata.json; NotFound if it is gone.
  std::string ReadVersion(int64_t version) const;

  enum class PublishResult { kPublished, kLostRace };
  /// Publishes `text` as v<version>.metadata.json. kPublished only once the
  /// link is made durable by a directory fsync that succeeded after it.
  /// kLostRace (nothing left behind) when v<version> holds another writer's
  /// metadata. When link() fails or reports EEXIST, v<version> is read back
  /// before anything is concluded, since a link can succeed and still report
  /// failure (a retransmission over NFS): if it holds `text`, this call
  /// published it. IOError when a step before link() failed: nothing was
  /// published and the temporary file is removed. CommitStateUnknown when
  /// the outcome cannot be told (link() failed and v<version> is absent or
  /// unreadable) or the directory fsync after the link failed (the version
  /// may be visible and still vanish on a power loss). With `sync`, the
  /// temporary file joins it and its Sync() runs before the link.
  PublishResult Publish(int64_t version, const std::string& text, SyncGroup* sync = nullptr) const;

  /// Points version-hint.text at the newest version: `version`, or a later
  /// one found by probing forward from it (temp file + rename). Newer-wins:
  /// a hint naming an existing version at least as new is kept, and the hint
  /// is read back after the rename and raised again if a writer without the
  /// commit lock put an older number there meanwhile. Committers call this
  /// under the commit lock, so between them the hint only moves forward.
  /// Best effort: failures are swallowed, since readers never depend on it.
  void WriteHint(int64_t version) const noexcept;

  /// Checks once that link() gives atomic put-if-absent here (succeeds for a
  /// new name, reports EEXIST for a taken one). NotSupported naming a SQL
  /// catalog as the alternative when it does not. IOError when no probe file
  /// can be created (e.g. a read-only folder).
  void ProbeAtomicLink() const;

  /// Version number of a file name "v<N>.metadata.json", or nullopt.
  static std::optional<int64_t> ParseVersionFileName(const std::string& name);

 private:
  std::optional<int64_t> ReadHint() const;
};

}  // namespace datashard
