// Appends through the ingest log and checkpoints that fold it into Iceberg
// snapshots (DESIGN.md §6a): the log-mode half of Transaction::Impl.
#include <algorithm>
#include <chrono>

#include "datashard/errors.h"
#include "log/log_fold.h"
#include "log/log_record.h"
#include "table/transaction_impl.h"
#include "util/clock.h"

namespace datashard {

namespace tp = table_properties;

bool Transaction::Impl::CommitToLog(IngestLog& log) {
  try {
    state->CheckCanCommit();
  } catch (...) {
    Abort();
    throw;
  }
  const auto started = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  LogAppend a;
  a.commit_id = commit_id;
  a.schema_id = base->CurrentSchema().schema_id();
  a.spec_id = base->default_spec_id;
  a.groups = std::move(log_groups);
  log_groups.clear();
  if (a.groups.empty()) {
    done = true;
    return true;
  }
  const std::string payload =
      EncodeLogAppend(a, base->DefaultSpec().ResultTypes(base->CurrentSchema()));
  if (payload.size() > log.max_payload()) {
    // Too big for one record: data files and a snapshot, as without a log.
    // Appends commute, so landing beside the log instead of in it is fine.
    records = 0;
    WriteGroups(std::move(a.groups));
    return false;
  }
  LogRecord appended;
  try {
    appended = log.Append(payload);
  } catch (const CommitStateUnknown&) {
    done = true;
    state->CountUnknown(retries, elapsed());
    throw;
  } catch (...) {
    done = true;
    throw;
  }
  done = true;
  log_lsn = static_cast<int64_t>(appended.lsn);
  state->CountCommit(retries, elapsed());
  MaybeCheckpoint(appended);
  return true;
}

void Transaction::Impl::MaybeCheckpoint(const LogRecord& appended) noexcept {
  try {
    const bool due = state->WithCached([&](const TableMetadata& m) {
      const Snapshot* current = m.CurrentSnapshot();
      const LogPosition folded = FoldedPosition(current);
      if (appended.lsn < folded.lsn) return false;
      const uint64_t waiting = appended.lsn - folded.lsn + 1;
      const int64_t max_records =
          m.PropertyLong(tp::kCheckpointRecords, tp::kCheckpointRecordsDefault);
      const int64_t interval_ms =
          m.PropertyLong(tp::kCheckpointIntervalMs, tp::kCheckpointIntervalMsDefault);
      const int64_t since = current ? current->timestamp_ms : m.last_updated_ms;
      return static_cast<int64_t>(waiting) >= max_records ||
             DefaultClock()->NowMillis() - since >= interval_ms;
    });
    if (!due) return;
    // The thread holds only a weak reference: a table closed meanwhile
    // waits for it in its destructor, and the work needs no strong one.
    TableState* raw = state.get();
    raw->RunInBackground([raw] {
      try {
        Checkpoint(std::shared_ptr<TableState>(std::shared_ptr<TableState>(), raw), false);
      } catch (...) {
        // The records stay in the log for the next checkpoint.
      }
    });
  } catch (...) {
    // The append is durable; the next append or checkpoint folds it.
  }
}

namespace {

// Recycles the log segments that every snapshot older than the grace period
// has folded: scans that resolved a newer snapshot never read them.
void RecycleFolded(IngestLog& log, const TableMetadata& m) {
  const int64_t grace =
      m.PropertyLong(tp::kIngestLogRecycleGraceMs, tp::kIngestLogRecycleGraceMsDefault);
  const int64_t cutoff = DefaultClock()->NowMillis() - grace;
  std::optional<LogPosition> bound;
  for (const Snapshot& s : m.snapshots) {
    if (s.timestamp_ms > cutoff) continue;
    const LogPosition p = FoldedPosition(&s);
    if (!bound || p.offset > bound->offset) bound = p;
  }
  // Never past what the current snapshot folded.
  const LogPosition current = FoldedPosition(m.CurrentSnapshot());
  if (bound && bound->offset > current.offset) bound = current;
  if (bound && bound->offset > 0) log.Recycle(*bound);
}

}  // namespace

CheckpointResult Transaction::Impl::Checkpoint(const std::shared_ptr<TableState>& state,
                                               bool wait) {
  std::shared_ptr<IngestLog> log = state->Log();
  if (!log) {
    throw InvalidArgument("table " + state->path() + " has no ingest log (table property " +
                          tp::kIngestLogEnabled + ")");
  }
  const std::string lock_path = log->dir() + "/checkpoint.lock";
  std::unique_ptr<FileLock> lock;
  if (wait) {
    // A checkpoint is a commit: waited for within a commit's time budget, not
    // forever behind a stopped or hung checkpointer.
    const std::chrono::milliseconds limit =
        BoundedMillis(state->WithCached([](const TableMetadata& m) {
          return m.PropertyLong(tp::kCommitTotalTimeoutMs, tp::kCommitTotalTimeoutMsDefault);
        }));
    lock = state->io().TryLockFor(lock_path, limit);
    if (!lock) {
      throw LockNotAcquired("another checkpoint of " + state->path() + " held " + lock_path +
                            " for more than " + std::to_string(limit.count()) +
                            " ms (table property " + tp::kCommitTotalTimeoutMs +
                            "): stopped or hung? Nothing was folded");
    }
  } else {
    lock = state->io().Lock(lock_path, false);
    if (!lock) return {};
  }
  constexpr int kAttempts = 10;
  for (int attempt = 1;; ++attempt) {
    const auto [latest, pointer] = state->LoadLatest();
    const TableMetadata& m = *latest;
    const LogPosition from = FoldedPosition(m.CurrentSnapshot());
    LogPosition to;
    std::vector<LogRecord> records;
    try {
      records = log->ReadDurable(from, &to);
    } catch (const NotFound&) {
      // Recycled under us: a newer snapshot folded those records.
      if (attempt < kAttempts) continue;
      throw;
    }
    if (records.empty()) {
      try {
        RecycleFolded(*log, m);
      } catch (const Error&) {
        // Recycling is housekeeping; the next checkpoint tries again.
      }
      return {};
    }
    FoldedRows rows = FoldRecords(records, m, log->dir());
    records.clear();
    TransactionOptions options;
    options.snapshot_properties["datashard.log.folded-records"] = std::to_string(rows.records);
    Impl tx(state, latest, pointer, std::move(options));
    tx.log_mode = false;
    tx.fold = Fold{from, to};
    tx.WriteGroups(std::move(rows.groups));
    CheckpointResult result;
    result.records = rows.records;
    result.rows = rows.rows;
    result.data_files = static_cast<int64_t>(tx.files.size());
    try {
      tx.Commit();
    } catch (const CommitConflict&) {
      // Another checkpoint folded part of the log: fold what it left.
      if (attempt < kAttempts) continue;
      throw;
    }
    result.snapshot_id =
        tx.committed ? std::optional<int64_t>(tx.committed->snapshot_id) : std::nullopt;
    try {
      RecycleFolded(*log, *state->Cached().first);
    } catch (const Error&) {
      // As above.
    }
    return result;
  }
}

}  // namespace datashard
