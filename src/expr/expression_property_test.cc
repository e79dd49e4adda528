// Seeded property tests: random schemas' rows and random filters.
//  - row evaluation equals an independent reference evaluator;
//  - the text form parses back to an equal filter with equal results;
//  - vectorised selection equals row evaluation, also for missing columns;
//  - pruning never rejects a file or partition holding a matching row.
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "datashard/expression.h"
#include "expr/expression_pruning.h"

namespace datashard {
namespace {

using Op = Expression::Op;
using Kind = Expression::Kind;

const Schema& PropSchema() {
  static const Schema schema(1, {{1, "i", DataType::Int()},
                                 {2, "l", DataType::Long()},
                                 {3, "d", DataType::Double()},
                                 {4, "f", DataType::Float()},
                                 {5, "s", DataType::String()},
                                 {6, "b", DataType::Boolean()},
                                 {7, "dt", DataType::Date()},
                                 {8, "dec", DataType::Decimal(9, 2)},
                                 {9, "bin", DataType::Binary()}});
  return schema;
}

// Small domains so that equal values and ties at bounds are common.
std::vector<Value> Domain(TypeId id) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  switch (id) {
    case TypeId::kInt:
      return {int32_t{-3}, int32_t{-1}, int32_t{0}, int32_t{1}, int32_t{3}, INT32_MIN, INT32_MAX};
    case TypeId::kLong:
      return {int64_t{-3}, int64_t{-1}, int64_t{0}, int64_t{1}, int64_t{3}, INT64_MIN, INT64_MAX};
    case TypeId::kDouble:
      return {-inf, -2.5, -1.0, -0.0, 0.0, 1.0, 2.5, inf, nan};
    case TypeId::kFloat:
      return {static_cast<float>(-inf), -2.5f, -0.0f, 0.0f, 1.0f, static_cast<float>(inf),
              static_cast<float>(nan)};
    case TypeId::kString:
      return {"", "a", "ab", "b", "\xc3\xa9", "\x7f"};
    case TypeId::kBoolean:
      return {false, true};
    case TypeId::kDate:
      return {int32_t{-1}, int32_t{0}, int32_t{1}, int32_t{19787}};
    case TypeId::kDecimal:
      return {Value::Decimal(-150), Value::Decimal(0), Value::Decimal(1), Value::Decimal(150),
              Value::Decimal(99999)};
    case TypeId::kBinary:
      return {std::string(), std::string("\x00", 1), std::string("\x80", 1),
              std::string("\xff\x00", 2)};
    default:
      return {};
  }
}

// ---- the reference: written independently of the implementation ----

bool RefIsNaN(const Value& v) {
  if (auto* d = std::get_if<double>(&v.storage())) return std::isnan(*d);
  if (auto* f = std::get_if<float>(&v.storage())) return std::isnan(*f);
  return false;
}

int Sign(bool less, bool greater) { return less ? -1 : (greater ? 1 : 0); }

int RefCompare(const Value& a, const Value& b) {
  const auto& x = a.storage();
  const auto& y = b.storage();
  if (std::holds_alternative<double>(x) || std::holds_alternative<float>(x)) {
    auto key = [](const Value& v) {
      const double d = std::holds_alternative<double>(v.storage()) ? v.as_double() : v.as_float();
      return std::isnan(d) ? std::make_pair(1, 0.0) : std::make_pair(0, d == 0 ? 0.0 : d);
    };
    return Sign(key(a) < key(b), key(b) < key(a));
  }
  if (std::holds_alternative<std::string>(x)) {
    const std::vector<unsigned char> p(a.as_bytes().begin(), a.as_bytes().end());
    const std::vector<unsigned char> q(b.as_bytes().begin(), b.as_bytes().end());
    return Sign(p < q, q < p);
  }
  return Sign(x < y, y < x);
}

// 0 false, 1 true, 2 unknown.
int RefEval(const Expression& e, const Record& row) {
  switch (e.kind()) {
    case Kind::kTrue:
      return 1;
    case Kind::kFalse:
      return 0;
    case Kind::kNot: {
      const int r = RefEval(e.children()[0], row);
      return r == 2 ? 2 : 1 - r;
    }
    case Kind::kAnd: {
      const int a = RefEval(e.children()[0], row), b = RefEval(e.children()[1], row);
      if (a == 0 || b == 0) return 0;
      return a == 1 && b == 1 ? 1 : 2;
    }
    case Kind::kOr: {
      const int a = RefEval(e.children()[0], row), b = RefEval(e.children()[1], row);
      if (a == 1 || b == 1) return 1;
      return a == 0 && b == 0 ? 0 : 2;
    }
    case Kind::kPredicate:
      break;
  }
  const Value& v = row[static_cast<size_t>(PropSchema().IndexOfId(e.field_id()))];
  if (e.op() == Op::kIsNull) return v.is_null() ? 1 : 0;
  if (e.op() == Op::kNotNull) return v.is_null() ? 0 : 1;
  if (v.is_null()) return 2;
  const int c = RefCompare(v, e.values()[0]);
  switch (e.op()) {
    case Op::kEq:
      return c == 0;
    case Op::kNe:
      return c != 0;
    case Op::kLt:
      return c < 0;
    case Op::kLe:
      return c <= 0;
    case Op::kGt:
      return c > 0;
    case Op::kGe:
      return c >= 0;
    default:
      break;
  }
  int found = 0;
  for (const Value& lit : e.values()) found |= RefCompare(v, lit) == 0;
  return e.op() == Op::kIn ? found : 1 - found;
}

// ---- generators ----

class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}

  size_t Below(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }

  Value Pick(TypeId id) {
    const std::vector<Value> d = Domain(id);
    return d[Below(d.size())];
  }

  Record RandomRow() {
    Record r;
    for (const Field& f : PropSchema().fields()) {
      r.push_back(Chance(0.2) ? Value::Null() : Pick(f.type.id));
    }
    return r;
  }

  Expression RandomExpr(int depth) {
    if (depth == 0 || Chance(0.35)) {
      if (Chance(0.03)) return Chance(0.5) ? Expression::True() : Expression::False();
      const Field& f = PropSchema().fields()[Below(PropSchema().fields().size())];
      const Op op = static_cast<Op>(Below(10));
      switch (op) {
        case Op::kIsNull:
          return Expression::IsNull(f.name);
        case Op::kNotNull:
          return Expression::NotNull(f.name);
        case Op::kIn:
        case Op::kNotIn: {
          std::vector<Expression::Literal> lits;
          for (size_t k = 0, n = 1 + Below(3); k < n; ++k) {
            lits.push_back(Expression::Literal::Of(Pick(f.type.id)));
          }
          return Expression::In(f.name, lits, op == Op::kNotIn);
        }
        default:
          return Expression::Compare(f.name, op, Pick(f.type.id));
      }
    }
    switch (Below(3)) {
      case 0:
        return Expression::And(RandomExpr(depth - 1), RandomExpr(depth - 1));
      case 1:
        return Expression::Or(RandomExpr(depth - 1), RandomExpr(depth - 1));
      default:
        return Expression::Not(RandomExpr(depth - 1));
    }
  }

 private:
  std::mt19937_64 rng_;
};

RecordBatch ToBatch(const std::vector<Record>& rows, const Schema& schema) {
  RecordBatch b;
  b.schema = schema;
  for (const Field& f : schema.fields()) b.columns.emplace_back(f.type);
  for (const Record& r : rows) {
    for (size_t c = 0; c < schema.fields().size(); ++c) {
      b.columns[c].Append(r[static_cast<size_t>(PropSchema().IndexOfId(schema.fields()[c].id))]);
    }
  }
  return b;
}

TEST(ExpressionPropertyTest, RowEvaluationMatchesTheReference) {
  Gen g(20240305);
  for (int iter = 0; iter < 3000; ++iter) {
    const Expression e = g.RandomExpr(4).Bind(PropSchema());
    for (int k = 0; k < 8; ++k) {
      const Record row = g.RandomRow();
      const int want = RefEval(e, row);
      const std::optional<bool> got = e.Evaluate(row);
      ASSERT_EQ(got ? int{*got} : 2, want) << e.ToString();
    }
  }
}

TEST(ExpressionPropertyTest, TextFormRoundTripsWithTheSameResults) {
  Gen g(7);
  for (int iter = 0; iter < 2000; ++iter) {
    const Expression e = g.RandomExpr(4).Bind(PropSchema());
    const std::string text = e.ToString();
    const Expression again = Expression::Parse(text, PropSchema());
    ASSERT_EQ(again, e) << text << "\n" << again.ToString();
    for (int k = 0; k < 4; ++k) {
      const Record row = g.RandomRow();
      ASSERT_EQ(again.Evaluate(row), e.Evaluate(row)) << text;
    }
  }
}

bool HasNot(const Expression& e) {
  if (e.kind() == Kind::kNot) return true;
  for (const Expression& c : e.children()) {
    if (HasNot(c)) return true;
  }
  return false;
}

TEST(ExpressionPropertyTest, PushNotDownKeepsEveryResult) {
  Gen g(99);
  for (int iter = 0; iter < 2000; ++iter) {
    const Expression e = g.RandomExpr(4).Bind(PropSchema());
    const Expression pushed = e.PushNotDown();
    ASSERT_FALSE(HasNot(pushed)) << pushed.ToString();
    for (int k = 0; k < 4; ++k) {
      const Record row = g.RandomRow();
      ASSERT_EQ(pushed.Evaluate(row), e.Evaluate(row)) << e.ToString();
    }
  }
}

TEST(ExpressionPropertyTest, VectorisedSelectionEqualsRowEvaluation) {
  Gen g(4242);
  // A projection without s, b and dec: those read as null.
  std::vector<Field> kept;
  for (const Field& f : PropSchema().fields()) {
    if (f.name != "s" && f.name != "b" && f.name != "dec") kept.push_back(f);
  }
  const Schema projected(1, kept);
  for (int iter = 0; iter < 1500; ++iter) {
    const Expression e = g.RandomExpr(4).Bind(PropSchema());
    std::vector<Record> rows;
    for (size_t n = g.Below(20); rows.size() < n;) rows.push_back(g.RandomRow());
    std::vector<uint8_t> sel;
    e.Select(ToBatch(rows, PropSchema()), &sel);
    ASSERT_EQ(sel.size(), rows.size());
    for (size_t r = 0; r < rows.size(); ++r) {
      ASSERT_EQ(sel[r], e.Matches(rows[r]) ? 1 : 0) << e.ToString();
    }
    e.Select(ToBatch(rows, projected), &sel);
    for (size_t r = 0; r < rows.size(); ++r) {
      Record nulled = rows[r];
      for (size_t c : {4u, 5u, 7u}) nulled[c] = Value::Null();
      ASSERT_EQ(sel[r], e.Matches(nulled) ? 1 : 0) << e.ToString();
    }
  }
}

// Exact statistics of `rows`, then randomly weakened the ways real files are:
// a statistic missing, or bounds looser than the data.
DataStats StatsOf(const std::vector<Record>& rows, Gen& g) {
  DataStats s;
  s.row_count = static_cast<int64_t>(rows.size());
  for (size_t c = 0; c < PropSchema().fields().size(); ++c) {
    const Field& f = PropSchema().fields()[c];
    ColumnStats cs;
    int64_t nulls = 0, nans = 0;
    for (const Record& r : rows) {
      const Value& v = r[c];
      if (v.is_null()) {
        ++nulls;
      } else if (RefIsNaN(v)) {
        ++nans;
      } else {
        if (!cs.lower || RefCompare(v, *cs.lower) < 0) cs.lower = v;
        if (!cs.upper || RefCompare(v, *cs.upper) > 0) cs.upper = v;
      }
    }
    cs.null_count = nulls;
    if (f.type.id == TypeId::kFloat || f.type.id == TypeId::kDouble) cs.nan_count = nans;
    cs.value_count = static_cast<int64_t>(rows.size());
    if (g.Chance(0.15)) cs.null_count.reset();
    if (g.Chance(0.15)) cs.nan_count.reset();
    if (g.Chance(0.15)) cs.value_count.reset();
    if (g.Chance(0.15)) cs.lower.reset();
    if (g.Chance(0.15)) cs.upper.reset();
    if (cs.lower && g.Chance(0.2)) {
      const Value looser = g.Pick(f.type.id);
      if (!RefIsNaN(looser) && RefCompare(looser, *cs.lower) <= 0) cs.lower = looser;
    }
    if (cs.upper && g.Chance(0.2)) {
      const Value looser = g.Pick(f.type.id);
      if (!RefIsNaN(looser) && RefCompare(looser, *cs.upper) >= 0) cs.upper = looser;
    }
    if (!g.Chance(0.05)) s.columns[f.id] = cs;
  }
  if (g.Chance(0.1)) s.row_count.reset();
  return s;
}

TEST(ExpressionPropertyTest, PruningNeverRejectsAFileWithAMatchingRow) {
  Gen g(1234567);
  int pruned = 0, without_match = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    const Expression e = g.RandomExpr(3).Bind(PropSchema());
    std::vector<Record> rows;
    for (size_t n = g.Below(6); rows.size() < n;) rows.push_back(g.RandomRow());
    bool any = false;
    for (const Record& r : rows) any = any || RefEval(e, r) == 1;
    const bool might = MightMatch(e, StatsOf(rows, g));
    if (any) {
      ASSERT_TRUE(might) << e.ToString();
    } else {
      ++without_match;
      pruned += might ? 0 : 1;
    }
  }
  // Pruning is useful, not just safe: most files without a match are skipped.
  EXPECT_GT(pruned, without_match / 2) << pruned << " of " << without_match;
}

TEST(ExpressionPropertyTest, PartitionPruningNeverRejectsAPartitionWithAMatchingRow) {
  Gen g(31337);
  int pruned = 0;
  for (int iter = 0; iter < 10000; ++iter) {
    const Expression e = g.RandomExpr(3).Bind(PropSchema());
    // Rows of one partition share the values of one or two identity columns.
    std::map<int, Value> partition;
    for (size_t k = 0, n = 1 + g.Below(2); k < n; ++k) {
      const Field& f = PropSchema().fields()[g.Below(PropSchema().fields().size())];
      partition[f.id] = g.Chance(0.15) ? Value::Null() : g.Pick(f.type.id);
    }
    bool any = false;
    for (int k = 0; k < 6; ++k) {
      Record r = g.RandomRow();
      for (const auto& [id, v] : partition) r[static_cast<size_t>(PropSchema().IndexOfId(id))] = v;
      any = any || RefEval(e, r) == 1;
    }
    const bool might = MightMatchPartition(e, partition);
    if (any) {
      ASSERT_TRUE(might) << e.ToString();
    }
    pruned += might ? 0 : 1;
  }
  EXPECT_GT(pruned, 1000);
}

}  // namespace
}  // namespace datashard
