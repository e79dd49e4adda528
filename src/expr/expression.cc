#include "datashard/expression.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "datashard/errors.h"
#include "expr/expression_internal.h"
#include "format/json/value_json.h"

namespace datashard {

namespace {

using Node = Expression::Node;
using Kind = Expression::Kind;
using Op = Expression::Op;
using Literal = Expression::Literal;

const Node& RequireBound(const std::shared_ptr<const Node>& node, const char* what) {
  if (!node->bound) {
    throw InvalidArgument(std::string(what) + " needs an expression bound to a schema");
  }
  return *node;
}

const char* OpText(Op op) {
  switch (op) {
    case Op::kEq:
      return "=";
    case Op::kNe:
      return "!=";
    case Op::kLt:
      return "<";
    case Op::kLe:
      return "<=";
    case Op::kGt:
      return ">";
    case Op::kGe:
      return ">=";
    case Op::kIsNull:
      return "is null";
    case Op::kNotNull:
      return "is not null";
    case Op::kIn:
      return "in";
    case Op::kNotIn:
      return "not in";
  }
  return "?";
}

Op Negated(Op op) {
  switch (op) {
    case Op::kEq:
      return Op::kNe;
    case Op::kNe:
      return Op::kEq;
    case Op::kLt:
      return Op::kGe;
    case Op::kLe:
      return Op::kGt;
    case Op::kGt:
      return Op::kLe;
    case Op::kGe:
      return Op::kLt;
    case Op::kIsNull:
      return Op::kNotNull;
    case Op::kNotNull:
      return Op::kIsNull;
    case Op::kIn:
      return Op::kNotIn;
    case Op::kNotIn:
      return Op::kIn;
  }
  return op;
}

std::string Quote(std::string_view s, char quote) {
  std::string out(1, quote);
  for (char c : s) {
    out.push_back(c);
    if (c == quote) out.push_back(quote);
  }
  out.push_back(quote);
  return out;
}

bool IsKeyword(std::string_view word) {
  std::string lower(word);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* k : {"and", "or", "not", "is", "null", "in", "true", "false"}) {
    if (lower == k) return true;
  }
  return false;
}

std::string ColumnText(const std::string& name) {
  bool plain =
      !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) && !IsKeyword(name);
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') plain = false;
  }
  return plain ? name : Quote(name, '"');
}

// A Value of unknown type in text form (unbound typed literals only).
std::string UntypedValueText(const Value& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return "null";
        } else if constexpr (std::is_same_v<T, bool>) {
          return x ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::string>) {
          return Quote(x, '\'');
        } else if constexpr (std::is_same_v<T, Int128>) {
          return FormatDecimal(x, 0);
        } else if constexpr (std::is_floating_point_v<T>) {
          if (!std::isfinite(x)) return Quote(nlohmann::json(x).dump(), '\'');
          return nlohmann::json(static_cast<double>(x)).dump();
        } else {
          return std::to_string(x);
        }
      },
      v.storage());
}

std::string BoundValueText(const Value& v, const DataType& type) {
  const nlohmann::json j = ValueToJson(v, type);
  if (j.is_string()) return Quote(j.get_ref<const std::string&>(), '\'');
  return j.dump();
}

[[noreturn]] void BadLiteral(const Literal& literal, const Field& field, const std::string& why) {
  throw InvalidArgument("filter literal " + LiteralText(literal) + " does not fit column '" +
                        field.name + "' of type " + field.type.ToString() + ": " + why);
}

bool IsIntegerBacked(TypeId id) {
  return id == TypeId::kInt || id == TypeId::kDate || id == TypeId::kLong || id == TypeId::kTime ||
         id == TypeId::kTimestamp || id == TypeId::kTimestampTz;
}

// Converts a typed Value from code to `field`'s type when representable.
Value ConvertValue(const Literal& literal, const Field& field) {
  const Value& v = literal.value;
  if (v.Fits(field.type)) return v;
  const TypeId id = field.type.id;
  const auto& s = v.storage();
  const bool integral = std::holds_alternative<int32_t>(s) || std::holds_alternative<int64_t>(s);
  const bool floating = std::holds_alternative<float>(s) || std::holds_alternative<double>(s);
  const int64_t i = std::holds_alternative<int32_t>(s)   ? v.as_int()
                    : std::holds_alternative<int64_t>(s) ? v.as_long()
                                                         : 0;
  const double d = std::holds_alternative<float>(s)    ? v.as_float()
                   : std::holds_alternative<double>(s) ? v.as_double()
                                                       : static_cast<double>(i);
  if (integral && IsIntegerBacked(id)) {
    const bool narrow = id == TypeId::kInt || id == TypeId::kDate;
    if (!narrow) return Value(i);
    if (i < INT32_MIN || i > INT32_MAX) BadLiteral(literal, field, "out of range");
    return Value(static_cast<int32_t>(i));
  }
  if ((integral || floating) && id == TypeId::kDouble) return Value(d);
  if ((integral || floating) && id == TypeId::kFloat) return Value(static_cast<float>(d));
  if (integral && id == TypeId::kDecimal) {
    return Value::Decimal(ParseDecimal(std::to_string(i), field.type.precision, field.type.scale));
  }
  BadLiteral(literal, field, "a value of another type");
}

// Equal values, with NaN equal to NaN and -0.0 distinct from 0.0.
bool SameValue(const Value& a, const Value& b) {
  if (IsNaNValue(a) || IsNaNValue(b)) return IsNaNValue(a) && IsNaNValue(b);
  if (a.storage().index() != b.storage().index()) return false;
  if (const double* x = std::get_if<double>(&a.storage())) {
    return *x == b.as_double() && std::signbit(*x) == std::signbit(b.as_double());
  }
  if (const float* x = std::get_if<float>(&a.storage())) {
    return *x == b.as_float() && std::signbit(*x) == std::signbit(b.as_float());
  }
  return a == b;
}

std::shared_ptr<Node> NewNode(Kind kind) {
  auto node = std::make_shared<Node>();
  node->kind = kind;
  return node;
}

}  // namespace

bool IsNaNValue(const Value& v) {
  if (const float* f = std::get_if<float>(&v.storage())) return std::isnan(*f);
  if (const double* d = std::get_if<double>(&v.storage())) return std::isnan(*d);
  return false;
}

int FilterCompare(const DataType& type, const Value& a, const Value& b) {
  if (type.id == TypeId::kFloat || type.id == TypeId::kDouble) {
    const double x = type.id == TypeId::kFloat ? a.as_float() : a.as_double();
    const double y = type.id == TypeId::kFloat ? b.as_float() : b.as_double();
    const bool nx = std::isnan(x), ny = std::isnan(y);
    if (nx || ny) return nx == ny ? 0 : (nx ? 1 : -1);
    return x < y ? -1 : (y < x ? 1 : 0);
  }
  return CompareValues(type, a, b);
}

std::string LiteralText(const Literal& literal) {
  switch (literal.kind) {
    case Literal::Kind::kNull:
      return "null";
    case Literal::Kind::kBoolean:
      return literal.value.as_bool() ? "true" : "false";
    case Literal::Kind::kNumber:
      return literal.text;
    case Literal::Kind::kString:
      return Quote(literal.text, '\'');
    case Literal::Kind::kValue:
      return UntypedValueText(literal.value);
  }
  return "?";
}

Value BindLiteral(const Literal& literal, const Field& field) {
  const DataType& type = field.type;
  try {
    switch (literal.kind) {
      case Literal::Kind::kNull:
        BadLiteral(literal, field, "compare with null by writing 'is null' or 'is not null'");
      case Literal::Kind::kBoolean:
        if (type.id != TypeId::kBoolean) BadLiteral(literal, field, "a boolean");
        return literal.value;
      case Literal::Kind::kNumber:
        if (type.id == TypeId::kDecimal) {
          return Value::Decimal(ParseDecimal(literal.text, type.precision, type.scale));
        }
        if (type.id == TypeId::kInt || type.id == TypeId::kLong || type.id == TypeId::kFloat ||
            type.id == TypeId::kDouble) {
          return ValueFromJson(nlohmann::json::parse(literal.text), type);
        }
        BadLiteral(literal, field, "a number; write this type's literals as quoted strings");
      case Literal::Kind::kString:
        if (type.id == TypeId::kString) return Value(literal.text);
        return ValueFromJson(nlohmann::json(literal.text), type);
      case Literal::Kind::kValue:
        return ConvertValue(literal, field);
    }
  } catch (const InvalidArgument& e) {
    const std::string msg = e.what();
    if (msg.rfind("filter literal ", 0) == 0) throw;
    BadLiteral(literal, field, msg);
  } catch (const nlohmann::json::exception& e) {
    BadLiteral(literal, field, e.what());
  }
  BadLiteral(literal, field, "unknown literal kind");
}

Expression::Expression() : node_(NewNode(Kind::kTrue)) {}
Expression::Expression(std::shared_ptr<const Node> node) : node_(std::move(node)) {}

Expression Expression::Parse(std::string_view text, const Schema& schema) {
  return Parse(text).Bind(schema);
}

Expression Expression::True() { return Expression(); }
Expression Expression::False() { return Expression(NewNode(Kind::kFalse)); }

Expression Expression::And(Expression a, Expression b) {
  auto node = NewNode(Kind::kAnd);
  node->bound = a.bound() && b.bound();
  node->children = {std::move(a), std::move(b)};
  return Expression(std::move(node));
}

Expression Expression::Or(Expression a, Expression b) {
  auto node = NewNode(Kind::kOr);
  node->bound = a.bound() && b.bound();
  node->children = {std::move(a), std::move(b)};
  return Expression(std::move(node));
}

Expression Expression::Not(Expression e) {
  auto node = NewNode(Kind::kNot);
  node->bound = e.bound();
  node->children = {std::move(e)};
  return Expression(std::move(node));
}

namespace {

Expression::Node PredicateNode(std::string column, Op op, std::vector<Literal> literals) {
  Node node;
  node.kind = Kind::kPredicate;
  node.op = op;
  node.column = std::move(column);
  node.literals = std::move(literals);
  node.bound = false;
  return node;
}

}  // namespace

Expression Expression::Compare(std::string column, Op op, Literal literal) {
  if (op != Op::kEq && op != Op::kNe && op != Op::kLt && op != Op::kLe && op != Op::kGt &&
      op != Op::kGe) {
    throw InvalidArgument(std::string("Compare takes = != < <= > >=, not ") + OpText(op));
  }
  return Expression(std::make_shared<Node>(PredicateNode(std::move(column), op, {literal})));
}

Expression Expression::IsNull(std::string column) {
  return Expression(std::make_shared<Node>(PredicateNode(std::move(column), Op::kIsNull, {})));
}

Expression Expression::NotNull(std::string column) {
  return Expression(std::make_shared<Node>(PredicateNode(std::move(column), Op::kNotNull, {})));
}

Expression Expression::In(std::string column, std::vector<Literal> literals, bool negated) {
  if (literals.empty()) {
    throw InvalidArgument("filter on column '" + column + "': 'in' needs at least one literal");
  }
  return Expression(std::make_shared<Node>(
      PredicateNode(std::move(column), negated ? Op::kNotIn : Op::kIn, std::move(literals))));
}

Expression Expression::Bind(const Schema& schema) const {
  const Node& n = *node_;
  switch (n.kind) {
    case Kind::kTrue:
    case Kind::kFalse:
      return *this;
    case Kind::kAnd:
      return And(n.children[0].Bind(schema), n.children[1].Bind(schema));
    case Kind::kOr:
      return Or(n.children[0].Bind(schema), n.children[1].Bind(schema));
    case Kind::kNot:
      return Not(n.children[0].Bind(schema));
    case Kind::kPredicate:
      break;
  }
  const int index = schema.IndexOf(n.column);
  if (index < 0) {
    std::string names;
    for (const Field& f : schema.fields()) names += (names.empty() ? "" : ", ") + f.name;
    throw InvalidArgument("filter column '" + n.column +
                          "' is not in the schema (columns: " + names + ")");
  }
  const Field& field = schema.fields()[static_cast<size_t>(index)];
  auto node = std::make_shared<Node>(n);
  node->bound = true;
  node->field_id = field.id;
  node->index = index;
  node->type = field.type;
  node->values.clear();
  for (const Literal& literal : n.literals) node->values.push_back(BindLiteral(literal, field));
  return Expression(std::move(node));
}

bool Expression::bound() const { return node_->bound; }

Value Expression::ParseLiteral(std::string_view text, const Field& field) {
  const Literal literal = ParseLiteralText(text);
  if (literal.kind == Literal::Kind::kNull) {
    if (field.required) {
      throw InvalidArgument("column '" + field.name + "' is required and cannot be set to null");
    }
    return Value::Null();
  }
  return BindLiteral(literal, field);
}

std::string Expression::ToString() const {
  const Node& n = *node_;
  auto child_text = [&n](size_t i) {
    const Expression& c = n.children[i];
    const bool compound = c.kind() == Kind::kAnd || c.kind() == Kind::kOr;
    // Left-nested chains of one operator print flat; they parse back the same.
    const bool flat = n.kind != Kind::kNot && i == 0 && c.kind() == n.kind;
    return compound && !flat ? "(" + c.ToString() + ")" : c.ToString();
  };
  switch (n.kind) {
    case Kind::kTrue:
      return "true";
    case Kind::kFalse:
      return "false";
    case Kind::kAnd:
      return child_text(0) + " and " + child_text(1);
    case Kind::kOr:
      return child_text(0) + " or " + child_text(1);
    case Kind::kNot:
      return "not " + child_text(0);
    case Kind::kPredicate:
      break;
  }
  auto literal_text = [&](size_t i) {
    return n.bound ? BoundValueText(n.values[i], n.type) : LiteralText(n.literals[i]);
  };
  std::string out = ColumnText(n.column) + " " + OpText(n.op);
  if (n.op == Op::kIn || n.op == Op::kNotIn) {
    out += " (";
    for (size_t i = 0; i < n.literals.size(); ++i) out += (i ? ", " : "") + literal_text(i);
    return out + ")";
  }
  if (n.op == Op::kIsNull || n.op == Op::kNotNull) return out;
  return out + " " + literal_text(0);
}

Expression::Kind Expression::kind() const { return node_->kind; }
const std::vector<Expression>& Expression::children() const { return node_->children; }
Expression::Op Expression::op() const { return node_->op; }
const std::string& Expression::column() const { return node_->column; }
const std::vector<Literal>& Expression::literals() const { return node_->literals; }
int Expression::field_id() const { return node_->field_id; }
const DataType& Expression::type() const { return node_->type; }
const std::vector<Value>& Expression::values() const { return node_->values; }

Expression Expression::PushNotDown() const {
  // Rewrites `not e` (negate) or `e` without any kNot below.
  struct Rewriter {
    static Expression Run(const Expression& e, bool negate) {
      const Node& n = *e.node_;
      switch (n.kind) {
        case Kind::kTrue:
          return negate ? False() : e;
        case Kind::kFalse:
          return negate ? True() : e;
        case Kind::kNot:
          return Run(n.children[0], !negate);
        case Kind::kAnd:
        case Kind::kOr: {
          Expression a = Run(n.children[0], negate);
          Expression b = Run(n.children[1], negate);
          return (n.kind == Kind::kAnd) != negate ? And(std::move(a), std::move(b))
                                                  : Or(std::move(a), std::move(b));
        }
        case Kind::kPredicate:
          break;
      }
      if (!negate) return e;
      auto node = std::make_shared<Node>(n);
      node->op = Negated(n.op);
      return Expression(std::move(node));
    }
  };
  return Rewriter::Run(*this, false);
}

std::vector<int> Expression::ReferencedFieldIds() const {
  RequireBound(node_, "ReferencedFieldIds");
  std::set<int> ids;
  std::vector<const Expression*> stack = {this};
  while (!stack.empty()) {
    const Node& n = *stack.back()->node_;
    stack.pop_back();
    if (n.kind == Kind::kPredicate) ids.insert(n.field_id);
    for (const Expression& c : n.children) stack.push_back(&c);
  }
  return std::vector<int>(ids.begin(), ids.end());
}

bool Expression::operator==(const Expression& other) const {
  const Node& a = *node_;
  const Node& b = *other.node_;
  if (a.kind != b.kind || a.children != b.children) return false;
  if (a.kind != Kind::kPredicate) return true;
  if (a.op != b.op || a.bound != b.bound) return false;
  if (a.bound) {
    if (a.field_id != b.field_id || a.type != b.type || a.values.size() != b.values.size()) {
      return false;
    }
    for (size_t i = 0; i < a.values.size(); ++i) {
      if (!SameValue(a.values[i], b.values[i])) return false;
    }
    return true;
  }
  if (a.column != b.column || a.literals.size() != b.literals.size()) return false;
  for (size_t i = 0; i < a.literals.size(); ++i) {
    const Literal& x = a.literals[i];
    const Literal& y = b.literals[i];
    if (x.kind != y.kind || x.text != y.text || !SameValue(x.value, y.value)) return false;
  }
  return true;
}

}  // namespace datashard
