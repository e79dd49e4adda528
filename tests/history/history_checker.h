// Checks a history of writes that add rows and reads that see them against
// what datashard promises (DESIGN.md §4, §5, §6a, §9). Commit order is the
// order of positions (snapshot or log sequence numbers) of acknowledged
// writes; a read sees a state. Anomalies are named as Elle names them where
// one of its names fits, else as Jepsen's set checkers do:
//
//   lost               a read made after no write ran (final) misses an
//                      acknowledged write
//   duplicate          a row, or a whole write, is seen twice
//   unexpected         a read sees rows of a write never invoked, or rows
//                      that name no write
//   G1a                aborted read: a read sees a write whose commit failed
//   G1b                intermediate read: a read sees part of a write's rows
//   G0                 dirty write: two writes acknowledged at one position,
//                      and a state holds one without the other
//   G-single           read skew: a read sees a write but misses one earlier
//                      in commit order (not a prefix of commit order)
//   incompatible-order two reads each see a write the other misses: no one
//                      commit order has both states as prefixes
//   G-single-process   non-monotonic read: a process's read misses a write
//                      its earlier read saw, or reads an older position
//   G-single-realtime  stale read (CheckOptions::realtime_reads): a read
//                      misses a write acknowledged before it began
//   G0-realtime        commit order contradicts real time: a write
//                      acknowledged before another began is ordered after it
//   G1c                cyclic information flow: a guarded write committed at
//                      or before the position of the state it read
//   lost-update        a guarded write committed although another write in
//                      its scope committed after its base
//
// The model is append-only: every write adds rows, none removes any. Writes
// that row-level changes make will need their own rules here.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "history/history.h"

namespace datashard::history {

struct CheckOptions {
  /// Reads must see every write acknowledged before they began (a reader
  /// that opens the current state each time, rather than a pinned one).
  bool realtime_reads = false;
  /// Anomalies kept with their operations per type; the rest are counted.
  size_t examples_per_type = 10;
};

struct Anomaly {
  std::string type;
  std::string explanation;
  std::vector<Operation> ops;  // the operations involved
  /// "G-single: <explanation> [ops...]".
  std::string ToString() const;
};

/// Row counts of the last final read, as `datashard stress` reports them.
struct FinalRows {
  bool checked = false;        // a final read exists
  int64_t expected = 0;        // rows of acknowledged writes
  int64_t found = 0;           // of those, rows present
  int64_t lost = 0;            // of those, rows absent
  int64_t duplicated = 0;      // rows seen more than once, counting each extra time
  int64_t phantom = 0;         // rows of failed or never invoked writes, and rows naming no write
  int64_t unknown_landed = 0;  // rows of writes with an unknown outcome
};

struct CheckResult {
  std::vector<Anomaly> anomalies;         // at most examples_per_type of each type
  std::map<std::string, int64_t> counts;  // every anomaly, by type
  int64_t writes_ok = 0, writes_failed = 0, writes_unknown = 0;
  int64_t reads_ok = 0, reads_final = 0, other_ops = 0;
  FinalRows final_rows;

  bool valid() const { return counts.empty(); }
  int64_t anomaly_count() const;
};

CheckResult Check(const std::vector<Operation>& operations, const CheckOptions& options = {});

}  // namespace datashard::history
