#include "expr/expression_pruning.h"

#include <cmath>

#include "datashard/errors.h"
#include "expr/expression_internal.h"

namespace datashard {

namespace {

using Kind = Expression::Kind;
using Op = Expression::Op;

// What a column's statistics allow, in the terms the predicates need.
struct ColumnFacts {
  bool all_null = false;  // no non-null value at all
  bool may_have_null = true;
  bool may_have_nan = false;    // some non-null value may be NaN
  bool may_have_number = true;  // some non-null value may be a non-NaN value
  std::optional<Value> lower;   // bounds of the non-NaN, non-null values
  std::optional<Value> upper;
};

std::optional<Value> UsableBound(const std::optional<Value>& bound, const DataType& type) {
  if (!bound || bound->is_null() || !bound->Fits(type) || IsNaNValue(*bound)) return std::nullopt;
  return bound;
}

ColumnFacts Facts(const Expression& p, const DataStats& stats) {
  ColumnFacts f;
  const bool floating = p.type().id == TypeId::kFloat || p.type().id == TypeId::kDouble;
  f.may_have_nan = floating;
  auto it = stats.columns.find(p.field_id());
  if (it == stats.columns.end()) return f;
  const ColumnStats& s = it->second;
  const std::optional<int64_t> values = s.value_count ? s.value_count : stats.row_count;
  const std::optional<int64_t> nans = floating ? s.nan_count : std::optional<int64_t>(0);
  if (s.null_count) f.may_have_null = *s.null_count > 0;
  if (nans) f.may_have_nan = *nans > 0;
  if (values && s.null_count) {
    f.all_null = *s.null_count >= *values;
    if (nans) f.may_have_number = *values - *s.null_count - *nans > 0;
  }
  if (f.all_null) {
    f.may_have_nan = false;
    f.may_have_number = false;
  }
  f.lower = UsableBound(s.lower, p.type());
  f.upper = UsableBound(s.upper, p.type());
  return f;
}

// May some non-null value v satisfy `v op lit`?
bool ComparisonMight(const DataType& type, Op op, const Value& lit, const ColumnFacts& f) {
  auto cmp = [&type](const Value& a, const Value& b) { return FilterCompare(type, a, b); };
  // Every non-NaN value sorts below a NaN literal.
  if (IsNaNValue(lit)) {
    switch (op) {
      case Op::kEq:
      case Op::kGe:
        return f.may_have_nan;
      case Op::kNe:
      case Op::kLt:
        return f.may_have_number;
      case Op::kLe:
        return f.may_have_nan || f.may_have_number;
      default:
        return false;  // kGt
    }
  }
  // NaN values sort above every other literal.
  if (f.may_have_nan && (op == Op::kNe || op == Op::kGt || op == Op::kGe)) return true;
  if (!f.may_have_number) return false;
  const std::optional<Value>& lo = f.lower;
  const std::optional<Value>& hi = f.upper;
  switch (op) {
    case Op::kEq:
      return (!lo || cmp(*lo, lit) <= 0) && (!hi || cmp(*hi, lit) >= 0);
    case Op::kNe:
      return !(lo && hi && cmp(*lo, lit) == 0 && cmp(*hi, lit) == 0);
    case Op::kLt:
      return !lo || cmp(*lo, lit) < 0;
    case Op::kLe:
      return !lo || cmp(*lo, lit) <= 0;
    case Op::kGt:
      return !hi || cmp(*hi, lit) > 0;
    case Op::kGe:
      return !hi || cmp(*hi, lit) >= 0;
    default:
      return true;
  }
}

// With every value of the column known (`values`), may one the other facts
// allow satisfy the predicate?
bool ValuesMight(const Expression& p, const std::vector<Value>& values, const ColumnFacts& f) {
  if (f.all_null) return false;
  for (const Value& v : values) {
    if (!v.Fits(p.type())) return true;
    if (IsNaNValue(v)) {
      if (!f.may_have_nan) continue;
    } else if ((f.lower && FilterCompare(p.type(), v, *f.lower) < 0) ||
               (f.upper && FilterCompare(p.type(), v, *f.upper) > 0)) {
      continue;  // outside the bounds: not among the values described
    }
    if (EvaluatePredicate(p, v) == true) return true;
  }
  return false;
}

bool PredicateMight(const Expression& p, const DataStats& stats) {
  const ColumnFacts f = Facts(p, stats);
  if (p.op() != Op::kIsNull && p.op() != Op::kNotNull) {
    auto it = stats.columns.find(p.field_id());
    if (it != stats.columns.end() && it->second.values)
      return ValuesMight(p, *it->second.values, f);
  }
  switch (p.op()) {
    case Op::kIsNull:
      return f.may_have_null;
    case Op::kNotNull:
      return !f.all_null;
    case Op::kIn:
      for (const Value& lit : p.values()) {
        if (ComparisonMight(p.type(), Op::kEq, lit, f)) return true;
      }
      return false;
    case Op::kNotIn:
      // x not in (a, b) is x != a and x != b on the same row.
      for (const Value& lit : p.values()) {
        if (!ComparisonMight(p.type(), Op::kNe, lit, f)) return false;
      }
      return true;
    default:
      return ComparisonMight(p.type(), p.op(), p.values()[0], f);
  }
}

// `e` has no kNot (PushNotDown).
bool Might(const Expression& e, const DataStats& stats) {
  switch (e.kind()) {
    case Kind::kTrue:
      return true;
    case Kind::kFalse:
      return false;
    case Kind::kAnd:
      return Might(e.children()[0], stats) && Might(e.children()[1], stats);
    case Kind::kOr:
      return Might(e.children()[0], stats) || Might(e.children()[1], stats);
    case Kind::kNot:
      return true;
    case Kind::kPredicate:
      return PredicateMight(e, stats);
  }
  return true;
}

}  // namespace

bool MightMatch(const Expression& filter, const DataStats& stats) {
  if (!filter.bound()) throw InvalidArgument("MightMatch needs an expression bound to a schema");
  if (stats.row_count && *stats.row_count == 0) return false;
  return Might(filter.PushNotDown(), stats);
}

bool MightMatchPartition(const Expression& filter, const std::map<int, Value>& identity_values) {
  // One value per column makes the statistics exact: a single-row file.
  DataStats stats;
  stats.row_count = 1;
  for (const auto& [field_id, value] : identity_values) {
    ColumnStats& s = stats.columns[field_id];
    s.value_count = 1;
    s.null_count = value.is_null() ? 1 : 0;
    s.nan_count = IsNaNValue(value) ? 1 : 0;
    if (!value.is_null()) s.lower = s.upper = value;
  }
  return MightMatch(filter, stats);
}

}  // namespace datashard
