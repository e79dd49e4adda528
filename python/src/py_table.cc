// Tables for Python (DESIGN.md §1, §5): create_table/open_table, Table,
// Transaction (a context manager), Snapshot and TableStats. Records are
// converted while the GIL is held; file I/O and commits run with it released,
// so threads sharing one Table commit in parallel.
#include <pybind11/stl.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <utility>

#include "bindings.h"
#include "datashard/catalog.h"
#include "datashard/errors.h"
#include "datashard/scan.h"
#include "datashard/table.h"
#include "datashard/transaction.h"
#include "py_values.h"

namespace py = pybind11;

namespace datashard::python {
namespace {

// A Table handle plus the path it was opened by (its folder, for a table of
// a SQL catalog, and the identifier and catalog URL it was opened by).
// Immutable after construction; the C++ Table is safe to share between
// threads.
struct PyTable {
  Table table;
  std::string path;
  std::string identifier;  // namespace.table in `catalog`; empty: the file catalog
  std::string catalog;
};

// A SQL catalog and the URL it was opened by (kept for pickling tables).
struct PyCatalog {
  Catalog catalog;
  std::string url;
};

// Table.update_schema() and update_spec(): the changes gathered, committed
// by commit() or at the end of a `with` block that raised nothing.
template <typename Update, typename Result, Result (Table::*Apply)(const Update&)>
struct PyPendingUpdate {
  Table table;
  std::string what;  // "schema update", "partition spec update"
  Update update;
  bool done = false;

  void CheckOpen() const {
    if (done) throw InvalidArgument(what + " of " + table.location() + " already committed");
  }
  Result Commit() {
    CheckOpen();
    done = true;
    py::gil_scoped_release unlocked;
    return (table.*Apply)(update);
  }
};
using PySchemaUpdate = PyPendingUpdate<SchemaUpdate, Schema, &Table::UpdateSchema>;
using PySpecUpdate = PyPendingUpdate<PartitionSpecUpdate, PartitionSpec, &Table::UpdateSpec>;

// commit(), __enter__ and __exit__ of a pending update class.
template <typename Pending>
void DefCommit(py::class_<Pending>& c, const char* commit_doc) {
  c.def("commit", &Pending::Commit, commit_doc)
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](Pending& u, py::handle type, py::handle, py::handle) {
        if (type.is_none() && !u.done) u.Commit();
        return false;
      });
}

// `older_than` of expire_snapshots: a timedelta or milliseconds.
std::optional<int64_t> DurationMillis(py::handle d) {
  if (d.is_none()) return std::nullopt;
  if (py::isinstance(d, py::module_::import("datetime").attr("timedelta"))) {
    const double ms = d.attr("total_seconds")().cast<double>() * 1000.0;
    if (ms < 0) throw InvalidArgument("older_than must not be negative");
    return static_cast<int64_t>(ms);
  }
  if (!PyBool_Check(d.ptr()) && PyLong_Check(d.ptr())) return IntArg(d, "older_than", 0);
  throw InvalidArgument("older_than must be a datetime.timedelta or milliseconds, got " +
                        py::repr(d).cast<std::string>());
}

std::string AbsolutePath(py::handle path) {
  py::module_ os = py::module_::import("os");
  return os.attr("path").attr("abspath")(os.attr("fspath")(path)).cast<std::string>();
}

PartitionSpec SpecOf(py::handle spec, const Schema& schema) {
  if (spec.is_none()) return PartitionSpec();
  if (py::isinstance<PartitionSpec>(spec)) return spec.cast<PartitionSpec>();
  if (PyUnicode_Check(spec.ptr())) return PartitionSpec::Parse(spec.cast<std::string>(), schema);
  throw InvalidArgument(
      "partition_spec must be a PartitionSpec or a text like \"day(ts), bucket(16, id)\", got " +
      py::repr(spec).cast<std::string>());
}

std::map<std::string, std::string> PropertiesOf(py::handle properties) {
  std::map<std::string, std::string> out;
  if (properties.is_none()) return out;
  if (!PyDict_Check(properties.ptr())) {
    throw InvalidArgument("properties must be a dict of str to str, got " +
                          py::repr(properties).cast<std::string>());
  }
  for (auto [key, value] : py::reinterpret_borrow<py::dict>(properties)) {
    if (!PyUnicode_Check(key.ptr())) {
      throw InvalidArgument("property names must be str, got " + py::repr(key).cast<std::string>());
    }
    if (PyBool_Check(value.ptr())) {
      out[key.cast<std::string>()] = value.ptr() == Py_True ? "true" : "false";
    } else if (PyUnicode_Check(value.ptr()) || PyLong_Check(value.ptr())) {
      out[key.cast<std::string>()] = py::str(value).cast<std::string>();
    } else {
      throw InvalidArgument("property '" + key.cast<std::string>() +
                            "' must be a str, int or bool, got " +
                            py::repr(value).cast<std::string>());
    }
  }
  return out;
}

// The `catalog` argument: a Catalog, or its URL.
PyCatalog CatalogOf(py::handle catalog) {
  if (py::isinstance<PyCatalog>(catalog)) return catalog.cast<PyCatalog>();
  if (!PyUnicode_Check(catalog.ptr()))
    throw InvalidArgument(
        "catalog must be a datashard.Catalog or a URL (sqlite:PATH, "
        "postgresql://...), got " +
        py::repr(catalog).cast<std::string>());
  const std::string url = catalog.cast<std::string>();
  py::gil_scoped_release unlocked;
  return PyCatalog{Catalog::Open(url), url};
}

std::string IdentifierOf(py::handle identifier) {
  if (!PyUnicode_Check(identifier.ptr()))
    throw InvalidArgument("a table of a catalog is named by a str namespace.table, got " +
                          py::repr(identifier).cast<std::string>());
  return identifier.cast<std::string>();
}

PyTable CreateIn(PyCatalog& c, const std::string& identifier, py::handle location,
                 const Schema& schema, py::handle partition_spec, py::handle properties) {
  if (location.is_none())
    throw InvalidArgument("creating " + identifier + " in catalog " + c.catalog.url() +
                          " needs location=, the folder for its files");
  const std::string where = AbsolutePath(location);
  const PartitionSpec spec = SpecOf(partition_spec, schema);
  const auto props = PropertiesOf(properties);
  py::gil_scoped_release unlocked;
  Table table = c.catalog.CreateTable(identifier, where, schema, spec, props);
  return PyTable{table, table.location(), identifier, c.url};
}

PyTable LoadFrom(PyCatalog& c, const std::string& identifier) {
  py::gil_scoped_release unlocked;
  Table table = c.catalog.LoadTable(identifier);
  return PyTable{table, table.location(), identifier, c.url};
}

PyTable Create(py::handle path, const Schema& schema, py::handle partition_spec,
               py::handle properties, py::handle catalog, py::handle location) {
  if (!catalog.is_none()) {
    PyCatalog c = CatalogOf(catalog);
    return CreateIn(c, IdentifierOf(path), location, schema, partition_spec, properties);
  }
  if (!location.is_none())
    throw InvalidArgument(
        "location= is for tables of a catalog=; without one, the table's "
        "folder is the path");
  const std::string where = AbsolutePath(path);
  const PartitionSpec spec = SpecOf(partition_spec, schema);
  const auto props = PropertiesOf(properties);
  py::gil_scoped_release unlocked;
  return PyTable{CreateTable(where, schema, spec, props), where, "", ""};
}

PyTable Open(py::handle path, py::handle catalog) {
  if (!catalog.is_none()) {
    PyCatalog c = CatalogOf(catalog);
    return LoadFrom(c, IdentifierOf(path));
  }
  const std::string where = AbsolutePath(path);
  py::gil_scoped_release unlocked;
  return PyTable{OpenTable(where), where, "", ""};
}

// Runs `f` on the catalog with the GIL released.
template <typename F>
auto Released(F f) {
  py::gil_scoped_release unlocked;
  return f();
}

// The `schema` argument of an append: a Schema, or None for the table's.
Schema SchemaArg(py::handle schema, const Table& table) {
  if (schema.is_none()) return table.schema();
  if (!py::isinstance<Schema>(schema)) {
    throw SchemaMismatch("schema must be a datashard.Schema, got " +
                         py::repr(schema).cast<std::string>());
  }
  return schema.cast<Schema>();
}

// `as_of` (a datetime, or milliseconds since the epoch) in milliseconds.
int64_t AsOfMillis(py::handle as_of) {
  if (py::isinstance(as_of, py::module_::import("datetime").attr("datetime"))) {
    return static_cast<int64_t>(as_of.attr("timestamp")().cast<double>() * 1000.0);
  }
  if (!PyBool_Check(as_of.ptr()) && PyLong_Check(as_of.ptr())) return IntArg(as_of, "as_of");
  throw InvalidArgument("as_of must be a datetime or milliseconds since the epoch, got " +
                        py::repr(as_of).cast<std::string>());
}

std::vector<std::string> ColumnsOf(py::handle columns) {
  if (columns.is_none()) return {};
  if (PyUnicode_Check(columns.ptr())) {
    throw InvalidArgument("columns must be a list of column names, got a str");
  }
  return StrListArg(columns, "columns");
}

// The `filter` argument of a scan: None, or the text form of DESIGN.md §11.
std::optional<std::string> FilterOf(py::handle filter) {
  if (filter.is_none()) return std::nullopt;
  if (!PyUnicode_Check(filter.ptr())) {
    throw InvalidArgument("filter must be a str like \"id > 5 and name is not null\", got " +
                          py::repr(filter).cast<std::string>());
  }
  return filter.cast<std::string>();
}

// The scan that scan, scan_batches, to_pandas and count share: the snapshot
// (by default the newest committed one, found when the scan starts), the
// projection and the filter. Batches keep the order of the data files and
// their rows.
TableScan BuildScan(PyTable& t, py::handle columns, py::handle snapshot_id, py::handle as_of,
                    py::handle filter) {
  const std::vector<std::string> names = ColumnsOf(columns);
  const std::optional<std::string> text = FilterOf(filter);
  const std::optional<int64_t> snapshot = OptionalIntArg(snapshot_id, "snapshot_id");
  TableScan scan = NewScan(t.table);
  scan.Select(names).Ordered();
  if (snapshot) scan.UseSnapshot(*snapshot);
  if (!as_of.is_none()) scan.AsOf(AsOfMillis(as_of));
  if (text) scan.Filter(*text);
  return scan;
}

// Runs the handlers of pending signals and raises what they raise (Ctrl-C:
// KeyboardInterrupt), so that long loops in C++ stop when asked. Needs the GIL.
void CheckSignals() {
  if (PyErr_CheckSignals() != 0) throw py::error_already_set();
}

// Rows converted between signal checks inside one batch.
constexpr size_t kRowsPerSignalCheck = 4096;

py::dict MetricsDict(const ScanMetrics& m) {
  py::dict d;
  d["manifests_considered"] = m.manifests_considered;
  d["manifests_pruned"] = m.manifests_pruned;
  d["data_files_considered"] = m.data_files_considered;
  d["data_files_pruned"] = m.data_files_pruned;
  d["row_groups_considered"] = m.row_groups_considered;
  d["row_groups_pruned"] = m.row_groups_pruned;
  d["bytes_read"] = m.bytes_read;
  d["pages_read"] = m.pages_read;
  d["pages_skipped"] = m.pages_skipped;
  d["delete_files"] = m.delete_files;
  d["rows_deleted"] = m.rows_deleted;
  d["rows_returned"] = m.rows_returned;
  d["files_counted_from_metadata"] = m.files_counted_from_metadata;
  return d;
}

// Batches of a scan as Python objects; Next() reads with the GIL released.
// The metrics outlive the reader, which is dropped at the end of the scan.
// The reader's threads exist only in the process that started the scan: in a
// forked child, Next() raises instead of waiting for them forever, and
// nothing touches the reader or the mutex (which a parent thread may have
// held at the fork).
class ScanIterator {
 public:
  explicit ScanIterator(std::unique_ptr<ScanReader> reader)
      : pid_(::getpid()), reader_(std::move(reader)) {}

  ~ScanIterator() {
    // Destroying the reader would join threads the child does not have.
    if (Forked()) static_cast<void>(reader_.release());
  }
  ScanIterator(const ScanIterator&) = delete;
  ScanIterator& operator=(const ScanIterator&) = delete;

  // The next batch, or nullopt at the end. `first_row` receives the number
  // of the batch's first row in the scan. NotSupported in a forked child.
  std::optional<RecordBatch> Next(int64_t* first_row) {
    if (Forked()) {
      throw NotSupported("ScanIterator used after fork: the scan was started by process " +
                         std::to_string(pid_) + " and cannot continue in process " +
                         std::to_string(::getpid()) + "; start a new scan in this process");
    }
    RecordBatch batch;
    bool more = false;
    {
      py::gil_scoped_release unlocked;
      std::lock_guard<std::mutex> hold(mu_);
      more = reader_ && reader_->Next(&batch);
      if (reader_) metrics_ = reader_->metrics();
      if (!more) reader_.reset();
    }
    if (!more) return std::nullopt;
    *first_row = rows_;
    rows_ += static_cast<int64_t>(batch.num_rows());
    return batch;
  }

  // In a forked child: the metrics as of the last batch before the fork.
  ScanMetrics metrics() {
    if (Forked()) return metrics_;
    py::gil_scoped_release unlocked;
    std::lock_guard<std::mutex> hold(mu_);
    return reader_ ? reader_->metrics() : metrics_;
  }

 private:
  bool Forked() const { return ::getpid() != pid_; }

  const pid_t pid_;  // the process that started the scan
  std::mutex mu_;
  std::unique_ptr<ScanReader> reader_;
  ScanMetrics metrics_;
  int64_t rows_ = 0;  // rows returned so far; used with the GIL held
};

std::unique_ptr<ScanIterator> StartScan(PyTable& t, py::handle columns, py::handle snapshot_id,
                                        py::handle as_of, py::handle filter, int64_t batch_size) {
  if (batch_size <= 0) {
    throw InvalidArgument("batch_size must be positive, got " + std::to_string(batch_size));
  }
  TableScan scan = BuildScan(t, columns, snapshot_id, as_of, filter);
  scan.BatchSize(batch_size);
  py::gil_scoped_release unlocked;
  return std::make_unique<ScanIterator>(scan.Open());
}

int64_t CountRows(PyTable& t, py::handle filter, py::handle snapshot_id, py::handle as_of) {
  TableScan scan = BuildScan(t, py::none(), snapshot_id, as_of, filter);
  py::gil_scoped_release unlocked;
  return scan.Count();
}

// A transaction for Python. Calls are serialised by a mutex (a C++
// Transaction serves one thread at a time); the mutex is taken only with the
// GIL released, so a waiting thread never blocks the interpreter. The
// properties read a copy refreshed after every call, under a mutex of their
// own that is never held while waiting: reading them while another thread
// commits (which can take the whole retry budget) returns at once.
// update's `set`: a dict of column name to new value, converted to the
// column's type.
std::map<std::string, Value> AssignmentsArg(py::handle set, const Schema& schema,
                                            const std::string& path) {
  if (!py::isinstance<py::dict>(set))
    throw InvalidArgument("update: `set` must be a dict of column name to new value");
  std::map<std::string, Value> values;
  for (const auto& [key, value] : set.cast<py::dict>()) {
    const std::string name = py::str(key);
    const int index = schema.IndexOf(name);
    if (index < 0)
      throw InvalidArgument("update of " + path + " sets column '" + name +
                            "', which the table does not have");
    values[name] = ToValue(value, schema.fields()[static_cast<size_t>(index)].type,
                           "update value of column '" + name + "'");
  }
  return values;
}

// Releases the leases of an implicit lock; an expired one is free already,
// and a commit fenced by it was checked where it landed.
void ReleaseQuietly(LockManager& manager, const std::vector<Lease>& leases) noexcept {
  for (const Lease& lease : leases) {
    try {
      manager.Release(lease);
    } catch (const std::exception&) {
      // Expired or unreachable: the lease ends with its TTL.
    }
  }
}

class PyTransaction {
 public:
  PyTransaction(Transaction tx, Table table, std::string path,
                std::shared_ptr<LockManager> locks = nullptr, std::vector<Lease> leases = {})
      : tx_(std::move(tx)),
        table_(std::move(table)),
        path_(std::move(path)),
        locks_(std::move(locks)),
        leases_(std::move(leases)) {
    Publish();
  }
  ~PyTransaction() {
    if (leases_.empty()) return;
    py::gil_scoped_release unlocked;  // Python frees it with the GIL held
    ReleaseLocks();
  }
  PyTransaction(const PyTransaction&) = delete;
  PyTransaction& operator=(const PyTransaction&) = delete;

  void AppendData(py::handle records, py::handle schema, py::handle partition_values) {
    const Schema input = SchemaArg(schema, table_);
    const std::vector<Record> rows = ToRecords(records, input);
    const PartitionValues values = ToPartitionValues(partition_values, input);
    Call("append_data to", [&] { tx_.AppendData(rows, input, values); });
  }

  int64_t Delete(const std::string& where) {
    return Call("delete on", [&] { return tx_.Delete(where); });
  }

  int64_t Update(py::handle set, const std::string& where) {
    const std::map<std::string, Value> values = AssignmentsArg(set, table_.schema(), path_);
    return Call("update on", [&] { return tx_.Update(values, where); });
  }

  int64_t Overwrite(const std::string& where, py::handle records, py::handle schema,
                    py::handle partition_values) {
    const Schema input = SchemaArg(schema, table_);
    const std::vector<Record> rows = ToRecords(records, input);
    const PartitionValues values = ToPartitionValues(partition_values, input);
    return Call("overwrite on", [&] { return tx_.Overwrite(where, rows, input, values); });
  }

  bool Commit() {
    py::gil_scoped_release unlocked;
    std::lock_guard<std::mutex> hold(mu_);
    Open("commit");
    finished_ = true;
    PublishOnExit publish(this);
    struct Unlock {
      PyTransaction* tx;
      ~Unlock() { tx->ReleaseLocks(); }
    } unlock{this};
    committed_ = tx_.Commit();
    return committed_;
  }

  void Abort() {
    py::gil_scoped_release unlocked;
    std::lock_guard<std::mutex> hold(mu_);
    finished_ = true;
    PublishOnExit publish(this);
    if (!committed_) tx_.Abort();
    ReleaseLocks();
  }

  std::vector<Lease> leases() const {
    std::lock_guard<std::mutex> hold(shown_mu_);
    return shown_leases_;
  }

  // Leaving the with-block: anything not committed is discarded (Abort never
  // deletes what a commit may have published). Exceptions propagate.
  bool Exit() {
    Abort();
    return false;
  }

  // What the properties show, as of the last call that finished.
  struct Shown {
    std::optional<int64_t> base_snapshot_id;
    std::optional<Snapshot> committed_snapshot;
    int retries = 0;
    std::string commit_id;
    int64_t pending_records = 0;
  };

  Shown shown() const {
    std::lock_guard<std::mutex> hold(shown_mu_);
    return shown_;
  }

 private:
  // Publishes the transaction's state when a call ends, even by an exception.
  struct PublishOnExit {
    explicit PublishOnExit(PyTransaction* tx) : tx(tx) {}
    ~PublishOnExit() { tx->Publish(); }
    PublishOnExit(const PublishOnExit&) = delete;
    PublishOnExit& operator=(const PublishOnExit&) = delete;
    PyTransaction* tx;
  };

  // Runs `work` on the open transaction without the GIL, one call at a
  // time, and publishes the state for the properties when it ends.
  template <typename Work>
  auto Call(const char* what, Work work) -> decltype(work()) {
    py::gil_scoped_release unlocked;
    std::lock_guard<std::mutex> hold(mu_);
    Open(what);
    PublishOnExit publish(this);
    return work();
  }

  // Requires mu_ (or destruction). Idempotent.
  void ReleaseLocks() noexcept {
    if (!locks_ || leases_.empty()) return;
    ReleaseQuietly(*locks_, leases_);
    leases_.clear();
  }

  // Requires mu_ (or construction). Copies the state for the properties.
  void Publish() noexcept {
    Shown now;
    now.base_snapshot_id = tx_.base_snapshot_id();
    now.committed_snapshot = tx_.committed_snapshot();
    now.retries = tx_.retries();
    now.commit_id = tx_.commit_id();
    now.pending_records = tx_.pending_records();
    std::lock_guard<std::mutex> hold(shown_mu_);
    shown_ = std::move(now);
    shown_leases_ = leases_;
  }

  void Open(const char* what) const {
    if (finished_) {
      throw InvalidArgument(std::string("cannot ") + what + " a transaction on " + path_ +
                            " that was already " + (committed_ ? "committed" : "finished"));
    }
  }

  std::mutex mu_;  // serialises calls on tx_
  Transaction tx_;
  Table table_;
  std::string path_;
  bool finished_ = false;
  bool committed_ = false;
  std::shared_ptr<LockManager> locks_;  // the implicit lock's manager, if any
  std::vector<Lease> leases_;           // held until the transaction ends
  mutable std::mutex shown_mu_;         // held only to copy shown_, never while waiting
  Shown shown_;                         // GUARDED_BY(shown_mu_)
  std::vector<Lease> shown_leases_;     // GUARDED_BY(shown_mu_)
};

// The keyword arguments of Table.new_transaction.
struct TransactionArgs {
  py::handle expected_snapshot_id;
  py::handle guard_where;
  bool guard_changed_columns = false;
  py::handle fencing_tokens;
  py::handle lock;
  py::handle commit_id;
  py::handle snapshot_properties;
};

// fencing_tokens={resource: token}.
std::map<std::string, uint64_t> FencingTokensArg(py::handle tokens) {
  std::map<std::string, uint64_t> out;
  if (tokens.is_none()) return out;
  if (!py::isinstance<py::dict>(tokens))
    throw InvalidArgument("fencing_tokens must be a dict of lock resource to fencing token, got " +
                          py::repr(tokens).cast<std::string>());
  for (const auto& [key, value] : tokens.cast<py::dict>()) {
    const std::string resource = StrArg(key, "fencing_tokens key");
    out[resource] =
        static_cast<uint64_t>(IntArg(value, ("fencing token of '" + resource + "'").c_str(), 0));
  }
  return out;
}

std::unique_ptr<PyTransaction> NewTransaction(PyTable& t, const TransactionArgs& a) {
  TransactionOptions options;
  options.expected_snapshot_id = OptionalIntArg(a.expected_snapshot_id, "expected_snapshot_id");
  if (!a.guard_where.is_none()) options.guard_where = StrArg(a.guard_where, "guard_where");
  options.guard_changed_columns = a.guard_changed_columns;
  options.fencing_tokens = FencingTokensArg(a.fencing_tokens);
  if (!a.commit_id.is_none()) options.commit_id = StrArg(a.commit_id, "commit_id");
  options.snapshot_properties = PropertiesOf(a.snapshot_properties);
  std::optional<LockSpec> spec;
  if (!a.lock.is_none()) {
    if (!py::isinstance<LockSpec>(a.lock))
      throw InvalidArgument("lock must be a LockSpec (LockManager.lock_spec(...)), got " +
                            py::repr(a.lock).cast<std::string>());
    spec = a.lock.cast<LockSpec>();
  }
  py::gil_scoped_release unlocked;
  std::vector<Lease> leases;
  // The locks first, so that the transaction reads its base under them.
  if (spec) {
    leases = spec->manager->AcquireAll(spec->requests, spec->owner, spec->ttl, spec->wait,
                                       &SignalPending);
    for (const Lease& lease : leases) {
      if (lease.mode == LockMode::kExclusive)
        options.fencing_tokens[lease.resource] = lease.fencing_token;
    }
  }
  try {
    Transaction tx = t.table.NewTransaction(std::move(options));
    return std::make_unique<PyTransaction>(std::move(tx), t.table, t.path,
                                           spec ? spec->manager : nullptr, std::move(leases));
  } catch (...) {
    if (spec) ReleaseQuietly(*spec->manager, leases);
    throw;
  }
}

// new_transaction's keywords given to a one-transaction method (append_records,
// delete, update); nullopt when none was.
std::optional<TransactionArgs> TransactionKwargs(const py::kwargs& kwargs, const char* method) {
  if (kwargs.empty()) return std::nullopt;
  TransactionArgs a{py::none(), py::none(), false, py::none(), py::none(), py::none(), py::none()};
  for (const auto& [key, value] : kwargs) {
    const std::string name = py::str(key);
    if (name == "expected_snapshot_id") {
      a.expected_snapshot_id = value;
    } else if (name == "guard_where") {
      a.guard_where = value;
    } else if (name == "guard_changed_columns") {
      if (!PyBool_Check(value.ptr()))
        throw InvalidArgument("guard_changed_columns must be True or False, got " +
                              py::repr(value).cast<std::string>());
      a.guard_changed_columns = value.cast<bool>();
    } else if (name == "fencing_tokens") {
      a.fencing_tokens = value;
    } else if (name == "lock") {
      a.lock = value;
    } else if (name == "commit_id") {
      a.commit_id = value;
    } else if (name == "snapshot_properties") {
      a.snapshot_properties = value;
    } else {
      throw InvalidArgument(std::string(method) + "() got an unexpected keyword argument '" + name +
                            "' (it takes those of new_transaction)");
    }
  }
  return a;
}

std::string SnapshotRepr(const Snapshot& s) {
  return "Snapshot(snapshot_id=" + std::to_string(s.snapshot_id) + ", parent_snapshot_id=" +
         (s.parent_snapshot_id ? std::to_string(*s.parent_snapshot_id) : "None") +
         ", timestamp_ms=" + std::to_string(s.timestamp_ms) + ", operation='" + s.operation() +
         "')";
}

// The int64 fields of TableStats by their Python names, in to_dict order:
// this process's counters, then (after commit_seconds and
// current_snapshot_id) the table's. One list for to_dict and unpickling.
using StatsField = std::pair<const char*, int64_t TableStats::*>;
constexpr StatsField kProcessCounters[] = {
    {"commits", &TableStats::commits},
    {"retries", &TableStats::retries},
    {"conflicts", &TableStats::conflicts},
    {"unknown_outcomes", &TableStats::unknown_outcomes},
};
constexpr StatsField kTableFacts[] = {
    {"metadata_version", &TableStats::metadata_version},
    {"snapshots", &TableStats::snapshots},
    {"data_files", &TableStats::data_files},
    {"records", &TableStats::records},
    {"bytes", &TableStats::bytes},
    {"table_commits", &TableStats::table_commits},
    {"table_retries", &TableStats::table_retries},
    {"table_conflicts", &TableStats::table_conflicts},
    {"log_appends", &TableStats::log_appends},
    {"log_records", &TableStats::log_records},
    {"log_rows", &TableStats::log_rows},
};

py::dict StatsDict(const TableStats& s) {
  py::dict d;
  for (const auto& [name, member] : kProcessCounters) d[name] = s.*member;
  d["commit_seconds"] = s.commit_seconds;
  d["current_snapshot_id"] = s.current_snapshot_id;
  for (const auto& [name, member] : kTableFacts) d[name] = s.*member;
  return d;
}

// The inverse of StatsDict (for unpickling); names it lacks stay 0.
TableStats StatsFromDict(const py::dict& d) {
  TableStats s;
  auto take = [&](std::span<const StatsField> fields) {
    for (const auto& [name, member] : fields) {
      if (d.contains(name)) s.*member = d[name].cast<int64_t>();
    }
  };
  take(kProcessCounters);
  take(kTableFacts);
  if (d.contains("commit_seconds")) s.commit_seconds = d["commit_seconds"].cast<double>();
  if (d.contains("current_snapshot_id")) {
    s.current_snapshot_id = d["current_snapshot_id"].cast<std::optional<int64_t>>();
  }
  return s;
}

}  // namespace

void BindTable(py::module_& m) {
  m.attr("NO_SNAPSHOT") = kNoSnapshot;

  py::class_<Snapshot>(m, "Snapshot", "The state of a table after one commit.")
      .def_readonly("snapshot_id", &Snapshot::snapshot_id)
      .def_readonly("parent_snapshot_id", &Snapshot::parent_snapshot_id)
      .def_readonly("sequence_number", &Snapshot::sequence_number)
      .def_readonly("timestamp_ms", &Snapshot::timestamp_ms)
      .def_readonly("manifest_list", &Snapshot::manifest_list)
      .def_readonly("summary", &Snapshot::summary,
                    "Iceberg's summary: operation, added-records, total-records... (str values)")
      .def_readonly("schema_id", &Snapshot::schema_id)
      .def_property_readonly("operation", &Snapshot::operation)
      // is_operator: another type gives NotImplemented, so `snapshot == None`
      // is False instead of a TypeError.
      .def(
          "__eq__", [](const Snapshot& a, const Snapshot& b) { return a == b; }, py::is_operator())
      .def(
          "__ne__", [](const Snapshot& a, const Snapshot& b) { return !(a == b); },
          py::is_operator())
      .def("__hash__", [](const Snapshot& s) { return py::hash(py::int_(s.snapshot_id)); })
      .def("__repr__", &SnapshotRepr)
      .def(py::pickle(
          [](const Snapshot& s) {
            return py::make_tuple(s.snapshot_id, s.parent_snapshot_id, s.sequence_number,
                                  s.timestamp_ms, s.manifest_list, s.summary, s.schema_id);
          },
          [](const py::tuple& t) {
            if (t.size() != 7) throw InvalidArgument("cannot unpickle a Snapshot from this state");
            Snapshot s;
            s.snapshot_id = t[0].cast<int64_t>();
            s.parent_snapshot_id = t[1].cast<std::optional<int64_t>>();
            s.sequence_number = t[2].cast<int64_t>();
            s.timestamp_ms = t[3].cast<int64_t>();
            s.manifest_list = t[4].cast<std::string>();
            s.summary = t[5].cast<std::map<std::string, std::string>>();
            s.schema_id = t[6].cast<std::optional<int>>();
            return s;
          }));

  py::class_<TableStats>(m, "TableStats",
                         "Commit counters of this process (commits, retries, conflicts,\n"
                         "unknown_outcomes, commit_seconds), facts of the current snapshot\n"
                         "and running totals over the table's history (table_*).")
      .def_readonly("commits", &TableStats::commits)
      .def_readonly("retries", &TableStats::retries)
      .def_readonly("conflicts", &TableStats::conflicts)
      .def_readonly("unknown_outcomes", &TableStats::unknown_outcomes)
      .def_readonly("commit_seconds", &TableStats::commit_seconds)
      .def_readonly("current_snapshot_id", &TableStats::current_snapshot_id)
      .def_readonly("metadata_version", &TableStats::metadata_version)
      .def_readonly("snapshots", &TableStats::snapshots)
      .def_readonly("data_files", &TableStats::data_files)
      .def_readonly("records", &TableStats::records)
      .def_readonly("bytes", &TableStats::bytes)
      .def_readonly("table_commits", &TableStats::table_commits)
      .def_readonly("table_retries", &TableStats::table_retries)
      .def_readonly("table_conflicts", &TableStats::table_conflicts)
      .def_readonly("log_appends", &TableStats::log_appends)
      .def_readonly("log_records", &TableStats::log_records)
      .def_readonly("log_rows", &TableStats::log_rows)
      .def("to_dict", &StatsDict)
      .def(py::pickle(&StatsDict, &StatsFromDict))
      .def("__repr__", [](const TableStats& s) {
        return "TableStats(" + py::repr(StatsDict(s)).cast<std::string>() + ")";
      });

  py::class_<PyTransaction>(
      m, "Transaction",
      "Appends published by commit() as one snapshot, atomically. Use it as a context\n"
      "manager: leaving the block without commit() discards the appends, and an\n"
      "exception inside it aborts the transaction. One thread at a time.")
      .def("append_data", &PyTransaction::AppendData, py::arg("records"),
           py::arg("schema") = py::none(), py::arg("partition_values") = py::none(),
           "Validates records (dicts keyed by column name; `schema` defaults to the\n"
           "table's) and writes them as data files, invisible until commit(). Every\n"
           "record must hold the given partition_values. SchemaMismatch /\n"
           "InvalidArgument naming the record index and field, before anything is written.")
      .def("delete", &PyTransaction::Delete, py::arg("where"),
           "Deletes the rows of the base snapshot that `where` (a filter string such as\n"
           "\"id >= 5 and name = 'x'\") matches, the way table property write.delete.mode\n"
           "says (copy-on-write, the default, or merge-on-read); returns how many rows it\n"
           "matched. commit() publishes it; a concurrent commit that changed the same\n"
           "data files (or, under serializable isolation, added rows `where` may match)\n"
           "makes it raise ConcurrentModificationException. One row-level change per\n"
           "transaction, before any append_data.")
      .def("update", &PyTransaction::Update, py::arg("set"), py::arg("where"),
           "Sets the columns of dict `set` to its values in the rows `where` matches\n"
           "(table property write.update.mode); returns how many rows it matched.")
      .def("overwrite", &PyTransaction::Overwrite, py::arg("where"), py::arg("records"),
           py::arg("schema") = py::none(), py::arg("partition_values") = py::none(),
           "Deletes the rows `where` matches and appends `records` (as append_data) in\n"
           "one snapshot (operation overwrite); returns how many rows it matched.")
      .def("commit", &PyTransaction::Commit,
           "Publishes the appends as one snapshot and returns True. Concurrent appends\n"
           "are rebased and retried automatically; ConcurrentModificationException when\n"
           "the retry budget is spent or the scope expected_snapshot_id guards changed;\n"
           "StaleFencingToken when the table accepted a newer fencing token;\n"
           "CommitStateUnknown when the outcome could not be settled. Releases the\n"
           "implicit lock's leases, whatever the outcome.")
      .def("abort", &PyTransaction::Abort, "Drops the appends and removes their data files.")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__",
           [](PyTransaction& tx, py::handle, py::handle, py::handle) { return tx.Exit(); })
      .def_property_readonly(
          "base_snapshot_id", [](const PyTransaction& tx) { return tx.shown().base_snapshot_id; },
          "The snapshot the transaction started from (None: the table was empty).")
      .def_property_readonly(
          "committed_snapshot",
          [](const PyTransaction& tx) { return tx.shown().committed_snapshot; },
          "The Snapshot commit() published; None before. Properties never wait: while\n"
          "another thread is inside commit(), they show the state from before it.")
      .def_property_readonly(
          "retries", [](const PyTransaction& tx) { return tx.shown().retries; },
          "Publication races commit() lost and retried.")
      .def_property_readonly(
          "commit_id", [](const PyTransaction& tx) { return tx.shown().commit_id; },
          "The id recorded in the snapshot summary (datashard.commit-id).")
      .def_property_readonly(
          "pending_records", [](const PyTransaction& tx) { return tx.shown().pending_records; },
          "Rows appended so far.")
      .def_property_readonly(
          "leases", [](const PyTransaction& tx) { return tx.leases(); },
          "The leases of the implicit lock (new_transaction(lock=...)) still held; empty\n"
          "once the transaction ended.");

  py::class_<ScanIterator>(m, "ScanIterator", "Batches of a scan: dicts of column lists.")
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__",
           [](ScanIterator& it) {
             int64_t first_row = 0;
             std::optional<RecordBatch> batch = it.Next(&first_row);
             if (!batch) throw py::stop_iteration();
             return BatchToColumns(*batch, first_row);
           })
      .def_property_readonly(
          "metrics", [](ScanIterator& it) { return MetricsDict(it.metrics()); },
          "What the scan looked at and skipped so far, as a dict: manifests_considered,\n"
          "manifests_pruned, data_files_considered, data_files_pruned,\n"
          "row_groups_considered, row_groups_pruned, bytes_read (compressed bytes of the\n"
          "column chunks read), pages_read, pages_skipped (data pages decompressed, and\n"
          "passed over because the page index or the filter columns ruled their rows\n"
          "out), delete_files, rows_deleted (rows delete files removed),\n"
          "rows_returned, files_counted_from_metadata. Complete once\n"
          "the iterator is exhausted.");

  py::class_<PySchemaUpdate> schema_update(
      m, "SchemaUpdate",
      "Schema changes gathered by Table.update_schema(), committed together by commit()\n"
      "or at the end of a `with` block. Each method returns the update, for chaining.");
  schema_update
      .def(
          "add_column",
          [](PySchemaUpdate& u, py::handle name, py::handle type,
             py::handle doc) -> PySchemaUpdate& {
            u.CheckOpen();
            u.update.AddColumn(StrArg(name, "name"), DataType::Parse(StrArg(type, "type")),
                               doc.is_none() ? "" : StrArg(doc, "doc"));
            return u;
          },
          py::arg("name"), py::arg("type"), py::arg("doc") = py::none(),
          py::return_value_policy::reference_internal,
          "Adds an optional column (type: an Iceberg type string such as \"long\" or\n"
          "\"decimal(18, 2)\") at the end; old rows read it as None.")
      .def(
          "rename_column",
          [](PySchemaUpdate& u, py::handle name, py::handle new_name) -> PySchemaUpdate& {
            u.CheckOpen();
            u.update.RenameColumn(StrArg(name, "name"), StrArg(new_name, "new_name"));
            return u;
          },
          py::arg("name"), py::arg("new_name"), py::return_value_policy::reference_internal,
          "Renames a column; its field id, and so its data, stays.")
      .def(
          "drop_column",
          [](PySchemaUpdate& u, py::handle name) -> PySchemaUpdate& {
            u.CheckOpen();
            u.update.DropColumn(StrArg(name, "name"));
            return u;
          },
          py::arg("name"), py::return_value_policy::reference_internal,
          "Drops a column; its field id is never reused.")
      .def(
          "widen_column",
          [](PySchemaUpdate& u, py::handle name, py::handle type) -> PySchemaUpdate& {
            u.CheckOpen();
            u.update.WidenColumn(StrArg(name, "name"), DataType::Parse(StrArg(type, "type")));
            return u;
          },
          py::arg("name"), py::arg("type"), py::return_value_policy::reference_internal,
          "Promotes a column: int to long, float to double, decimal(P,S) to decimal(P',S).")
      .def(
          "move_first",
          [](PySchemaUpdate& u, py::handle name) -> PySchemaUpdate& {
            u.CheckOpen();
            u.update.MoveFirst(StrArg(name, "name"));
            return u;
          },
          py::arg("name"), py::return_value_policy::reference_internal,
          "Moves a column to the first position; only its position changes.")
      .def(
          "move_before",
          [](PySchemaUpdate& u, py::handle name, py::handle other) -> PySchemaUpdate& {
            u.CheckOpen();
            u.update.MoveBefore(StrArg(name, "name"), StrArg(other, "before_name"));
            return u;
          },
          py::arg("name"), py::arg("before_name"), py::return_value_policy::reference_internal,
          "Moves a column to just before column `before_name`.")
      .def(
          "move_after",
          [](PySchemaUpdate& u, py::handle name, py::handle other) -> PySchemaUpdate& {
            u.CheckOpen();
            u.update.MoveAfter(StrArg(name, "name"), StrArg(other, "after_name"));
            return u;
          },
          py::arg("name"), py::arg("after_name"), py::return_value_policy::reference_internal,
          "Moves a column to just after column `after_name`.");
  DefCommit(schema_update,
            "Commits the changes as the table's new schema and returns it. InvalidArgument\n"
            "naming the column and the rule for an unsafe change (nothing is written);\n"
            "ConcurrentModificationException when the schema changed meanwhile.");

  py::class_<PySpecUpdate> spec_update(
      m, "PartitionSpecUpdate",
      "Partition spec changes gathered by Table.update_spec(), committed together by\n"
      "commit() or at the end of a `with` block. Each method returns the update, for chaining.");
  spec_update
      .def(
          "add_field",
          [](PySpecUpdate& u, py::handle source, py::handle transform,
             py::handle name) -> PySpecUpdate& {
            u.CheckOpen();
            u.update.AddField(StrArg(source, "source_column_name"),
                              Transform::Parse(StrArg(transform, "transform")),
                              name.is_none() ? "" : StrArg(name, "partition_field_name"));
            return u;
          },
          py::arg("source_column_name"), py::arg("transform") = "identity",
          py::arg("partition_field_name") = py::none(), py::return_value_policy::reference_internal,
          "Partitions new appends also by `transform` (Iceberg's transform string:\n"
          "\"identity\", \"bucket[16]\", \"truncate[4]\", \"year\", \"month\", \"day\",\n"
          "\"hour\") of the column; the field is named `partition_field_name` or by default\n"
          "as create names it (col, col_bucket, col_trunc, col_day, ...).")
      .def(
          "remove_field",
          [](PySpecUpdate& u, py::handle name) -> PySpecUpdate& {
            u.CheckOpen();
            u.update.RemoveField(StrArg(name, "name"));
            return u;
          },
          py::arg("name"), py::return_value_policy::reference_internal,
          "Stops partitioning new appends by the partition field of this name.");
  DefCommit(spec_update,
            "Commits the changes as the table's new default partition spec and returns it:\n"
            "new appends use it, files written before keep theirs. InvalidArgument naming the\n"
            "field and the rule for a bad change (nothing is written);\n"
            "ConcurrentModificationException when the schema or spec changed meanwhile.");

  py::class_<PyTable>(m, "Table",
                      "An Iceberg v2 table in a folder, shared by many processes. Safe to\n"
                      "share between threads; pickles as its path (reopened on unpickling).")
      .def_readonly("table_path", &PyTable::path, "The table folder as an absolute path.")
      .def_property_readonly("location", [](const PyTable& t) { return t.table.location(); })
      .def_property_readonly("schema", [](const PyTable& t) { return t.table.schema(); })
      .def_property_readonly("spec", [](const PyTable& t) { return t.table.spec(); })
      .def_property_readonly("metadata_version",
                             [](const PyTable& t) { return t.table.metadata_version(); })
      .def_property_readonly("properties",
                             [](const PyTable& t) { return t.table.metadata().properties; })
      .def(
          "refresh",
          [](PyTable& t) {
            py::gil_scoped_release unlocked;
            t.table.Refresh();
          },
          "Loads the newest committed metadata.")
      .def(
          "current_snapshot",
          [](PyTable& t) {
            py::gil_scoped_release unlocked;
            return t.table.CurrentSnapshot();
          },
          "Refreshes, then returns the current Snapshot (None for an empty table).")
      .def(
          "snapshot",
          [](const PyTable& t, py::handle id) {
            return t.table.SnapshotById(IntArg(id, "snapshot_id"));
          },
          py::arg("snapshot_id"), "The snapshot with this id as last loaded, or None.")
      .def(
          "history", [](const PyTable& t) { return t.table.History(); },
          "Snapshots kept in the metadata as last loaded, oldest first.")
      .def(
          "new_transaction",
          [](PyTable& t, py::handle expected, py::handle guard_where, bool guard_changed_columns,
             py::handle fencing_tokens, py::handle lock, py::handle commit_id, py::handle props) {
            return NewTransaction(t, TransactionArgs{expected, guard_where, guard_changed_columns,
                                                     fencing_tokens, lock, commit_id, props});
          },
          py::kw_only(), py::arg("expected_snapshot_id") = py::none(),
          py::arg("guard_where") = py::none(), py::arg("guard_changed_columns") = false,
          py::arg("fencing_tokens") = py::none(), py::arg("lock") = py::none(),
          py::arg("commit_id") = py::none(), py::arg("snapshot_properties") = py::none(),
          "Starts a transaction on the current snapshot (docs/python.md, docs/locking.md).\n"
          "expected_snapshot_id makes it an optimistic offline lock: commit() raises\n"
          "ConcurrentModificationException naming what changed, without retrying, if the\n"
          "guarded scope changed since that snapshot (NO_SNAPSHOT: the empty table). The\n"
          "scope is the table, or with guard_where (a filter string) the rows it matches,\n"
          "or with guard_changed_columns=True the columns this transaction's update sets\n"
          "in the rows its filter matches. fencing_tokens={resource: token} fences the\n"
          "commit (StaleFencingToken when the table saw a newer token). lock=\n"
          "manager.lock_spec(...) takes those locks first (waiting as the spec says), fences\n"
          "the commit with their tokens and releases them when the transaction ends.")
      .def(
          "append_records",
          [](PyTable& t, py::handle records, py::handle schema, py::handle partition_values,
             const py::kwargs& options) {
            if (std::optional<TransactionArgs> a = TransactionKwargs(options, "append_records")) {
              std::unique_ptr<PyTransaction> tx = NewTransaction(t, *a);
              tx->AppendData(records, schema, partition_values);
              return tx->Commit();
            }
            const Schema input = SchemaArg(schema, t.table);
            const std::vector<Record> rows = ToRecords(records, input);
            const PartitionValues values = ToPartitionValues(partition_values, input);
            py::gil_scoped_release unlocked;
            return t.table.AppendRecords(rows, input, values);
          },
          py::arg("records"), py::arg("schema") = py::none(),
          py::arg("partition_values") = py::none(),
          "Appends records in one transaction and commits it; returns True. Same checks\n"
          "and errors as Transaction.append_data and commit. Keywords of\n"
          "new_transaction (expected_snapshot_id, guard_where, fencing_tokens, lock, ...)\n"
          "apply to that transaction.")
      .def(
          "delete",
          [](PyTable& t, const std::string& where, const py::kwargs& options) {
            if (std::optional<TransactionArgs> a = TransactionKwargs(options, "delete")) {
              std::unique_ptr<PyTransaction> tx = NewTransaction(t, *a);
              const int64_t rows = tx->Delete(where);
              tx->Commit();
              return rows;
            }
            py::gil_scoped_release unlocked;
            Transaction tx = t.table.NewTransaction();
            const int64_t rows = tx.Delete(where);
            tx.Commit();
            return rows;
          },
          py::arg("where"),
          "Deletes the rows `where` matches in one transaction (Transaction.delete) and\n"
          "commits it; returns how many rows it deleted. Keywords of new_transaction\n"
          "apply to that transaction.")
      .def(
          "update",
          [](PyTable& t, py::handle set, const std::string& where, const py::kwargs& options) {
            if (std::optional<TransactionArgs> a = TransactionKwargs(options, "update")) {
              std::unique_ptr<PyTransaction> tx = NewTransaction(t, *a);
              const int64_t rows = tx->Update(set, where);
              tx->Commit();
              return rows;
            }
            const std::map<std::string, Value> values =
                AssignmentsArg(set, t.table.schema(), t.path);
            py::gil_scoped_release unlocked;
            Transaction tx = t.table.NewTransaction();
            const int64_t rows = tx.Update(values, where);
            tx.Commit();
            return rows;
          },
          py::arg("set"), py::arg("where"),
          "Sets the columns of dict `set` in the rows `where` matches in one transaction\n"
          "(Transaction.update) and commits it; returns how many rows it changed.\n"
          "Keywords of new_transaction apply to that transaction.")
      .def(
          "compact",
          [](PyTable& t, py::handle target) {
            CompactOptions options;
            if (!target.is_none())
              options.target_file_size_bytes = IntArg(target, "target_file_size_bytes", 1);
            CompactReport r;
            {
              py::gil_scoped_release unlocked;
              r = t.table.Compact(options);
            }
            py::dict out;
            out["snapshot_id"] = r.snapshot_id ? py::cast(*r.snapshot_id) : py::none();
            out["files_rewritten"] = r.files_rewritten;
            out["files_given_back"] = r.files_given_back;
            out["files_written"] = r.files_written;
            out["rows"] = r.rows;
            out["deleted_rows"] = r.deleted_rows;
            out["delete_files_removed"] = r.delete_files_removed;
            out["bytes_before"] = r.bytes_before;
            out["bytes_after"] = r.bytes_after;
            return out;
          },
          py::arg("target_file_size_bytes") = py::none(),
          "Rewrites small data files and files with deletes into files of the target\n"
          "size (default: table property write.target-file-size-bytes), per partition, as\n"
          "one replace snapshot (`datashard compact`); returns {snapshot_id (None: nothing\n"
          "to compact), files_rewritten, files_given_back, files_written, rows, deleted_rows,\n"
          "delete_files_removed, bytes_before, bytes_after}.")
      .def(
          "scan",
          [](PyTable& t, py::handle columns, py::handle snapshot_id, py::handle as_of,
             py::handle filter) {
            std::unique_ptr<ScanIterator> it =
                StartScan(t, columns, snapshot_id, as_of, filter, 65536);
            py::list rows;
            int64_t first_row = 0;
            while (std::optional<RecordBatch> batch = it->Next(&first_row)) {
              for (size_t i = 0; i < batch->num_rows(); ++i) {
                if (i % kRowsPerSignalCheck == 0) CheckSignals();
                rows.append(RowToDict(*batch, i, first_row + static_cast<int64_t>(i)));
              }
            }
            return rows;
          },
          py::kw_only(), py::arg("columns") = py::none(), py::arg("snapshot_id") = py::none(),
          py::arg("as_of") = py::none(), py::arg("filter") = py::none(),
          "Rows of a snapshot (by default the newest committed one; or the one current at\n"
          "`as_of`, a datetime or epoch milliseconds) as dicts keyed by column name, in\n"
          "data file order. `filter` keeps the rows a text expression is true for\n"
          "(\"id > 5 and day >= '2024-03-05'\"); InvalidArgument naming the column and\n"
          "literal when it does not fit the schema.")
      .def(
          "scan_batches",
          [](PyTable& t, py::handle columns, py::handle snapshot_id, py::handle as_of,
             py::handle filter, py::handle batch_size) {
            return StartScan(t, columns, snapshot_id, as_of, filter,
                             IntArg(batch_size, "batch_size"));
          },
          py::kw_only(), py::arg("columns") = py::none(), py::arg("snapshot_id") = py::none(),
          py::arg("as_of") = py::none(), py::arg("filter") = py::none(),
          py::arg("batch_size") = 65536, py::keep_alive<0, 1>(),
          "Like scan, as an iterator of batches: dicts of column name to list of values.\n"
          "Memory is bounded by batch_size rows per reading thread. The iterator's\n"
          "`metrics` tell what the filter pruned.")
      .def(
          "to_pandas",
          [](PyTable& t, py::handle columns, py::handle snapshot_id, py::handle as_of,
             py::handle filter) {
            py::module_ pandas = py::module_::import("pandas");
            std::unique_ptr<ScanIterator> it =
                StartScan(t, columns, snapshot_id, as_of, filter, 65536);
            py::list frames;
            py::list names;
            int64_t first_row = 0;
            while (std::optional<RecordBatch> batch = it->Next(&first_row)) {
              CheckSignals();
              if (names.size() == 0) {
                for (const Field& f : batch->schema.fields()) names.append(f.name);
              }
              frames.append(pandas.attr("DataFrame")(BatchToColumns(*batch, first_row),
                                                     py::arg("columns") = names));
            }
            if (frames.empty()) {
              const std::vector<std::string> chosen = ColumnsOf(columns);
              const Schema schema = t.table.schema();
              if (chosen.empty()) {
                for (const Field& f : schema.fields()) names.append(f.name);
              } else {
                for (const std::string& c : chosen) names.append(c);
              }
              return pandas.attr("DataFrame")(py::arg("columns") = names);
            }
            return pandas.attr("concat")(frames, py::arg("ignore_index") = true);
          },
          py::kw_only(), py::arg("columns") = py::none(), py::arg("snapshot_id") = py::none(),
          py::arg("as_of") = py::none(), py::arg("filter") = py::none(),
          "Like scan, as a pandas DataFrame (needs pandas).")
      .def("count", &CountRows, py::kw_only(), py::arg("filter") = py::none(),
           py::arg("snapshot_id") = py::none(), py::arg("as_of") = py::none(),
           "Number of rows scan would return with these arguments. Data files the filter\n"
           "is absent for, or true for every row of, count from their metadata unread.")
      .def(
          "stats",
          [](PyTable& t) {
            py::gil_scoped_release unlocked;
            return t.table.Stats();
          },
          "Commit, retry and conflict counters and table facts (refreshes first).")
      .def(
          "checkpoint",
          [](PyTable& t) {
            CheckpointResult r;
            {
              py::gil_scoped_release unlocked;
              r = t.table.Checkpoint();
            }
            py::dict out;
            out["snapshot_id"] = r.snapshot_id ? py::object(py::int_(*r.snapshot_id)) : py::none();
            out["records"] = r.records;
            out["rows"] = r.rows;
            out["data_files"] = r.data_files;
            return out;
          },
          "Folds the table's ingest log into one snapshot (docs/ingest-log.md) and returns\n"
          "{snapshot_id (None: nothing to fold), records, rows, data_files}. Waits for a\n"
          "checkpoint another process is running; InvalidArgument without an ingest log.")
      .def(
          "verify",
          [](PyTable& t, bool deep) {
            VerifyReport r;
            {
              py::gil_scoped_release unlocked;
              VerifyOptions options;
              options.deep = deep;
              r = t.table.Verify(options);
            }
            py::dict out;
            out["ok"] = r.ok();
            out["snapshots"] = r.snapshots;
            out["manifest_lists"] = r.manifest_lists;
            out["manifests"] = r.manifests;
            out["data_files"] = r.data_files;
            out["delete_files"] = r.delete_files;
            out["bytes"] = r.bytes;
            out["rows_decoded"] = r.rows_decoded;
            out["log_records"] = r.log_records;
            out["problem_count"] = r.problem_count;
            out["problems"] = r.problems;
            return out;
          },
          py::kw_only(), py::arg("deep") = false,
          "Checks every file the table references (all snapshots): present with its recorded\n"
          "size and row count, parsing, manifests and summaries adding up, the ingest log's\n"
          "tail intact; deep=True also decodes every page. Returns {ok, snapshots, manifests,\n"
          "data_files, delete_files, bytes, rows_decoded, log_records, problem_count, problems}\n"
          "(problems: one text per problem, naming the file). Read-only; never raises for damage.")
      .def(
          "update_schema",
          [](const PyTable& t) {
            return PySchemaUpdate{t.table, "schema update", {}, false};
          },
          "Starts a schema change (Iceberg's evolution by field id): chain add_column,\n"
          "rename_column, drop_column, widen_column, move_first, move_before and\n"
          "move_after, then commit(); or use it in a `with` block, which commits at its end.")
      .def(
          "update_spec",
          [](const PyTable& t) {
            return PySpecUpdate{t.table, "partition spec update", {}, false};
          },
          "Starts a partition spec change (Iceberg's partition evolution): chain add_field\n"
          "and remove_field, then commit(); or use it in a `with` block, which commits at\n"
          "its end. New appends use the new spec; files written before keep theirs.")
      .def(
          "set_properties",
          [](PyTable& t, py::handle properties, py::handle remove) {
            std::vector<std::string> keys;
            if (!remove.is_none()) {
              for (py::handle k : remove) keys.push_back(StrArg(k, "remove"));
            }
            const std::map<std::string, std::string> set = PropertiesOf(properties);
            py::gil_scoped_release unlocked;
            t.table.SetProperties(set, keys);
          },
          py::arg("properties") = py::none(), py::kw_only(), py::arg("remove") = py::none(),
          "Sets table properties (a dict) and removes those named in `remove`, in one\n"
          "commit. InvalidArgument for a value datashard cannot read.")
      .def(
          "expire_snapshots",
          [](PyTable& t, py::handle older_than, py::handle retain_last) {
            ExpireOptions options;
            options.older_than_ms = DurationMillis(older_than);
            if (!retain_last.is_none()) options.retain_last = IntArg(retain_last, "retain_last", 1);
            ExpireReport r;
            {
              py::gil_scoped_release unlocked;
              r = t.table.ExpireSnapshots(options);
            }
            py::dict out;
            out["expired_snapshot_ids"] = r.expired_snapshot_ids;
            out["kept_snapshots"] = r.kept_snapshots;
            out["manifest_lists"] = r.manifest_lists;
            out["manifests"] = r.manifests;
            out["data_files"] = r.data_files;
            out["delete_files"] = r.delete_files;
            out["statistics_files"] = r.statistics_files;
            out["bytes"] = r.bytes;
            out["grace_ms"] = r.grace_ms;
            out["delete_after_ms"] = r.delete_after_ms;
            return out;
          },
          py::kw_only(), py::arg("older_than") = py::none(), py::arg("retain_last") = py::none(),
          "Expires snapshots older than `older_than` (a timedelta or milliseconds; default:\n"
          "property history.expire.max-snapshot-age-ms) except the newest `retain_last`\n"
          "(default: history.expire.min-snapshots-to-keep; never the current one), in one\n"
          "commit, and deletes the files only they referenced after the table's grace\n"
          "period (`datashard expire`). Returns {expired_snapshot_ids, kept_snapshots,\n"
          "manifest_lists, manifests, data_files, delete_files, statistics_files, bytes,\n"
          "grace_ms, delete_after_ms}.")
      .def_readonly("identifier", &PyTable::identifier,
                    "namespace.table of a table opened through a catalog, else ''.")
      .def("__repr__",
           [](const PyTable& t) {
             if (t.catalog.empty()) return "Table('" + t.path + "')";
             return "Table('" + t.identifier + "', folder '" + t.path + "')";
           })
      .def("__reduce__", [](const PyTable& t) {
        py::object open = py::module_::import("datashard").attr("open_table");
        if (t.catalog.empty()) return py::make_tuple(open, py::make_tuple(t.path));
        return py::make_tuple(
            py::module_::import("functools").attr("partial")(open, py::arg("catalog") = t.catalog),
            py::make_tuple(t.identifier));
      });

  py::class_<PyCatalog>(
      m, "Catalog",
      "A SQL catalog: tables registered by name (namespace.table) in a SQLite file or a\n"
      "PostgreSQL database, in PyIceberg's SqlCatalog layout (docs/scale-out.md).\n"
      "Catalog(url, name='datashard'); url: 'sqlite:PATH' or 'postgresql://...'.")
      .def(py::init([](const std::string& url, const std::string& name) {
             CatalogOptions options;
             options.name = name;
             py::gil_scoped_release unlocked;
             return PyCatalog{Catalog::Open(url, options), url};
           }),
           py::arg("url"), py::arg("name") = "datashard")
      .def_property_readonly("url", [](const PyCatalog& c) { return c.catalog.url(); })
      .def_property_readonly("name", [](const PyCatalog& c) { return c.catalog.name(); })
      .def(
          "create_table",
          [](PyCatalog& c, const std::string& identifier, const Schema& schema, py::handle location,
             py::handle partition_spec, py::handle properties) {
            return CreateIn(c, identifier, location, schema, partition_spec, properties);
          },
          py::arg("identifier"), py::arg("schema"), py::kw_only(), py::arg("location"),
          py::arg("partition_spec") = py::none(), py::arg("properties") = py::none(),
          "Creates table namespace.table with its files in folder `location`, or opens it\n"
          "when it exists alike (AlreadyExists naming the difference otherwise).")
      .def("load_table", &LoadFrom, py::arg("identifier"),
           "Opens table namespace.table; NotFound if the catalog has none.")
      .def(
          "table_exists",
          [](PyCatalog& c, const std::string& id) {
            return Released([&] { return c.catalog.TableExists(id); });
          },
          py::arg("identifier"))
      .def(
          "list_tables",
          [](PyCatalog& c, const std::string& ns) {
            return Released([&] { return c.catalog.ListTables(ns); });
          },
          py::arg("namespace"), "Identifiers of the tables of a namespace, sorted.")
      .def(
          "drop_table",
          [](PyCatalog& c, const std::string& id) {
            Released([&] {
              c.catalog.DropTable(id);
              return 0;
            });
          },
          py::arg("identifier"), "Removes the table from the catalog; its files stay.")
      .def(
          "rename_table",
          [](PyCatalog& c, const std::string& from, const std::string& to) {
            Released([&] {
              c.catalog.RenameTable(from, to);
              return 0;
            });
          },
          py::arg("from_identifier"), py::arg("to_identifier"))
      .def(
          "create_namespace",
          [](PyCatalog& c, const std::string& ns, py::handle properties) {
            const auto props = PropertiesOf(properties);
            Released([&] {
              c.catalog.CreateNamespace(ns, props);
              return 0;
            });
          },
          py::arg("namespace"), py::arg("properties") = py::none())
      .def(
          "namespace_exists",
          [](PyCatalog& c, const std::string& ns) {
            return Released([&] { return c.catalog.NamespaceExists(ns); });
          },
          py::arg("namespace"))
      .def(
          "list_namespaces",
          [](PyCatalog& c, const std::string& parent) {
            return Released([&] { return c.catalog.ListNamespaces(parent); });
          },
          py::arg("parent") = "", "Namespaces one level below `parent`, sorted.")
      .def(
          "namespace_properties",
          [](PyCatalog& c, const std::string& ns) {
            return Released([&] { return c.catalog.NamespaceProperties(ns); });
          },
          py::arg("namespace"))
      .def(
          "drop_namespace",
          [](PyCatalog& c, const std::string& ns) {
            Released([&] {
              c.catalog.DropNamespace(ns);
              return 0;
            });
          },
          py::arg("namespace"), "Drops an empty namespace.")
      .def(
          "rename_namespace",
          [](PyCatalog& c, const std::string& from, const std::string& to) {
            Released([&] {
              c.catalog.RenameNamespace(from, to);
              return 0;
            });
          },
          py::arg("from_namespace"), py::arg("to_namespace"))
      .def("__repr__", [](const PyCatalog& c) {
        return "Catalog('" + c.catalog.url() + "', name='" + c.catalog.name() + "')";
      });

  m.def("create_table", &Create, py::arg("path"), py::arg("schema"),
        py::arg("partition_spec") = py::none(), py::arg("properties") = py::none(), py::kw_only(),
        py::arg("catalog") = py::none(), py::arg("location") = py::none(),
        "Creates the table in folder `path`, or opens it when it exists with the same\n"
        "schema and partition spec (many processes may call this at once). AlreadyExists\n"
        "naming the difference when the existing table differs. partition_spec: a\n"
        "PartitionSpec or a text like \"day(ts), bucket(16, id)\"; properties: Iceberg\n"
        "table properties. With catalog= (a Catalog or its URL), `path` is the\n"
        "identifier namespace.table and location= the folder for its files.");
  m.def("open_table", &Open, py::arg("path"), py::kw_only(), py::arg("catalog") = py::none(),
        "Opens the table in folder `path`; NotFound if there is none. `path` may also\n"
        "name one metadata file (e.g. metadata/00003-<uuid>.metadata.json of a table a\n"
        "catalog wrote): the table is then pinned to that version and read-only. With\n"
        "catalog= (a Catalog or its URL), `path` is the identifier namespace.table.");
}

}  // namespace datashard::python
