// Deleting, after a grace period, the files that retention made unreferenced
// (DESIGN.md §6): a scan that resolved a snapshot a moment before it expired,
// or a writer rebasing on an older version, still reads its manifest list and
// manifests. A commit that retires files lists them, one path per line, in
// metadata/deferred-deletes/<not-before-ms>-batch<k>.txt, a zero-filled list
// shared by the commits of every process whose deletions fall due in the
// same short slot (written under the folder's append.lock), or, when none
// has room or the lock is busy, in a list of its own,
// <not-before-ms>-<uuid>.txt. Later commits sweep the lists whose time has
// come. Lists are not fsynced: one lost or torn at a power loss leaves
// orphans for gc, never a dangling reference. Stateless; safe to run from
// many processes at once (a file deleted twice is not an error).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "datashard/file_io.h"

namespace datashard {

/// Deletes `paths` at once when `grace_ms` <= 0, else lists them to be
/// deleted from `now_ms` + `grace_ms` on (in a shared list: up to
/// min(1 s, grace_ms / 16) later). Best effort and never throws: it
/// runs after a commit published, which stands whatever happens here.
void RetireFiles(FileIO& io, const std::string& metadata_dir, const std::vector<std::string>& paths,
                 int64_t now_ms, int64_t grace_ms) noexcept;

/// Deletes the files of every list due at `now_ms`, then the list. Returns
/// how many lists were done. Best effort and never throws.
int64_t SweepDeferredDeletes(FileIO& io, const std::string& metadata_dir, int64_t now_ms) noexcept;

}  // namespace datashard
