// Row-at-a-time and vectorised evaluation of bound filters, both in SQL's
// three-valued logic.
#include <cmath>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "datashard/errors.h"
#include "datashard/expression.h"
#include "expr/expression_internal.h"

namespace datashard {

namespace {

using Kind = Expression::Kind;
using Op = Expression::Op;

// Three-valued truth in one byte, for the vectorised path.
constexpr uint8_t kFalse = 0;
constexpr uint8_t kTrue = 1;
constexpr uint8_t kUnknown = 2;

bool Holds(Op op, int cmp) {
  switch (op) {
    case Op::kEq:
      return cmp == 0;
    case Op::kNe:
      return cmp != 0;
    case Op::kLt:
      return cmp < 0;
    case Op::kLe:
      return cmp <= 0;
    case Op::kGt:
      return cmp > 0;
    case Op::kGe:
      return cmp >= 0;
    default:
      return false;
  }
}

std::optional<bool> EvalPredicate(const Expression& e, const Record& row, int index) {
  if (index < 0 || static_cast<size_t>(index) >= row.size()) {
    throw InvalidArgument("filter column '" + e.column() + "' is at position " +
                          std::to_string(index) + " but the row has " + std::to_string(row.size()) +
                          " values");
  }
  return EvaluatePredicate(e, row[static_cast<size_t>(index)]);
}

}  // namespace

std::optional<bool> EvaluatePredicate(const Expression& e, const Value& v) {
  if (e.op() == Op::kIsNull) return v.is_null();
  if (e.op() == Op::kNotNull) return !v.is_null();
  if (v.is_null()) return std::nullopt;
  if (e.op() == Op::kIn || e.op() == Op::kNotIn) {
    bool found = false;
    for (const Value& lit : e.values()) {
      if (FilterCompare(e.type(), v, lit) == 0) {
        found = true;
        break;
      }
    }
    return found == (e.op() == Op::kIn);
  }
  return Holds(e.op(), FilterCompare(e.type(), v, e.values()[0]));
}

namespace {

// Comparisons of one stored representation, the operator chosen outside the loop.
template <typename T, typename Cmp>
void CompareColumn(const std::vector<T>& data, const std::vector<uint8_t>& valid, Op op,
                   const std::vector<T>& literals, Cmp cmp, std::vector<uint8_t>* out) {
  const size_t n = valid.size();
  const T* d = data.data();
  const uint8_t* v = valid.data();
  uint8_t* o = out->data();
  auto each = [&](auto keep) {
    for (size_t i = 0; i < n; ++i) {
      const uint8_t t = keep(d[i]) ? kTrue : kFalse;
      o[i] = v[i] ? t : kUnknown;
    }
  };
  const T& lit = literals[0];
  switch (op) {
    case Op::kEq:
      each([&](const T& x) { return cmp(x, lit) == 0; });
      break;
    case Op::kNe:
      each([&](const T& x) { return cmp(x, lit) != 0; });
      break;
    case Op::kLt:
      each([&](const T& x) { return cmp(x, lit) < 0; });
      break;
    case Op::kLe:
      each([&](const T& x) { return cmp(x, lit) <= 0; });
      break;
    case Op::kGt:
      each([&](const T& x) { return cmp(x, lit) > 0; });
      break;
    case Op::kGe:
      each([&](const T& x) { return cmp(x, lit) >= 0; });
      break;
    case Op::kIn:
    case Op::kNotIn: {
      const bool in = op == Op::kIn;
      each([&](const T& x) {
        for (const T& l : literals) {
          if (cmp(x, l) == 0) return in;
        }
        return !in;
      });
      break;
    }
    default:
      break;
  }
}

// Three-way comparisons, as function objects so that CompareColumn's loops
// inline them (through a function pointer each value cost a call).
template <typename T>
struct Cmp3 {
  int operator()(const T& a, const T& b) const { return a < b ? -1 : (b < a ? 1 : 0); }
};

template <typename F>
struct FloatCmp {
  int operator()(F a, F b) const {
    const bool na = std::isnan(a), nb = std::isnan(b);
    if (na || nb) return na == nb ? 0 : (na ? 1 : -1);
    return a < b ? -1 : (b < a ? 1 : 0);
  }
};

struct BytesCmp {
  int operator()(std::string_view a, std::string_view b) const {
    const int c = a.compare(b);  // char_traits<char> compares as unsigned char
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
};

template <typename T, typename Get>
std::vector<T> Literals(const std::vector<Value>& values, Get get) {
  std::vector<T> out;
  out.reserve(values.size());
  for (const Value& v : values) out.push_back(get(v));
  return out;
}

void EvalPredicateBatch(const Expression& e, const RecordBatch& batch, std::vector<uint8_t>* out) {
  const size_t n = batch.num_rows();
  const int index = batch.schema.IndexOfId(e.field_id());
  const bool null_test = e.op() == Op::kIsNull || e.op() == Op::kNotNull;
  if (index < 0) {  // the batch lacks the column: every value is null
    const uint8_t r = null_test ? (e.op() == Op::kIsNull ? kTrue : kFalse) : kUnknown;
    out->assign(n, r);
    return;
  }
  const ColumnVector& col = batch.columns[static_cast<size_t>(index)];
  if (!(col.type() == e.type())) {
    throw InvalidArgument("filter column '" + e.column() + "' has type " + e.type().ToString() +
                          " but the batch column has type " + col.type().ToString());
  }
  const std::vector<uint8_t>& valid = col.validity();
  out->resize(n);
  if (null_test) {
    const bool want_null = e.op() == Op::kIsNull;
    for (size_t i = 0; i < n; ++i) (*out)[i] = (valid[i] == 0) == want_null ? kTrue : kFalse;
    return;
  }
  const Op op = e.op();
  const std::vector<Value>& vals = e.values();
  switch (e.type().id) {
    case TypeId::kBoolean:
      CompareColumn(col.bools, valid, op,
                    Literals<uint8_t>(vals, [](const Value& v) { return uint8_t{v.as_bool()}; }),
                    Cmp3<uint8_t>{}, out);
      return;
    case TypeId::kInt:
    case TypeId::kDate:
      CompareColumn(col.ints, valid, op,
                    Literals<int32_t>(vals, [](const Value& v) { return v.as_int(); }),
                    Cmp3<int32_t>{}, out);
      return;
    case TypeId::kLong:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      CompareColumn(col.longs, valid, op,
                    Literals<int64_t>(vals, [](const Value& v) { return v.as_long(); }),
                    Cmp3<int64_t>{}, out);
      return;
    case TypeId::kFloat:
      CompareColumn(col.floats, valid, op,
                    Literals<float>(vals, [](const Value& v) { return v.as_float(); }),
                    FloatCmp<float>{}, out);
      return;
    case TypeId::kDouble:
      CompareColumn(col.doubles, valid, op,
                    Literals<double>(vals, [](const Value& v) { return v.as_double(); }),
                    FloatCmp<double>{}, out);
      return;
    case TypeId::kDecimal:
      CompareColumn(col.decimals, valid, op,
                    Literals<Int128>(vals, [](const Value& v) { return v.as_decimal(); }),
                    Cmp3<Int128>{}, out);
      return;
    case TypeId::kString:
    case TypeId::kUuid:
    case TypeId::kFixed:
    case TypeId::kBinary:
      if (col.holds_views()) {
        CompareColumn(col.views, valid, op,
                      Literals<std::string_view>(
                          vals, [](const Value& v) { return std::string_view(v.as_bytes()); }),
                      BytesCmp{}, out);
        return;
      }
      CompareColumn(col.bytes, valid, op,
                    Literals<std::string>(vals, [](const Value& v) { return v.as_bytes(); }),
                    BytesCmp{}, out);
      return;
  }
}

void EvalBatch(const Expression& e, const RecordBatch& batch, std::vector<uint8_t>* out) {
  const size_t n = batch.num_rows();
  switch (e.kind()) {
    case Kind::kTrue:
      out->assign(n, kTrue);
      return;
    case Kind::kFalse:
      out->assign(n, kFalse);
      return;
    case Kind::kPredicate:
      EvalPredicateBatch(e, batch, out);
      return;
    case Kind::kNot:
      EvalBatch(e.children()[0], batch, out);
      for (uint8_t& r : *out) r = r == kUnknown ? kUnknown : (r == kTrue ? kFalse : kTrue);
      return;
    case Kind::kAnd:
    case Kind::kOr: {
      std::vector<uint8_t> right;
      EvalBatch(e.children()[0], batch, out);
      EvalBatch(e.children()[1], batch, &right);
      // With false < unknown < true: and = min, or = max.
      static constexpr uint8_t kRank[3] = {0, 2, 1};                   // truth -> rank
      static constexpr uint8_t kTruth[3] = {kFalse, kUnknown, kTrue};  // rank -> truth
      const bool is_and = e.kind() == Kind::kAnd;
      for (size_t i = 0; i < n; ++i) {
        const uint8_t a = kRank[(*out)[i]], b = kRank[right[i]];
        (*out)[i] = kTruth[is_and ? std::min(a, b) : std::max(a, b)];
      }
      return;
    }
  }
}

}  // namespace

std::optional<bool> Expression::Evaluate(const Record& row) const {
  if (!bound()) throw InvalidArgument("Evaluate needs an expression bound to a schema");
  const Node& n = *node_;
  switch (n.kind) {
    case Kind::kTrue:
      return true;
    case Kind::kFalse:
      return false;
    case Kind::kPredicate:
      return EvalPredicate(*this, row, n.index);
    case Kind::kNot: {
      const std::optional<bool> r = n.children[0].Evaluate(row);
      if (!r) return std::nullopt;
      return !*r;
    }
    case Kind::kAnd: {
      const std::optional<bool> a = n.children[0].Evaluate(row);
      if (a == false) return false;
      const std::optional<bool> b = n.children[1].Evaluate(row);
      if (b == false) return false;
      if (!a || !b) return std::nullopt;
      return true;
    }
    case Kind::kOr: {
      const std::optional<bool> a = n.children[0].Evaluate(row);
      if (a == true) return true;
      const std::optional<bool> b = n.children[1].Evaluate(row);
      if (b == true) return true;
      if (!a || !b) return std::nullopt;
      return false;
    }
  }
  return std::nullopt;
}

void Expression::Select(const RecordBatch& batch, std::vector<uint8_t>* selection) const {
  if (!bound()) throw InvalidArgument("Select needs an expression bound to a schema");
  EvalBatch(*this, batch, selection);
  for (uint8_t& r : *selection) r = r == kTrue ? 1 : 0;
}

}  // namespace datashard
