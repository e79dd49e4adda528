// Metadata-only commits of a table: schema evolution (Table::UpdateSchema),
// partition spec evolution (Table::UpdateSpec), property changes
// (Table::SetProperties) and snapshot expiry
// (Table::ExpireSnapshots). Each is a MetadataChange that the transaction's
// commit loop applies to the latest metadata on every attempt; and the
// rule by which appends written with an older schema or spec still commit.
#include "commit/retention.h"
#include "datashard/errors.h"
#include "datashard/table.h"
#include "metadata/schema_evolution.h"
#include "metadata/spec_evolution.h"
#include "table/transaction_impl.h"
#include "table/validate_properties.h"
#include "util/clock.h"

namespace datashard {

namespace tp = table_properties;

void Transaction::Impl::CheckSchemaAndSpec(const TableMetadata& current) const {
  const bool same_spec = current.default_spec_id == base->default_spec_id &&
                         current.DefaultSpec().SameFields(base->DefaultSpec());
  if (same_spec && current.CurrentSchema().SameFields(base->CurrentSchema())) return;
  // Appended files are read by field id and keep the spec they were
  // written with (their manifest names it), so an append rebases over a
  // compatible schema change and over a spec change (DESIGN.md §5); a change
  // that rewrote or deleted rows under the old schema or spec does not.
  const bool appends_only = !scope && removed.empty() && delete_files.empty() && !compaction;
  if (!appends_only) {
    throw CommitConflict("the schema or partition spec of " + state->path() +
                         " changed since the transaction started");
  }
  CheckWritesFit(base->CurrentSchema(), current.CurrentSchema(),
                 "an append written with schema " + std::to_string(base->current_schema_id));
}

void Transaction::Impl::CommitMetadataOnly(MetadataChange change) {
  metadata_change = std::move(change);
  fold_log_at_commit = log_mode;
  log_mode = false;
  Commit();
}

Schema Table::UpdateSchema(const SchemaUpdate& update) {
  if (update.empty()) throw InvalidArgument("schema update of " + location() + " has no change");
  Transaction tx = NewTransaction();
  Transaction::Impl& impl = *tx.impl_;
  const std::string path = impl.state->path();
  const Schema base = impl.base->CurrentSchema();
  // Refused here, before the log is folded or anything is written.
  EvolveSchema(*impl.base, update.changes(), path);
  const std::vector<SchemaChange> changes = update.changes();
  impl.CommitMetadataOnly([base, path, changes](FileIO&, TableMetadata& next, ProducedCommit&) {
    if (!next.CurrentSchema().SameFields(base)) {
      throw CommitConflict("the schema of " + path +
                           " changed concurrently since this schema change was checked "
                           "against schema " +
                           std::to_string(base.schema_id()) + "; look at the new schema and " +
                           "make the change again");
    }
    SetCurrentSchema(&next, EvolveSchema(next, changes, path));
  });
  return schema();
}

PartitionSpec Table::UpdateSpec(const PartitionSpecUpdate& update) {
  if (update.empty())
    throw InvalidArgument("partition spec update of " + location() + " has no change");
  Transaction tx = NewTransaction();
  Transaction::Impl& impl = *tx.impl_;
  const std::string path = impl.state->path();
  const Schema schema = impl.base->CurrentSchema();
  const PartitionSpec spec = impl.base->DefaultSpec();
  // Refused here, before the log is folded or anything is written.
  EvolveSpec(*impl.base, update.changes(), path);
  const std::vector<PartitionSpecChange> changes = update.changes();
  impl.CommitMetadataOnly(
      [schema, spec, path, changes](FileIO&, TableMetadata& next, ProducedCommit&) {
        // Fields were resolved by name against the base's schema and spec.
        if (!next.CurrentSchema().SameFields(schema) || !next.DefaultSpec().SameFields(spec)) {
          throw CommitConflict("the schema or partition spec of " + path +
                               " changed concurrently since this partition spec change was checked "
                               "against spec " +
                               std::to_string(spec.spec_id()) + "; look at the new spec and make " +
                               "the change again");
        }
        SetDefaultSpec(&next, EvolveSpec(next, changes, path));
      });
  return this->spec();
}

void Table::SetProperties(const std::map<std::string, std::string>& set,
                          const std::vector<std::string>& remove) {
  const std::string path = state()->path();
  if (set.empty() && remove.empty())
    throw InvalidArgument("property change of " + path + " sets and removes nothing");
  for (const auto& [key, value] : set) {
    if (key.empty()) throw InvalidArgument("property change of " + path + ": a key is empty");
  }
  for (const std::string& key : remove) {
    if (set.count(key))
      throw InvalidArgument("property change of " + path + " both sets and removes '" + key + "'");
  }
  for (const std::string& key : [&] {
         std::vector<std::string> keys = remove;
         for (const auto& [k, v] : set) keys.push_back(k);
         return keys;
       }()) {
    // The log's folder and segments are made at create; the commit ids
    // are datashard's own bookkeeping.
    if (key == tp::kIngestLogEnabled || key == tp::kIngestLogSegmentBytes ||
        key == tp::kExpiredCommitIds || key == tp::kExpiredCommitIdsFile) {
      throw InvalidArgument("property change of " + path + ": '" + key +
                            "' cannot be changed after the table is created");
    }
  }
  Transaction tx = NewTransaction();
  Transaction::Impl& impl = *tx.impl_;
  std::map<std::string, std::string> merged = impl.base->properties;
  for (const std::string& key : remove) merged.erase(key);
  for (const auto& [key, value] : set) merged[key] = value;
  ValidateProperties(merged);
  impl.CommitMetadataOnly([set, remove](FileIO&, TableMetadata& next, ProducedCommit&) {
    for (const std::string& key : remove) next.properties.erase(key);
    for (const auto& [key, value] : set) next.properties[key] = value;
    ValidateProperties(next.properties);
  });
}

ExpireReport Table::ExpireSnapshots(const ExpireOptions& options) {
  const std::string path = state()->path();
  if (options.retain_last && *options.retain_last < 1) {
    throw InvalidArgument("expire of " + path + ": retain_last is " +
                          std::to_string(*options.retain_last) +
                          "; it must be at least 1 (the current snapshot never expires)");
  }
  if (options.older_than_ms && *options.older_than_ms < 0) {
    throw InvalidArgument("expire of " + path + ": older_than is negative");
  }
  Transaction tx = NewTransaction();
  Transaction::Impl& impl = *tx.impl_;
  const auto policy = [&options](const TableMetadata& m, int64_t now) {
    const int64_t age = options.older_than_ms.value_or(
        m.PropertyLong(tp::kMaxSnapshotAgeMs, tp::kMaxSnapshotAgeMsDefault));
    const int64_t keep = options.retain_last.value_or(
        m.PropertyLong(tp::kMinSnapshotsToKeep, tp::kMinSnapshotsToKeepDefault));
    return SelectExpiredSnapshots(m, now - age, keep);
  };
  ExpireReport report;
  if (policy(*impl.base, DefaultClock()->NowMillis()).empty()) {
    report.kept_snapshots = static_cast<int64_t>(impl.base->snapshots.size());
    return report;  // nothing to commit
  }
  impl.CommitMetadataOnly([&](FileIO& io, TableMetadata& next, ProducedCommit& out) {
    const int64_t now = DefaultClock()->NowMillis();
    std::vector<ManifestFile> current;
    if (const Snapshot* s = next.CurrentSnapshot())
      current = ReadManifestList(io, s->manifest_list);
    const RetentionResult r = RemoveSnapshots(io, impl.state->catalog().metadata_dir(), &next,
                                              policy(next, now), current);
    out.attempt_files = r.written_files;
    out.obsolete_files = r.deletable_files;
    report = ExpireReport();
    report.expired_snapshot_ids = r.expired_snapshot_ids;
    report.kept_snapshots = static_cast<int64_t>(next.snapshots.size());
    report.manifest_lists = r.manifest_lists;
    report.manifests = r.manifests;
    report.data_files = r.data_files;
    report.delete_files = r.delete_files;
    report.statistics_files = r.statistics_files;
    report.bytes = r.bytes;
    report.grace_ms = std::max<int64_t>(
        0, next.PropertyLong(tp::kExpireDeleteGraceMs, tp::kExpireDeleteGraceMsDefault));
    report.delete_after_ms = now + report.grace_ms;
  });
  return report;
}

}  // namespace datashard
