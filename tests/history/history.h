// Histories of operations that many processes ran against one table, in the
// vocabulary of Jepsen and Elle: each operation is invoked, then completes
// ok, fail (it certainly did not happen) or info (unknown: it may or may not
// have happened; also every invocation a crash left without completion).
//
// A history is written as JSON Lines, one file per process (README.md in
// this folder gives the format), so a process killed at any moment leaves a
// valid prefix; a torn last line is ignored. Not thread-safe.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "datashard/file_io.h"

namespace datashard::history {

/// One write: a writer name and a number unique within that writer. A write
/// adds `rows` rows, each of which a reader can trace back to its write.
struct WriteId {
  std::string writer;
  int64_t seq = 0;
  auto operator<=>(const WriteId&) const = default;
  std::string ToString() const { return writer + ":" + std::to_string(seq); }
};

/// How many rows of one write a read saw: distinct rows, and rows in all
/// (more than distinct: some row was there twice).
struct Seen {
  int64_t distinct = 0;
  int64_t total = 0;
  bool operator==(const Seen&) const = default;
};

/// What one read saw: the rows of each write, and rows that name no write.
struct Observation {
  std::map<WriteId, Seen> writes;
  int64_t foreign_rows = 0;
  bool operator==(const Observation&) const = default;
};

/// Counts the rows of one write into an Observation: call Add for every row
/// a read returned, then Finish.
class ObservationBuilder {
 public:
  /// `row` identifies the row within its write (two equal ones are one row
  /// seen twice).
  void Add(const WriteId& write, int64_t row);
  void AddForeign() { ++observation_.foreign_rows; }
  Observation Finish();

 private:
  std::map<WriteId, std::map<int64_t, int64_t>> rows_;
  Observation observation_;
};

enum class EventType { kInvoke, kOk, kFail, kInfo, kSnapshot };

/// One line of a history log.
struct Event {
  EventType type = EventType::kInvoke;
  std::string process;  // one process incarnation: a restarted process takes a new name
  int64_t op = 0;       // numbers the process's operations; ties an invoke to its completion
  int64_t time_ns = 0;  // CLOCK_MONOTONIC: comparable between the processes of one machine
  // invoke
  std::string f;                 // "append", "read", "checkpoint", ...
  std::optional<WriteId> write;  // set for an operation that adds rows
  int64_t rows = 0;              // rows the write adds
  // A guarded write (optimistic offline lock): commits only if nothing in
  // `scope` ("" = the whole table) changed since the state at `base`
  // (a position) or `base_snapshot` (a snapshot id).
  std::optional<int64_t> base;
  std::optional<int64_t> base_snapshot;
  std::string scope;
  // ok of a write: where it landed in commit order, directly (`position`:
  // a snapshot sequence number or log sequence number) or as a snapshot id
  // that a kSnapshot event maps to a position. ok of a read: the position
  // of the state it read, when known.
  std::optional<int64_t> position;
  std::optional<int64_t> snapshot;
  // ok of a read
  std::optional<Observation> observed;
  bool final = false;  // no write ran while this read ran
  // fail and info
  std::string error;
};

/// The event as one JSON line (without the newline).
std::string EventToJson(const Event& e);
/// Parses one line; InvalidArgument naming `where` for a malformed one.
Event EventFromJson(const std::string& line, const std::string& where);

/// Current CLOCK_MONOTONIC time in nanoseconds, for Event::time_ns.
int64_t MonotonicNanos();

struct Operation {
  size_t index = 0;  // position in History::operations()
  std::string process;
  int64_t op = 0;
  std::string f;
  int64_t invoke_ns = 0;
  std::optional<int64_t> complete_ns;    // nullopt: never completed (a crash)
  EventType outcome = EventType::kInfo;  // kOk, kFail or kInfo
  std::optional<WriteId> write;
  int64_t rows = 0;
  std::optional<int64_t> base;
  std::optional<int64_t> base_snapshot;
  std::string scope;
  std::optional<int64_t> position;
  std::optional<int64_t> snapshot;
  std::optional<Observation> observed;
  bool final = false;
  std::string error;

  bool is_write() const { return write.has_value(); }
  /// "w0.1#5 append 0:5 ok @17", for anomaly reports.
  std::string Describe() const;
};

/// Operations assembled from events, in the order of their invocations.
class History {
 public:
  /// Adds one event. InvalidArgument for a completion without invocation, an
  /// operation completed twice, or a write id invoked twice.
  void Add(const Event& e);
  /// Adds every complete line of `text` (JSON Lines); a last line without
  /// its newline is a write a crash cut short and is ignored. `source`
  /// names the text in errors.
  void AddJsonLines(const std::string& text, const std::string& source);
  /// Adds every "*.jsonl" file of `dir`.
  void AddFolder(FileIO& io, const std::string& dir);

  /// The operations (invocations never completed are info), sorted by
  /// invocation time; positions given as snapshot ids are resolved.
  std::vector<Operation> operations() const;

 private:
  std::vector<Operation> ops_;
  std::map<std::pair<std::string, int64_t>, size_t> by_op_;  // (process, op) -> ops_ index
  std::map<WriteId, size_t> writes_;
  std::map<int64_t, int64_t> snapshot_positions_;
};

}  // namespace datashard::history
