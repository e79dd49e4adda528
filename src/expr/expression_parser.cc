// The text form of filters (DESIGN.md §11, EXPR): a hand-written lexer and a
// recursive-descent parser. Precedence, loosest first: or, and, not.
#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <utility>

#include "datashard/errors.h"
#include "datashard/expression.h"
#include "expr/expression_internal.h"

namespace datashard {

namespace {

using Literal = Expression::Literal;
using Op = Expression::Op;

struct Token {
  enum class Kind { kEnd, kWord, kQuotedName, kString, kNumber, kOp, kLParen, kRParen, kComma };
  Kind kind = Kind::kEnd;
  std::string text;  // word as written, unquoted name/string, number digits, op
  size_t offset = 0;
};

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  Token Next() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    Token t;
    t.offset = pos_;
    if (pos_ >= text_.size()) return t;
    const char c = text_[pos_];
    if (c == '(' || c == ')' || c == ',') {
      t.kind =
          c == '(' ? Token::Kind::kLParen : (c == ')' ? Token::Kind::kRParen : Token::Kind::kComma);
      t.text = std::string(1, c);
      ++pos_;
      return t;
    }
    if (c == '\'' || c == '"') {
      t.kind = c == '\'' ? Token::Kind::kString : Token::Kind::kQuotedName;
      t.text = Quoted(c);
      return t;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        ((c == '-' || c == '+') && pos_ + 1 < text_.size() &&
         std::isdigit(static_cast<unsigned char>(text_[pos_ + 1])))) {
      t.kind = Token::Kind::kNumber;
      t.text = Number();
      return t;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      t.kind = Token::Kind::kWord;
      while (pos_ < text_.size() &&
             (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) {
        t.text.push_back(text_[pos_++]);
      }
      return t;
    }
    for (const char* op : {"<=", ">=", "!=", "<>", "==", "=", "<", ">"}) {
      const std::string_view o(op);
      if (text_.substr(pos_, o.size()) == o) {
        t.kind = Token::Kind::kOp;
        t.text = std::string(o);
        pos_ += o.size();
        return t;
      }
    }
    Fail("unexpected character '" + std::string(1, c) + "'", pos_);
  }

  [[noreturn]] void Fail(const std::string& what, size_t offset) const {
    throw InvalidArgument("filter '" + std::string(text_) + "': " + what + " at offset " +
                          std::to_string(offset));
  }

 private:
  // A quoted string or name; the quote character doubled stands for itself.
  std::string Quoted(char quote) {
    const size_t start = pos_++;
    std::string out;
    for (;;) {
      if (pos_ >= text_.size()) Fail("unterminated quote", start);
      const char c = text_[pos_++];
      if (c != quote) {
        out.push_back(c);
      } else if (pos_ < text_.size() && text_[pos_] == quote) {
        out.push_back(quote);
        ++pos_;
      } else {
        return out;
      }
    }
  }

  // [+-]digits[.digits][(e|E)[+-]digits], kept as written minus a leading '+'.
  std::string Number() {
    const size_t start = pos_;
    if (text_[pos_] == '+' || text_[pos_] == '-') ++pos_;
    auto digits = [this] {
      const size_t from = pos_;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
      return pos_ > from;
    };
    digits();
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (!digits()) Fail("expected digits after the decimal point", pos_);
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (!digits()) Fail("expected digits in the exponent", pos_);
    }
    if (pos_ < text_.size() &&
        (std::isalpha(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) {
      Fail("malformed number", start);
    }
    std::string out(text_.substr(start, pos_ - start));
    if (out[0] == '+') out.erase(0, 1);
    return out;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

bool IsWord(const Token& t, const char* keyword) {
  if (t.kind != Token::Kind::kWord) return false;
  const std::string_view k(keyword);
  if (t.text.size() != k.size()) return false;
  for (size_t i = 0; i < k.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(t.text[i])) != k[i]) return false;
  }
  return true;
}

bool IsReserved(const Token& t) {
  for (const char* k : {"and", "or", "not", "is", "null", "in", "true", "false"}) {
    if (IsWord(t, k)) return true;
  }
  return false;
}

bool IsLiteral(const Token& t) {
  return t.kind == Token::Kind::kString || t.kind == Token::Kind::kNumber || IsWord(t, "true") ||
         IsWord(t, "false") || IsWord(t, "null");
}

Literal ToLiteral(const Token& t) {
  Literal l;
  if (t.kind == Token::Kind::kString) {
    l.kind = Literal::Kind::kString;
    l.text = t.text;
  } else if (t.kind == Token::Kind::kNumber) {
    l.kind = Literal::Kind::kNumber;
    l.text = t.text;
  } else if (IsWord(t, "null")) {
    l.kind = Literal::Kind::kNull;
  } else {
    l.kind = Literal::Kind::kBoolean;
    l.value = Value(IsWord(t, "true"));
  }
  return l;
}

Op ComparisonOp(const std::string& text) {
  if (text == "=" || text == "==") return Op::kEq;
  if (text == "!=" || text == "<>") return Op::kNe;
  if (text == "<") return Op::kLt;
  if (text == "<=") return Op::kLe;
  if (text == ">") return Op::kGt;
  return Op::kGe;
}

// `lit op col` is `col op' lit` with the comparison mirrored.
Op Mirrored(Op op) {
  switch (op) {
    case Op::kLt:
      return Op::kGt;
    case Op::kLe:
      return Op::kGe;
    case Op::kGt:
      return Op::kLt;
    case Op::kGe:
      return Op::kLe;
    default:
      return op;
  }
}

class Parser {
 public:
  explicit Parser(std::string_view text) : lexer_(text) {
    current_ = lexer_.Next();
    next_ = lexer_.Next();
  }

  Expression ParseAll() {
    if (current_.kind == Token::Kind::kEnd) lexer_.Fail("empty filter", 0);
    int height = 0;
    Expression e = ParseOr(0, &height);
    if (current_.kind != Token::Kind::kEnd) Unexpected("'and', 'or' or the end");
    return e;
  }

  Literal ParseOneLiteral() {
    if (!IsLiteral(current_)) Unexpected("a literal");
    Literal l = ToLiteral(current_);
    Advance();
    if (current_.kind != Token::Kind::kEnd) Unexpected("the end after the literal");
    return l;
  }

 private:
  void Advance() {
    current_ = std::move(next_);
    next_ = current_.kind == Token::Kind::kEnd ? current_ : lexer_.Next();
  }

  [[noreturn]] void Unexpected(const std::string& expected) const {
    const std::string found =
        current_.kind == Token::Kind::kEnd ? "the end" : "'" + current_.text + "'";
    lexer_.Fail("expected " + expected + ", found " + found, current_.offset);
  }

  void Expect(Token::Kind kind, const char* what) {
    if (current_.kind != kind) Unexpected(what);
    Advance();
  }

  // Every consumer of an expression (printing, binding, evaluation, pruning,
  // even its destructor) recurses once per level of the tree, and so does
  // this parser per parenthesis and 'not'; bounding the levels bounds the
  // stack. `depth` counts the parentheses and nots enclosing the current
  // token; `*height` receives the levels of the parsed subexpression.
  static constexpr int kMaxLevels = 1000;

  void CheckLevels(int levels) const {
    if (levels > kMaxLevels) {
      lexer_.Fail("nests deeper than " + std::to_string(kMaxLevels) +
                      " levels (a parenthesis, a 'not' and each further term of an and/or chain "
                      "are one level each; write long lists of values as 'col in (...)')",
                  current_.offset);
    }
  }

  Expression ParseOr(int depth, int* height) {
    Expression e = ParseAnd(depth, height);
    while (IsWord(current_, "or")) {
      Advance();
      int right = 0;
      Expression b = ParseAnd(depth, &right);
      *height = std::max(*height, right) + 1;
      CheckLevels(*height);
      e = Expression::Or(std::move(e), std::move(b));
    }
    return e;
  }

  Expression ParseAnd(int depth, int* height) {
    Expression e = ParseNot(depth, height);
    while (IsWord(current_, "and")) {
      Advance();
      int right = 0;
      Expression b = ParseNot(depth, &right);
      *height = std::max(*height, right) + 1;
      CheckLevels(*height);
      e = Expression::And(std::move(e), std::move(b));
    }
    return e;
  }

  Expression ParseNot(int depth, int* height) {
    if (IsWord(current_, "not")) {
      CheckLevels(depth + 2);  // this not and at least a predicate below it
      Advance();
      Expression e = Expression::Not(ParseNot(depth + 1, height));
      CheckLevels(++*height);
      return e;
    }
    return ParsePrimary(depth, height);
  }

  Expression ParsePrimary(int depth, int* height) {
    *height = 1;
    if (current_.kind == Token::Kind::kLParen) {
      CheckLevels(depth + 2);  // this parenthesis and at least a predicate inside
      Advance();
      Expression e = ParseOr(depth + 1, height);
      Expect(Token::Kind::kRParen, "')'");
      CheckLevels(++*height);
      return e;
    }
    if (IsLiteral(current_) && next_.kind == Token::Kind::kOp) {
      Literal literal = ToLiteral(current_);
      const Op op = Mirrored(ComparisonOp(next_.text));
      Advance();
      Advance();
      std::string column = ParseColumn();
      return Expression::Compare(std::move(column), op, std::move(literal));
    }
    if (IsWord(current_, "true") || IsWord(current_, "false")) {
      const bool value = IsWord(current_, "true");
      Advance();
      return value ? Expression::True() : Expression::False();
    }
    std::string column = ParseColumn();
    if (current_.kind == Token::Kind::kOp) {
      const Op op = ComparisonOp(current_.text);
      Advance();
      if (!IsLiteral(current_)) Unexpected("a literal");
      Literal literal = ToLiteral(current_);
      Advance();
      return Expression::Compare(std::move(column), op, std::move(literal));
    }
    if (IsWord(current_, "is")) {
      Advance();
      bool negated = false;
      if (IsWord(current_, "not")) {
        negated = true;
        Advance();
      }
      if (!IsWord(current_, "null")) Unexpected("'null'");
      Advance();
      return negated ? Expression::NotNull(std::move(column))
                     : Expression::IsNull(std::move(column));
    }
    bool negated = false;
    if (IsWord(current_, "not")) {
      negated = true;
      Advance();
      if (!IsWord(current_, "in")) Unexpected("'in'");
    }
    if (IsWord(current_, "in")) {
      Advance();
      Expect(Token::Kind::kLParen, "'('");
      std::vector<Literal> literals;
      for (;;) {
        if (!IsLiteral(current_)) Unexpected("a literal");
        literals.push_back(ToLiteral(current_));
        Advance();
        if (current_.kind == Token::Kind::kRParen) break;
        Expect(Token::Kind::kComma, "',' or ')'");
      }
      Advance();
      return Expression::In(std::move(column), std::move(literals), negated);
    }
    Unexpected("an operator (= != < <= > >=), 'is', 'in' or 'not in'");
  }

  std::string ParseColumn() {
    if (current_.kind == Token::Kind::kQuotedName ||
        (current_.kind == Token::Kind::kWord && !IsReserved(current_))) {
      std::string name = current_.text;
      Advance();
      return name;
    }
    Unexpected("a column name");
  }

  Lexer lexer_;
  Token current_;
  Token next_;
};

}  // namespace

Expression Expression::Parse(std::string_view text) { return Parser(text).ParseAll(); }

Expression::Literal ParseLiteralText(std::string_view text) {
  return Parser(text).ParseOneLiteral();
}

}  // namespace datashard
