// Property test of row-level changes: random sequences of append, delete,
// update, overwrite and compact, in both write modes, on a partitioned and
// an unpartitioned table, against an in-memory model. After every step the
// current snapshot and every snapshot still in the history scan to exactly
// the model's rows of that moment, and verify passes every few steps. The
// seed of a failing sequence is in the failure message.
#include <algorithm>
#include <map>
#include <random>

#include <gtest/gtest.h>

#include "datashard/table.h"
#include "io/temp_dir.h"
#include "table/table_test_util.h"

namespace datashard {
namespace {

using testing::IdValueSchema;

using Rows = std::multimap<int64_t, std::string>;

// Rows in a canonical order (a multimap keeps equal ids in insertion order).
std::vector<std::pair<int64_t, std::string>> Sorted(const Rows& rows) {
  std::vector<std::pair<int64_t, std::string>> out(rows.begin(), rows.end());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::pair<int64_t, std::string>> Scan(Table& t,
                                                  std::optional<int64_t> snapshot = std::nullopt) {
  Rows rows;
  for (const Record& r : t.ScanAll(snapshot)) rows.emplace(r[0].as_long(), r[1].as_bytes());
  return Sorted(rows);
}

struct Case {
  const char* mode;
  const char* partition_by;  // empty: unpartitioned
};

// Names the case in test output (instead of its bytes).
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.mode << (std::string(c.partition_by).empty() ? "" : " partitioned");
}

class RowChangesPropertyTest : public ::testing::TestWithParam<Case> {};

TEST_P(RowChangesPropertyTest, EverySnapshotScansToTheModel) {
  const Case c = GetParam();
  for (uint32_t seed = 1; seed <= 3; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    TempDir dir;
    const PartitionSpec spec = std::string(c.partition_by).empty()
                                   ? PartitionSpec()
                                   : PartitionSpec::Parse(c.partition_by, IdValueSchema());
    Table t = CreateTable(dir.Join("t"), IdValueSchema(), spec,
                          {{"write.delete.mode", c.mode},
                           {"write.update.mode", c.mode},
                           {"commit.manifest.min-count-to-merge", "4"}});
    std::mt19937 rng(seed);
    const auto pick = [&](int64_t lo, int64_t hi) {
      return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
    };
    Rows model;
    std::map<int64_t, Rows> states;  // by snapshot id
    int64_t next_id = 0;
    for (int step = 0; step < 40; ++step) {
      const int64_t op = pick(0, 9);
      const int64_t lo = pick(0, std::max<int64_t>(1, next_id));
      const int64_t hi = lo + pick(1, 15);
      const std::string where =
          "record_id >= " + std::to_string(lo) + " and record_id < " + std::to_string(hi);
      std::string what;
      if (op <= 3 || next_id == 0) {
        const int64_t n = pick(1, 12);
        std::vector<Record> rows;
        for (int64_t i = 0; i < n; ++i) {
          // Now and then an id appended again: deletes take every copy.
          const int64_t id = pick(0, 9) == 0 && next_id > 0 ? pick(0, next_id - 1) : next_id++;
          rows.push_back({Value(id), Value("a" + std::to_string(step))});
          model.emplace(id, "a" + std::to_string(step));
        }
        t.AppendRecords(rows, IdValueSchema());
        what = "append " + std::to_string(n);
      } else if (op <= 5) {
        Transaction tx = t.NewTransaction();
        const int64_t matched = tx.Delete(where);
        int64_t want = 0;
        for (auto it = model.lower_bound(lo); it != model.end() && it->first < hi;) {
          it = model.erase(it);
          ++want;
        }
        ASSERT_EQ(matched, want) << "delete " << where;
        ASSERT_TRUE(tx.Commit());
        what = "delete " + where;
      } else if (op <= 7) {
        const std::string value = "u" + std::to_string(step);
        Transaction tx = t.NewTransaction();
        const int64_t matched = tx.Update({{"value", Value(value)}}, where);
        int64_t want = 0;
        for (auto it = model.lower_bound(lo); it != model.end() && it->first < hi; ++it) {
          it->second = value;
          ++want;
        }
        ASSERT_EQ(matched, want) << "update " << where;
        ASSERT_TRUE(tx.Commit());
        what = "update " + where;
      } else if (op == 8) {
        Transaction tx = t.NewTransaction();
        const int64_t id = next_id++;
        tx.Overwrite(where, {{Value(id), Value("o" + std::to_string(step))}}, IdValueSchema());
        ASSERT_TRUE(tx.Commit());
        for (auto it = model.lower_bound(lo); it != model.end() && it->first < hi;)
          it = model.erase(it);
        model.emplace(id, "o" + std::to_string(step));
        what = "overwrite " + where;
      } else {
        CompactOptions options;
        options.target_file_size_bytes = pick(500, 5000);
        t.Compact(options);
        what = "compact";
      }
      SCOPED_TRACE("step " + std::to_string(step) + ": " + what);
      if (const std::optional<Snapshot> s = t.CurrentSnapshot()) states[s->snapshot_id] = model;
      ASSERT_EQ(Scan(t), Sorted(model));
      for (const Snapshot& s : t.History()) {
        const auto it = states.find(s.snapshot_id);
        ASSERT_NE(it, states.end()) << "snapshot " << s.snapshot_id << " made by no step";
        ASSERT_EQ(Scan(t, s.snapshot_id), Sorted(it->second)) << "time travel to " << s.snapshot_id;
      }
      if (step % 8 == 7) {
        const VerifyReport report = t.Verify();
        ASSERT_TRUE(report.ok()) << report.problems.front();
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Tables, RowChangesPropertyTest,
                         ::testing::Values(Case{"copy-on-write", ""}, Case{"merge-on-read", ""},
                                           Case{"copy-on-write", "bucket(3,record_id)"},
                                           Case{"merge-on-read", "bucket(3,record_id)"}),
                         [](const auto& info) {
                           return std::string(std::string(info.param.mode) == "copy-on-write"
                                                  ? "CopyOnWrite"
                                                  : "MergeOnRead") +
                                  (std::string(info.param.partition_by).empty() ? ""
                                                                                : "Partitioned");
                         });

}  // namespace
}  // namespace datashard
