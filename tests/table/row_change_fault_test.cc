// Row-level changes, compaction, schema changes and expiry under injected
// I/O faults and simulated power loss (issue 17 item 3): for every I/O
// operation of a delete, an update (copy-on-write and merge-on-read), a
// compaction, a schema change and an expiry that deletes files, failing that
// operation with EIO or ENOSPC, or the machine dying there, leaves the
// table with the change entirely or not at all, readable, verified, with
// nothing it references missing, and accepting commits again.
#include <cerrno>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "datashard/errors.h"
#include "datashard/maintenance.h"
#include "datashard/schema_update.h"
#include "datashard/table.h"
#include "datashard/transaction.h"
#include "io/fault_injection_file_io.h"
#include "io/temp_dir.h"
#include "table/table_test_util.h"

namespace datashard {
namespace {

using testing::ExpectVerifies;
using testing::IdValueRows;
using testing::IdValueSchema;

using Rows = std::map<int64_t, std::string>;  // record_id -> value

Rows ReadRows(Table& t) {
  Rows rows;
  for (const Record& r : t.ScanAll()) {
    EXPECT_TRUE(rows.emplace(r[0].as_long(), r[1].as_bytes()).second)
        << "record_id " << r[0].as_long() << " seen twice";
  }
  return rows;
}

// The nine rows every case starts from, in three data files.
Rows Initial() {
  Rows rows;
  for (int64_t id = 0; id < 9; ++id) rows[id] = "v" + std::to_string(id);
  return rows;
}

struct Case {
  std::string name;
  std::map<std::string, std::string> properties;
  std::function<void(Table&)> change;
  Rows after;                                         // the rows once the change committed
  std::function<void(Table&)> setup = [](Table&) {};  // after the three appends
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

std::vector<Case> Cases() {
  Rows deleted = Initial();
  for (int64_t id = 0; id < 4; ++id) deleted.erase(id);
  Rows updated = Initial();
  for (int64_t id = 5; id < 9; ++id) updated[id] = "u";
  const auto del = [](Table& t) {
    Transaction tx = t.NewTransaction();
    tx.Delete("record_id < 4");
    tx.Commit();
  };
  const auto upd = [](Table& t) {
    Transaction tx = t.NewTransaction();
    tx.Update({{"value", Value("u")}}, "record_id >= 5");
    tx.Commit();
  };
  // The three small files are rewritten into one.
  const auto compact = [](Table& t) { t.Compact(); };
  // An optional column, named after the column count so the change repeats.
  const auto add_column = [](Table& t) {
    const size_t n = t.metadata().CurrentSchema().fields().size();
    t.UpdateSchema(SchemaUpdate().AddColumn("c" + std::to_string(n), DataType::Long()));
  };
  // After a compaction removed the three appended files: expiring every
  // snapshot but the current one deletes them (no grace period).
  const auto expire = [](Table& t) {
    ExpireOptions options;
    options.older_than_ms = 0;
    options.retain_last = 1;
    t.ExpireSnapshots(options);
  };
  return {
      {"DeleteCopyOnWrite", {{"write.delete.mode", "copy-on-write"}}, del, deleted},
      {"DeleteMergeOnRead", {{"write.delete.mode", "merge-on-read"}}, del, deleted},
      {"UpdateCopyOnWrite", {{"write.update.mode", "copy-on-write"}}, upd, updated},
      {"UpdateMergeOnRead", {{"write.update.mode", "merge-on-read"}}, upd, updated},
      {"Compact", {}, compact, Initial()},
      {"AddColumn", {}, add_column, Initial()},
      {"Expire",
       {{table_properties::kExpireDeleteGraceMs, "0"}},
       expire,
       Initial(),
       [](Table& t) { t.Compact(); }},
  };
}

// Merging and retention run on every commit, so their I/O is covered too.
std::map<std::string, std::string> BusyProperties(const Case& c) {
  std::map<std::string, std::string> p = {{"commit.manifest.min-count-to-merge", "2"},
                                          {"history.expire.min-snapshots-to-keep", "2"},
                                          {"write.metadata.previous-versions-max", "1"}};
  p.insert(c.properties.begin(), c.properties.end());
  return p;
}

Table Prepare(const std::string& path, const Case& c, std::shared_ptr<FileIO> io) {
  Table t = CreateTable(path, IdValueSchema(), PartitionSpec(), BusyProperties(c), {std::move(io)});
  for (int64_t first = 0; first < 9; first += 3)
    t.AppendRecords(IdValueRows(first, 3), IdValueSchema());
  c.setup(t);
  return t;
}

enum class Outcome { kCommitted, kFailed, kUnknown };

Outcome Try(const Case& c, Table& t) {
  try {
    c.change(t);
    return Outcome::kCommitted;
  } catch (const CommitStateUnknown&) {
    return Outcome::kUnknown;
  } catch (const Error&) {
    return Outcome::kFailed;
  }
}

void ExpectAllOrNothing(const Case& c, Outcome outcome, Table& t, int n) {
  const Rows rows = ReadRows(t);
  switch (outcome) {
    case Outcome::kCommitted:
      EXPECT_EQ(rows, c.after) << "committed; fault at operation " << n;
      break;
    case Outcome::kFailed:
      EXPECT_EQ(rows, Initial()) << "failed; fault at operation " << n;
      break;
    case Outcome::kUnknown:
      EXPECT_TRUE(rows == c.after || rows == Initial()) << "unknown; fault at operation " << n;
      break;
  }
}

class RowChangeFaultTest : public ::testing::TestWithParam<Case> {};

TEST_P(RowChangeFaultTest, EveryFailingOperationLeavesAllOrNothing) {
  const Case& c = GetParam();
  int failed = 0, committed = 0;
  for (int n = 1;; ++n) {
    TempDir dir;
    auto fault = std::make_shared<FaultInjectionFileIO>(NewPosixFileIO());
    Table t = Prepare(dir.Join("t"), c, fault);
    fault->FailNth(kAllFaultOps, n, n % 2 ? EIO : ENOSPC);
    const Outcome outcome = Try(c, t);
    const bool fired = fault->faults_injected() > 0;
    fault->ClearFaults();
    failed += outcome == Outcome::kFailed;
    committed += outcome == Outcome::kCommitted;
    Table r = OpenTable(dir.Join("t"));
    ExpectAllOrNothing(c, outcome, r, n);
    ExpectVerifies(r);
    // The table keeps accepting commits, and the change can be made again.
    r.AppendRecords(IdValueRows(100, 1), IdValueSchema());
    c.change(r);
    Rows want = c.after;
    want[100] = c.name.rfind("Update", 0) == 0 ? "u" : "v100";
    EXPECT_EQ(ReadRows(r), want) << "after the fault at operation " << n;
    if (!fired) break;  // n passed the change's last operation
    ASSERT_LT(n, 800);
  }
  EXPECT_GT(failed, 0);
  EXPECT_GT(committed, 0);
}

TEST_P(RowChangeFaultTest, AcknowledgedChangesSurvivePowerLossAtEveryPoint) {
  const Case& c = GetParam();
  for (int n = 1;; ++n) {
    TempDir dir;
    auto fault = std::make_shared<FaultInjectionFileIO>(NewPosixFileIO());
    Table t = Prepare(dir.Join("t"), c, fault);
    // The machine dies at operation n of the change: every later operation
    // fails, then whatever was not synced is lost.
    fault->FailNth(kAllFaultOps, n, EIO, /*sticky=*/true);
    const Outcome outcome = Try(c, t);
    const bool fired = fault->faults_injected() > 0;
    fault->ClearFaults();
    fault->DropUnsyncedData();
    Table r = OpenTable(dir.Join("t"), {fault});
    ExpectAllOrNothing(c, outcome, r, n);
    ExpectVerifies(r);
    if (!fired) break;
    ASSERT_LT(n, 800);
  }
}

INSTANTIATE_TEST_SUITE_P(Changes, RowChangeFaultTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace datashard
