// Row filters: the expression tree behind `scan --where`, `count --where`,
// `delete --where` and the Python API, its text form (DESIGN.md §11, EXPR),
// binding to a schema, and evaluation. Value type: copies share immutable
// nodes; safe to use from many threads at once.
//
// Text form: `col op literal` joined by and/or, parentheses, not, is [not]
// null, [not] in (...); ops = != <> < <= > >= (== is =); keywords in any case;
// strings in single quotes ('' for a quote); numbers; true/false. Date, time,
// timestamp, uuid, decimal and binary literals are quoted strings in their
// JSON Lines form ('2024-03-05', base64 for binary). Column names that are not
// plain identifiers go in double quotes. `literal op col` is accepted too.
//
// Semantics are SQL's three-valued logic: a comparison with a null column
// value is unknown, and a filter keeps a row only when it is true. Floating
// point compares as DuckDB and PostgreSQL do: NaN equals NaN and is greater
// than every other number; -0.0 equals 0.0.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "datashard/record_batch.h"
#include "datashard/schema.h"
#include "datashard/types.h"
#include "datashard/value.h"

namespace datashard {

class Expression {
 public:
  enum class Kind { kTrue, kFalse, kAnd, kOr, kNot, kPredicate };
  enum class Op { kEq, kNe, kLt, kLe, kGt, kGe, kIsNull, kNotNull, kIn, kNotIn };

  /// A literal before binding gives it its column's type: as written in the
  /// text form (number, string, boolean, null) or a typed Value from code.
  struct Literal {
    enum class Kind { kNull, kBoolean, kNumber, kString, kValue };
    Kind kind = Kind::kNull;
    std::string text;  // kNumber: the digits as written; kString: the contents
    Value value;       // kBoolean and kValue
    static Literal Of(Value v) { return {Kind::kValue, "", std::move(v)}; }
  };

  /// The expression that keeps every row.
  Expression();

  /// Parses the text form; the result is unbound. InvalidArgument naming the
  /// text and offset on a syntax error, and for nesting deeper than 1000
  /// levels (parentheses, nots and the terms of an and/or chain count).
  static Expression Parse(std::string_view text);
  /// Parses and binds to `schema` (see Bind).
  static Expression Parse(std::string_view text, const Schema& schema);

  static Expression True();
  static Expression False();
  static Expression And(Expression a, Expression b);
  static Expression Or(Expression a, Expression b);
  static Expression Not(Expression e);
  /// A comparison (kEq..kGe) of a column with one literal.
  static Expression Compare(std::string column, Op op, Literal literal);
  static Expression Compare(std::string column, Op op, Value value) {
    return Compare(std::move(column), op, Literal::Of(std::move(value)));
  }
  static Expression IsNull(std::string column);
  static Expression NotNull(std::string column);
  /// kIn or kNotIn with at least one literal.
  static Expression In(std::string column, std::vector<Literal> literals, bool negated = false);

  /// Resolves columns by name and converts every literal to its column's
  /// type. InvalidArgument naming the column when it is not in `schema`, and
  /// naming the column, its type and the literal when the literal does not
  /// parse as that type (`id = 'abc'` on a long), or is null. Integer
  /// literals widen to float/double/decimal columns; typed Values convert
  /// between numeric types when the value is representable.
  Expression Bind(const Schema& schema) const;
  bool bound() const;

  /// Parses one literal of the text form ('abc', 5, -1.5e3, true, null) as a
  /// value of `field` (used by `update --set col=VALUE`). Null is allowed here
  /// when the field is optional. InvalidArgument as for Bind.
  static Value ParseLiteral(std::string_view text, const Field& field);

  /// The text form; parses back to an equal expression. Bound literals print
  /// in the JSON Lines form of their type.
  std::string ToString() const;

  Kind kind() const;
  /// kAnd/kOr: two children; kNot: one.
  const std::vector<Expression>& children() const;
  // Predicates only:
  Op op() const;
  const std::string& column() const;
  const std::vector<Literal>& literals() const;
  // Bound predicates only:
  int field_id() const;
  const DataType& type() const;
  /// The converted literals (kIn/kNotIn: in the order written).
  const std::vector<Value>& values() const;

  /// An equivalent expression (the same three-valued result on every row)
  /// without kNot: negations move onto predicates by De Morgan's laws and
  /// inverse operators (not a < 1 -> a >= 1, not a in (..) -> a not in (..)).
  Expression PushNotDown() const;

  /// Field ids of every column the expression reads, ascending, no repeats.
  /// Requires bound().
  std::vector<int> ReferencedFieldIds() const;

  /// Three-valued result for one row whose fields are in the order of the
  /// schema it was bound to: true, false, or nullopt for unknown.
  /// Requires bound().
  std::optional<bool> Evaluate(const Record& row) const;
  /// Whether a filter keeps the row (Evaluate(row) is true).
  bool Matches(const Record& row) const { return Evaluate(row) == true; }

  /// Vectorised filter over a batch: (*selection)[i] is 1 when row i is
  /// kept, else 0. Columns are found by field id in batch.schema; a field the
  /// batch lacks reads as null (files written before a column was added).
  /// Requires bound().
  void Select(const RecordBatch& batch, std::vector<uint8_t>* selection) const;

  bool operator==(const Expression& other) const;

  struct Node;

 private:
  explicit Expression(std::shared_ptr<const Node> node);
  std::shared_ptr<const Node> node_;
};

}  // namespace datashard
