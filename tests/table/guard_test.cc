// The optimistic offline lock's scopes (DESIGN.md §5) and fencing at the
// commit point (DESIGN.md §7): a commit given an expected snapshot conflicts,
// without retrying, only when its guarded scope changed since; commits
// outside the scope are rebased over (a row-level change applied again);
// fencing tokens are checked and raised in the metadata the commit
// publishes, also on tables with an ingest log.
#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "datashard/errors.h"
#include "datashard/lock_manager.h"
#include "datashard/table.h"
#include "io/temp_dir.h"

namespace datashard {
namespace {

Schema SeatSchema() {
  return Schema(
      1, {Field{1, "flight", DataType::String(), true}, Field{2, "seat", DataType::String(), true},
          Field{3, "status", DataType::String(), true}, Field{4, "price", DataType::Long(), true}});
}

Record Seat(const std::string& flight, const std::string& seat, const std::string& status,
            int64_t price) {
  return {Value(flight), Value(seat), Value(status), Value(price)};
}

// "flight/seat/status/price" of every row, sorted.
std::vector<std::string> Rows(Table& t) {
  std::vector<std::string> out;
  t.Refresh();
  for (const Record& r : t.ScanAll()) {
    out.push_back(r[0].as_bytes() + "/" + r[1].as_bytes() + "/" + r[2].as_bytes() + "/" +
                  std::to_string(r[3].as_long()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

int64_t Current(Table& t) { return t.CurrentSnapshot()->snapshot_id; }

TransactionOptions Guard(int64_t expected, const std::string& where = "",
                         bool changed_columns = false) {
  TransactionOptions o;
  o.expected_snapshot_id = expected;
  o.guard_where = where;
  o.guard_changed_columns = changed_columns;
  return o;
}

void Update(Table& t, const std::map<std::string, Value>& set, const std::string& where) {
  Transaction tx = t.NewTransaction();
  tx.Update(set, where);
  tx.Commit();
}

// Commits and returns the CommitConflict's message; fails if it committed.
std::string ConflictOf(Transaction& tx) {
  try {
    tx.Commit();
  } catch (const CommitConflict& e) {
    EXPECT_EQ(e.retries(), 0);
    return e.what();
  }
  ADD_FAILURE() << "the commit did not conflict";
  return "";
}

class GuardTest : public ::testing::TestWithParam<const char*> {
 protected:
  // Flights LO1 and LO2, partitioned by flight when `partitioned`; each
  // flight's seats 1A and 1B in one data file.
  Table Flights(bool partitioned, std::map<std::string, std::string> properties = {}) {
    properties["write.delete.mode"] = GetParam();
    properties["write.update.mode"] = GetParam();
    const PartitionSpec spec =
        partitioned ? PartitionSpec::Parse("flight", SeatSchema()) : PartitionSpec();
    Table t = CreateTable(dir_.Join("t"), SeatSchema(), spec, properties);
    for (const char* flight : {"LO1", "LO2"}) {
      t.AppendRecords({Seat(flight, "1A", "free", 100), Seat(flight, "1B", "free", 100)},
                      SeatSchema(),
                      partitioned ? PartitionValues{{"flight", Value(flight)}} : PartitionValues{});
    }
    return t;
  }
  TempDir dir_{"guard"};
};

INSTANTIATE_TEST_SUITE_P(Modes, GuardTest, ::testing::Values("copy-on-write", "merge-on-read"));

TEST_P(GuardTest, TableScopeRefusesAnyNewerSnapshotNamingIt) {
  Table t = Flights(false);
  const int64_t seen = Current(t);
  Update(t, {{"price", Value(int64_t{90})}}, "flight = 'LO2'");
  const int64_t other = Current(t);
  Transaction tx = t.NewTransaction(Guard(seen));
  tx.Update({{"status", Value("blocked")}}, "flight = 'LO1' and seat = '1A'");
  const std::string message = ConflictOf(tx);
  EXPECT_NE(message.find("snapshot " + std::to_string(other) + " (operation overwrite"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("expected snapshot " + std::to_string(seen)), std::string::npos);
  EXPECT_EQ(Current(t), other);
  EXPECT_EQ(Rows(t), (std::vector<std::string>{"LO1/1A/free/100", "LO1/1B/free/100",
                                               "LO2/1A/free/90", "LO2/1B/free/90"}));
}

TEST_P(GuardTest, PartitionScopeRebasesOverOtherPartitionsAndRefusesItsOwn) {
  Table t = Flights(true);
  const int64_t seen = Current(t);
  Update(t, {{"price", Value(int64_t{90})}}, "flight = 'LO2'");
  {
    Transaction tx = t.NewTransaction(Guard(seen, "flight = 'LO1'"));
    EXPECT_EQ(tx.Update({{"status", Value("blocked")}}, "flight = 'LO1' and seat = '1A'"), 1);
    EXPECT_TRUE(tx.Commit());
  }
  EXPECT_EQ(Rows(t), (std::vector<std::string>{"LO1/1A/blocked/100", "LO1/1B/free/100",
                                               "LO2/1A/free/90", "LO2/1B/free/90"}));
  const int64_t seen2 = Current(t);
  Update(t, {{"price", Value(int64_t{80})}}, "flight = 'LO1' and seat = '1B'");
  const int64_t changer = Current(t);
  Transaction tx = t.NewTransaction(Guard(seen2, "flight = 'LO1'"));
  tx.Update({{"status", Value("sold")}}, "flight = 'LO1' and seat = '1A'");
  const std::string message = ConflictOf(tx);
  EXPECT_NE(message.find("the rows matching"), std::string::npos) << message;
  EXPECT_NE(message.find("snapshot " + std::to_string(changer)), std::string::npos) << message;
  EXPECT_EQ(Current(t), changer);
}

TEST_P(GuardTest, RowScopeTellsRowsOfOneFileApart) {
  Table t = Flights(false);
  const int64_t seen = Current(t);
  // Seat 1B shares 1A's data file: the file changes, 1A's row does not.
  Update(t, {{"status", Value("sold")}}, "flight = 'LO1' and seat = '1B'");
  {
    Transaction tx = t.NewTransaction(Guard(seen, "flight = 'LO1' and seat = '1A'"));
    tx.Update({{"status", Value("blocked")}}, "flight = 'LO1' and seat = '1A'");
    EXPECT_TRUE(tx.Commit());
    EXPECT_EQ(tx.retries(), 0);
  }
  EXPECT_EQ(Rows(t), (std::vector<std::string>{"LO1/1A/blocked/100", "LO1/1B/sold/100",
                                               "LO2/1A/free/100", "LO2/1B/free/100"}));
  // Any column of a guarded row: a conflict.
  const int64_t seen2 = Current(t);
  Update(t, {{"price", Value(int64_t{120})}}, "flight = 'LO1' and seat = '1A'");
  Transaction tx = t.NewTransaction(Guard(seen2, "flight = 'LO1' and seat = '1A'"));
  tx.Delete("flight = 'LO1' and seat = '1A'");
  const std::string message = ConflictOf(tx);
  EXPECT_NE(message.find("1 guarded row(s) no longer as they were, 1 new or changed"),
            std::string::npos)
      << message;
  EXPECT_EQ(Rows(t), (std::vector<std::string>{"LO1/1A/blocked/120", "LO1/1B/sold/100",
                                               "LO2/1A/free/100", "LO2/1B/free/100"}));
}

TEST_P(GuardTest, AChangeIsAppliedAgainOverACommitToItsFileOutsideTheScope) {
  Table t = Flights(false);
  const int64_t seen = Current(t);
  Transaction rows = t.NewTransaction(Guard(seen, "flight = 'LO1' and seat = '1A'"));
  EXPECT_EQ(rows.Update({{"status", Value("blocked")}}, "flight = 'LO1' and seat = '1A'"), 1);
  rows.AppendData({Seat("LO1", "2A", "free", 100)}, SeatSchema());
  Transaction columns = t.NewTransaction(Guard(seen, "", true));
  EXPECT_EQ(columns.Update({{"price", Value(int64_t{70})}}, "flight = 'LO2' and seat = '1B'"), 1);
  // Between the changes and their commits: the same data files change
  // (rows 1B and 1A of LO2), outside both scopes.
  Update(t, {{"status", Value("sold")}}, "seat = '1B'");
  Update(t, {{"status", Value("sold")}}, "flight = 'LO2' and seat = '1A'");
  EXPECT_TRUE(rows.Commit());
  EXPECT_TRUE(columns.Commit());
  EXPECT_EQ(Rows(t),
            (std::vector<std::string>{"LO1/1A/blocked/100", "LO1/1B/sold/100", "LO1/2A/free/100",
                                      "LO2/1A/sold/100", "LO2/1B/sold/70"}));
}

TEST_P(GuardTest, ChangedColumnsConflictOnlyOnTheColumnsAndRowsChanged) {
  Table t = Flights(false);
  const int64_t seen = Current(t);
  // Another column of the same row, and the same column of another row.
  Update(t, {{"price", Value(int64_t{150})}}, "flight = 'LO1' and seat = '1A'");
  Update(t, {{"status", Value("sold")}}, "flight = 'LO1' and seat = '1B'");
  {
    Transaction tx = t.NewTransaction(Guard(seen, "", true));
    tx.Update({{"status", Value("blocked")}}, "flight = 'LO1' and seat = '1A'");
    EXPECT_TRUE(tx.Commit());
  }
  EXPECT_EQ(Rows(t), (std::vector<std::string>{"LO1/1A/blocked/150", "LO1/1B/sold/100",
                                               "LO2/1A/free/100", "LO2/1B/free/100"}));
  const int64_t seen2 = Current(t);
  Update(t, {{"status", Value("sold")}}, "flight = 'LO1' and seat = '1A'");
  const int64_t changer = Current(t);
  Transaction tx = t.NewTransaction(Guard(seen2, "", true));
  tx.Update({{"status", Value("free")}}, "flight = 'LO1' and seat = '1A'");
  const std::string message = ConflictOf(tx);
  EXPECT_NE(message.find("columns status of the rows matching"), std::string::npos) << message;
  EXPECT_NE(message.find("snapshot " + std::to_string(changer)), std::string::npos) << message;
  EXPECT_EQ(Rows(t)[0], "LO1/1A/sold/150");
}

TEST_P(GuardTest, AppendsUnderARowScope) {
  Table t = Flights(true);
  const int64_t seen = Current(t);
  t.AppendRecords({Seat("LO2", "2A", "free", 100)}, SeatSchema(), {{"flight", Value("LO2")}});
  {
    Transaction tx = t.NewTransaction(Guard(seen, "flight = 'LO1'"));
    tx.AppendData({Seat("LO1", "2A", "free", 100)}, SeatSchema(), {{"flight", Value("LO1")}});
    EXPECT_TRUE(tx.Commit());
  }
  const int64_t seen2 = Current(t);
  t.AppendRecords({Seat("LO1", "3A", "free", 100)}, SeatSchema(), {{"flight", Value("LO1")}});
  Transaction tx = t.NewTransaction(Guard(seen2, "flight = 'LO1'"));
  tx.AppendData({Seat("LO1", "3A", "free", 100)}, SeatSchema(), {{"flight", Value("LO1")}});
  EXPECT_NE(ConflictOf(tx).find("operation append"), std::string::npos);
  EXPECT_EQ(Rows(t).size(), 7u);
}

TEST_P(GuardTest, GuardOptionsAreCheckedBeforeAnythingIsWritten) {
  Table t = Flights(false);
  EXPECT_THROW(t.NewTransaction(Guard(Current(t), "nope = 1")), InvalidArgument);
  TransactionOptions no_expected;
  no_expected.guard_where = "seat = '1A'";
  EXPECT_THROW(t.NewTransaction(no_expected), InvalidArgument);
  TransactionOptions both = Guard(Current(t), "seat = '1A'", true);
  EXPECT_THROW(t.NewTransaction(both), InvalidArgument);
}

class LogGuardTest : public ::testing::Test {
 protected:
  Table LogFlights() {
    Table t =
        CreateTable(dir_.Join("t"), SeatSchema(), PartitionSpec::Parse("flight", SeatSchema()),
                    {{table_properties::kIngestLogEnabled, "true"},
                     {table_properties::kCheckpointRecords, "1000000000"},
                     {table_properties::kCheckpointIntervalMs, "1000000000"}});
    t.AppendRecords({Seat("LO1", "1A", "free", 100)}, SeatSchema(), {{"flight", Value("LO1")}});
    t.Checkpoint();
    return t;
  }
  TempDir dir_{"guard-log"};
};

TEST_F(LogGuardTest, LogAppendsSinceTheExpectedSnapshotAreChanges) {
  Table t = LogFlights();
  const int64_t seen = Current(t);
  // Only in the log: no snapshot yet.
  t.AppendRecords({Seat("LO2", "1A", "free", 100)}, SeatSchema(), {{"flight", Value("LO2")}});
  EXPECT_EQ(Current(t), seen);
  {
    Transaction tx = t.NewTransaction(Guard(seen, "flight = 'LO1'"));
    tx.AppendData({Seat("LO1", "1B", "free", 100)}, SeatSchema(), {{"flight", Value("LO1")}});
    EXPECT_TRUE(tx.Commit());
    EXPECT_TRUE(tx.committed_snapshot().has_value());  // published a snapshot, not a record
  }
  const int64_t seen2 = Current(t);
  t.AppendRecords({Seat("LO1", "1C", "free", 100)}, SeatSchema(), {{"flight", Value("LO1")}});
  Transaction tx = t.NewTransaction(Guard(seen2));
  tx.AppendData({Seat("LO2", "1B", "free", 100)}, SeatSchema(), {{"flight", Value("LO2")}});
  EXPECT_NE(ConflictOf(tx).find("operation append"), std::string::npos);
  EXPECT_EQ(Rows(t), (std::vector<std::string>{"LO1/1A/free/100", "LO1/1B/free/100",
                                               "LO1/1C/free/100", "LO2/1A/free/100"}));
}

// A lease that expires while its holder pauses: the successor's commit
// raises the table's token, and the stale holder's commit is refused with
// nothing of it visible.
class FencingTest : public ::testing::TestWithParam<bool> {
 protected:
  Table Create() {
    std::map<std::string, std::string> properties;
    if (GetParam()) {
      properties = {{table_properties::kIngestLogEnabled, "true"},
                    {table_properties::kCheckpointRecords, "1000000000"},
                    {table_properties::kCheckpointIntervalMs, "1000000000"}};
    }
    Table t = CreateTable(dir_.Join("t"), SeatSchema(), PartitionSpec(), properties);
    t.AppendRecords({Seat("LO1", "1A", "free", 100)}, SeatSchema());
    return t;
  }
  // An exclusive lease of 5 s on the lock manager's clock (now_).
  Lease Take(const std::string& resource, const std::string& owner) {
    if (!locks_) {
      LockOptions options;
      options.clock = [this] { return now_; };
      locks_ = OpenLockManager("sqlite:" + dir_.Join("locks.db"), options);
    }
    return locks_->Acquire(resource, owner, LockMode::kExclusive, std::chrono::seconds(5),
                           std::chrono::milliseconds(0));
  }
  // Lets every lease taken so far expire.
  void Pause() { now_ += std::chrono::seconds(6); }

  TempDir dir_{"fencing"};
  std::chrono::system_clock::time_point now_ = std::chrono::system_clock::now();
  std::unique_ptr<LockManager> locks_;
};

INSTANTIATE_TEST_SUITE_P(LogOrNot, FencingTest, ::testing::Bool());

TEST_P(FencingTest, AStaleHolderIsRefusedAfterItsSuccessorCommitted) {
  Table t = Create();
  const Lease stale = Take("flights/LO1", "agent-1");
  TransactionOptions stale_options;
  stale_options.fencing_tokens["flights/LO1"] = stale.fencing_token;
  Transaction late = t.NewTransaction(stale_options);
  late.AppendData({Seat("LO1", "9Z", "stale", 1)}, SeatSchema());
  Pause();  // agent-1 paused past its lease
  const Lease successor = Take("flights/LO1", "agent-2");
  ASSERT_GT(successor.fencing_token, stale.fencing_token);
  TransactionOptions options;
  options.fencing_tokens["flights/LO1"] = successor.fencing_token;
  {
    Transaction tx = t.NewTransaction(options);
    tx.Update({{"status", Value("sold")}}, "seat = '1A'");
    EXPECT_TRUE(tx.Commit());
  }
  t.Refresh();
  EXPECT_EQ(t.metadata().Property("datashard.fencing.flights/LO1", ""),
            std::to_string(successor.fencing_token));
  const int64_t before = Current(t);
  try {
    late.Commit();
    ADD_FAILURE() << "the stale commit landed";
  } catch (const StaleFencingToken& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("'flights/LO1'"), std::string::npos) << message;
    EXPECT_NE(message.find("fencing token " + std::to_string(stale.fencing_token) +
                           " is older than token " + std::to_string(successor.fencing_token)),
              std::string::npos)
        << message;
  }
  EXPECT_EQ(Current(t), before);
  EXPECT_EQ(Rows(t), (std::vector<std::string>{"LO1/1A/sold/100"}));
  // The successor writes again with the same token; an equal token is its own.
  Transaction again = t.NewTransaction(options);
  again.AppendData({Seat("LO1", "1B", "free", 100)}, SeatSchema());
  EXPECT_TRUE(again.Commit());
  EXPECT_EQ(Rows(t).size(), 2u);
}

// The coarse-grained lock: the successor locked the whole table after the
// stale holder's lease on one flight ended; the table's token fences the
// flight's holder.
TEST_P(FencingTest, ATokenOfAnAncestorResourceFencesTheResourcesBelowIt) {
  Table t = Create();
  const Lease stale = Take("seats/LO1", "agent-1");
  Pause();
  const Lease table_lock = Take("seats", "agent-2");
  TransactionOptions options;
  options.fencing_tokens["seats"] = table_lock.fencing_token;
  Transaction tx = t.NewTransaction(options);
  tx.AppendData({Seat("LO1", "1B", "free", 100)}, SeatSchema());
  EXPECT_TRUE(tx.Commit());
  TransactionOptions stale_options;
  stale_options.fencing_tokens["seats/LO1"] = stale.fencing_token;
  Transaction late = t.NewTransaction(stale_options);
  late.AppendData({Seat("LO1", "9Z", "stale", 1)}, SeatSchema());
  try {
    late.Commit();
    ADD_FAILURE() << "the stale commit landed";
  } catch (const StaleFencingToken& e) {
    EXPECT_NE(std::string(e.what()).find("(for 'seats', which 'seats/LO1' lies below)"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(Rows(t), (std::vector<std::string>{"LO1/1A/free/100", "LO1/1B/free/100"}));
  // A holder of both fences with both.
  const Lease flight = Take("seats/LO1", "agent-2");
  options.fencing_tokens["seats/LO1"] = flight.fencing_token;
  Transaction both = t.NewTransaction(options);
  both.AppendData({Seat("LO1", "1C", "free", 100)}, SeatSchema());
  EXPECT_TRUE(both.Commit());
}

}  // namespace
}  // namespace datashard
