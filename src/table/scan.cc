#include "datashard/scan.h"

#include <algorithm>
#include <thread>

#include "datashard/errors.h"
#include "log/log_fold.h"
#include "scan/scan_executor.h"
#include "scan/scan_plan.h"
#include "scan/tail_reader.h"
#include "table/table_state.h"

namespace datashard {

namespace {

// The metadata holding the scan's snapshot and the snapshot in it.
struct ResolvedSnapshot {
  TableMetadata metadata;
  std::optional<Snapshot> snapshot;
};

ResolvedSnapshot Resolve(Table& table, const std::optional<int64_t>& snapshot_id,
                         const std::optional<int64_t>& as_of_ms) {
  if (snapshot_id && as_of_ms) {
    throw InvalidArgument("a scan reads one snapshot: give a snapshot id or a time, not both");
  }
  if (snapshot_id) {
    if (table.metadata().SnapshotById(*snapshot_id) == nullptr) table.Refresh();
    TableMetadata m = table.metadata();
    const Snapshot* s = m.SnapshotById(*snapshot_id);
    if (s == nullptr) {
      throw NotFound("table " + table.location() + " has no snapshot " +
                     std::to_string(*snapshot_id) + ": it expired or never existed");
    }
    Snapshot snap = *s;
    return {std::move(m), std::move(snap)};
  }
  table.Refresh();
  TableMetadata m = table.metadata();
  if (as_of_ms) {
    std::optional<int64_t> found;
    for (const SnapshotLogEntry& e : m.snapshot_log) {
      if (e.timestamp_ms <= *as_of_ms) found = e.snapshot_id;
    }
    if (!found) {
      throw NotFound("table " + table.location() + " has no snapshot as of " +
                     std::to_string(*as_of_ms) + " ms since the epoch");
    }
    const Snapshot* s = m.SnapshotById(*found);
    if (s == nullptr) {
      throw NotFound("table " + table.location() + ": snapshot " + std::to_string(*found) +
                     ", current as of " + std::to_string(*as_of_ms) + " ms, has expired");
    }
    Snapshot snap = *s;
    return {std::move(m), std::move(snap)};
  }
  const Snapshot* s = m.CurrentSnapshot();
  std::optional<Snapshot> snap;
  if (s != nullptr) snap = *s;
  return {std::move(m), std::move(snap)};
}

}  // namespace

TableScan::TableScan(Table table) : table_(std::move(table)) {}

TableScan& TableScan::UseSnapshot(int64_t snapshot_id) {
  snapshot_id_ = snapshot_id;
  return *this;
}

TableScan& TableScan::AsOf(int64_t timestamp_ms) {
  as_of_ms_ = timestamp_ms;
  return *this;
}

TableScan& TableScan::Select(std::vector<std::string> columns) {
  columns_ = std::move(columns);
  return *this;
}

TableScan& TableScan::Filter(Expression filter) {
  filter_ = std::move(filter);
  return *this;
}

TableScan& TableScan::Filter(std::string_view text) { return Filter(Expression::Parse(text)); }

TableScan& TableScan::BatchSize(int64_t rows) {
  if (rows < 1)
    throw InvalidArgument("scan batch size must be positive, not " + std::to_string(rows));
  batch_size_ = rows;
  return *this;
}

TableScan& TableScan::Threads(int threads) {
  if (threads < 1) {
    throw InvalidArgument("scan thread count must be positive, not " + std::to_string(threads));
  }
  threads_ = threads;
  return *this;
}

TableScan& TableScan::Ordered(bool ordered) {
  ordered_ = ordered;
  return *this;
}

std::optional<Snapshot> TableScan::ResolveSnapshot() {
  return Resolve(table_, snapshot_id_, as_of_ms_).snapshot;
}

namespace {

// The rows of the ingest log after what `r` folded, up to the durable
// watermark, as batches of the current schema. Empty when reading a chosen
// snapshot (time travel reads Iceberg snapshots only) or without a log.
// NotFound when the log segments were recycled since `r` was resolved.
std::vector<RecordBatch> LogTail(IngestLog* log, const ResolvedSnapshot& r) {
  std::vector<RecordBatch> tail;
  if (log == nullptr) return tail;
  const std::vector<LogRecord> records =
      log->ReadDurable(FoldedPosition(r.snapshot ? &*r.snapshot : nullptr));
  if (records.empty()) return tail;
  FoldedRows rows = FoldRecords(records, r.metadata, log->dir());
  for (PartitionGroup& g : rows.groups) {
    tail.push_back(RecordBatch{r.metadata.CurrentSchema(), std::move(g.columns)});
  }
  return tail;
}

// Plans `snapshot`. When its manifests vanished because it expired since it
// was resolved (retention retired them, DESIGN.md §6), says so by name.
ScanPlan PlanSnapshot(Table& table, const TableMetadata& metadata, const Schema& schema,
                      const Snapshot& snapshot, const std::optional<Expression>& filter) {
  try {
    return PlanScan(table.io(), metadata, schema, snapshot, filter);
  } catch (const NotFound& e) {
    table.Refresh();
    if (table.metadata().SnapshotById(snapshot.snapshot_id) != nullptr) throw;
    throw NotFound(
        "snapshot " + std::to_string(snapshot.snapshot_id) + " of table " + table.location() +
        " expired while this scan read it, and retention deleted its manifests "
        "(after table property " +
        table_properties::kExpireDeleteGraceMs + "); scan a newer snapshot (" + e.what() + ")");
  }
}

// Plans the scan; `columns` empty = every column of the schema read with.
// With `log` (reading the current state of a log-mode table), `tail`
// receives the log's rows the snapshot does not hold.
ScanExecution Prepare(Table& table, const std::optional<int64_t>& snapshot_id,
                      const std::optional<int64_t>& as_of_ms,
                      const std::vector<std::string>& columns,
                      const std::optional<Expression>& filter, bool filter_columns_only,
                      IngestLog* log, std::vector<RecordBatch>* tail) {
  if (snapshot_id || as_of_ms) log = nullptr;
  ResolvedSnapshot r = Resolve(table, snapshot_id, as_of_ms);
  for (int attempt = 1; log != nullptr; ++attempt) {
    try {
      *tail = LogTail(log, r);
      break;
    } catch (const NotFound&) {
      // A checkpoint folded the records and recycled their segments since
      // we resolved the snapshot: the newer snapshot holds them.
      if (attempt >= 10) throw;
      r = Resolve(table, snapshot_id, as_of_ms);
    }
  }
  // The FileIO lives as long as a copy of the table the executor keeps.
  ScanExecution e{.io = std::shared_ptr<FileIO>(std::make_shared<Table>(table), &table.io()),
                  .metadata = std::move(r.metadata)};
  e.name_mapping = NameMapping::FromProperties(e.metadata.properties);
  // Time travel reads a snapshot with the schema it was committed with (as
  // Java and Trino do): names in projections and filters mean what they
  // meant then. The current snapshot reads with the current schema.
  const bool time_travel = snapshot_id.has_value() || as_of_ms.has_value();
  const Schema* snapshot_schema = time_travel && r.snapshot && r.snapshot->schema_id
                                      ? e.metadata.SchemaById(*r.snapshot->schema_id)
                                      : nullptr;
  const Schema& schema = snapshot_schema != nullptr ? *snapshot_schema : e.metadata.CurrentSchema();
  if (filter) e.filter = filter->Bind(schema).PushNotDown();
  std::vector<Field> fields;
  if (!filter_columns_only) {
    if (columns.empty()) {
      fields = schema.fields();
    } else {
      for (const std::string& c : columns) fields.push_back(schema.FieldByName(c));
    }
  }
  e.output_schema = Schema(schema.schema_id(), fields);
  const auto reads = [&fields](int id) {
    return std::any_of(fields.begin(), fields.end(), [id](const Field& f) { return f.id == id; });
  };
  if (e.filter) {
    for (int id : e.filter->ReferencedFieldIds()) {
      if (!reads(id)) fields.push_back(schema.fields()[static_cast<size_t>(schema.IndexOfId(id))]);
    }
  }
  if (r.snapshot) e.plan = PlanSnapshot(table, e.metadata, schema, *r.snapshot, e.filter);
  // Equality deletes compare columns the output may not hold. A dropped
  // column takes its name from an older schema (made unique if reused).
  for (const ScanTask& t : e.plan.tasks) {
    for (const auto& d : t.deletes) {
      for (int id : d->entry.data_file.equality_ids) {
        if (reads(id)) continue;
        Field f = FindTableField(e.metadata, id);
        for (const Field& g : fields) {
          if (g.name == f.name) f.name += "#" + std::to_string(id);
        }
        fields.push_back(std::move(f));
      }
    }
    if (!t.deletes.empty() && !e.deletes) {
      e.deletes = std::make_shared<DeleteLoader>(table.io(), e.metadata, e.name_mapping);
    }
  }
  e.read_schema = Schema(schema.schema_id(), std::move(fields));
  if (filter_columns_only) e.output_schema = e.read_schema;
  return e;
}

int DefaultThreads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

}  // namespace

std::unique_ptr<ScanReader> TableScan::Open() {
  std::shared_ptr<IngestLog> log = table_.state()->Log();
  std::vector<RecordBatch> tail;
  ScanExecution e =
      Prepare(table_, snapshot_id_, as_of_ms_, columns_, filter_, false, log.get(), &tail);
  e.batch_size = batch_size_;
  e.threads = threads_ > 0 ? threads_ : DefaultThreads();
  e.ordered = ordered_;
  if (tail.empty()) return NewScanExecutor(std::move(e));
  std::optional<Expression> bound = e.filter;
  Schema output = e.output_schema;
  return WithTailRows(NewScanExecutor(std::move(e)), std::move(tail), std::move(bound),
                      std::move(output));
}

int64_t TableScan::Count(ScanMetrics* metrics) {
  std::shared_ptr<IngestLog> log = table_.state()->Log();
  std::vector<RecordBatch> tail;
  ScanExecution e = Prepare(table_, snapshot_id_, as_of_ms_, {}, filter_, true, log.get(), &tail);
  const int64_t from_log = CountTailRows(tail, e.filter);
  tail.clear();
  e.batch_size = batch_size_;
  e.threads = threads_ > 0 ? threads_ : DefaultThreads();
  int64_t from_metadata = 0;
  int64_t files_from_metadata = 0;
  std::vector<ScanTask> to_read;
  int64_t deleted = 0;
  for (ScanTask& t : e.plan.tasks) {
    const bool equality_deletes = std::any_of(
        t.deletes.begin(), t.deletes.end(),
        [](const auto& d) { return d->entry.data_file.content == FileContent::kEqualityDeletes; });
    if (!t.all_rows_match || equality_deletes) {
      to_read.push_back(std::move(t));
      continue;
    }
    // Every row matches: the count is the record count less the positions
    // deleted, read from the delete files without decoding the data file.
    const int64_t records = t.file.entry.data_file.record_count;
    int64_t removed = 0;
    if (!t.deletes.empty()) {
      const RowDeleteFilter deletes(*e.deletes, t.file, t.deletes, e.read_schema);
      const std::vector<int64_t>& p = deletes.positions();
      removed =
          std::lower_bound(p.begin(), p.end(), records) - std::lower_bound(p.begin(), p.end(), 0);
    }
    from_metadata += records - removed;
    deleted += removed;
    ++files_from_metadata;
  }
  e.plan.tasks = std::move(to_read);
  e.count_only = true;
  std::unique_ptr<ScanReader> reader = NewScanExecutor(std::move(e));
  RecordBatch batch;
  while (reader->Next(&batch)) {
  }
  ScanMetrics m = reader->metrics();
  m.rows_returned += from_metadata + from_log;
  m.rows_deleted += deleted;
  m.files_counted_from_metadata = files_from_metadata;
  if (metrics != nullptr) *metrics = m;
  return m.rows_returned;
}

}  // namespace datashard
