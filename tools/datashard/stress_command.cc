// `datashard stress`: P writer processes each commit C appends of R rows with
// globally unique ids while N reader processes keep reading snapshots; then
// the run is verified (DESIGN.md §9) by the history checker
// (tests/history/): no acknowledged row lost, none duplicated, none present
// without an acknowledgement (phantom), no partial commit visible, every
// state a prefix of commit order, commit order following real time, readers
// only moving forward; and here, snapshot totals matching their rows.
// Children are real processes (fork) reporting history events over pipes.
//
// Runs on several machines against one table: each run given --history DIR
// also writes its history there (its reads see the rows of every run), and
// once all have finished `--verify-history` reads the table's final state
// and checks every run's history in DIR as one.
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "commit/commit_ids.h"
#include "datashard/errors.h"
#include "datashard/table.h"
#include "history/history_checker.h"
#include "util/uuid.h"

namespace datashard::cli {
namespace {

struct StressArgs {
  TableArgument table;
  int processes = 4;
  int commits = 50;
  int rows_per_commit = 10;
  int readers = 0;
  bool json = false;
  bool ingest_log = false;
  std::vector<std::string> properties;
  std::string history_dir;  // also write the history here, for checking runs together
  bool verify_history = false;
  bool retry_unavailable = false;
};

Schema StressSchema() {
  return Schema(
      1, {Field{1, "id", DataType::Long(), true}, Field{2, "run", DataType::String(), true},
          Field{3, "writer", DataType::Int(), true}, Field{4, "seq", DataType::Int(), true},
          Field{5, "row", DataType::Int(), true}, Field{6, "payload", DataType::String(), false}});
}

int64_t RowId(int writer, int seq, int row) {
  return (static_cast<int64_t>(writer) << 40) | (static_cast<int64_t>(seq) << 20) | row;
}

// Writes a whole line to a pipe; the parent parses lines.
void Report(int fd, const std::string& line) {
  std::string s = line + "\n";
  size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    done += static_cast<size_t>(n);
  }
}

// Names within the history of every run of one table: "<run>/<name>".
std::string InRun(const std::string& run, const std::string& name) { return run + "/" + name; }

// The write a stress row belongs to: its run, writer and attempt number.
history::WriteId WriteOf(const std::string& run, int64_t writer, int64_t attempt) {
  return history::WriteId{InRun(run, std::to_string(writer)), attempt};
}

// How long a run waits out an unreachable catalog server: a writer
// resolving a commit whose outcome is unknown before leaving it unknown, and
// the reads that end a run before failing it. Counted from the first
// failure.
class OutageLimit {
 public:
  /// True once the limit has passed since the first call.
  bool Passed() {
    const auto now = std::chrono::steady_clock::now();
    if (!end_) end_ = now + std::chrono::seconds(120);
    return now > *end_;
  }

 private:
  std::optional<std::chrono::steady_clock::time_point> end_;
};

// `read()`, tried again while a server is unreachable (--retry-unavailable)
// within an OutageLimit: the reads that end a run wait out an outage as its
// writers do instead of ending the run.
template <typename Read>
auto ReadRetryingUnavailable(const StressArgs& a, Read read) {
  OutageLimit limit;
  for (;;) {
    try {
      return read();
    } catch (const Unavailable&) {
      if (!a.retry_unavailable || limit.Passed()) throw;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// Where a commit whose outcome was unknown landed: its position, or none
// when its snapshot has already been expired (only its id is remembered).
struct Resolved {
  std::optional<int64_t> position;
};

// After CommitStateUnknown: commits the same rows again under the same
// commit id until the table tells where they are. A commit refuses an id
// the table already holds (also one of an expired snapshot, which the
// table remembers), so the rows land once at most; that refusal means the
// first attempt landed. Returns nullopt when the server stayed unreachable
// past the OutageLimit.
std::optional<Resolved> ResolveUnknown(Table& table, const std::vector<Record>& rows,
                                       const Schema& schema, const TransactionOptions& options) {
  OutageLimit limit;
  for (;;) {
    try {
      Transaction again = table.NewTransaction(options);
      again.AppendData(rows, schema);
      again.Commit();
      return Resolved{again.committed_snapshot()->sequence_number};
    } catch (const InvalidArgument&) {
      table.Refresh();
      const std::optional<CommitRecord> found =
          FindCommit(table.io(), table.metadata(), options.commit_id);
      if (!found) throw;
      return Resolved{found->snapshot ? std::optional(found->snapshot->sequence_number)
                                      : std::nullopt};
    } catch (const CommitStateUnknown&) {
    } catch (const Unavailable&) {
    } catch (const CommitConflict&) {
    }
    if (limit.Passed()) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// Each attempt to commit is one write of the history (a conflict retried
// by the writer is a new write with new row ids), so that a failed attempt
// whose rows appear anyway is caught.
int RunWriter(const StressArgs& a, const std::string& run, int writer, int fd) {
  // Events go to the parent in batches: a pipe write and the parent's
  // wakeup per commit would cost more than a log append.
  std::string events;
  const auto flush = [&] {
    if (events.empty()) return;
    events.pop_back();
    Report(fd, events);
    events.clear();
  };
  const auto event = [&](const history::Event& e) {
    events += history::EventToJson(e) + "\n";
    if (events.size() >= 4096) flush();
  };
  const std::string process = InRun(run, "w" + std::to_string(writer));
  int64_t retries = 0, conflicts = 0, unavailable = 0, resolved = 0;
  try {
    Table table = OpenTableArgument(a.table);
    const Schema schema = StressSchema();
    std::string latencies;  // microseconds of each acknowledged commit
    int attempt = 0;
    for (int done = 0; done < a.commits; ++attempt) {
      if (attempt >= (1 << 20)) throw InvalidArgument("stress: more than 2^20 commit attempts");
      std::vector<Record> rows;
      rows.reserve(static_cast<size_t>(a.rows_per_commit));
      for (int r = 0; r < a.rows_per_commit; ++r) {
        rows.push_back({Value(RowId(writer, attempt, r)), Value(run), Value(int32_t{writer}),
                        Value(int32_t{attempt}), Value(int32_t{r}),
                        Value("w" + std::to_string(writer) + "-" + std::to_string(attempt))});
      }
      // No snapshot properties: appends that carry none may share one
      // snapshot (group publication), as an ingest workload's would.
      TransactionOptions options;
      history::Event invoke{.type = history::EventType::kInvoke, .process = process, .op = attempt};
      invoke.f = "append";
      invoke.write = WriteOf(run, writer, attempt);
      invoke.rows = a.rows_per_commit;
      const auto began = std::chrono::steady_clock::now();
      invoke.time_ns = history::MonotonicNanos();
      event(invoke);
      history::Event outcome{.type = history::EventType::kOk, .process = process, .op = attempt};
      std::string commit_id;
      try {
        Transaction tx = table.NewTransaction(options);
        commit_id = tx.commit_id();
        tx.AppendData(rows, schema);
        tx.Commit();
        outcome.time_ns = history::MonotonicNanos();
        latencies += " " + std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                                              std::chrono::steady_clock::now() - began)
                                              .count());
        // With an ingest log the commit is a log record, not a snapshot:
        // its place in commit order is its log sequence number.
        outcome.position = tx.committed_log_lsn() ? *tx.committed_log_lsn()
                                                  : tx.committed_snapshot()->sequence_number;
        retries += tx.retries();
        ++done;
      } catch (const CommitConflict& e) {
        outcome.time_ns = history::MonotonicNanos();
        outcome.type = history::EventType::kFail;
        outcome.error = std::string("CommitConflict: ") + e.what();
        retries += e.retries();
        ++conflicts;
      } catch (const CommitStateUnknown& e) {
        // Log records carry no commit id to resolve by: left unknown.
        std::optional<Resolved> landed;
        if (!a.ingest_log) {
          TransactionOptions same = options;
          same.commit_id = commit_id;
          landed = ResolveUnknown(table, rows, schema, same);
        }
        outcome.time_ns = history::MonotonicNanos();
        if (landed) {
          outcome.position = landed->position;
          ++resolved;
        } else {
          outcome.type = history::EventType::kInfo;
          outcome.error = std::string("CommitStateUnknown: ") + e.what();
        }
        ++done;
      } catch (const Unavailable& e) {
        // Refused before publication: certainly not committed.
        if (!a.retry_unavailable) throw;
        outcome.time_ns = history::MonotonicNanos();
        outcome.type = history::EventType::kFail;
        outcome.error = std::string("Unavailable: ") + e.what();
        ++unavailable;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      event(outcome);
    }
    flush();
    Report(fd, "T " + std::to_string(writer) + " " + std::to_string(retries) + " " +
                   std::to_string(conflicts) + " " + std::to_string(unavailable) + " " +
                   std::to_string(resolved));
    Report(fd, "L" + latencies);
    return 0;
  } catch (const std::exception& e) {
    flush();
    Report(fd, std::string("E writer ") + std::to_string(writer) + ": " + e.what());
    return 1;
  }
}

bool StopRequested(int stop_fd) {
  pollfd p{stop_fd, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;  // readable or hung up: the parent closed it
}

// What a read of `rows` saw, as the history checker counts it: the rows of
// each write of every run.
history::Observation Observe(const std::vector<Record>& rows) {
  history::ObservationBuilder seen;
  for (const Record& r : rows) {
    seen.Add(WriteOf(std::string(r[1].as_bytes()), r[2].as_int(), r[3].as_int()), r[4].as_int());
  }
  return seen.Finish();
}

// The part of a read that concerns the writes of `run`: a run checks its
// own history alone.
history::Observation OnlyRun(history::Observation o, const std::string& run) {
  const std::string prefix = InRun(run, "");
  std::erase_if(o.writes, [&](const auto& w) { return w.first.writer.rfind(prefix, 0) != 0; });
  return o;
}

// A read as two history events, invoked at `began`.
std::string ReadEvents(const std::string& process, int64_t op, int64_t began,
                       history::Observation observed, std::optional<int64_t> position, bool final) {
  history::Event invoke{.type = history::EventType::kInvoke, .process = process, .op = op};
  invoke.f = "read";
  invoke.time_ns = began;
  history::Event ok{.type = history::EventType::kOk, .process = process, .op = op};
  ok.time_ns = history::MonotonicNanos();
  ok.observed = std::move(observed);
  ok.position = position;
  ok.final = final;
  return history::EventToJson(invoke) + "\n" + history::EventToJson(ok);
}

// Snapshot totals are table metadata, not history: checked here.
std::optional<std::string> TotalMismatch(const Snapshot& s, size_t rows) {
  if (!s.summary.count("total-records") ||
      s.SummaryLong("total-records") == static_cast<int64_t>(rows))
    return std::nullopt;
  return "snapshot " + std::to_string(s.snapshot_id) + " has " + std::to_string(rows) +
         " rows but total-records " + s.summary.at("total-records");
}

void CheckTotal(const Snapshot& s, size_t rows, int fd) {
  if (const std::optional<std::string> mismatch = TotalMismatch(s, rows))
    Report(fd, "X " + *mismatch);
}

struct FinalRead {
  int64_t began = 0;
  std::vector<Record> rows;
  std::optional<int64_t> position;
};

// The final state, read once no writer runs; with an ingest log after a
// checkpoint folded it all, so that the snapshot other engines read is what
// is verified.
FinalRead ReadFinalState(Table& table, bool ingest_log, std::vector<std::string>& failures) {
  if (ingest_log) table.Checkpoint();
  FinalRead read;
  read.began = history::MonotonicNanos();
  const std::optional<Snapshot> s = table.CurrentSnapshot();
  if (!s) return read;
  read.rows = table.ScanAll(s->snapshot_id);
  if (const std::optional<std::string> mismatch = TotalMismatch(*s, read.rows.size()))
    failures.push_back("final " + *mismatch);
  // Log sequence numbers order the writes of an ingest-log table; the final
  // snapshot's sequence number is not one of them.
  if (!ingest_log) read.position = s->sequence_number;
  return read;
}

int RunReader(const StressArgs& a, const std::string& run, int reader, int stop_fd, int fd) {
  const std::string process = InRun(run, "r" + std::to_string(reader));
  try {
    Table table = OpenTableArgument(a.table);
    std::optional<int64_t> last_checked;
    int64_t checks = 0, expired = 0, op = 0;
    OutageLimit last_round_limit;
    for (;;) {
      const bool last_round = StopRequested(stop_fd);
      const int64_t began = history::MonotonicNanos();
      try {
        if (a.ingest_log) {
          // The current state is the newest snapshot and the log's durable
          // tail: read it whole (as a user does) every few milliseconds. Its
          // position is a pair (snapshot, log sequence number), so none is
          // given.
          Report(fd,
                 ReadEvents(process, op++, began, Observe(table.ScanAll()), std::nullopt, false));
          ++checks;
          if (last_round) break;
          ::usleep(20000);
          continue;
        }
        const std::optional<Snapshot> s = table.CurrentSnapshot();
        if (!last_round && (!s || s->snapshot_id == last_checked)) {
          // Nothing new: wait a little instead of taking CPU from the writers.
          ::usleep(2000);
          continue;
        }
        if (s) {
          last_checked = s->snapshot_id;
          std::vector<Record> rows;
          try {
            rows = table.ScanAll(s->snapshot_id);
          } catch (const NotFound&) {
            table.Refresh();
            if (table.SnapshotById(s->snapshot_id)) throw;
            ++expired;  // expired by retention meanwhile: not an anomaly
            if (last_round) break;
            continue;
          }
          CheckTotal(*s, rows.size(), fd);
          Report(fd, ReadEvents(process, op++, began, Observe(rows), s->sequence_number, false));
          ++checks;
        }
        if (last_round) break;
      } catch (const Unavailable&) {
        // A read that failed saw nothing; the next one may reach the server.
        // The last round, once every writer has finished, is tried until a
        // read succeeds or the limit passes, as the final read is.
        if (!a.retry_unavailable) throw;
        if (last_round && last_round_limit.Passed()) throw;
        ::usleep(50000);
      }
    }
    Report(fd, "R " + std::to_string(checks) + " " + std::to_string(expired));
    return 0;
  } catch (const std::exception& e) {
    Report(fd, std::string("E reader: ") + e.what());
    return 1;
  }
}

struct Child {
  pid_t pid = -1;
  int fd = -1;
  std::string buffer;
  bool writer = true;
  int index = 0;
};

pid_t Spawn(const std::function<int(int)>& body, int* read_fd, int close_in_child = -1) {
  int fds[2];
  if (::pipe(fds) != 0) throw IOError("stress: cannot create a pipe");
  std::cout.flush();
  const pid_t pid = ::fork();
  if (pid < 0) throw IOError("stress: fork failed");
  if (pid == 0) {
    ::close(fds[0]);
    if (close_in_child >= 0) ::close(close_in_child);
    const int rc = body(fds[1]);
    ::close(fds[1]);
    std::_Exit(rc);
  }
  ::close(fds[1]);
  *read_fd = fds[0];
  return pid;
}

// Reads every child's pipe until all writers have finished.
void Drain(std::vector<Child>& children, bool writers_only) {
  for (;;) {
    std::vector<pollfd> polls;
    std::vector<Child*> owners;
    for (Child& c : children) {
      if (c.fd >= 0 && (!writers_only || c.writer)) {
        polls.push_back(pollfd{c.fd, POLLIN, 0});
        owners.push_back(&c);
      }
    }
    if (polls.empty()) return;
    if (::poll(polls.data(), polls.size(), 1000) < 0) {
      if (errno == EINTR) continue;
      throw IOError("stress: poll failed");
    }
    for (size_t i = 0; i < polls.size(); ++i) {
      if (polls[i].revents == 0) continue;
      char buf[65536];
      const ssize_t n = ::read(polls[i].fd, buf, sizeof buf);
      if (n > 0) {
        owners[i]->buffer.append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(owners[i]->fd);
        owners[i]->fd = -1;
      }
    }
  }
}

// Checks `events` as datashard stress promises: readers open the current
// state each time, so they see every commit acknowledged before they began.
// Anomalies are added to `failures`.
history::CheckResult CheckHistory(const history::History& events,
                                  std::vector<std::string>& failures) {
  history::CheckResult checked =
      history::Check(events.operations(), history::CheckOptions{.realtime_reads = true});
  for (const history::Anomaly& anomaly : checked.anomalies) failures.push_back(anomaly.ToString());
  for (const auto& [type, n] : checked.counts) {
    if (n > static_cast<int64_t>(history::CheckOptions{}.examples_per_type)) {
      failures.push_back(std::to_string(n) + " " + type + " anomalies in all");
    }
  }
  return checked;
}

// --verify-history: every run that wrote into the folder has finished. A
// final read of the table, checked with all their histories as one.
void VerifyHistories(const StressArgs& a) {
  if (a.history_dir.empty()) throw InvalidArgument("stress --verify-history needs --history DIR");
  Table table = OpenTableArgument(a.table);
  history::History events;
  events.AddFolder(*DefaultFileIO(), a.history_dir);
  std::vector<std::string> failures;
  const FinalRead final_read = ReadFinalState(
      table, table.metadata().PropertyBool(table_properties::kIngestLogEnabled, false), failures);
  events.AddJsonLines(ReadEvents("verify/final", 0, final_read.began, Observe(final_read.rows),
                                 final_read.position, true) +
                          "\n",
                      "stress");
  const history::CheckResult checked = CheckHistory(events, failures);
  const history::FinalRows& f = checked.final_rows;
  const bool ok = checked.valid() && failures.empty();
  if (a.json) {
    std::cout << nlohmann::json{{"rows_expected", f.expected},
                                {"rows_found", f.found},
                                {"lost", f.lost},
                                {"duplicated", f.duplicated},
                                {"phantom", f.phantom},
                                {"commits", checked.writes_ok},
                                {"failed", checked.writes_failed},
                                {"unknown_outcomes", checked.writes_unknown},
                                {"unknown_landed_rows", f.unknown_landed},
                                {"reads", checked.reads_ok},
                                {"anomalies", failures},
                                {"history_anomalies", checked.counts},
                                {"ok", ok}}
                     .dump()
              << "\n";
  } else {
    std::string out =
        "histories in " + a.history_dir + ": " + std::to_string(checked.writes_ok) + " commits, " +
        std::to_string(checked.writes_failed) + " failed, " +
        std::to_string(checked.writes_unknown) + " unknown; " + std::to_string(checked.reads_ok) +
        " reads\nrows expected: " + std::to_string(f.expected) +
        "\nrows found: " + std::to_string(f.found) + "\nlost: " + std::to_string(f.lost) +
        "\nduplicated: " + std::to_string(f.duplicated) +
        "\nphantom: " + std::to_string(f.phantom) + "\n";
    for (const std::string& failure : failures) out += "ANOMALY: " + failure + "\n";
    out += ok ? "verified: the runs together lost, duplicated and tore nothing\n" : "FAILED\n";
    std::cout << out;
  }
  if (!ok) throw Corruption("stress histories in " + a.history_dir + " found anomalies");
}

void RunStress(const StressArgs& a) {
  if (a.processes < 1 || a.commits < 1 || a.rows_per_commit < 1 || a.readers < 0) {
    throw InvalidArgument(
        "stress needs --processes, --commits and --rows-per-commit >= 1 and --readers >= 0");
  }
  if (a.processes >= (1 << 22) || a.commits >= (1 << 20) || a.rows_per_commit >= (1 << 20)) {
    throw InvalidArgument(
        "stress: ids encode writer, seq and row in 22, 20 and 20 bits; values too large");
  }
  std::map<std::string, std::string> properties = ParsePropertyArguments(a.properties);
  if (a.ingest_log) properties[table_properties::kIngestLogEnabled] = "true";
  Table table = CreateTableArgument(a.table, StressSchema(), PartitionSpec(), properties);
  const std::string run = Uuid::Random().ToString();

  int stop_pipe[2];
  if (::pipe(stop_pipe) != 0) throw IOError("stress: cannot create a pipe");
  std::vector<Child> children;
  for (int r = 0; r < a.readers; ++r) {
    Child c;
    c.writer = false;
    c.index = r;
    c.pid = Spawn(
        [&](int fd) {
          ::close(stop_pipe[1]);
          return RunReader(a, run, r, stop_pipe[0], fd);
        },
        &c.fd);
    children.push_back(c);
  }
  ::close(stop_pipe[0]);
  const auto started = std::chrono::steady_clock::now();
  for (int w = 0; w < a.processes; ++w) {
    Child c;
    c.index = w;
    c.pid = Spawn(
        [&](int fd) {
          ::close(stop_pipe[1]);
          return RunWriter(a, run, w, fd);
        },
        &c.fd);
    children.push_back(c);
  }
  Drain(children, /*writers_only=*/true);
  std::vector<std::string> failures;
  for (Child& c : children) {
    if (!c.writer) continue;
    int status = 0;
    ::waitpid(c.pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      failures.push_back("writer " + std::to_string(c.index) + " exited abnormally");
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ::close(stop_pipe[1]);  // readers finish their current check and one last one
  Drain(children, /*writers_only=*/false);
  for (Child& c : children) {
    if (c.writer) continue;
    int status = 0;
    ::waitpid(c.pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      failures.push_back("reader " + std::to_string(c.index) + " exited abnormally");
    }
  }

  // What the children reported: history events, and the run's own figures.
  // This run's history alone, and (--history) every row its reads saw.
  history::History events;
  std::string shared_history;
  std::map<int, int64_t> retries_by_writer, conflicts_by_writer;
  int64_t reader_checks = 0, expired_reads = 0, unavailable = 0, resolved = 0;
  std::vector<int64_t> latencies_us;
  for (const Child& c : children) {
    std::istringstream in(c.buffer);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line[0] == '{') {
        shared_history += line + "\n";
        try {
          history::Event e = history::EventFromJson(line, "stress");
          if (e.observed) e.observed = OnlyRun(std::move(*e.observed), run);
          events.Add(e);
        } catch (const InvalidArgument& e) {
          failures.push_back(e.what());
        }
        continue;
      }
      std::istringstream f(line);
      std::string kind;
      f >> kind;
      if (kind == "T") {
        int w = 0;
        int64_t retries = 0, conflicts = 0, failed_unavailable = 0, resolved_unknown = 0;
        f >> w >> retries >> conflicts >> failed_unavailable >> resolved_unknown;
        retries_by_writer[w] += retries;
        conflicts_by_writer[w] += conflicts;
        unavailable += failed_unavailable;
        resolved += resolved_unknown;
      } else if (kind == "L") {
        int64_t us = 0;
        while (f >> us) latencies_us.push_back(us);
      } else if (kind == "R") {
        int64_t checks = 0, expired = 0;
        f >> checks >> expired;
        reader_checks += checks;
        expired_reads += expired;
      } else {
        failures.push_back(line.substr(line.find(' ') + 1));
      }
    }
  }

  const FinalRead final_read =
      ReadRetryingUnavailable(a, [&] { return ReadFinalState(table, a.ingest_log, failures); });
  const history::Observation final_seen = Observe(final_read.rows);
  events.AddJsonLines(ReadEvents(InRun(run, "final"), 0, final_read.began, OnlyRun(final_seen, run),
                                 final_read.position, true) +
                          "\n",
                      "stress");
  if (!a.history_dir.empty()) {
    // Other runs may still be writing: there this read is not final.
    shared_history += ReadEvents(InRun(run, "final"), 0, final_read.began, final_seen,
                                 final_read.position, false) +
                      "\n";
    const std::shared_ptr<FileIO> io = DefaultFileIO();
    io->CreateDirs(a.history_dir);
    io->WriteFile(a.history_dir + "/" + run + ".jsonl", shared_history);
  }

  // Readers open the current state each time, so they see every commit
  // acknowledged before they began.
  const history::CheckResult checked = CheckHistory(events, failures);
  const history::FinalRows& final_rows = checked.final_rows;
  const int64_t expected = final_rows.expected, found = final_rows.found, lost = final_rows.lost,
                duplicated = final_rows.duplicated, phantom = final_rows.phantom;
  const int64_t unknown = checked.writes_unknown;
  int64_t retries = 0, conflicts = 0;
  for (const auto& [w, n] : retries_by_writer) retries += n;
  for (const auto& [w, n] : conflicts_by_writer) conflicts += n;
  const int64_t commits = checked.writes_ok;
  const double rate = seconds > 0 ? static_cast<double>(commits) / seconds : 0;
  if (commits + unknown != static_cast<int64_t>(a.processes) * a.commits) {
    failures.push_back(std::to_string(commits) + " commits acknowledged of " +
                       std::to_string(static_cast<int64_t>(a.processes) * a.commits));
  }
  const bool ok = checked.valid() && failures.empty();

  std::sort(latencies_us.begin(), latencies_us.end());
  const auto percentile_ms = [&](double q) {
    if (latencies_us.empty()) return 0.0;
    const auto i = static_cast<size_t>(q * static_cast<double>(latencies_us.size() - 1));
    return static_cast<double>(latencies_us[i]) / 1000.0;
  };
  nlohmann::json per_writer = nlohmann::json::array();
  for (int w = 0; w < a.processes; ++w) {
    per_writer.push_back(
        {{"writer", w}, {"retries", retries_by_writer[w]}, {"conflicts", conflicts_by_writer[w]}});
  }
  if (a.json) {
    nlohmann::json out = {{"rows_expected", expected},
                          {"rows_found", found},
                          {"lost", lost},
                          {"duplicated", duplicated},
                          {"phantom", phantom},
                          {"commits", commits},
                          {"unknown_outcomes", unknown},
                          {"unknown_resolved", resolved},
                          {"unavailable", unavailable},
                          {"seconds", seconds},
                          {"commits_per_second", rate},
                          {"latency_p50_ms", percentile_ms(0.50)},
                          {"latency_p99_ms", percentile_ms(0.99)},
                          {"retries", retries},
                          {"conflicts", conflicts},
                          {"writers", per_writer},
                          {"readers", a.readers},
                          {"reader_checks", reader_checks},
                          {"reader_expired_reads", expired_reads},
                          {"anomalies", failures},
                          {"history_anomalies", checked.counts},
                          {"history_operations", checked.writes_ok + checked.writes_failed +
                                                     checked.writes_unknown + checked.reads_ok},
                          {"ok", ok}};
    std::cout << out.dump() << "\n";
  } else {
    std::string out;
    char line[256];
    std::snprintf(line, sizeof line, "writers: %d x %d commits x %d rows; readers: %d\n",
                  a.processes, a.commits, a.rows_per_commit, a.readers);
    out += line;
    out +=
        "rows expected: " + std::to_string(expected) + "\nrows found: " + std::to_string(found) +
        "\nlost: " + std::to_string(lost) + "\nduplicated: " + std::to_string(duplicated) +
        "\nphantom: " + std::to_string(phantom) + "\ncommits: " + std::to_string(commits) +
        "\nunknown outcomes: " + std::to_string(unknown) + " (" + std::to_string(resolved) +
        " more resolved by commit id)\nrefused, server unreachable: " + std::to_string(unavailable);
    std::snprintf(line, sizeof line,
                  "\nseconds: %.3f\ncommits/s: %.1f\ncommit latency p50/p99: %.2f / %.2f ms\n",
                  seconds, rate, percentile_ms(0.50), percentile_ms(0.99));
    out += line;
    out +=
        "retries: " + std::to_string(retries) + "\nconflicts: " + std::to_string(conflicts) + "\n";
    for (int w = 0; w < a.processes; ++w) {
      out += "  writer " + std::to_string(w) + ": retries " + std::to_string(retries_by_writer[w]) +
             ", conflicts " + std::to_string(conflicts_by_writer[w]) + "\n";
    }
    out += "reader checks: " + std::to_string(reader_checks) + " snapshots verified (" +
           std::to_string(expired_reads) + " expired while being read)\n";
    for (const std::string& f : failures) out += "ANOMALY: " + f + "\n";
    out += ok ? "verified: no lost, duplicated or phantom rows; every snapshot seen was whole\n"
              : "FAILED\n";
    std::cout << out;
  }
  if (!ok) throw Corruption("stress run on " + a.table.table + " found anomalies");
}

}  // namespace

void AddStressCommand(CLI::App& app) {
  auto a = std::make_shared<StressArgs>();
  CLI::App* stress = app.add_subcommand("stress",
                                        "Many writer and reader processes on one table; verifies "
                                        "nothing is lost, duplicated or torn");
  AddTableArgument(stress, a->table, "Table folder (created if absent)");
  AddLocationOption(stress, a->table);
  CLI::Option* processes = stress->add_option("--processes", a->processes, "Writer processes");
  CLI::Option* commits = stress->add_option("--commits", a->commits, "Commits per writer");
  stress->add_option("--rows-per-commit", a->rows_per_commit, "Rows per commit (default 10)");
  stress->add_option("--readers", a->readers, "Reader processes (default 0)");
  stress->add_flag("--ingest-log", a->ingest_log,
                   "Create the table with an ingest log; readers read the current state, the run "
                   "ends with a checkpoint and verifies the snapshot it made");
  stress->add_flag(
      "--json", a->json,
      "One JSON object: rows_expected, rows_found, lost, duplicated, phantom, commits, seconds, "
      "commits_per_second, retries, conflicts, ...");
  stress->add_option("--property", a->properties,
                     "Table property KEY=VALUE when the run creates the table (repeatable)");
  stress
      ->add_option("--history", a->history_dir,
                   "Also write this run's history into DIR (one file per run; its reads "
                   "see every run's rows), so runs on several machines can be checked as one")
      ->type_name("DIR");
  stress->add_flag("--verify-history", a->verify_history,
                   "Run nothing: read the table's final state and check it with every history in "
                   "--history DIR (all runs finished)");
  stress->add_flag("--retry-unavailable", a->retry_unavailable,
                   "A commit refused because a server is unreachable (Unavailable) is recorded "
                   "as failed and tried again, and a read is skipped, instead of ending the run; "
                   "the reads that end the run are tried again for up to 120 s");
  stress->callback([a, processes, commits] {
    if (a->verify_history) return VerifyHistories(*a);
    if (processes->count() == 0 || commits->count() == 0)
      throw InvalidArgument("stress needs --processes and --commits (or --verify-history)");
    RunStress(*a);
  });
}

}  // namespace datashard::cli
