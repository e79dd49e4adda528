// Table commands of DESIGN.md §11, on the file catalog or a SQL catalog: create, append,
// delete, update, checkpoint, compact, verify, gc, scan, count, history, stats. Parsing and
// printing only; the table API does the work.
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "datashard/errors.h"
#include "datashard/scan.h"
#include "datashard/table.h"
#include "format/json/json_lines_reader.h"
#include "format/json/value_json.h"
#include "metadata/manifest.h"

namespace datashard::cli {
namespace {

// TABLE of the read commands: OpenTable also takes one metadata file.
constexpr const char* kReadTableHelp =
    "Table folder, or one metadata file (e.g. metadata/00003-<uuid>.metadata.json, also "
    "gzip-compressed) of a table a catalog wrote: read-only, pinned to that version";

struct TableArgs {
  bool deep = false;
  bool dry_run = false;
  TableArgument table;
  std::string schema;
  std::string partition_by;
  std::vector<std::string> properties;
  std::string input = "-";
  std::string columns;
  std::string format = "jsonl";
  std::string as_of;
  std::string where;
  bool stats = false;
  std::string snapshot;  // empty: the current snapshot
  int64_t limit = -1;    // negative: no limit
  bool json = false;
  bool ingest_log = false;
  std::string set;                          // update --set COL=VALUE[,...]
  std::string expected_snapshot;            // GUARD --expected-snapshot ID; empty: none
  std::string guard_where;                  // GUARD --guard-where EXPR
  std::string lock;                         // GUARD --lock RESOURCE
  std::string owner;                        // GUARD --owner O
  std::string backend;                      // GUARD --backend URL; empty: the default
  std::vector<std::string> fencing_tokens;  // GUARD --fencing-token RESOURCE=N
  int64_t target_file_size = 0;             // compact; 0: the table's property
};

// The text of SCHEMA: inline JSON or @file.
std::string ReadArgumentText(const std::string& arg) {
  if (!arg.empty() && arg[0] == '@') return DefaultFileIO()->ReadFile(arg.substr(1));
  return arg;
}

Schema ParseSchemaArgument(const std::string& arg) {
  const std::string text = ReadArgumentText(arg);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw InvalidArgument(std::string("--schema is not JSON: ") + e.what());
  }
  return SchemaFromJson(j);
}

int64_t ParseLong(const std::string& text, const std::string& what) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end)
    throw InvalidArgument(what + " '" + text + "' is not an integer");
  return v;
}

// --as-of TIME: epoch milliseconds or an ISO-8601 timestamp (UTC unless it
// carries an offset), in milliseconds since the epoch.
int64_t AsOfMillis(const std::string& time) {
  if (std::all_of(time.begin(), time.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return ParseLong(time, "--as-of");
  }
  const bool zoned =
      time.find('+') != std::string::npos || time.back() == 'Z' || time.rfind('-') > time.find('T');
  return ParseTimestamp(time, zoned) / 1000;
}

// The snapshot of --snapshot ID or --as-of TIME; neither: the current one.
void ChooseSnapshot(TableScan& scan, const TableArgs& a) {
  if (!a.snapshot.empty() && !a.as_of.empty()) {
    throw InvalidArgument("give --snapshot or --as-of, not both");
  }
  if (!a.snapshot.empty()) scan.UseSnapshot(ParseLong(a.snapshot, "--snapshot"));
  if (!a.as_of.empty()) scan.AsOf(AsOfMillis(a.as_of));
}

std::vector<std::string> SplitColumns(const std::string& text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  size_t i = 0;
  while (i <= text.size()) {
    const size_t j = std::min(text.find(',', i), text.size());
    std::string c = text.substr(i, j - i);
    c.erase(0, c.find_first_not_of(' '));
    c.erase(c.find_last_not_of(' ') + 1);
    if (c.empty()) throw InvalidArgument("--columns '" + text + "' has an empty column name");
    out.push_back(c);
    i = j + 1;
  }
  return out;
}

// A CSV field: the text of the value's JSON form (a JSON string's contents),
// quoted when it holds a comma, quote or line break.
void AppendCsvText(std::string_view text, std::string* out) {
  if (text.find_first_of(",\"\n\r") == std::string_view::npos) {
    out->append(text);
    return;
  }
  out->push_back('"');
  for (char c : text) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

// Row `r` of `column` as a CSV field (empty for null); strings and integers
// straight from the column, other types through their JSON form.
void AppendCsvField(const ColumnVector& column, size_t r, std::string* out) {
  if (column.is_null(r)) return;
  switch (column.type().id) {
    case TypeId::kString:
      AppendCsvText(column.bytes_at(r), out);
      return;
    case TypeId::kInt:
    case TypeId::kLong:
      AppendCellJson(column, r, out);
      return;
    default: {
      const nlohmann::json j = ValueToJson(column.Get(r), column.type());
      AppendCsvText(j.is_string() ? j.get<std::string>() : j.dump(), out);
      return;
    }
  }
}

// A cell of --format table: one line whatever the value holds (control
// characters as C escapes), so rows stay one line each.
std::string TableCell(const Value& v, const DataType& type) {
  if (v.is_null()) return "NULL";
  const nlohmann::json j = ValueToJson(v, type);
  const std::string text = j.is_string() ? j.get<std::string>() : j.dump();
  std::string cell;
  for (const char c : text) {
    if (c == '\n') {
      cell += "\\n";
    } else if (c == '\r') {
      cell += "\\r";
    } else if (c == '\t') {
      cell += "\\t";
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", static_cast<unsigned char>(c));
      cell += escaped;
    } else {
      cell += c;
    }
  }
  return cell;
}

// Width of UTF-8 text in characters (code points), for aligning columns.
size_t DisplayWidth(const std::string& text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// A one-line progress report on stderr for work that runs longer than a
// second, only when stderr is a terminal; erased when the work ends.
class TerminalProgress {
 public:
  TerminalProgress() : tty_(isatty(STDERR_FILENO) == 1), start_(std::chrono::steady_clock::now()) {}

  // `text` is asked for only when a line is due.
  template <typename Text>
  void Update(Text text) {
    if (!tty_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - start_ < std::chrono::seconds(1) || now - last_ < std::chrono::milliseconds(200))
      return;
    last_ = now;
    std::fprintf(stderr, "\r%s ",
                 text(std::chrono::duration<double>(now - start_).count()).c_str());
    shown_ = true;
  }

  void Finish() {
    if (shown_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  bool tty_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
};

nlohmann::json MetricsJson(const ScanMetrics& m) {
  return {{"manifests_considered", m.manifests_considered},
          {"manifests_pruned", m.manifests_pruned},
          {"data_files_considered", m.data_files_considered},
          {"data_files_pruned", m.data_files_pruned},
          {"row_groups_considered", m.row_groups_considered},
          {"row_groups_pruned", m.row_groups_pruned},
          {"bytes_read", m.bytes_read},
          {"pages_read", m.pages_read},
          {"pages_skipped", m.pages_skipped},
          {"delete_files", m.delete_files},
          {"rows_deleted", m.rows_deleted},
          {"rows_returned", m.rows_returned}};
}

void RunScan(const TableArgs& a) {
  if (a.format != "jsonl" && a.format != "csv" && a.format != "table") {
    throw InvalidArgument("--format must be jsonl, csv or table, not '" + a.format + "'");
  }
  Table table = OpenTableArgument(a.table);
  TableScan builder = NewScan(table);
  builder.Select(SplitColumns(a.columns)).Ordered();
  ChooseSnapshot(builder, a);
  if (!a.where.empty()) builder.Filter(a.where);
  std::unique_ptr<ScanReader> reader = builder.Open();
  TerminalProgress progress;
  const Schema& schema = reader->schema();
  const auto& fields = schema.fields();
  int64_t left = a.limit < 0 ? INT64_MAX : a.limit;
  std::vector<std::vector<std::string>> cells;  // --format table
  std::string out;
  if (a.format == "csv") {  // the header even when no row follows
    for (size_t c = 0; c < fields.size(); ++c) out += (c ? "," : "") + fields[c].name;
    std::cout << out << "\n";
    out.clear();
  }
  RecordBatch batch;
  while (left > 0 && reader->Next(&batch)) {
    const size_t rows = static_cast<size_t>(std::min<int64_t>(left, batch.num_rows()));
    if (a.format == "jsonl") {
      // Straight from the columns, without a Value per cell.
      AppendBatchJsonLines(batch, 0, rows, &out);
      left -= static_cast<int64_t>(rows);
    }
    for (size_t r = 0; a.format != "jsonl" && r < rows; ++r, --left) {
      if (a.format == "csv") {
        for (size_t c = 0; c < fields.size(); ++c) {
          if (c) out += ',';
          AppendCsvField(batch.columns[c], r, &out);
        }
        out += "\n";
      } else {
        const Record row = batch.Row(r);
        std::vector<std::string> line;
        for (size_t c = 0; c < row.size(); ++c) line.push_back(TableCell(row[c], fields[c].type));
        cells.push_back(std::move(line));
      }
    }
    std::cout << out;
    out.clear();
    progress.Update([&](double seconds) {
      const ScanMetrics m = reader->metrics();
      char line[160];
      std::snprintf(line, sizeof line, "%lld rows, %.1f MB read, %lld/%lld files pruned, %.1f s",
                    static_cast<long long>(m.rows_returned),
                    static_cast<double>(m.bytes_read) / 1e6,
                    static_cast<long long>(m.data_files_pruned),
                    static_cast<long long>(m.data_files_considered), seconds);
      return std::string(line);
    });
  }
  progress.Finish();
  if (a.format == "table") {
    std::vector<size_t> width;
    for (const Field& f : fields) width.push_back(DisplayWidth(f.name));
    for (const auto& line : cells) {
      for (size_t c = 0; c < line.size(); ++c) width[c] = std::max(width[c], DisplayWidth(line[c]));
    }
    // Cells padded to their column's width, except the last (no trailing blanks).
    const auto print = [&](const std::vector<std::string>& line) {
      for (size_t c = 0; c < line.size(); ++c) {
        out += (c ? " | " : "") + line[c];
        if (c + 1 < line.size()) out += std::string(width[c] - DisplayWidth(line[c]), ' ');
      }
      out += "\n";
    };
    std::vector<std::string> header;
    for (const Field& f : fields) header.push_back(f.name);
    print(header);
    for (size_t c = 0; c < width.size(); ++c) out += (c ? "-+-" : "") + std::string(width[c], '-');
    out += "\n";
    for (const auto& line : cells) print(line);
    std::cout << out;
  }
  if (a.stats) {
    std::cout.flush();
    std::cerr << "scan stats: " << MetricsJson(reader->metrics()).dump() << "\n";
  }
}

void RunCount(const TableArgs& a) {
  Table table = OpenTableArgument(a.table);
  TableScan builder = NewScan(table);
  ChooseSnapshot(builder, a);
  if (!a.where.empty()) builder.Filter(a.where);
  std::cout << builder.Count() << "\n";
}

// The lock of GUARD --lock RESOURCE --owner O: the owner's exclusive lease
// on RESOURCE when it holds one (taken earlier with `lock acquire`), else
// one taken now without waiting (exit 4 when held) and released when the
// command ends. Taken before the transaction reads.
class CommandLock {
 public:
  explicit CommandLock(const TableArgs& a) {
    if (a.lock.empty()) {
      if (!a.owner.empty() || !a.backend.empty())
        throw InvalidArgument("--owner and --backend go with --lock RESOURCE");
      return;
    }
    if (a.owner.empty()) throw InvalidArgument("--lock " + a.lock + " needs --owner");
    locks_ = OpenLockBackend(a.backend);
    for (const Lease& l : locks_->Inspect(a.lock)) {
      if (l.resource == a.lock && l.owner == a.owner && l.mode == LockMode::kExclusive) {
        lease_ = l;
        return;
      }
    }
    lease_ = locks_->Acquire(a.lock, a.owner, LockMode::kExclusive, std::chrono::seconds(60),
                             std::chrono::milliseconds(0));
    taken_ = true;
  }
  ~CommandLock() {
    if (!taken_) return;
    try {
      locks_->Release(*lease_);
    } catch (const Error&) {
      // Expired: free already; the commit was fenced where it landed.
    }
  }
  CommandLock(const CommandLock&) = delete;
  CommandLock& operator=(const CommandLock&) = delete;

  const std::optional<Lease>& lease() const { return lease_; }

 private:
  std::unique_ptr<LockManager> locks_;
  std::optional<Lease> lease_;
  bool taken_ = false;
};

// The transaction options of GUARD: --expected-snapshot ID, --guard-where
// EXPR, --fencing-token RESOURCE=N and the token of --lock.
TransactionOptions GuardOptions(const TableArgs& a, const CommandLock& lock) {
  TransactionOptions options;
  if (!a.expected_snapshot.empty())
    options.expected_snapshot_id = ParseLong(a.expected_snapshot, "--expected-snapshot");
  if (!a.guard_where.empty() && a.expected_snapshot.empty())
    throw InvalidArgument("--guard-where narrows --expected-snapshot, which is not given");
  options.guard_where = a.guard_where;
  for (const std::string& t : a.fencing_tokens) {
    const size_t eq = t.rfind('=');
    if (eq == std::string::npos || eq == 0)
      throw InvalidArgument("--fencing-token '" + t + "' is not RESOURCE=N");
    const int64_t token = ParseLong(t.substr(eq + 1), "--fencing-token " + t);
    if (token < 0) throw InvalidArgument("--fencing-token " + t + ": a token is not negative");
    options.fencing_tokens[t.substr(0, eq)] = static_cast<uint64_t>(token);
  }
  if (lock.lease()) options.fencing_tokens[lock.lease()->resource] = lock.lease()->fencing_token;
  return options;
}

// Splits `text` at commas outside single-quoted literals ('' is a quote).
std::vector<std::string> SplitAssignments(const std::string& text) {
  std::vector<std::string> parts(1);
  bool quoted = false;
  for (char c : text) {
    if (c == '\'') quoted = !quoted;
    if (c == ',' && !quoted) {
      parts.emplace_back();
    } else {
      parts.back() += c;
    }
  }
  return parts;
}

std::string Trim(const std::string& s) {
  const size_t first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

// --set COL=VALUE[,...] with VALUE an EXPR literal of the column's type.
std::map<std::string, Value> ParseAssignments(const std::string& text, const Schema& schema) {
  std::map<std::string, Value> set;
  for (const std::string& part : SplitAssignments(text)) {
    const size_t eq = part.find('=');
    if (eq == std::string::npos) throw InvalidArgument("--set '" + part + "' is not COL=VALUE");
    const std::string column = Trim(part.substr(0, eq));
    const int index = schema.IndexOf(column);
    if (index < 0)
      throw InvalidArgument("--set names column '" + column + "', which the table does not have");
    if (set.count(column)) throw InvalidArgument("--set names column '" + column + "' twice");
    try {
      set[column] = Expression::ParseLiteral(Trim(part.substr(eq + 1)),
                                             schema.fields()[static_cast<size_t>(index)]);
    } catch (const InvalidArgument& e) {
      throw InvalidArgument("--set " + Trim(part) + ": " + e.what());
    }
  }
  return set;
}

// Commits a delete or update and prints the table's snapshot after it: the
// new one, or the unchanged one when no row matched.
void PrintChange(const TableArgs& a, Table& table, Transaction& tx, int64_t rows) {
  tx.Commit();
  std::optional<int64_t> snapshot;
  if (const auto committed = tx.committed_snapshot()) {
    snapshot = committed->snapshot_id;
  } else if (const auto current = table.CurrentSnapshot()) {
    snapshot = current->snapshot_id;
  }
  if (a.json) {
    nlohmann::json out = {{"rows", rows}, {"committed", tx.committed_snapshot().has_value()}};
    out["snapshot_id"] = snapshot ? nlohmann::json(*snapshot) : nlohmann::json(nullptr);
    std::cout << out.dump() << "\n";
  } else if (snapshot) {
    std::cout << *snapshot << "\n";
  }
}

void RunDelete(const TableArgs& a) {
  const CommandLock lock(a);
  Table table = OpenTableArgument(a.table);
  Transaction tx = table.NewTransaction(GuardOptions(a, lock));
  const int64_t rows = tx.Delete(a.where);
  PrintChange(a, table, tx, rows);
}

void RunUpdate(const TableArgs& a) {
  const CommandLock lock(a);
  Table table = OpenTableArgument(a.table);
  const std::map<std::string, Value> set = ParseAssignments(a.set, table.schema());
  Transaction tx = table.NewTransaction(GuardOptions(a, lock));
  const int64_t rows = tx.Update(set, a.where);
  PrintChange(a, table, tx, rows);
}

void AddGuardOptions(CLI::App* command, TableArgs& a) {
  command
      ->add_option("--expected-snapshot", a.expected_snapshot,
                   "Commit only if nothing in the guarded scope (the table, or --guard-where) "
                   "changed since snapshot ID (-1: the empty table); otherwise exit 3 naming "
                   "what changed, without retrying")
      ->type_name("ID");
  command
      ->add_option("--guard-where", a.guard_where,
                   "Narrow --expected-snapshot to the rows EXPR matches: commits that leave "
                   "them as they were are rebased over")
      ->type_name("EXPR");
  command
      ->add_option("--lock", a.lock,
                   "Hold an exclusive lock on RESOURCE for the commit (the owner's lease if it "
                   "holds one, else taken now: exit 4 when held) and fence the commit with its "
                   "token")
      ->type_name("RESOURCE");
  command->add_option("--owner", a.owner, "Lock owner id for --lock")->type_name("O");
  command
      ->add_option("--backend", a.backend,
                   "Lock backend URL for --lock (sqlite:PATH, postgresql://..., redis://...; "
                   "default $DATASHARD_LOCKS or the per-user SQLite file)")
      ->type_name("URL");
  command
      ->add_option("--fencing-token", a.fencing_tokens,
                   "RESOURCE=N: refuse the commit (exit 1, StaleFencingToken) if the table "
                   "already accepted a newer token for RESOURCE; repeatable")
      ->allow_extra_args(false)
      ->type_name("RESOURCE=N");
}

void RunAppend(const TableArgs& a) {
  const CommandLock lock(a);
  Table table = OpenTableArgument(a.table);
  const Schema schema = table.schema();
  std::string text;
  if (a.input == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    text = DefaultFileIO()->ReadFile(a.input);  // the caller's file, not the table's
  }
  JsonLinesReader reader(schema, JsonLinesReader::FromText(text));
  std::vector<ColumnVector> columns;
  if (!reader.ReadBatch(SIZE_MAX, &columns)) {
    throw InvalidArgument("no rows to append: the input has no JSON Lines");
  }
  Transaction tx = table.NewTransaction(GuardOptions(a, lock));
  tx.AppendColumns(columns, schema);
  tx.Commit();
  if (const auto lsn = tx.committed_log_lsn()) {
    std::cout << *lsn << "\n";
  } else {
    std::cout << tx.committed_snapshot()->snapshot_id << "\n";
  }
}

void RunCompact(const TableArgs& a) {
  Table table = OpenTableArgument(a.table);
  CompactOptions options;
  options.target_file_size_bytes = a.target_file_size;
  const CompactReport r = table.Compact(options);
  std::optional<int64_t> snapshot = r.snapshot_id;
  if (!snapshot) {
    if (const auto current = table.CurrentSnapshot()) snapshot = current->snapshot_id;
  }
  if (a.json) {
    nlohmann::json out = {
        {"compacted", r.snapshot_id.has_value()}, {"files_rewritten", r.files_rewritten},
        {"files_written", r.files_written},       {"rows", r.rows},
        {"deleted_rows", r.deleted_rows},         {"delete_files_removed", r.delete_files_removed},
        {"bytes_before", r.bytes_before},         {"bytes_after", r.bytes_after},
        {"files_given_back", r.files_given_back}};
    out["snapshot_id"] = snapshot ? nlohmann::json(*snapshot) : nlohmann::json(nullptr);
    std::cout << out.dump() << "\n";
  } else if (snapshot) {
    std::cout << *snapshot << "\n";
  }
}

void RunVerify(const TableArgs& a) {
  Table table = OpenTableArgument(a.table);
  TerminalProgress progress;
  VerifyOptions options;
  options.deep = a.deep;
  options.progress = [&](int64_t done, int64_t total, const std::string&) {
    progress.Update([&](double) {
      return "checked " + std::to_string(done) + " of " + std::to_string(total) +
             " manifests and files";
    });
  };
  const VerifyReport r = table.Verify(options);
  progress.Finish();
  if (a.json) {
    std::cout << nlohmann::json{{"ok", r.ok()},
                                {"deep", a.deep},
                                {"snapshots", r.snapshots},
                                {"manifest_lists", r.manifest_lists},
                                {"manifests", r.manifests},
                                {"data_files", r.data_files},
                                {"delete_files", r.delete_files},
                                {"bytes", r.bytes},
                                {"rows_decoded", r.rows_decoded},
                                {"log_records", r.log_records},
                                {"problem_count", r.problem_count},
                                {"problems", r.problems}}
                     .dump()
              << "\n";
  } else {
    for (const std::string& p : r.problems) std::cout << "problem: " << p << "\n";
    if (r.problem_count > static_cast<int64_t>(r.problems.size())) {
      std::cout << "... and " << r.problem_count - static_cast<int64_t>(r.problems.size())
                << " more problems\n";
    }
    std::cout << (r.ok() ? "ok" : "FAILED") << ": " << r.snapshots << " snapshots, " << r.manifests
              << " manifests, " << r.data_files << " data files, " << r.delete_files
              << " delete files (" << r.bytes << " bytes)"
              << (a.deep ? ", " + std::to_string(r.rows_decoded) + " rows decoded" : "")
              << (r.log_records > 0 ? ", " + std::to_string(r.log_records) + " log records" : "")
              << " checked\n";
  }
  if (!r.ok()) {
    throw Corruption("verify found " + std::to_string(r.problem_count) + " problems in " +
                     a.table.table);
  }
}

void RunGc(const TableArgs& a) {
  Table table = OpenTableArgument(a.table);
  GcOptions options;
  options.dry_run = a.dry_run;
  const GcReport r = table.CollectGarbage(options);
  if (a.json) {
    nlohmann::json orphans = nlohmann::json::array();
    for (const GcReport::Orphan& o : r.orphans) {
      orphans.push_back({{"path", o.path}, {"size", o.size}, {"age_ms", o.age_ms}});
    }
    std::cout << nlohmann::json{{"dry_run", a.dry_run},
                                {"grace_ms", r.grace_ms},
                                {"metadata_versions", r.metadata_versions},
                                {"referenced", r.referenced},
                                {"orphans", orphans},
                                {"bytes", r.bytes},
                                {"young", r.young}}
                     .dump()
              << "\n";
    return;
  }
  for (const GcReport::Orphan& o : r.orphans) std::cout << o.path << "\n";
  std::cerr << (a.dry_run ? "would delete " : "deleted ") << r.orphans.size() << " orphan files ("
            << r.bytes << " bytes); kept " << r.young << " unreferenced files younger than "
            << r.grace_ms << " ms; " << r.referenced << " files referenced by "
            << r.metadata_versions << " metadata versions\n";
}

void RunCheckpoint(const TableArgs& a) {
  Table table = OpenTableArgument(a.table);
  const CheckpointResult r = table.Checkpoint();
  if (a.json) {
    std::cout << nlohmann::json{{"snapshot_id", r.snapshot_id ? nlohmann::json(*r.snapshot_id)
                                                              : nlohmann::json(nullptr)},
                                {"records", r.records},
                                {"rows", r.rows},
                                {"data_files", r.data_files}}
                     .dump()
              << "\n";
    return;
  }
  // Nothing new to fold: the current snapshot already holds the whole log.
  if (!r.snapshot_id) {
    const std::optional<Snapshot> current = table.CurrentSnapshot();
    if (current) std::cout << current->snapshot_id << "\n";
    return;
  }
  std::cout << *r.snapshot_id << "\n";
}

void RunHistory(const TableArgs& a) {
  Table table = OpenTableArgument(a.table);
  const std::vector<Snapshot> history = table.History();
  if (a.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const Snapshot& s : history) {
      out.push_back(
          {{"snapshot_id", s.snapshot_id},
           {"parent_snapshot_id",
            s.parent_snapshot_id ? nlohmann::json(*s.parent_snapshot_id) : nlohmann::json(nullptr)},
           {"timestamp_ms", s.timestamp_ms},
           {"sequence_number", s.sequence_number},
           {"operation", s.operation()},
           {"summary", s.summary}});
    }
    std::cout << out.dump() << "\n";
    return;
  }
  std::string out;
  for (const Snapshot& s : history) {
    out += std::to_string(s.snapshot_id) + "\tparent=" +
           (s.parent_snapshot_id ? std::to_string(*s.parent_snapshot_id) : std::string("none")) +
           "\t" + FormatTimestamp(s.timestamp_ms * 1000, true) + "\t" + s.operation() +
           "\tadded-records=" + std::to_string(s.SummaryLong("added-records")) +
           "\ttotal-records=" + std::to_string(s.SummaryLong("total-records")) + "\n";
  }
  std::cout << out;
}

void RunStats(const TableArgs& a) {
  Table table = OpenTableArgument(a.table);
  const TableStats s = table.Stats();
  int64_t manifests = 0;
  const TableMetadata m = table.metadata();
  if (const Snapshot* snap = m.CurrentSnapshot()) {
    manifests = static_cast<int64_t>(ReadManifestList(table.io(), snap->manifest_list).size());
  }
  nlohmann::json j = {
      {"commits", s.table_commits},
      {"retries", s.table_retries},
      {"conflicts", s.table_conflicts},
      {"files", s.data_files},
      {"rows", s.records + s.log_rows},
      {"bytes", s.bytes},
      {"snapshots", s.snapshots},
      {"manifests", manifests},
      {"metadata_version", s.metadata_version},
      {"current_snapshot_id",
       s.current_snapshot_id ? nlohmann::json(*s.current_snapshot_id) : nlohmann::json(nullptr)},
      {"log_appends", s.log_appends},
      {"log_records", s.log_records},
      {"log_rows", s.log_rows}};
  if (a.json) {
    std::cout << j.dump() << "\n";
    return;
  }
  std::string out;
  for (const char* key :
       {"commits", "retries", "conflicts", "files", "rows", "bytes", "snapshots", "manifests",
        "metadata_version", "current_snapshot_id", "log_appends", "log_records", "log_rows"}) {
    out += std::string(key) + ": " + j[key].dump() + "\n";
  }
  std::cout << out;
}

void AddSnapshotOptions(CLI::App* cmd, TableArgs& a) {
  cmd->add_option("--snapshot", a.snapshot, "Read this snapshot id (time travel)")->type_name("ID");
  cmd->add_option(
         "--as-of", a.as_of,
         "Read the snapshot current at TIME: epoch ms or ISO-8601 (UTC unless an offset is given)")
      ->type_name("TIME");
}

}  // namespace

void AddTableCommands(CLI::App& app) {
  auto a = std::make_shared<TableArgs>();

  CLI::App* create =
      app.add_subcommand("create", "Create a table (opens it if it exists with the same schema)");
  AddTableArgument(create, a->table, "Table folder");
  AddLocationOption(create, a->table);
  create
      ->add_option(
          "--schema", a->schema,
          "JSON field list, inline or @file: [{\"id\":1,\"name\":\"record_id\",\"type\":\"long\","
          "\"required\":true}, ...]")
      ->required();
  create->add_option(
      "--partition-by", a->partition_by,
      "Comma list of col | bucket(N,col) | truncate(W,col) | year(col) | month(col) | "
      "day(col) | hour(col)");
  create->add_option("--property", a->properties, "Table property KEY=VALUE (repeatable)");
  create->add_flag("--ingest-log", a->ingest_log,
                   "Appends commit through an ingest log with group commit, folded into "
                   "snapshots by checkpoints (property datashard.ingest-log.enabled=true)");
  create->callback([a] {
    const Schema schema = ParseSchemaArgument(a->schema);
    const PartitionSpec spec =
        a->partition_by.empty() ? PartitionSpec() : PartitionSpec::Parse(a->partition_by, schema);
    std::map<std::string, std::string> properties = ParsePropertyArguments(a->properties);
    if (a->ingest_log) properties[table_properties::kIngestLogEnabled] = "true";
    CreateTableArgument(a->table, schema, spec, properties);
  });

  CLI::App* append = app.add_subcommand(
      "append",
      "Append JSON Lines rows in one commit; prints the new snapshot id (with an ingest log: "
      "the log sequence number of the record)");
  AddTableArgument(append, a->table, "Table folder");
  append->add_option("FILE", a->input, "JSON Lines file, or - for stdin (default)");
  AddGuardOptions(append, *a);
  append->callback([a] { RunAppend(*a); });

  CLI::App* del = app.add_subcommand(
      "delete",
      "Delete the rows a filter matches in one commit (table property write.delete.mode: "
      "copy-on-write or merge-on-read); prints the table's snapshot id afterwards");
  AddTableArgument(del, a->table, "Table folder");
  del->add_option("--where", a->where, "Delete the rows this filter is true for")
      ->type_name("EXPR")
      ->required();
  AddGuardOptions(del, *a);
  del->add_flag("--json", a->json, "One JSON object: snapshot_id, rows (matched), committed");
  del->callback([a] { RunDelete(*a); });

  CLI::App* update =
      app.add_subcommand("update",
                         "Set columns of the rows a filter matches in one commit (table property "
                         "write.update.mode); prints the table's snapshot id afterwards");
  AddTableArgument(update, a->table, "Table folder");
  update->add_option("--set", a->set, "Columns and their new values, e.g. v='z',n=5")
      ->type_name("COL=VALUE[,...]")
      ->required();
  update->add_option("--where", a->where, "Update the rows this filter is true for")
      ->type_name("EXPR")
      ->required();
  AddGuardOptions(update, *a);
  update->add_flag("--json", a->json, "One JSON object: snapshot_id, rows (matched), committed");
  update->callback([a] { RunUpdate(*a); });

  CLI::App* checkpoint = app.add_subcommand(
      "checkpoint", "Fold the ingest log into one Iceberg snapshot; prints its id");
  AddTableArgument(checkpoint, a->table, "Table folder");
  checkpoint->add_flag("--json", a->json,
                       "One JSON object: snapshot_id (null: nothing to fold), records, rows, "
                       "data_files");
  checkpoint->callback([a] { RunCheckpoint(*a); });

  CLI::App* compact = app.add_subcommand(
      "compact",
      "Rewrite small data files and files with deletes into files of the target size, per "
      "partition, in one commit (operation replace); prints the table's snapshot id afterwards");
  AddTableArgument(compact, a->table, "Table folder");
  compact
      ->add_option("--target-file-size", a->target_file_size,
                   "Size the new files aim at (default: table property "
                   "write.target-file-size-bytes, 512 MiB)")
      ->type_name("BYTES")
      ->check(CLI::PositiveNumber);
  compact->add_flag("--json", a->json,
                    "One JSON object: snapshot_id, compacted, files_rewritten, files_written, "
                    "rows, deleted_rows, delete_files_removed, bytes_before, bytes_after, "
                    "files_given_back (files commits changed meanwhile, left in place)");
  compact->callback([a] { RunCompact(*a); });

  CLI::App* verify = app.add_subcommand(
      "verify",
      "Check that every file the table references exists with its recorded size and row count "
      "and parses, and that manifests, sequence numbers and summaries add up; exit 0 only if "
      "everything checks out");
  AddTableArgument(verify, a->table, "Table folder");
  verify->add_flag("--deep", a->deep, "Also decode every page of every data and delete file");
  verify->add_flag("--json", a->json,
                   "One JSON object: ok, snapshots, manifests, data_files, delete_files, bytes, "
                   "rows_decoded, log_records, problem_count, problems");
  verify->callback([a] { RunVerify(*a); });

  CLI::App* gc = app.add_subcommand(
      "gc",
      "Delete orphan files: files under data/ and metadata/ no snapshot references, older than "
      "the table's grace period (property datashard.gc.grace-ms, default 3 days); prints their "
      "paths");
  AddTableArgument(gc, a->table, "Table folder");
  gc->add_flag("--dry-run", a->dry_run, "Print what would be deleted; delete nothing");
  gc->add_flag("--json", a->json,
               "One JSON object: dry_run, grace_ms, metadata_versions, referenced, orphans "
               "[{path, size, age_ms}], bytes, young");
  gc->callback([a] { RunGc(*a); });

  CLI::App* scan = app.add_subcommand("scan", "Print the rows of a snapshot");
  AddTableArgument(scan, a->table, kReadTableHelp);
  scan->add_option("--columns", a->columns, "Comma list of columns to print (default: all)")
      ->type_name("a,b");
  AddSnapshotOptions(scan, *a);
  scan->add_option("--format", a->format, "jsonl (default) | csv | table")->type_name("FORMAT");
  scan->add_option("--limit", a->limit, "Print at most N rows")
      ->type_name("N")
      ->check(CLI::NonNegativeNumber);
  scan->add_option("--where", a->where, "Keep the rows this filter is true for")->type_name("EXPR");
  scan->add_flag("--stats", a->stats,
                 "Print the scan's metrics (files and row groups considered/pruned, bytes read, "
                 "rows) to stderr as one JSON object");
  scan->callback([a] { RunScan(*a); });

  CLI::App* count = app.add_subcommand("count", "Print the number of rows of a snapshot");
  AddTableArgument(count, a->table, kReadTableHelp);
  AddSnapshotOptions(count, *a);
  count->add_option("--where", a->where, "Count the rows this filter is true for")
      ->type_name("EXPR");
  count->callback([a] { RunCount(*a); });

  CLI::App* history = app.add_subcommand("history", "List the snapshots, oldest first");
  AddTableArgument(history, a->table, kReadTableHelp);
  history->add_flag(
      "--json", a->json,
      "JSON array of {snapshot_id, parent_snapshot_id, timestamp_ms, sequence_number, operation, "
      "summary}");
  history->callback([a] { RunHistory(*a); });

  CLI::App* stats =
      app.add_subcommand("stats", "Commits, retries, conflicts, files, rows, bytes of a table");
  AddTableArgument(stats, a->table, kReadTableHelp);
  stats->add_flag("--json", a->json, "One JSON object");
  stats->callback([a] { RunStats(*a); });
}

}  // namespace datashard::cli
