// Property test of row-level changes and table evolution: random sequences
// of append, delete, update, overwrite, compact, schema change (add,
// rename, drop, widen and move a column), partition spec change and
// snapshot expiry, in both write modes, on a partitioned and an
// unpartitioned table, against an in-memory model that knows every value by
// field id. After every step the current snapshot and every snapshot still
// in the history scan to exactly the model's rows of that moment, in the
// columns and column order of the schema that snapshot was committed with,
// and verify passes. The seed of a failing sequence is in the failure
// message.
#include <algorithm>
#include <map>
#include <random>
#include <variant>

#include <gtest/gtest.h>

#include "datashard/table.h"
#include "io/temp_dir.h"
#include "table/table_test_util.h"

namespace datashard {
namespace {

using testing::IdValueSchema;

constexpr int kKeyId = 1;    // record_id: never renamed or dropped (filters name it)
constexpr int kValueId = 2;  // value: updated; renamed and moved, never dropped

// A column of the model's current schema.
struct Column {
  int id = 0;
  std::string name;
  DataType type;
  bool operator==(const Column&) const = default;
};

// Every value a row was given, by field id, the dropped columns' too (time
// travel to a snapshot from before the drop reads them).
using Row = std::map<int, Value>;
using Rows = std::multimap<int64_t, Row>;  // by record_id

struct State {
  Rows rows;
  std::vector<Column> columns;  // the schema the snapshot was committed with
};

// The model's columns hold only longs, ints and strings.
std::string Text(const Value& v) {
  if (v.is_null()) return "null";
  if (const auto* s = std::get_if<std::string>(&v.storage())) return "'" + *s + "'";
  if (const auto* i = std::get_if<int32_t>(&v.storage())) return std::to_string(*i);
  return std::to_string(v.as_long());  // a widened int reads as the same long
}

std::vector<Column> ColumnsOf(const Schema& s) {
  std::vector<Column> out;
  for (const Field& f : s.fields()) out.push_back({f.id, f.name, f.type});
  return out;
}

// The model's rows as a scan under `columns` returns them, sorted.
std::vector<std::string> Render(const Rows& rows, const std::vector<Column>& columns) {
  std::vector<std::string> out;
  for (const auto& [id, row] : rows) {
    std::string line;
    for (const Column& c : columns) {
      const auto it = row.find(c.id);
      line += c.name + "=" + (it == row.end() ? "null" : Text(it->second)) + ";";
    }
    out.push_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A snapshot's rows as read, in the columns of the schema it was committed with.
std::vector<std::string> Scan(Table& t, std::optional<int64_t> snapshot = std::nullopt) {
  Schema schema = t.schema();
  if (snapshot) {
    const std::optional<Snapshot> s = t.SnapshotById(*snapshot);
    if (s && s->schema_id) schema = *t.metadata().SchemaById(*s->schema_id);
  }
  std::vector<std::string> out;
  for (const Record& r : t.ScanAll(snapshot)) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) line += schema.fields()[i].name + "=" + Text(r[i]) + ";";
    out.push_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
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
                           {"commit.manifest.min-count-to-merge", "4"},
                           {"datashard.expire.delete-grace-ms", "0"}});
    std::mt19937 rng(seed);
    const auto pick = [&](int64_t lo, int64_t hi) {
      return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
    };
    Rows model;
    std::vector<Column> columns = ColumnsOf(IdValueSchema());
    int last_column_id = 2;
    std::map<int64_t, State> states;  // by snapshot id
    int64_t next_id = 0;
    const auto column_index = [&](int id) {
      return static_cast<size_t>(std::find_if(columns.begin(), columns.end(),
                                              [&](const Column& col) { return col.id == id; }) -
                                 columns.begin());
    };
    // A row of the current columns: the key, a value, and numbers or text
    // in the other columns.
    const auto new_row = [&](int64_t id, const std::string& value, int step) {
      Row row;
      for (const Column& col : columns) {
        if (col.id == kKeyId) {
          row[col.id] = Value(id);
        } else if (col.id == kValueId) {
          row[col.id] = Value(value);
        } else if (col.type == DataType::String()) {
          row[col.id] = Value("s" + std::to_string(step));
        } else if (col.type == DataType::Int()) {
          row[col.id] = Value(static_cast<int32_t>(step * 100 + col.id));
        } else {
          row[col.id] = Value(static_cast<int64_t>(step) << 33);
        }
      }
      return row;
    };
    const auto as_record = [&](const Row& row) {
      Record r;
      for (const Column& col : columns) r.push_back(row.at(col.id));
      return r;
    };
    for (int step = 0; step < 40; ++step) {
      const int64_t op = pick(0, 15);
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
          const Row row = new_row(id, "a" + std::to_string(step), step);
          rows.push_back(as_record(row));
          model.emplace(id, row);
        }
        t.AppendRecords(rows, t.schema());
        what = "append " + std::to_string(n);
      } else if (op <= 5 || op >= 14) {
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
        const int64_t matched =
            tx.Update({{columns[column_index(kValueId)].name, Value(value)}}, where);
        int64_t want = 0;
        for (auto it = model.lower_bound(lo); it != model.end() && it->first < hi; ++it) {
          it->second[kValueId] = Value(value);
          ++want;
        }
        ASSERT_EQ(matched, want) << "update " << where;
        ASSERT_TRUE(tx.Commit());
        what = "update " + where;
      } else if (op == 8) {
        Transaction tx = t.NewTransaction();
        const int64_t id = next_id++;
        const Row row = new_row(id, "o" + std::to_string(step), step);
        tx.Overwrite(where, {as_record(row)}, t.schema());
        ASSERT_TRUE(tx.Commit());
        for (auto it = model.lower_bound(lo); it != model.end() && it->first < hi;)
          it = model.erase(it);
        model.emplace(id, row);
        what = "overwrite " + where;
      } else if (op == 9) {
        CompactOptions options;
        options.target_file_size_bytes = pick(500, 5000);
        t.Compact(options);
        what = "compact";
      } else if (op <= 11) {
        // One schema change; record_id stays as filters name it, value stays.
        std::vector<size_t> extra;  // columns other than record_id and value
        for (size_t i = 0; i < columns.size(); ++i) {
          if (columns[i].id != kKeyId && columns[i].id != kValueId) extra.push_back(i);
        }
        const int64_t kind = pick(0, 4);
        SchemaUpdate u;
        if (kind == 0 || (extra.empty() && kind != 4)) {
          const std::string name = "c" + std::to_string(step);
          const DataType type = pick(0, 1) ? DataType::Int() : DataType::String();
          u.AddColumn(name, type);
          columns.push_back({++last_column_id, name, type});
          what = "add column " + name;
        } else if (kind == 1) {
          // Any column but the key, the value column too.
          Column& col = pick(0, 1) ? columns[extra[pick(0, extra.size() - 1)]]
                                   : columns[column_index(kValueId)];
          const std::string name = "r" + std::to_string(step);
          u.RenameColumn(col.name, name);
          what = "rename column " + col.name + " to " + name;
          col.name = name;
        } else if (kind == 2) {
          const size_t i = extra[pick(0, extra.size() - 1)];
          u.DropColumn(columns[i].name);
          what = "drop column " + columns[i].name;
          columns.erase(columns.begin() + static_cast<std::ptrdiff_t>(i));
        } else if (kind == 3) {
          const size_t i = extra[pick(0, extra.size() - 1)];
          if (columns[i].type == DataType::Int()) {
            u.WidenColumn(columns[i].name, DataType::Long());
            columns[i].type = DataType::Long();
            what = "widen column " + columns[i].name;
          } else {
            u.MoveFirst(columns[i].name);
            std::rotate(columns.begin(), columns.begin() + static_cast<std::ptrdiff_t>(i),
                        columns.begin() + static_cast<std::ptrdiff_t>(i) + 1);
            what = "move column " + columns.front().name + " first";
          }
        } else {
          const size_t i = static_cast<size_t>(pick(0, static_cast<int64_t>(columns.size()) - 1));
          size_t j = static_cast<size_t>(pick(0, static_cast<int64_t>(columns.size()) - 2));
          if (j >= i) ++j;
          const bool before = pick(0, 1) == 0;
          const Column moved = columns[i];
          const std::string other = columns[j].name;
          if (before) {
            u.MoveBefore(moved.name, other);
          } else {
            u.MoveAfter(moved.name, other);
          }
          columns.erase(columns.begin() + static_cast<std::ptrdiff_t>(i));
          const size_t at = j > i ? j - 1 : j;  // where `other` is now
          columns.insert(columns.begin() + static_cast<std::ptrdiff_t>(before ? at : at + 1),
                         moved);
          what = "move column " + moved.name + (before ? " before " : " after ") + other;
        }
        t.UpdateSchema(u);
        ASSERT_EQ(ColumnsOf(t.schema()), columns) << what;
      } else if (op == 12) {
        // Add or remove one of two fields: a bucket of the key, the first
        // letter of the value.
        const bool bucket = pick(0, 1) == 0;
        const Transform transform = bucket ? Transform::Bucket(3) : Transform::Truncate(1);
        const int source = bucket ? kKeyId : kValueId;
        PartitionSpecUpdate u;
        what = "spec: ";
        const PartitionSpec current = t.spec();
        const auto it = std::find_if(current.fields().begin(), current.fields().end(),
                                     [&](const PartitionField& f) {
                                       return f.source_id == source && f.transform == transform;
                                     });
        if (it != current.fields().end()) {
          u.RemoveField(it->name);
          what += "remove " + it->name;
        } else {
          u.AddField(columns[column_index(source)].name, transform);
          what += "add " + transform.ToString();
        }
        t.UpdateSpec(u);
      } else {
        ExpireOptions options;
        options.older_than_ms = 0;
        options.retain_last = pick(1, 4);
        const ExpireReport r = t.ExpireSnapshots(options);
        what = "expire " + std::to_string(r.expired_snapshot_ids.size());
      }
      SCOPED_TRACE("step " + std::to_string(step) + ": " + what);
      if (const std::optional<Snapshot> s = t.CurrentSnapshot()) {
        // A metadata-only commit leaves the snapshot, committed with its schema.
        if (!states.count(s->snapshot_id)) states[s->snapshot_id] = State{model, columns};
        states[s->snapshot_id].rows = model;
      }
      ASSERT_EQ(Scan(t), Render(model, columns));
      for (const Snapshot& s : t.History()) {
        const auto it = states.find(s.snapshot_id);
        ASSERT_NE(it, states.end()) << "snapshot " << s.snapshot_id << " made by no step";
        ASSERT_EQ(Scan(t, s.snapshot_id), Render(it->second.rows, it->second.columns))
            << "time travel to " << s.snapshot_id;
      }
      const VerifyReport report = t.Verify();
      ASSERT_TRUE(report.ok()) << report.problems.front();
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
