#include "datashard/transaction.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "commit/append_input.h"
#include "commit/commit_ids.h"
#include "commit/data_file_writer.h"
#include "commit/deferred_deletes.h"
#include "commit/fencing_tokens.h"
#include "commit/group_publication.h"
#include "commit/snapshot_producer.h"
#include "datashard/errors.h"
#include "io/delete_quietly.h"
#include "log/log_fold.h"
#include "metadata/manifest.h"
#include "metadata/table_metadata_json.h"
#include "table/table_state.h"
#include "table/transaction_impl.h"
#include "types/type_promotion.h"
#include "util/backoff.h"
#include "util/clock.h"
#include "util/uuid.h"

namespace datashard {
namespace {

namespace tp = table_properties;

// A key identifying a partition tuple of spec `spec_id` exactly, for
// changed-partition-count.
std::string PartitionKey(int spec_id, const std::vector<DataType>& types,
                         const std::vector<Value>& tuple) {
  return std::to_string(spec_id) + ":" + PartitionTupleKey(types, tuple);
}

// Snapshot timestamps never go back (each is at least the table's
// last-updated-ms), so a commit from a clock far ahead would stamp every later
// snapshot and stop retention. The file system stamped `written` just now: a
// clock well ahead of it is wrong (DESIGN.md §4).
void CheckClock(FileIO& io, const std::string& written, int64_t now_ms, const TableMetadata& base,
                const std::string& table) {
  const int64_t limit =
      base.PropertyLong(tp::kCommitMaxClockSkewMs, tp::kCommitMaxClockSkewMsDefault);
  const int64_t fs_ms = io.Stat(written).mtime_ms;
  if (now_ms - fs_ms > limit) {
    throw InvalidArgument(
        "commit to " + table + " refused: this process's clock reads " + std::to_string(now_ms) +
        " ms since the epoch, " + std::to_string(now_ms - fs_ms) +
        " ms ahead of the file system's (the modification time of " + written +
        "); its snapshot would stamp every later one. Fix the clock (the limit is "
        "table property " +
        tp::kCommitMaxClockSkewMs + " = " + std::to_string(limit) + " ms)");
  }
}

// Whether the table has a version newer than `version`: then a file of
// `version` that vanished was retired by a newer commit, a lost race.
bool NewerVersionExists(TableState& state, const MetadataPointer& version) {
  try {
    return state.LoadLatest().second.location != version.location;
  } catch (const Error&) {
    return false;
  }
}

}  // namespace

Transaction::Impl::Impl(std::shared_ptr<TableState> s, MetadataRef b, MetadataPointer p,
                        TransactionOptions o)
    : state(std::move(s)), base(std::move(b)), base_pointer(std::move(p)), options(std::move(o)) {
  commit_id = options.commit_id.empty() ? Uuid::Random().ToString() : options.commit_id;
  log_mode = base->PropertyBool(tp::kIngestLogEnabled, tp::kIngestLogEnabledDefault);
  const bool narrowed = !options.guard_where.empty() || options.guard_changed_columns;
  if (narrowed && !options.expected_snapshot_id)
    throw InvalidArgument("transaction on " + state->path() +
                          ": guard_where and guard_changed_columns narrow the optimistic lock "
                          "of expected_snapshot_id, which is not given");
  if (!options.guard_where.empty() && options.guard_changed_columns)
    throw InvalidArgument("transaction on " + state->path() +
                          ": give guard_where or guard_changed_columns, not both");
  if (!options.guard_where.empty()) {
    try {
      guard_filter = Expression::Parse(options.guard_where, base->CurrentSchema());
    } catch (const InvalidArgument& e) {
      throw InvalidArgument("guard_where of a transaction on " + state->path() + ": " + e.what());
    }
  }
  ValidateFencingTokens(options.fencing_tokens, state->path());
}

void Transaction::Impl::Append(AppendInput& input) {
  if (done)
    throw InvalidArgument("transaction on " + state->path() + " already committed or aborted");
  appended_records += input.num_rows();
  std::vector<PartitionGroup> groups = input.TakeGroups();
  if (log_mode) {
    for (PartitionGroup& g : groups) {
      if (g.num_rows() == 0) continue;
      records += static_cast<int64_t>(g.num_rows());
      log_groups.push_back(std::move(g));
    }
    return;
  }
  WriteGroups(std::move(groups));
}

SyncGroup& Transaction::Impl::Files() {
  if (!sync_group) sync_group = state->io().NewSyncGroup(state->catalog().metadata_dir());
  return *sync_group;
}

void Transaction::Impl::WriteGroups(std::vector<PartitionGroup> groups) {
  if (!first_write_ms) first_write_ms = DefaultClock()->NowMillis();
  const std::vector<DataType> types = base->DefaultSpec().ResultTypes(base->CurrentSchema());
  std::vector<std::string> written;
  std::vector<DataFile> new_files;
  try {
    SyncGroup& sync = Files();
    for (const PartitionGroup& g : groups) {
      if (g.num_rows() == 0) continue;
      DataFile f = WriteDataFile(state->io(), *base, g, sync);
      written.push_back(f.file_path);
      new_files.push_back(std::move(f));
    }
  } catch (...) {
    DeleteQuietly(state->io(), written);
    throw;
  }
  for (DataFile& f : new_files) {
    partitions.insert(PartitionKey(base->default_spec_id, types, f.partition));
    records += f.record_count;
    own_files.push_back(f.file_path);
    files.push_back(std::move(f));
  }
}

void Transaction::Impl::Abort() noexcept {
  if (done) return;
  done = true;
  DeleteQuietly(state->io(), own_files);
  own_files.clear();
}

std::optional<int64_t> Transaction::Impl::CurrentId(const TableMetadata& m) {
  return m.current_snapshot_id;
}

std::string Transaction::Impl::SnapshotText(std::optional<int64_t> id) {
  return id ? std::to_string(*id) : std::string("none");
}

int64_t Transaction::Impl::ChangeRows(const Expression& where, bool update,
                                      const std::map<std::string, Value>& assignments) {
  const char* what = update ? "update" : "delete";
  if (done)
    throw InvalidArgument("transaction on " + state->path() + " already committed or aborted");
  if (changed_rows)
    throw InvalidArgument(std::string(what) + " on " + state->path() +
                          ": this transaction already made a row-level change (one per "
                          "transaction; commit it and start another)");
  if (appended_records > 0)
    throw InvalidArgument(std::string(what) + " on " + state->path() +
                          " after appends in the same transaction: the change applies to the "
                          "base snapshot only; make it first, or in its own transaction");
  const Expression filter = where.bound() ? where : where.Bind(base->CurrentSchema());
  RowChangeRequest request;
  request.filter = filter;
  request.update = update;
  request.mode = RowChangeModeOf(*base, update ? "write.update.mode" : "write.delete.mode");
  const IsolationLevel isolation = IsolationLevelOf(*base, what);
  const Schema& schema = base->CurrentSchema();
  for (const auto& [name, value] : assignments) {
    const int index = schema.IndexOf(name);
    if (index < 0)
      throw InvalidArgument("update of " + state->path() + " sets column '" + name +
                            "', which the table does not have");
    const Field& field = schema.fields()[static_cast<size_t>(index)];
    if (value.is_null() && field.required)
      throw InvalidArgument("update of " + state->path() + " sets required column '" + name +
                            "' to null");
    Value promoted = PromoteValue(value, field.type);
    if (!promoted.Fits(field.type))
      throw InvalidArgument("update of " + state->path() + " sets column '" + name + "' of type " +
                            field.type.ToString() + " to a value of another type");
    request.assignments.emplace_back(static_cast<size_t>(index), std::move(promoted));
  }
  if (log_mode) {
    // The change orders after every acknowledged append: fold them first
    // (DESIGN.md §6a), then work on the snapshot that holds them. Appends
    // of this transaction then join its snapshot instead of the log.
    Checkpoint(state, true);
    const auto [folded, folded_pointer] = state->LoadLatest();
    base = folded;
    base_pointer = folded_pointer;
    log_mode = false;
    fold_log_at_commit = true;
  }
  changed_rows = true;
  change_request = std::move(request);
  change_isolation = isolation;
  return ApplyChange();
}

int64_t Transaction::Impl::ApplyChange() {
  const Snapshot* snapshot = base->CurrentSnapshot();
  if (snapshot == nullptr) return 0;
  if (!first_write_ms) first_write_ms = DefaultClock()->NowMillis();
  const Schema& schema = base->CurrentSchema();
  const size_t owned_before = own_files.size();
  RowChangeResult result;
  try {
    result = ApplyRowChanges(
        state->io(), *base, *snapshot, change_request,
        [&](const PlannedFile&, std::vector<PartitionGroup> groups) {
          WriteGroups(std::move(groups));
        },
        &own_files);
  } catch (...) {
    Abort();
    throw;
  }
  change_outputs.insert(own_files.begin() + static_cast<std::ptrdiff_t>(owned_before),
                        own_files.end());
  for (const PlannedFile& f : result.removed) {
    const PartitionSpec* spec = base->SpecById(f.spec_id);
    if (spec != nullptr)
      partitions.insert(
          PartitionKey(f.spec_id, spec->ResultTypes(schema), f.entry.data_file.partition));
    removed.push_back(f.entry.data_file);
  }
  for (PlannedFile& f : result.delete_files) {
    const PartitionSpec* spec = base->SpecById(f.spec_id);
    if (spec != nullptr)
      partitions.insert(
          PartitionKey(f.spec_id, spec->ResultTypes(schema), f.entry.data_file.partition));
    required.push_back(*f.entry.data_file.referenced_data_file);
    delete_files.push_back(std::move(f));
  }
  position_deletes += result.position_deletes;
  ConflictScope conflict_scope;
  conflict_scope.base_snapshot_id = base->current_snapshot_id;
  conflict_scope.base_sequence_number = base->last_sequence_number;
  conflict_scope.touched = std::move(result.touched);
  if (change_isolation == IsolationLevel::kSerializable)
    conflict_scope.filter = change_request.filter;
  scope = std::move(conflict_scope);
  return result.matched_rows;
}

void Transaction::Impl::RebaseChange(MetadataRef current, MetadataPointer pointer) {
  const std::vector<std::string> dropped(change_outputs.begin(), change_outputs.end());
  std::erase_if(own_files, [&](const std::string& f) { return change_outputs.count(f) > 0; });
  std::erase_if(files, [&](const DataFile& f) { return change_outputs.count(f.file_path) > 0; });
  change_outputs.clear();
  DeleteQuietly(state->io(), dropped);
  removed.clear();
  delete_files.clear();
  required.clear();
  position_deletes = 0;
  scope.reset();
  base = std::move(current);
  base_pointer = std::move(pointer);
  // What is left are this transaction's appends.
  const std::vector<DataType> types = base->DefaultSpec().ResultTypes(base->CurrentSchema());
  partitions.clear();
  records = 0;
  for (const DataFile& f : files) {
    partitions.insert(PartitionKey(base->default_spec_id, types, f.partition));
    records += f.record_count;
  }
  ApplyChange();
}

bool Transaction::Impl::GuardNarrowed() const {
  return guard_filter.has_value() || options.guard_changed_columns;
}

GuardCheck Transaction::Impl::MakeGuard() const {
  CommitGuard g;
  g.expected_snapshot_id = *options.expected_snapshot_id;
  g.description = "the table";
  if (guard_filter) {
    g.filter = guard_filter;
    g.description = "the rows matching " + guard_filter->ToString();
  } else if (options.guard_changed_columns) {
    g.filter = change_request.filter;
    const Schema& schema = base->CurrentSchema();
    std::string names;
    if (change_request.update) {
      for (const auto& [index, value] : change_request.assignments) {
        const Field& f = schema.fields()[index];
        g.columns.push_back(f.id);
        names += (names.empty() ? "" : ", ") + f.name;
      }
    }
    g.description = (names.empty() ? std::string("the rows matching ")
                                   : "columns " + names + " of the rows matching ") +
                    change_request.filter.ToString();
  }
  return GuardCheck(std::move(g), state->path());
}

std::string Transaction::Impl::Operation() const {
  if (compaction) return "replace";
  if (removed.empty() && delete_files.empty()) return "append";
  return files.empty() ? "delete" : "overwrite";
}

std::vector<ManifestFile> Transaction::Impl::WriteNewManifests(int64_t snapshot_id,
                                                               const std::string& commit_uuid) {
  FileIO& io = state->io();
  const std::string prefix = state->catalog().metadata_dir() + "/" + commit_uuid;
  std::vector<ManifestFile> out;
  if (!files.empty()) {
    std::vector<ManifestEntry> entries;
    entries.reserve(files.size());
    for (const DataFile& f : files) {
      ManifestEntry e;  // snapshot id inherited: it may be published by a group
      e.status = EntryStatus::kAdded;
      e.data_file = f;
      entries.push_back(std::move(e));
    }
    const std::string path = prefix + "-m0.avro";
    own_files.push_back(path);
    out.push_back(
        WriteManifest(io, path, DataManifestContext(*base), snapshot_id, entries, &Files()));
  }
  // One delete manifest per partition spec of the data files they apply to.
  std::map<int, std::vector<ManifestEntry>> deletes_by_spec;
  for (const PlannedFile& f : delete_files) {
    ManifestEntry e = f.entry;
    e.snapshot_id = snapshot_id;
    deletes_by_spec[f.spec_id].push_back(std::move(e));
  }
  for (const auto& [spec_id, entries] : deletes_by_spec) {
    const PartitionSpec* spec = base->SpecById(spec_id);
    if (spec == nullptr)
      throw Corruption("partition spec " + std::to_string(spec_id) + " of " + state->path() +
                       " is not in its metadata");
    const std::string path = prefix + "-d" + std::to_string(spec_id) + ".avro";
    own_files.push_back(path);
    out.push_back(WriteManifest(io, path,
                                NewManifestContext(*base, *spec, FileContent::kPositionDeletes),
                                snapshot_id, entries, &Files()));
  }
  return out;
}

bool Transaction::Impl::Commit() {
  if (done)
    throw InvalidArgument("transaction on " + state->path() + " already committed or aborted");
  const bool fenced = !options.fencing_tokens.empty();
  if (log_mode && (options.expected_snapshot_id || fenced)) {
    // A log record cannot be checked against a guard or a fencing token:
    // such appends publish a snapshot while appends wait, after folding the
    // log, so the metadata is the one place both are checked (DESIGN.md §7).
    log_mode = false;
    fold_log_at_commit = true;
    try {
      WriteGroups(std::move(log_groups));
    } catch (...) {
      Abort();
      throw;
    }
    log_groups.clear();
  }
  if (log_mode) {
    std::shared_ptr<IngestLog> log = state->Log();
    if (log && CommitToLog(*log)) return true;
  }
  const auto started = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  const std::optional<int64_t> base_id = CurrentId(*base);
  // Guard dirty checking of a transaction that changes no row guards nothing.
  std::optional<GuardCheck> guard;
  if (options.expected_snapshot_id && (changed_rows || !options.guard_changed_columns))
    guard = MakeGuard();
  // Appends acknowledged since the change was made (or, for a guarded or
  // fenced commit, since the expected snapshot) are folded now, and new
  // ones wait until it is published (DESIGN.md §6a); the fold is a
  // concurrent commit like any other to the checks below.
  std::unique_ptr<FileLock> appends_held;
  const auto hold_and_fold = [&] {
    if (!fold_log_at_commit) return;
    if (std::shared_ptr<IngestLog> log = state->Log()) {
      appends_held = log->HoldAppends();
      Checkpoint(state, true);
    }
  };
  // Outside the commit loop: the guard and the fencing tokens against the
  // newest metadata.
  const auto check_latest = [&](const TableMetadata& current) {
    try {
      if (guard) guard->Check(state->io(), current, base_id, retries);
      CheckFencingTokens(current, options.fencing_tokens, state->path());
    } catch (const CommitConflict&) {
      Abort();
      state->CountConflict(retries, elapsed());
      throw;
    } catch (...) {
      Abort();
      throw;
    }
  };

  if (files.empty() && removed.empty() && delete_files.empty() && !metadata_change) {
    if (guard || fenced) {
      try {
        hold_and_fold();
      } catch (...) {
        Abort();
        throw;
      }
    }
    check_latest(*state->LoadLatest().first);
    done = true;
    return true;
  }
  try {
    state->CheckCanCommit();
    hold_and_fold();
  } catch (...) {
    Abort();
    throw;
  }
  // A guard narrower than the table lets commits outside its scope pass: a
  // row-level change made on an older snapshot is applied again on the
  // current one, which must then hold the same guarded rows.
  if (guard && changed_rows && GuardNarrowed()) {
    const auto [current, version] = state->LoadLatest();
    if (current->current_snapshot_id != base->current_snapshot_id) {
      check_latest(*current);
      if (current->CurrentSchema().SameFields(base->CurrentSchema()) &&
          current->default_spec_id == base->default_spec_id) {
        RebaseChange(current, version);
      }
    }
  }
  FileIO& io = state->io();
  const TableCatalog& catalog = state->catalog();
  std::shared_ptr<Clock> clock = DefaultClock();
  if (first_write_ms) {
    // gc deletes unreferenced files older than its grace period; files this
    // transaction wrote must still be young enough when it publishes them,
    // at the latest one commit timeout from now.
    const int64_t grace = base->PropertyLong(tp::kGcGraceMs, tp::kGcGraceMsDefault);
    const int64_t timeout =
        base->PropertyLong(tp::kCommitTotalTimeoutMs, tp::kCommitTotalTimeoutMsDefault);
    const int64_t age = clock->NowMillis() - *first_write_ms;
    if (age > grace - timeout) {
      Abort();
      state->CountConflict(retries, elapsed());
      throw CommitConflict("transaction on " + state->path() + " wrote its first file " +
                               std::to_string(age) + " ms ago, too long for " + tp::kGcGraceMs +
                               " (" + std::to_string(grace) + " ms) less " +
                               tp::kCommitTotalTimeoutMs + " (" + std::to_string(timeout) +
                               " ms): gc may have deleted its files; redo it in a new transaction",
                           base_id, std::nullopt, std::nullopt, retries);
    }
  }
  const std::string commit_uuid = Uuid::Random().ToString();
  const int64_t snapshot_id = RandomPositiveId();

  SnapshotInput input;
  input.snapshot_id = snapshot_id;
  input.commit_id = commit_id;
  input.commit_uuid = commit_uuid;
  input.operation = Operation();
  input.removed_data = removed;
  input.removed_deletes = removed_deletes;
  input.required_data = required;
  input.added_files = static_cast<int64_t>(files.size());
  input.added_records = records;
  for (const DataFile& f : files) input.added_size += f.file_size_in_bytes;
  input.added_delete_files = static_cast<int64_t>(delete_files.size());
  input.added_position_deletes = position_deletes;
  for (const PlannedFile& f : delete_files)
    input.added_delete_size += f.entry.data_file.file_size_in_bytes;
  input.changed_partitions = static_cast<int64_t>(partitions.size());
  input.extra_summary = options.snapshot_properties;
  if (fold) {
    input.extra_summary[kLogFoldedOffsetSummaryKey] = std::to_string(fold->to.offset);
    input.extra_summary[kLogFoldedLsnSummaryKey] = std::to_string(fold->to.lsn);
  }
  try {
    input.new_manifests = WriteNewManifests(snapshot_id, commit_uuid);
    // A change that only drops whole files wrote nothing yet: its first
    // manifest list is checked below.
    if (!input.new_manifests.empty())
      CheckClock(io, input.new_manifests.front().manifest_path, clock->NowMillis(), *base,
                 state->path());
    // With other writers committing, the files are made durable now, before
    // the commit lock; alone, they join the one flush before publication.
    if (catalog.WaitingAppends() != 0) Files().SyncEach();
  } catch (...) {
    Abort();
    throw;
  }

  RetryPolicy policy;
  policy.max_attempts =
      static_cast<int>(std::max<int64_t>(
          0, base->PropertyLong(tp::kCommitNumRetries, tp::kCommitNumRetriesDefault))) +
      1;
  policy.base = std::chrono::milliseconds(
      std::max<int64_t>(0, base->PropertyLong(tp::kCommitMinWaitMs, tp::kCommitMinWaitMsDefault)));
  policy.cap = std::chrono::milliseconds(
      std::max<int64_t>(0, base->PropertyLong(tp::kCommitMaxWaitMs, tp::kCommitMaxWaitMsDefault)));
  const double timeout_s = static_cast<double>(base->PropertyLong(
                               tp::kCommitTotalTimeoutMs, tp::kCommitTotalTimeoutMsDefault)) /
                           1000.0;
  const bool use_lock = base->PropertyBool(tp::kCommitLockEnabled, tp::kCommitLockEnabledDefault);
  // One deadline for all attempts: once it passed, an attempt only tries once.
  const auto lock_deadline =
      started +
      BoundedMillis(std::min(
          base->PropertyLong(tp::kCommitLockWaitMs, tp::kCommitLockWaitMsDefault),
          base->PropertyLong(tp::kCommitTotalTimeoutMs, tp::kCommitTotalTimeoutMsDefault)));
  Backoff backoff(policy);

  // A plain append that finds the commit lock taken waits to be published
  // by its holder, or takes the lock and publishes the waiting ones too.
  const bool groupable = use_lock && !metadata_change && !fold && !guard && !fenced && !scope &&
                         !compaction && !files.empty() && removed.empty() &&
                         removed_deletes.empty() && delete_files.empty() && required.empty() &&
                         options.snapshot_properties.empty();
  std::unique_ptr<FileLock> group_lock;  // the commit lock, taken before or while waiting
  if (groupable) group_lock = catalog.LockCommits(std::chrono::microseconds(0));
  if (groupable && !group_lock) {
    // A holder publishes the files it is handed as they are. Other writers
    // are busy (the commit lock is taken): a shared flush would wait for them.
    try {
      Files().SyncEach();
    } catch (...) {
      Abort();
      throw;
    }
    // The descriptor is built only when the lock is taken.
    PendingAppend own;
    own.commit_id = commit_id;
    own.commit_uuid = commit_uuid;
    own.schema_id = base->current_schema_id;
    own.spec_id = base->default_spec_id;
    own.first_write_ms = first_write_ms.value_or(clock->NowMillis());
    own.manifests = input.new_manifests;
    own.added_files = input.added_files;
    own.added_records = input.added_records;
    own.added_size = input.added_size;
    own.partitions = partitions;
    switch (WaitInGroup(own, lock_deadline, &group_lock)) {
      case GroupWait::kPublished:
        return FinishPublishedByGroup(elapsed());
      case GroupWait::kUnknown:
        done = true;  // never delete what may be published
        ReportUnknown(CommitStateUnknown("the process that took this append into its group "
                                         "publication of " +
                                         state->path() + " ended without telling its outcome"),
                      elapsed());
      case GroupWait::kHolder:
      case GroupWait::kAlone:
        break;
    }
  }

  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<FileLock> lock = std::move(group_lock);
    MetadataRef latest = state->Cached().first;  // the newest version once loaded below
    MetadataPointer version;
    ProducedCommit produced;
    std::string text;
    bool vanished = false;
    AppendGroup group;  // destroyed (members back to pending) before `lock`
    try {
      if (use_lock && !lock) {
        const auto left = lock_deadline - std::chrono::steady_clock::now();
        lock = catalog.LockCommits(std::chrono::duration_cast<std::chrono::microseconds>(
            std::max<std::chrono::steady_clock::duration>(left, {})));
      }
      std::tie(latest, version) = state->LoadLatest();
      const TableMetadata& current = *latest;
      CommitFinder used(io, current);
      if (!metadata_change) CheckSchemaAndSpec(current);
      if (groupable && lock && catalog.WaitingAppends() != 0)
        group = ClaimGroup(current, used, clock->NowMillis());
      if (guard) guard->Check(io, current, base_id, retries);
      CheckFencingTokens(current, options.fencing_tokens, state->path());
      // A compaction gives back what concurrent commits changed, which is
      // all CheckConcurrentChanges would refuse in its scope.
      if (compaction && scope)
        GiveBackChangedInputs(current, input);
      else if (scope)
        CheckConcurrentChanges(io, current, *scope, state->path(), retries);
      if (fold && FoldedPosition(current.CurrentSnapshot()) != fold->from) {
        Abort();
        throw CommitConflict(
            "another checkpoint of " + state->path() + " folded the ingest log first", base_id,
            CurrentId(current), CurrentId(current), retries);
      }
      if (attempt == 0) {
        if (const std::optional<CommitRecord> earlier = used.Find(commit_id)) {
          Abort();
          throw InvalidArgument("commit id '" + commit_id + "' is already used by snapshot " +
                                std::to_string(earlier->snapshot_id) + " of " + state->path() +
                                " (committed at " + std::to_string(earlier->timestamp_ms) +
                                " ms since the epoch)");
        }
      }
      for (const Snapshot& s : current.snapshots) {
        if (s.snapshot_id == snapshot_id) {
          Abort();
          throw CommitConflict("random snapshot id " + std::to_string(snapshot_id) +
                                   " is already taken; retry the transaction",
                               base_id, CurrentId(current), s.snapshot_id, retries);
        }
      }
      input.attempt = attempt;
      input.retries = retries;
      input.conflicts = state->UnreportedConflicts();
      input.now_ms = clock->NowMillis();
      input.manifest_lists = &state->manifest_lists();
      input.sync = &Files();
      produced = metadata_change
                     ? ProduceMetadataChange(io, current, version, metadata_change, input.now_ms)
                     : ProduceSnapshot(io, catalog, current, version,
                                       group.empty() ? input : WithGroup(input, group));
      if (attempt == 0 && input.new_manifests.empty() && !produced.attempt_files.empty()) {
        try {
          CheckClock(io, produced.attempt_files.back(), input.now_ms, *base, state->path());
        } catch (...) {
          DeleteQuietly(io, produced.attempt_files);
          Abort();
          throw;
        }
      }
      RecordFencingTokens(produced.next, options.fencing_tokens);
      text = TableMetadataToJson(produced.next);
    } catch (const CommitConflict& e) {
      if (done) throw;  // already aborted and counted where it was found
      Abort();
      state->CountConflict(retries, elapsed());
      if (e.current_snapshot_id()) throw;
      throw CommitConflict(std::string(e.what()) + " (table " + state->path() + ")", base_id,
                           CurrentId(*latest), CurrentId(*latest), retries);
    } catch (const InvalidArgument&) {
      throw;
    } catch (const NotFound&) {
      // A manifest list or manifest of `version` was retired by a newer
      // commit's retention while we read it (DESIGN.md §6): a lost race.
      group = AppendGroup();
      lock.reset();
      if (!NewerVersionExists(*state, version)) {
        Abort();
        throw;
      }
      vanished = true;
    } catch (...) {
      Abort();
      throw;
    }

    std::optional<MetadataPointer> published_at;
    try {
      if (!vanished) {
        // One flush of the filesystem for all files pays only while no
        // other writer is busy on it (measured: 12 writers lost 5-10%).
        SyncGroup* sync = &Files();
        if (!group.empty() || catalog.WaitingAppends() != 0) {
          sync->SyncEach();
          sync = nullptr;
        }
        published_at = catalog.PublishNext(version, text, CarriesCommit(), sync);
      }
    } catch (const CommitStateUnknown& e) {
      group.Settle(/*published=*/false);
      lock.reset();
      done = true;  // never delete what may be published
      ReportUnknown(e, elapsed());
    } catch (...) {
      DeleteQuietly(io, produced.attempt_files);
      Abort();
      throw;
    }
    if (published_at) group.Settle(/*published=*/true);
    // Under the lock, so that the hint only moves forward (DESIGN.md §4).
    if (published_at) catalog.WriteHint(*published_at);
    group = AppendGroup();  // a lost race: the members wait for the next holder
    lock.reset();
    if (published_at) {
      done = true;
      const std::optional<Snapshot> published =
          metadata_change ? std::nullopt
                          : std::optional<Snapshot>(*produced.next.CurrentSnapshot());
      const int64_t grace =
          produced.next.PropertyLong(tp::kExpireDeleteGraceMs, tp::kExpireDeleteGraceMsDefault);
      state->Install(std::move(produced.next), *published_at);
      produced.obsolete_files.insert(produced.obsolete_files.end(),
                                     produced.obsolete_metadata.begin(),
                                     produced.obsolete_metadata.end());
      const int64_t now_ms = clock->NowMillis();
      RetireFiles(io, catalog.metadata_dir(), produced.obsolete_files, now_ms, grace);
      // Every 16th commit, and every metadata-only one (expire), sweeps, so
      // that the listing is paid rarely.
      if (!published || published->sequence_number % 16 == 0)
        SweepDeferredDeletes(io, catalog.metadata_dir(), now_ms);
      committed = published;
      state->ReportedConflicts(input.conflicts);
      state->CountCommit(retries, elapsed());
      return true;
    }
    DeleteQuietly(io, produced.attempt_files);
    if (!backoff.CanRetry() || elapsed() > timeout_s) {
      std::optional<int64_t> now_current;
      try {
        now_current = CurrentId(*state->LoadLatest().first);
      } catch (const Error&) {
        now_current = std::nullopt;
      }
      Abort();
      state->CountConflict(retries, elapsed());
      throw CommitConflict("commit to " + state->path() + " lost the race for version " +
                               std::to_string(version.version + 1) + " after " +
                               std::to_string(retries) + " retries (base snapshot " +
                               SnapshotText(base_id) + ", current " + SnapshotText(now_current) +
                               ")",
                           base_id, now_current, now_current, retries);
    }
    ++retries;
    clock->SleepFor(backoff.NextDelay());
  }
}

Transaction::Impl::GroupWait Transaction::Impl::WaitInGroup(
    const PendingAppend& own, std::chrono::steady_clock::time_point lock_deadline,
    std::unique_ptr<FileLock>* lock) {
  FileIO& io = state->io();
  const TableCatalog& catalog = state->catalog();
  // Shared memory and OFD locks do not reach other machines.
  try {
    if (io.IsNetworkFilesystem(catalog.metadata_dir())) return GroupWait::kAlone;
  } catch (const Error&) {
    return GroupWait::kAlone;
  }
  // Counted before the descriptor exists: a holder that reads zero cannot
  // have missed it.
  catalog.CountWaitingAppend(1);
  struct Uncount {
    const TableCatalog& catalog;
    ~Uncount() { catalog.CountWaitingAppend(-1); }
  } uncount{catalog};
  std::optional<PendingAppendSlot> slot;
  try {
    slot.emplace(io, catalog.metadata_dir(), own);
  } catch (const Error&) {
    return GroupWait::kAlone;
  }
  // A holder settles its members before it releases the lock; one that
  // hangs longer than a whole commit may is given up on.
  const auto give_up =
      lock_deadline + BoundedMillis(base->PropertyLong(tp::kCommitTotalTimeoutMs,
                                                       tp::kCommitTotalTimeoutMsDefault));
  using State = PendingAppendSlot::State;
  try {
    for (;;) {
      const uint32_t seen = catalog.CommitEvents();
      State now_state = slot->Poll();
      if (now_state == State::kDone) return GroupWait::kPublished;
      if (now_state == State::kUnknown) return GroupWait::kUnknown;
      *lock = catalog.LockCommits(std::chrono::microseconds(0));
      if (*lock) {
        now_state = slot->Poll();
        if (now_state == State::kDone || now_state == State::kUnknown) {
          lock->reset();
          return now_state == State::kDone ? GroupWait::kPublished : GroupWait::kUnknown;
        }
        // Claimed and in the table: the holder died between publishing and
        // settling, perhaps before the new name was durable. Syncing the
        // folder makes it so; the files it names were synced before.
        if (now_state == State::kClaimed && FindCommit(io, *state->LoadLatest().first, commit_id)) {
          io.SyncDir(catalog.metadata_dir());
          lock->reset();
          return GroupWait::kPublished;
        }
        // Pending, or claimed by a holder that died before publishing: the
        // descriptor goes with `slot`, and nobody claims while we hold the lock.
        return GroupWait::kHolder;
      }
      const auto now = std::chrono::steady_clock::now();
      if (now >= lock_deadline && now_state == State::kPending && slot->Withdraw())
        return GroupWait::kAlone;
      if (now >= give_up) return GroupWait::kUnknown;
      catalog.WaitForCommitEvent(seen, TableCatalog::kMaxCommitEventWait);
    }
  } catch (const Error&) {
    lock->reset();
    // Published or not is known only while the descriptor is still ours.
    bool withdrawn = false;
    try {
      withdrawn = slot->Withdraw();
    } catch (const Error&) {
    }
    if (withdrawn) throw;
    return GroupWait::kUnknown;
  }
}

AppendGroup Transaction::Impl::ClaimGroup(const TableMetadata& current, CommitFinder& used,
                                          int64_t now_ms) {
  // A snapshot's summary lists the ids of its group, so a group stays small.
  constexpr size_t kMaxMembers = 64;
  FileIO& io = state->io();
  const int64_t grace = current.PropertyLong(tp::kGcGraceMs, tp::kGcGraceMsDefault);
  const int64_t timeout =
      current.PropertyLong(tp::kCommitTotalTimeoutMs, tp::kCommitTotalTimeoutMsDefault);
  AppendGroup group =
      AppendGroup::Claim(io, state->catalog().metadata_dir(), kMaxMembers, now_ms, timeout);
  std::set<std::string> ids = {commit_id};
  for (size_t i = 0; i < group.members().size();) {
    const PendingAppend& m = group.members()[i];
    // Another schema or spec, files gc may soon take, or an id used twice:
    // its writer commits it itself and meets the reason there.
    if (m.schema_id != current.current_schema_id || m.spec_id != current.default_spec_id ||
        now_ms - m.first_write_ms > grace - timeout || !ids.insert(m.commit_id).second) {
      group.Return(i);
    } else if (used.Find(m.commit_id)) {
      group.Unknown(i);  // published by a holder that died before telling
    } else {
      ++i;
    }
  }
  return group;
}

SnapshotInput Transaction::Impl::WithGroup(const SnapshotInput& input,
                                           const AppendGroup& group) const {
  SnapshotInput out = input;
  std::set<std::string> changed = partitions;
  for (const PendingAppend& m : group.members()) {
    for (ManifestFile f : m.manifests) {
      f.added_snapshot_id = input.snapshot_id;  // its entries inherit it
      out.new_manifests.push_back(std::move(f));
    }
    out.added_files += m.added_files;
    out.added_records += m.added_records;
    out.added_size += m.added_size;
    changed.insert(m.partitions.begin(), m.partitions.end());
    out.group_commit_ids.push_back(m.commit_id);
  }
  out.changed_partitions = static_cast<int64_t>(changed.size());
  return out;
}

bool Transaction::Impl::FinishPublishedByGroup(double seconds) {
  done = true;  // its files belong to the table now
  try {
    if (const std::optional<CommitRecord> record =
            FindCommit(state->io(), *state->LoadLatest().first, commit_id)) {
      committed = record->snapshot;
    }
  } catch (const Error&) {
    // Published durably all the same; only the snapshot is not at hand.
  }
  state->CountCommit(retries, seconds);
  return true;
}

CommitProbe Transaction::Impl::CarriesCommit() const {
  return [this](const std::string& current_text, const std::string& location) {
    const TableMetadata current =
        TableMetadataFromJson(current_text, "the current metadata of " + state->path());
    if (FindCommit(state->io(), current, commit_id)) return true;
    for (const MetadataLogEntry& e : current.metadata_log) {
      if (e.metadata_file == location) return true;
    }
    return false;
  };
}

void Transaction::Impl::ReportUnknown(const CommitStateUnknown& e, double seconds) {
  // Never acknowledged from a reload: after a failed link() or directory
  // fsync, what the page cache shows may not be on disk (DESIGN.md §4 rule 6).
  state->CountUnknown(retries, seconds);
  throw CommitStateUnknown(std::string(e.what()) + "; commit id " + commit_id +
                           ": refresh the table and look for it before retrying");
}

Transaction::Transaction(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Transaction::Transaction(Transaction&&) noexcept = default;
Transaction& Transaction::operator=(Transaction&& other) noexcept {
  if (this != &other) {
    if (impl_) impl_->Abort();
    impl_ = std::move(other.impl_);
  }
  return *this;
}
Transaction::~Transaction() {
  if (impl_) impl_->Abort();
}

void Transaction::AppendData(const std::vector<Record>& records, const Schema& schema,
                             const PartitionValues& partition_values) {
  AppendInput input(impl_->base->CurrentSchema(), impl_->base->DefaultSpec(), schema,
                    partition_values);
  input.AddRows(records);
  impl_->Append(input);
}

void Transaction::AppendData(const std::vector<NamedRecord>& records, const Schema& schema,
                             const PartitionValues& partition_values) {
  AppendInput input(impl_->base->CurrentSchema(), impl_->base->DefaultSpec(), schema,
                    partition_values);
  input.AddNamedRows(records);
  impl_->Append(input);
}

void Transaction::AppendColumns(const std::vector<ColumnVector>& columns, const Schema& schema,
                                const PartitionValues& partition_values) {
  AppendInput input(impl_->base->CurrentSchema(), impl_->base->DefaultSpec(), schema,
                    partition_values);
  input.AddColumns(columns);
  impl_->Append(input);
}

int64_t Transaction::Delete(const std::string& where) {
  return impl_->ChangeRows(Expression::Parse(where), false, {});
}
int64_t Transaction::Delete(const Expression& where) { return impl_->ChangeRows(where, false, {}); }
int64_t Transaction::Update(const std::map<std::string, Value>& set, const std::string& where) {
  return Update(set, Expression::Parse(where));
}
int64_t Transaction::Update(const std::map<std::string, Value>& set, const Expression& where) {
  if (set.empty()) throw InvalidArgument("update sets no column");
  return impl_->ChangeRows(where, true, set);
}
int64_t Transaction::Overwrite(const std::string& where, const std::vector<Record>& records,
                               const Schema& schema, const PartitionValues& partition_values) {
  AppendInput input(impl_->base->CurrentSchema(), impl_->base->DefaultSpec(), schema,
                    partition_values);
  input.AddRows(records);  // checked before the change writes anything
  const int64_t matched = impl_->ChangeRows(Expression::Parse(where), false, {});
  impl_->Append(input);
  return matched;
}

bool Transaction::Commit() { return impl_->Commit(); }
void Transaction::Abort() { impl_->Abort(); }
std::optional<int64_t> Transaction::base_snapshot_id() const {
  return impl_->base->current_snapshot_id;
}
std::optional<Snapshot> Transaction::committed_snapshot() const { return impl_->committed; }
std::optional<int64_t> Transaction::committed_log_lsn() const { return impl_->log_lsn; }
int Transaction::retries() const { return impl_->retries; }
const std::string& Transaction::commit_id() const { return impl_->commit_id; }
int64_t Transaction::pending_records() const { return impl_->appended_records; }

}  // namespace datashard
