// Shared by the expression sources: the node layout, the filter order of
// values and literal conversion. Private to src/table/expression*.cc.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "datashard/expression.h"

namespace datashard {

struct Expression::Node {
  Kind kind = Kind::kTrue;
  Op op = Op::kEq;
  std::vector<Expression> children;
  std::string column;
  std::vector<Literal> literals;
  bool bound = true;  // false while any predicate below is unbound
  int field_id = 0;
  int index = -1;  // position of the column in the schema bound to
  DataType type;
  std::vector<Value> values;
};

/// Orders two non-null values of `type` for filtering: as CompareValues,
/// except that -0.0 equals 0.0 (NaN still equals NaN and sorts last).
int FilterCompare(const DataType& type, const Value& a, const Value& b);

/// Three-valued result of the bound predicate `e` (a comparison, in, or
/// null test) for one value of its column: nullopt when unknown.
std::optional<bool> EvaluatePredicate(const Expression& e, const Value& v);

/// True for a float/double value that is NaN.
bool IsNaNValue(const Value& v);

/// Converts a literal to a value of `field`'s type. InvalidArgument naming
/// the column, its type and the literal when it does not fit; also for a
/// null literal (comparisons with null are written `is null`).
Value BindLiteral(const Expression::Literal& literal, const Field& field);

/// The literal as written in the text form.
std::string LiteralText(const Expression::Literal& literal);

/// Lexes `text` as exactly one literal of the text form; InvalidArgument
/// naming the text otherwise.
Expression::Literal ParseLiteralText(std::string_view text);

}  // namespace datashard
