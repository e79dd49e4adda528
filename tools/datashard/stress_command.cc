// `datashard stress`: P writer processes each commit C appends of R rows with
// globally unique ids while N reader processes keep reading snapshots; then
// the run is verified (DESIGN.md §9): no acknowledged row lost, none
// duplicated, none present without an acknowledgement (phantom), no partial
// commit visible, snapshot totals matching their rows, readers only moving
// forward. Children are real processes (fork) reporting over pipes.
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
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "datashard/errors.h"
#include "datashard/table.h"
#include "util/uuid.h"

namespace datashard::cli {
namespace {

struct StressArgs {
  std::string table;
  int processes = 4;
  int commits = 50;
  int rows_per_commit = 10;
  int readers = 0;
  bool json = false;
  bool ingest_log = false;
};

constexpr const char* kRunKey = "datashard.stress.run";

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

int RunWriter(const StressArgs& a, const std::string& run, int writer, int fd) {
  // Acknowledgements go to the parent in batches: a pipe write and the
  // parent's wakeup per commit would cost more than a log append.
  std::string acks;
  const auto flush = [&] {
    if (acks.empty()) return;
    acks.pop_back();
    Report(fd, acks);
    acks.clear();
  };
  try {
    Table table = OpenTable(a.table);
    const Schema schema = StressSchema();
    std::string latencies;  // microseconds of each acknowledged commit
    for (int seq = 0; seq < a.commits; ++seq) {
      std::vector<Record> rows;
      rows.reserve(static_cast<size_t>(a.rows_per_commit));
      for (int r = 0; r < a.rows_per_commit; ++r) {
        rows.push_back({Value(RowId(writer, seq, r)), Value(run), Value(int32_t{writer}),
                        Value(int32_t{seq}), Value(int32_t{r}),
                        Value("w" + std::to_string(writer) + "-" + std::to_string(seq))});
      }
      for (;;) {
        TransactionOptions options;
        options.snapshot_properties = {{kRunKey, run},
                                       {"datashard.stress.writer", std::to_string(writer)},
                                       {"datashard.stress.seq", std::to_string(seq)}};
        const auto began = std::chrono::steady_clock::now();
        Transaction tx = table.NewTransaction(options);
        try {
          tx.AppendData(rows, schema);
          tx.Commit();
          latencies += " " + std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                                                std::chrono::steady_clock::now() - began)
                                                .count());
          // With an ingest log the commit is a log record, not a snapshot.
          const int64_t landed = tx.committed_log_lsn() ? *tx.committed_log_lsn()
                                                        : tx.committed_snapshot()->snapshot_id;
          acks += "A " + std::to_string(writer) + " " + std::to_string(seq) + " " +
                  std::to_string(landed) + " " + std::to_string(tx.retries()) + "\n";
          if (acks.size() >= 4096) flush();
          break;
        } catch (const CommitConflict& e) {
          Report(fd, "C " + std::to_string(writer) + " " + std::to_string(seq) + " " +
                         std::to_string(e.retries()));
        } catch (const CommitStateUnknown&) {
          Report(fd, "U " + std::to_string(writer) + " " + std::to_string(seq));
          break;
        }
      }
    }
    flush();
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

// Checks one state a reader saw: no id twice, every commit whole, each
// writer's commits a prefix (gaps reported for the parent to judge), and,
// in `high` (per writer, the highest seq seen before), nothing that went
// backwards.
void CheckRows(const std::vector<Record>& rows, const std::string& where, const StressArgs& a,
               const std::string& run, std::map<int, int>& high, int fd) {
  std::set<int64_t> ids;
  std::map<std::pair<int, int>, int> per_commit;
  for (const Record& r : rows) {
    if (!ids.insert(r[0].as_long()).second) {
      Report(fd, "X " + where + " holds id " + std::to_string(r[0].as_long()) + " twice");
    }
    if (r[1].as_bytes() == run) per_commit[{r[2].as_int(), r[3].as_int()}]++;
  }
  std::map<int, std::set<int>> seqs;
  for (const auto& [key, n] : per_commit) {
    if (n != a.rows_per_commit) {
      Report(fd, "X " + where + " shows " + std::to_string(n) + " of " +
                     std::to_string(a.rows_per_commit) + " rows of commit writer " +
                     std::to_string(key.first) + " seq " + std::to_string(key.second));
    }
    seqs[key.first].insert(key.second);
  }
  // Each writer commits in order, so a snapshot holds a prefix of its commits;
  // a gap is only allowed where the outcome was unknown (the parent decides).
  for (const auto& [writer, set] : seqs) {
    for (int q = 0; q < *set.rbegin(); ++q) {
      if (!set.count(q))
        Report(fd, "G " + std::to_string(writer) + " " + std::to_string(q) + " " + where);
    }
  }
  for (auto& [writer, seq] : high) {
    const auto it = seqs.find(writer);
    if (it == seqs.end() || *it->second.rbegin() < seq) {
      Report(fd, "X " + where + " lost commits of writer " + std::to_string(writer) +
                     " that an earlier read showed (up to seq " + std::to_string(seq) + ")");
    }
  }
  for (const auto& [writer, set] : seqs) high[writer] = std::max(high[writer], *set.rbegin());
}

// One reader check of the snapshot `s`. Returns false if the snapshot
// expired during the read (not an anomaly).
bool CheckSnapshot(Table& table, const Snapshot& s, const StressArgs& a, const std::string& run,
                   std::map<int, int>& high, int fd) {
  std::vector<Record> rows;
  try {
    rows = table.ScanAll(s.snapshot_id);
  } catch (const NotFound&) {
    table.Refresh();
    if (!table.SnapshotById(s.snapshot_id)) return false;  // expired by retention meanwhile
    throw;
  }
  const std::string where = "snapshot " + std::to_string(s.snapshot_id);
  if (s.summary.count("total-records") &&
      s.SummaryLong("total-records") != static_cast<int64_t>(rows.size())) {
    Report(fd, "X " + where + " has " + std::to_string(rows.size()) + " rows but total-records " +
                   s.summary.at("total-records"));
  }
  CheckRows(rows, where, a, run, high, fd);
  return true;
}

int RunReader(const StressArgs& a, const std::string& run, int stop_fd, int fd) {
  try {
    Table table = OpenTable(a.table);
    int64_t last_seq = -1;
    std::optional<int64_t> last_checked;
    int64_t checks = 0, expired = 0;
    std::map<int, int> high;
    for (;;) {
      const bool last_round = StopRequested(stop_fd);
      if (a.ingest_log) {
        // The current state is the newest snapshot and the log's durable
        // tail: read it whole (as a user does) every few milliseconds.
        CheckRows(table.ScanAll(), "a read of the current state", a, run, high, fd);
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
        if (s->sequence_number < last_seq) {
          Report(fd, "X snapshots moved backwards: sequence " + std::to_string(s->sequence_number) +
                         " after " + std::to_string(last_seq));
        }
        last_seq = s->sequence_number;
        if (CheckSnapshot(table, *s, a, run, high, fd)) {
          ++checks;
        } else {
          ++expired;
        }
      }
      if (last_round) break;
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

void RunStress(const StressArgs& a) {
  if (a.processes < 1 || a.commits < 1 || a.rows_per_commit < 1 || a.readers < 0) {
    throw InvalidArgument(
        "stress needs --processes, --commits and --rows-per-commit >= 1 and --readers >= 0");
  }
  if (a.processes >= (1 << 22) || a.commits >= (1 << 20) || a.rows_per_commit >= (1 << 20)) {
    throw InvalidArgument(
        "stress: ids encode writer, seq and row in 22, 20 and 20 bits; values too large");
  }
  std::map<std::string, std::string> properties;
  if (a.ingest_log) properties[table_properties::kIngestLogEnabled] = "true";
  Table table = CreateTable(a.table, StressSchema(), PartitionSpec(), properties);
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
          return RunReader(a, run, stop_pipe[0], fd);
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

  // What the children reported.
  std::map<std::pair<int, int>, int64_t> acked;  // (writer, seq) -> snapshot id
  std::set<std::pair<int, int>> unknown;
  std::map<int, int64_t> retries_by_writer, conflicts_by_writer;
  std::vector<std::tuple<int, int, std::string>> gaps;
  int64_t reader_checks = 0, expired_reads = 0;
  std::vector<int64_t> latencies_us;
  for (const Child& c : children) {
    std::istringstream in(c.buffer);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream f(line);
      std::string kind;
      f >> kind;
      int w = 0, q = 0;
      if (kind == "A") {
        int64_t snap = 0, retries = 0;
        f >> w >> q >> snap >> retries;
        if (!acked.emplace(std::make_pair(w, q), snap).second) {
          failures.push_back("commit writer " + std::to_string(w) + " seq " + std::to_string(q) +
                             " acknowledged twice");
        }
        retries_by_writer[w] += retries;
      } else if (kind == "C") {
        int64_t retries = 0;
        f >> w >> q >> retries;
        conflicts_by_writer[w]++;
        retries_by_writer[w] += retries;
      } else if (kind == "U") {
        f >> w >> q;
        unknown.insert({w, q});
      } else if (kind == "G") {
        std::string where;
        f >> w >> q;
        std::getline(f, where);
        gaps.emplace_back(w, q, where);
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
  for (const auto& [w, q, where] : gaps) {
    if (!unknown.count({w, q})) {
      failures.push_back("reader saw commit writer " + std::to_string(w) + " seq " +
                         std::to_string(q) + " missing below later commits of the writer in" +
                         where);
    }
  }

  // The final state; with an ingest log, after a checkpoint folded it all,
  // so that the snapshot other engines read is what is verified.
  if (a.ingest_log) table.Checkpoint();
  table.Refresh();
  const std::optional<Snapshot> final_snapshot = table.CurrentSnapshot();
  const std::vector<Record> rows =
      final_snapshot ? table.ScanAll(final_snapshot->snapshot_id) : std::vector<Record>{};
  if (final_snapshot && final_snapshot->summary.count("total-records") &&
      final_snapshot->SummaryLong("total-records") != static_cast<int64_t>(rows.size())) {
    failures.push_back("final snapshot has " + std::to_string(rows.size()) +
                       " rows but total-records " + final_snapshot->summary.at("total-records"));
  }
  std::map<int64_t, int> seen;
  std::map<std::pair<int, int>, int> rows_per_commit;
  int64_t phantom = 0, duplicated = 0, unknown_landed_rows = 0;
  for (const Record& r : rows) {
    if (r[1].as_bytes() != run) continue;
    const int64_t id = r[0].as_long();
    if (++seen[id] > 1) ++duplicated;
    const std::pair<int, int> key{r[2].as_int(), r[3].as_int()};
    rows_per_commit[key]++;
    if (!acked.count(key)) {
      if (unknown.count(key)) {
        ++unknown_landed_rows;
      } else {
        ++phantom;
      }
    }
  }
  for (const auto& [key, n] : rows_per_commit) {
    if (n != a.rows_per_commit) {
      failures.push_back("final snapshot shows " + std::to_string(n) + " rows of commit writer " +
                         std::to_string(key.first) + " seq " + std::to_string(key.second));
    }
  }
  const int64_t expected = static_cast<int64_t>(acked.size()) * a.rows_per_commit;
  int64_t found = 0, lost = 0;
  for (const auto& [key, snap] : acked) {
    for (int r = 0; r < a.rows_per_commit; ++r) {
      if (seen.count(RowId(key.first, key.second, r))) {
        ++found;
      } else {
        ++lost;
      }
    }
  }
  int64_t retries = 0, conflicts = 0;
  for (const auto& [w, n] : retries_by_writer) retries += n;
  for (const auto& [w, n] : conflicts_by_writer) conflicts += n;
  const int64_t commits = static_cast<int64_t>(acked.size());
  const double rate = seconds > 0 ? static_cast<double>(commits) / seconds : 0;
  const bool ok = lost == 0 && duplicated == 0 && phantom == 0 && failures.empty() &&
                  commits + static_cast<int64_t>(unknown.size()) ==
                      static_cast<int64_t>(a.processes) * a.commits;
  if (commits + static_cast<int64_t>(unknown.size()) !=
      static_cast<int64_t>(a.processes) * a.commits) {
    failures.push_back(std::to_string(commits) + " commits acknowledged of " +
                       std::to_string(static_cast<int64_t>(a.processes) * a.commits));
  }

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
                          {"unknown_outcomes", unknown.size()},
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
                          {"ok", ok}};
    std::cout << out.dump() << "\n";
  } else {
    std::string out;
    char line[256];
    std::snprintf(line, sizeof line, "writers: %d x %d commits x %d rows; readers: %d\n",
                  a.processes, a.commits, a.rows_per_commit, a.readers);
    out += line;
    out += "rows expected: " + std::to_string(expected) + "\nrows found: " + std::to_string(found) +
           "\nlost: " + std::to_string(lost) + "\nduplicated: " + std::to_string(duplicated) +
           "\nphantom: " + std::to_string(phantom) + "\ncommits: " + std::to_string(commits) +
           "\nunknown outcomes: " + std::to_string(unknown.size());
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
  if (!ok) throw Corruption("stress run on " + a.table + " found anomalies");
}

}  // namespace

void AddStressCommand(CLI::App& app) {
  auto a = std::make_shared<StressArgs>();
  CLI::App* stress = app.add_subcommand("stress",
                                        "Many writer and reader processes on one table; verifies "
                                        "nothing is lost, duplicated or torn");
  stress->add_option("TABLE", a->table, "Table folder (created if absent)")->required();
  stress->add_option("--processes", a->processes, "Writer processes")->required();
  stress->add_option("--commits", a->commits, "Commits per writer")->required();
  stress->add_option("--rows-per-commit", a->rows_per_commit, "Rows per commit (default 10)");
  stress->add_option("--readers", a->readers, "Reader processes (default 0)");
  stress->add_flag("--ingest-log", a->ingest_log,
                   "Create the table with an ingest log; readers read the current state, the run "
                   "ends with a checkpoint and verifies the snapshot it made");
  stress->add_flag(
      "--json", a->json,
      "One JSON object: rows_expected, rows_found, lost, duplicated, phantom, commits, seconds, "
      "commits_per_second, retries, conflicts, ...");
  stress->callback([a] { RunStress(*a); });
}

}  // namespace datashard::cli
