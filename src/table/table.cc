#include "datashard/table.h"

#include <algorithm>

#include "catalog/file_catalog.h"
#include "catalog/metadata_file.h"
#include "commit/data_file_writer.h"
#include "datashard/errors.h"
#include "datashard/scan.h"
#include "format/parquet/parquet_writer.h"
#include "io/confined_file_io.h"
#include "log/ingest_log.h"
#include "log/log_fold.h"
#include "maintenance/gc.h"
#include "maintenance/verify.h"
#include "metadata/file_location.h"
#include "metadata/table_metadata_json.h"
#include "table/table_open.h"
#include "table/table_state.h"
#include "table/transaction_impl.h"
#include "table/validate_properties.h"
#include "util/clock.h"
#include "util/lexical_path.h"
#include "util/uuid.h"

namespace datashard {

class Table::Impl {
 public:
  explicit Impl(std::shared_ptr<TableState> s) : state(std::move(s)) {}
  std::shared_ptr<TableState> state;
};

namespace tp = table_properties;

// The table folder as an absolute path without "." components or a trailing
// slash: metadata records absolute locations. Only the working directory is
// asked of the FileIO; no file is touched.
std::string AbsoluteTablePath(FileIO& io, const std::string& path) {
  if (path.empty()) throw InvalidArgument("table path is empty");
  return LexicallyNormal(io.AbsolutePath(path));
}

// The FileIO of the table in `folder`: confined to it (ConfinedFileIO). The
// default POSIX FileIO is rooted there as well, which resolves the folder's
// own symbolic link once, now, and refuses links inside that lead out.
std::shared_ptr<ConfinedFileIO> TableIO(const TableOptions& options, const std::string& folder) {
  if (options.io) return std::make_shared<ConfinedFileIO>(options.io, options.io, folder);
  std::shared_ptr<FileIO> rooted;
  try {
    rooted = NewPosixFileIO(folder);
  } catch (const NotFound&) {
    throw NotFound("no Iceberg table at " + folder + " (no such folder)");
  }
  return std::make_shared<ConfinedFileIO>(std::move(rooted), DefaultFileIO(), folder);
}

// Maps the location `m` (read from `file`) records into the folder (a copied
// table) when it is a local absolute path other than "/", and applies its
// opt-in to reads outside the folder. Corruption naming the file when a
// snapshot's manifest list lies outside, before anything reads it.
void ConfineTo(ConfinedFileIO& io, const TableMetadata& m, const std::string& file) {
  std::string recorded = io.folder();
  try {
    const std::string local = LocalFilePath(m.location, "table");
    if (!local.empty() && local[0] == '/' && LexicallyNormal(local) != "/") recorded = local;
  } catch (const NotSupported&) {
    // An object-store location maps nothing here.
  }
  io.Configure(recorded,
               m.PropertyBool(tp::kReadAllowOutsidePaths, tp::kReadAllowOutsidePathsDefault));
  for (const Snapshot& s : m.snapshots) {
    std::string list;
    try {
      list = LocalFilePath(s.manifest_list, "manifest list");
    } catch (const NotSupported&) {
      continue;  // refused when read
    }
    if (!io.MayRead(list)) {
      throw Corruption("table " + io.folder() + ": metadata file " + file + " names " +
                       s.manifest_list + " (manifest list of snapshot " +
                       std::to_string(s.snapshot_id) +
                       "), which lies outside the table folder (the table property " +
                       tp::kReadAllowOutsidePaths + "=true allows reads there)");
    }
  }
}

namespace {

std::string FirstSchemaDifference(const Schema& have, const Schema& want) {
  for (const Field& w : want.fields()) {
    const int i = have.IndexOf(w.name);
    if (i < 0) return "column '" + w.name + "' is not in the existing table";
    const Field& h = have.fields()[static_cast<size_t>(i)];
    if (!(h.type == w.type)) {
      return "column '" + w.name + "' is " + h.type.ToString() + " in the existing table, not " +
             w.type.ToString();
    }
    if (h.required != w.required) {
      return "column '" + w.name + "' is " + (h.required ? "required" : "optional") +
             " in the existing table";
    }
    if (h.id != w.id) {
      return "column '" + w.name + "' has id " + std::to_string(h.id) +
             " in the existing table, not " + std::to_string(w.id);
    }
  }
  for (const Field& h : have.fields()) {
    if (want.IndexOf(h.name) < 0) return "the existing table has column '" + h.name + "' as well";
  }
  return "column order or docs differ";
}

// The last component of an absolute path.
std::string FileNameOf(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// A table pinned to the metadata file `file` (absolute): reads see that file's
// snapshots, Refresh reads nothing, and every commit is refused, since no
// catalog is there to publish a new version through. `how` says how the
// file was chosen, for the refusal. The table folder, to which its I/O is
// confined, is the one holding the file's metadata/ folder, else the file's.
std::shared_ptr<TableState> OpenPinned(const TableOptions& options, const std::string& file,
                                       const std::string& how) {
  std::string folder = file.substr(0, file.rfind('/'));
  if (FileNameOf(folder) == "metadata") folder = folder.substr(0, folder.rfind('/'));
  auto io = TableIO(options, folder.empty() ? "/" : folder);
  TableMetadata m = TableMetadataFromJson(ReadMetadataFile(*io, file), file);
  ConfineTo(*io, m, file);
  auto state = std::make_shared<TableState>(io, file);
  state->Pin(std::move(m),
             MetadataPointer{MetadataFileVersion(FileNameOf(file)).value_or(0), file});
  state->RefuseCommits(
      ErrorCode::kNotSupported,
      "cannot commit to the table opened by its metadata file " + file + how +
          ": such a table is read-only, pinned to that version, because datashard has no catalog "
          "to publish a new version through (the catalog that wrote the file holds the pointer to "
          "the current metadata: commit through it); for a datashard (Hadoop-layout) table, open "
          "the table folder instead");
  return state;
}

// Refuses to start a v<N> history in a folder holding another catalog's
// metadata files: that catalog would never see it, and it would hide the
// table's own versions from readers of the folder.
void RefuseCatalogWrittenFolder(FileIO& io, const std::string& metadata_dir) {
  std::vector<FileInfo> entries;
  try {
    entries = io.List(metadata_dir);
  } catch (const NotFound&) {
    return;
  }
  for (const FileInfo& e : entries) {
    if (CatalogMetadataSequence(e.name)) {
      throw AlreadyExists("a table written through a catalog exists there: " + metadata_dir + "/" +
                          e.name + "; datashard does not create a table over it");
    }
  }
}

}  // namespace

Table OpenExistingMatching(Table table, const Schema& schema, const PartitionSpec& spec) {
  const TableMetadata m = table.metadata();
  if (!m.CurrentSchema().SameFields(schema)) {
    throw AlreadyExists("table " + m.location + " exists with another schema: " +
                        FirstSchemaDifference(m.CurrentSchema(), schema));
  }
  if (!m.DefaultSpec().SameFields(spec)) {
    throw AlreadyExists("table " + m.location + " exists with partition spec " +
                        m.DefaultSpec().Describe(m.CurrentSchema()) + ", not " +
                        spec.Describe(schema));
  }
  return table;
}

void ValidateProperties(const std::map<std::string, std::string>& properties) {
  TableMetadata m;
  m.properties = properties;
  for (const char* key :
       {tp::kCommitNumRetries, tp::kCommitMinWaitMs, tp::kCommitMaxWaitMs,
        tp::kCommitTotalTimeoutMs, tp::kManifestMinMergeCount, tp::kManifestTargetSizeBytes,
        tp::kMinSnapshotsToKeep, tp::kMaxSnapshotAgeMs, tp::kMetadataPreviousVersionsMax,
        tp::kCheckpointRecords, tp::kCheckpointIntervalMs, tp::kIngestLogRecycleGraceMs,
        tp::kGcGraceMs, tp::kCommitLockWaitMs}) {
    if (m.PropertyLong(key, 0) < 0) {
      throw InvalidArgument("table property '" + std::string(key) + "' must not be negative");
    }
  }
  for (const char* key : {tp::kCommitLockEnabled, tp::kManifestMergeEnabled,
                          tp::kMetadataDeleteAfterCommit, tp::kIngestLogEnabled}) {
    m.PropertyBool(key, false);
  }
  const int64_t segment =
      m.PropertyLong(tp::kIngestLogSegmentBytes, tp::kIngestLogSegmentBytesDefault);
  if (segment < 4096 || segment % 4096 != 0 || segment > (int64_t{1} << 32)) {
    throw InvalidArgument("table property '" + std::string(tp::kIngestLogSegmentBytes) +
                          "' must be a multiple of 4096 between 4096 and 4294967296, not " +
                          std::to_string(segment));
  }
  MetricsMode::Parse(m.Property(tp::kMetricsDefault, tp::kMetricsDefaultDefault));
  for (const auto& [k, v] : properties) {
    if (k.rfind("write.metadata.metrics.column.", 0) == 0) MetricsMode::Parse(v);
  }
  parquet::ParseCodec(m.Property(tp::kParquetCompression, tp::kParquetCompressionDefault));
}

Table MakeTable(std::shared_ptr<TableState> state) {
  return Table(std::make_shared<Table::Impl>(std::move(state)));
}

void ValidateNewTable(const Schema& schema, const PartitionSpec& spec,
                      const std::map<std::string, std::string>& properties) {
  if (schema.fields().empty()) throw InvalidArgument("a table schema needs at least one field");
  spec.Validate(schema);
  ValidateProperties(properties);
}

Table CreateInFolder(const std::string& location, const Schema& schema, const PartitionSpec& spec,
                     const std::map<std::string, std::string>& properties,
                     const TableOptions& options, const CatalogFactory& make_catalog,
                     const std::function<Table()>& open_existing) {
  std::shared_ptr<FileIO> io = options.io ? options.io : DefaultFileIO();
  io->CreateDirs(location + "/metadata");
  TableMetadata given;
  given.properties = properties;
  // The table's own FileIO from here on, now that its folder exists.
  auto confined = TableIO(options, location);
  confined->Configure(
      location, given.PropertyBool(tp::kReadAllowOutsidePaths, tp::kReadAllowOutsidePathsDefault));
  std::shared_ptr<TableCatalog> catalog = make_catalog(confined);
  auto state = std::make_shared<TableState>(confined, location, catalog);
  if (given.PropertyBool(tp::kIngestLogEnabled, tp::kIngestLogEnabledDefault)) {
    // Refused here, before the first version exists, where the log cannot
    // work; the first segment is zeroed now rather than in the first append.
    const auto segment = static_cast<uint64_t>(
        given.PropertyLong(tp::kIngestLogSegmentBytes, tp::kIngestLogSegmentBytesDefault));
    IngestLog(confined, location + "/log", segment, [] { return LogPosition{}; }).Preallocate();
  }

  TableMetadata m;
  m.table_uuid = Uuid::Random().ToString();
  m.location = location;
  m.last_updated_ms = DefaultClock()->NowMillis();
  m.last_column_id = schema.highest_field_id();
  m.schemas = {schema};
  m.current_schema_id = schema.schema_id();
  m.partition_specs = {PartitionSpec(0, spec.fields())};
  m.default_spec_id = 0;
  m.last_partition_id = spec.last_field_id();
  m.properties = properties;
  std::optional<MetadataPointer> published;
  try {
    published = catalog->PublishNext(std::nullopt, TableMetadataToJson(m), {}, nullptr);
  } catch (const CommitStateUnknown& e) {
    // Even a first version seen now may not be durable: only the caller can look again.
    throw CommitStateUnknown("creating the table at " + location + ": " + e.what() +
                             "; open the table to see whether it exists");
  }
  if (published) {
    catalog->WriteHint(*published);
    state->Install(m, *published);
    return MakeTable(state);
  }
  return OpenExistingMatching(open_existing(), schema, spec);
}

Table CreateTable(const std::string& path, const Schema& schema, const PartitionSpec& spec,
                  const std::map<std::string, std::string>& properties, TableOptions options) {
  ValidateNewTable(schema, spec, properties);
  std::shared_ptr<FileIO> io = options.io ? options.io : DefaultFileIO();
  const std::string location = AbsoluteTablePath(*io, path);
  if (IsMetadataFileName(FileNameOf(location))) {
    throw InvalidArgument("a table is created in a folder, not at a metadata file: " + location);
  }
  if (FileCatalog(io, location).FindLatest()) {
    return OpenExistingMatching(OpenTable(location, options), schema, spec);
  }
  RefuseCatalogWrittenFolder(*io, location + "/metadata");
  return CreateInFolder(
      location, schema, spec, properties, options,
      [&](std::shared_ptr<FileIO> confined) {
        auto catalog = std::make_shared<FileCatalog>(std::move(confined), location);
        catalog->ProbeAtomicLink();
        return catalog;
      },
      [&] { return OpenTable(location, options); });
}

Table OpenTable(const std::string& path, TableOptions options) {
  std::shared_ptr<FileIO> io = options.io ? options.io : DefaultFileIO();
  const std::string location = AbsoluteTablePath(*io, path);
  if (IsMetadataFileName(FileNameOf(location))) {
    bool is_file = false;
    try {
      is_file = !io->Stat(location).is_directory;
    } catch (const NotFound&) {
      throw NotFound("no metadata file " + location);
    }
    if (is_file) return MakeTable(OpenPinned(options, location, ""));
  }
  auto confined = TableIO(options, location);
  auto catalog = std::make_shared<FileCatalog>(confined, location);
  auto state = std::make_shared<TableState>(confined, location, catalog);
  if (!catalog->FindLatest()) {
    if (const auto guessed = GuessCatalogMetadataFile(*io, catalog->metadata_dir())) {
      return MakeTable(OpenPinned(options, *guessed,
                                  " (guessed for the folder " + location +
                                      " as the highest sequence number among its metadata files)"));
    }
  }
  const auto [opened, pointer] = state->LoadLatest();
  ConfineTo(*confined, *opened, pointer.location);
  // Readable also where it is not writable (e.g. read-only): reads work,
  // commits refuse.
  state->ProbeBeforeFirstCommit([catalog] { catalog->ProbeAtomicLink(); });
  return Table(std::make_shared<Table::Impl>(state));
}

const std::string& Table::location() const { return impl_->state->path(); }
TableMetadata Table::metadata() const { return *impl_->state->Cached().first; }
Schema Table::schema() const { return impl_->state->Cached().first->CurrentSchema(); }
PartitionSpec Table::spec() const { return impl_->state->Cached().first->DefaultSpec(); }
int64_t Table::metadata_version() const { return impl_->state->Cached().second.version; }
void Table::Refresh() { impl_->state->LoadLatest(); }
FileIO& Table::io() const { return impl_->state->io(); }
const std::shared_ptr<TableState>& Table::state() const { return impl_->state; }

CheckpointResult Table::Checkpoint() { return Transaction::Impl::Checkpoint(impl_->state, true); }

std::optional<Snapshot> Table::CurrentSnapshot() {
  const MetadataRef m = impl_->state->LoadLatest().first;
  const Snapshot* s = m->CurrentSnapshot();
  return s ? std::optional<Snapshot>(*s) : std::nullopt;
}

std::optional<Snapshot> Table::SnapshotById(int64_t snapshot_id) const {
  const MetadataRef m = impl_->state->Cached().first;
  const Snapshot* s = m->SnapshotById(snapshot_id);
  return s ? std::optional<Snapshot>(*s) : std::nullopt;
}

std::vector<Snapshot> Table::History() const {
  const MetadataRef metadata = impl_->state->Cached().first;
  std::vector<Snapshot> out(metadata->snapshots.begin(), metadata->snapshots.end());
  std::stable_sort(out.begin(), out.end(), [](const Snapshot& a, const Snapshot& b) {
    return a.sequence_number < b.sequence_number;
  });
  return out;
}

Transaction Table::NewTransaction(TransactionOptions options) {
  // Refused before AppendData can write a data file that could never commit.
  impl_->state->CheckCanCommit();
  auto [m, v] = impl_->state->LoadLatest();
  return Transaction(std::make_unique<Transaction::Impl>(impl_->state, m, v, std::move(options)));
}

bool Table::AppendRecords(const std::vector<Record>& records, const Schema& schema,
                          const PartitionValues& partition_values) {
  Transaction tx = NewTransaction();
  tx.AppendData(records, schema, partition_values);
  return tx.Commit();
}

bool Table::AppendRecords(const std::vector<NamedRecord>& records, const Schema& schema,
                          const PartitionValues& partition_values) {
  Transaction tx = NewTransaction();
  tx.AppendData(records, schema, partition_values);
  return tx.Commit();
}

std::unique_ptr<BatchReader> Table::ScanBatches(std::optional<int64_t> snapshot_id,
                                                const std::vector<std::string>& columns,
                                                int64_t batch_size) {
  TableScan scan = NewScan(*this).Select(columns).BatchSize(batch_size).Ordered(true);
  if (snapshot_id) scan.UseSnapshot(*snapshot_id);
  return scan.Open();
}

std::vector<Record> Table::ScanAll(std::optional<int64_t> snapshot_id) {
  std::unique_ptr<BatchReader> reader = ScanBatches(snapshot_id);
  std::vector<Record> rows;
  RecordBatch batch;
  while (reader->Next(&batch)) {
    for (size_t i = 0; i < batch.num_rows(); ++i) rows.push_back(batch.Row(i));
  }
  return rows;
}

VerifyReport Table::Verify(const VerifyOptions& options) {
  const MetadataRef m = impl_->state->LoadLatest().first;
  std::shared_ptr<IngestLog> log = impl_->state->Log();
  return VerifyTable(io(), *m, log.get(), options);
}

GcReport Table::CollectGarbage(const GcOptions& options) {
  // A table opened read-only (by its metadata file, or where it cannot
  // write) refuses gc as it refuses commits.
  impl_->state->CheckCanCommit();
  const MetadataRef m = impl_->state->LoadLatest().first;
  return datashard::CollectGarbage(io(), location(), *m, DefaultClock()->NowMillis(), options);
}

CompactReport Table::Compact(const CompactOptions& options) {
  Transaction tx = NewTransaction();
  return tx.impl_->Compact(options);
}

TableStats Table::Stats() {
  const auto [ref, pointer] = impl_->state->LoadLatest();
  const TableMetadata& m = *ref;
  TableStats stats = impl_->state->Counters();
  stats.metadata_version = pointer.version;
  stats.snapshots = static_cast<int64_t>(m.snapshots.size());
  if (const Snapshot* s = m.CurrentSnapshot()) {
    stats.current_snapshot_id = s->snapshot_id;
    stats.data_files = s->SummaryLong("total-data-files");
    stats.records = s->SummaryLong("total-records");
    stats.bytes = s->SummaryLong("total-files-size");
    stats.table_commits = s->SummaryLong(kTotalCommitsSummaryKey);
    stats.table_retries = s->SummaryLong(kTotalRetriesSummaryKey);
    stats.table_conflicts = s->SummaryLong(kTotalConflictsSummaryKey);
  }
  if (std::shared_ptr<IngestLog> log = impl_->state->Log()) {
    LogPosition end;
    const std::vector<LogRecord> tail = log->ReadDurable(FoldedPosition(m.CurrentSnapshot()), &end);
    const FoldedRows rows = FoldRecords(tail, m, log->dir());
    stats.log_appends = static_cast<int64_t>(end.lsn) - 1;
    stats.log_records = rows.records;
    stats.log_rows = rows.rows;
  }
  return stats;
}

}  // namespace datashard
