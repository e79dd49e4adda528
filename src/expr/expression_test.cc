#include "datashard/expression.h"

#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "datashard/errors.h"
#include "expr/expression_pruning.h"

namespace datashard {
namespace {

Schema TestSchema() {
  return Schema(1, {{1, "id", DataType::Long(), true},
                    {2, "name", DataType::String()},
                    {3, "score", DataType::Double()},
                    {4, "day", DataType::Date()},
                    {5, "price", DataType::Decimal(9, 2)},
                    {6, "flag", DataType::Boolean()},
                    {7, "n", DataType::Int()},
                    {8, "f", DataType::Float()},
                    {9, "ts", DataType::Timestamp()},
                    {10, "u", DataType::Uuid()},
                    {11, "bin", DataType::Binary()},
                    {12, "odd name", DataType::String()}});
}

std::string ErrorOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return "no InvalidArgument";
}

Expression Bound(const std::string& text) { return Expression::Parse(text, TestSchema()); }

// A row of TestSchema with everything null except id.
Record MakeRow(int64_t id) {
  Record r(12);
  r[0] = Value(id);
  return r;
}

TEST(ExpressionParseTest, PrecedenceIsOrThenAndThenNot) {
  const Expression e = Expression::Parse("a = 1 or b = 2 and not c = 3");
  EXPECT_EQ(e.kind(), Expression::Kind::kOr);
  EXPECT_EQ(e.children()[1].kind(), Expression::Kind::kAnd);
  EXPECT_EQ(e.children()[1].children()[1].kind(), Expression::Kind::kNot);
  EXPECT_EQ(e.ToString(), "a = 1 or (b = 2 and not c = 3)");
  EXPECT_EQ(Expression::Parse("(a = 1 or b = 2) and c = 3").ToString(),
            "(a = 1 or b = 2) and c = 3");
  EXPECT_EQ(Expression::Parse("a = 1 and b = 2 and c = 3").ToString(), "a = 1 and b = 2 and c = 3");
  EXPECT_EQ(Expression::Parse("a=1 and (b=2 and c=3)").ToString(), "a = 1 and (b = 2 and c = 3)");
}

TEST(ExpressionParseTest, KeywordsAnyCaseAndEveryOperator) {
  const Expression e = Expression::Parse(
      "a IS NULL Or b Is Not Null AND c In (1, 2) and d NOT IN ('x') and e <> 1 and f == 2 and "
      "g <= 3 and h >= 4 and i < 5 and j > 6 and k != 7 and l = TRUE and m = False");
  EXPECT_EQ(e.ToString(),
            "a is null or (b is not null and c in (1, 2) and d not in ('x') and e != 1 and f = 2 "
            "and g <= 3 and h >= 4 and i < 5 and j > 6 and k != 7 and l = true and m = false)");
}

TEST(ExpressionParseTest, StringsNumbersAndQuotedNames) {
  const Expression e = Expression::Parse("name = 'it''s' and \"odd name\" = '' and x = -1.5e3");
  EXPECT_EQ(e.children()[0].children()[0].literals()[0].text, "it's");
  EXPECT_EQ(e.children()[0].children()[1].column(), "odd name");
  EXPECT_EQ(e.children()[1].literals()[0].text, "-1.5e3");
  EXPECT_EQ(e.ToString(), "name = 'it''s' and \"odd name\" = '' and x = -1.5e3");
  EXPECT_EQ(Expression::Parse("\"and\" = 1").ToString(), "\"and\" = 1");
  EXPECT_EQ(Expression::Parse("x = +7").literals()[0].text, "7");
}

TEST(ExpressionParseTest, LiteralFirstComparisonsAreMirrored) {
  EXPECT_EQ(Expression::Parse("5 < id").ToString(), "id > 5");
  EXPECT_EQ(Expression::Parse("'a' >= name").ToString(), "name <= 'a'");
  EXPECT_EQ(Expression::Parse("true = flag").ToString(), "flag = true");
}

TEST(ExpressionParseTest, ConstantsParse) {
  EXPECT_EQ(Expression::Parse("true").kind(), Expression::Kind::kTrue);
  EXPECT_EQ(Expression::Parse("not false").ToString(), "not false");
  EXPECT_EQ(Expression().kind(), Expression::Kind::kTrue);
}

TEST(ExpressionParseTest, SyntaxErrorsNameTheTextAndOffset) {
  EXPECT_EQ(ErrorOf([] { Expression::Parse("id = "); }),
            "filter 'id = ': expected a literal, found the end at offset 5");
  EXPECT_EQ(ErrorOf([] { Expression::Parse("id 5"); }),
            "filter 'id 5': expected an operator (= != < <= > >=), 'is', 'in' or 'not in', "
            "found '5' at offset 3");
  EXPECT_EQ(ErrorOf([] { Expression::Parse("name = 'x"); }),
            "filter 'name = 'x': unterminated quote at offset 7");
  EXPECT_EQ(ErrorOf([] { Expression::Parse(""); }), "filter '': empty filter at offset 0");
  for (const char* bad :
       {"(id = 1", "id = 1)", "id in ()", "id in (1,)", "id is 5", "id = 1 x", "and = 1", "id = 1.",
        "id = 1e", "id = 12ab", "id # 1", "id not 5", "not", "id = 1 and", "id = name"}) {
    EXPECT_THROW(Expression::Parse(bad), InvalidArgument) << bad;
  }
}

// Found by fuzz/expression_parser_fuzz.cc: deep nesting overflowed the stack
// of the recursive parser, and long and/or chains that of every recursive
// consumer (printing, binding, evaluation, pruning).
TEST(ExpressionParseTest, NestingIsBoundedAt1000Levels) {
  auto nested = [](int n, const std::string& open, const std::string& close) {
    std::string text;
    for (int i = 0; i < n; ++i) text += open;
    text += "id = 1";
    for (int i = 0; i < n; ++i) text += close;
    return text;
  };
  auto chain = [](int terms) {
    std::string text = "id = 0";
    for (int i = 1; i < terms; ++i)
      text += (i % 2 ? " or id = " : " and id = ") + std::to_string(i);
    return text;
  };
  // 1000 levels parse and every consumer handles them.
  for (const std::string& text : {nested(999, "(", ")"), nested(999, "not ", ""), chain(1000)}) {
    const Expression e = Bound(text);
    EXPECT_EQ(Bound(e.ToString()), e);
    EXPECT_EQ(e.PushNotDown().Evaluate(MakeRow(-1)), e.Evaluate(MakeRow(-1)));
  }
  const std::string deep = nested(1000, "(", ")");
  EXPECT_EQ(ErrorOf([&] { Expression::Parse(deep); }).substr(deep.size() + 11),
            "nests deeper than 1000 levels (a parenthesis, a 'not' and each further term of an "
            "and/or chain are one level each; write long lists of values as 'col in (...)') at "
            "offset 999");
  EXPECT_THROW(Expression::Parse(nested(100000, "(", ")")), InvalidArgument);
  EXPECT_THROW(Expression::Parse(nested(100000, "not ", "")), InvalidArgument);
  EXPECT_THROW(Expression::Parse(chain(100000)), InvalidArgument);
}

TEST(ExpressionBindTest, MissingColumnNamesTheColumn) {
  EXPECT_EQ(
      ErrorOf([] { Bound("nope = 1"); }).rfind("filter column 'nope' is not in the schema", 0), 0u);
}

TEST(ExpressionBindTest, WrongTypedLiteralNamesColumnTypeAndLiteral) {
  const std::string msg = ErrorOf([] { Bound("id = 'abc'"); });
  EXPECT_NE(msg.find("'abc'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("column 'id'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("type long"), std::string::npos) << msg;
  for (const char* bad :
       {"day = '2024-13-01'", "day = 5", "price = '1.234'", "n = 3000000000", "n = 1.5", "flag = 1",
        "name = 5", "u = 'not-a-uuid'", "bin = '***'", "score = null", "id in (1, null)",
        "ts = '2024-01-01'", "flag = 'true'"}) {
    EXPECT_THROW(Bound(bad), InvalidArgument) << bad;
  }
  EXPECT_NE(ErrorOf([] { Bound("score = null"); }).find("is null"), std::string::npos);
}

TEST(ExpressionBindTest, LiteralsTakeTheirColumnsType) {
  EXPECT_EQ(Bound("day >= '2024-03-05'").values()[0], Value(int32_t{19787}));
  EXPECT_EQ(Bound("price < 10.5").values()[0], Value::Decimal(1050));
  EXPECT_EQ(Bound("price < '-0.01'").values()[0], Value::Decimal(-1));
  EXPECT_EQ(Bound("price < 3").values()[0], Value::Decimal(300));
  EXPECT_EQ(Bound("score > 1").values()[0], Value(1.0));
  EXPECT_EQ(Bound("f = 0.1").values()[0], Value(0.1f));
  EXPECT_EQ(Bound("n = -7").values()[0], Value(int32_t{-7}));
  EXPECT_EQ(Bound("id = 9223372036854775807").values()[0], Value(INT64_MAX));
  EXPECT_TRUE(std::isnan(Bound("score = 'NaN'").values()[0].as_double()));
  EXPECT_EQ(Bound("ts = '2024-01-31T12:00:00.000001'").values()[0],
            Value(int64_t{1706702400000001}));
  EXPECT_EQ(Bound("u = 'f79c3e09-677c-4bbd-a479-3f349cb785e7'").values()[0].as_bytes().size(), 16u);
  EXPECT_EQ(Bound("bin = 'AP8='").values()[0], Value(std::string("\x00\xff", 2)));
  const Expression e = Bound("name in ('a', 'b')");
  EXPECT_EQ(e.field_id(), 2);
  EXPECT_EQ(e.type(), DataType::String());
  EXPECT_EQ(e.values(), (std::vector<Value>{Value("a"), Value("b")}));
}

TEST(ExpressionBindTest, TypedValuesFromCodeConvertWhenRepresentable) {
  const Schema s = TestSchema();
  EXPECT_EQ(Expression::Compare("id", Expression::Op::kEq, Value(int32_t{5})).Bind(s).values()[0],
            Value(int64_t{5}));
  EXPECT_EQ(
      Expression::Compare("score", Expression::Op::kLt, Value(int64_t{2})).Bind(s).values()[0],
      Value(2.0));
  EXPECT_EQ(Expression::Compare("n", Expression::Op::kLt, Value(int64_t{2})).Bind(s).values()[0],
            Value(int32_t{2}));
  EXPECT_THROW(Expression::Compare("n", Expression::Op::kLt, Value(int64_t{1} << 40)).Bind(s),
               InvalidArgument);
  EXPECT_THROW(Expression::Compare("name", Expression::Op::kLt, Value(int64_t{2})).Bind(s),
               InvalidArgument);
  EXPECT_THROW(Expression::Compare("id", Expression::Op::kIsNull, Value(int64_t{2})),
               InvalidArgument);
}

TEST(ExpressionBindTest, BoundExpressionsPrintJsonLinesLiteralsAndParseBack) {
  const Schema s = TestSchema();
  for (const char* text :
       {"day >= '2024-03-05' and price < 10.5", "score = 'NaN' or score = -0.0 or score > 1e300",
        "bin = 'AP8=' or u = 'f79c3e09-677c-4bbd-a479-3f349cb785e7'",
        "ts < '2024-01-31T12:00:00.000001' and not flag = true", "f = 0.1 and n in (1, 2, 3)",
        "\"odd name\" not in ('x''y', '') and name is null"}) {
    const Expression e = Expression::Parse(text, s);
    const Expression again = Expression::Parse(e.ToString(), s);
    EXPECT_EQ(again, e) << text << " -> " << e.ToString();
    EXPECT_EQ(again.ToString(), e.ToString());
  }
  EXPECT_EQ(Bound("price < 10.5").ToString(), "price < '10.50'");
  EXPECT_EQ(Bound("day = '2024-03-05'").ToString(), "day = '2024-03-05'");
  EXPECT_EQ(Bound("score = 1").ToString(), "score = 1.0");
}

TEST(ExpressionBindTest, ParseLiteralForUpdates) {
  const Schema s = TestSchema();
  EXPECT_EQ(Expression::ParseLiteral("'z'", s.FieldByName("name")), Value("z"));
  EXPECT_EQ(Expression::ParseLiteral(" 5 ", s.FieldByName("n")), Value(int32_t{5}));
  EXPECT_EQ(Expression::ParseLiteral("null", s.FieldByName("name")), Value::Null());
  EXPECT_THROW(Expression::ParseLiteral("null", s.FieldByName("id")), InvalidArgument);
  EXPECT_THROW(Expression::ParseLiteral("'5'", s.FieldByName("id")), InvalidArgument);
  EXPECT_THROW(Expression::ParseLiteral("5 6", s.FieldByName("id")), InvalidArgument);
}

TEST(ExpressionBindTest, ReferencedFieldIdsAreSortedAndUnique) {
  EXPECT_EQ(Bound("score > 1 and (id = 1 or score < 0) and name is null").ReferencedFieldIds(),
            (std::vector<int>{1, 2, 3}));
  EXPECT_THROW(Expression::Parse("id = 1").ReferencedFieldIds(), InvalidArgument);
}

TEST(ExpressionEvalTest, ComparisonsWithNullAreUnknown) {
  Record r = MakeRow(1);
  EXPECT_EQ(Bound("name = 'a'").Evaluate(r), std::nullopt);
  EXPECT_EQ(Bound("not name = 'a'").Evaluate(r), std::nullopt);
  EXPECT_EQ(Bound("name = 'a' or id = 1").Evaluate(r), true);
  EXPECT_EQ(Bound("name = 'a' and id = 2").Evaluate(r), false);
  EXPECT_EQ(Bound("name = 'a' and id = 1").Evaluate(r), std::nullopt);
  EXPECT_EQ(Bound("name in ('a')").Evaluate(r), std::nullopt);
  EXPECT_EQ(Bound("name not in ('a')").Evaluate(r), std::nullopt);
  EXPECT_EQ(Bound("name is null").Evaluate(r), true);
  EXPECT_EQ(Bound("name is not null").Evaluate(r), false);
  EXPECT_FALSE(Bound("not name = 'a'").Matches(r));
  EXPECT_TRUE(Bound("id = 1").Matches(r));
}

TEST(ExpressionEvalTest, ComparesEachTypeInItsOrder) {
  Record r = MakeRow(-3);
  r[1] = Value("b\xc3\xa9");  // "bé": bytes compare unsigned, so above "bz"
  r[3] = Value(int32_t{19787});
  r[4] = Value::Decimal(-150);
  r[5] = Value(false);
  r[6] = Value(int32_t{7});
  r[10] = Value(std::string("\x80", 1));
  EXPECT_TRUE(Bound("id < -2 and id >= -3 and id != 0").Matches(r));
  EXPECT_TRUE(Bound("name > 'bz' and name < 'c'").Matches(r));
  EXPECT_TRUE(Bound("day = '2024-03-05' and day > '2024-03-04'").Matches(r));
  EXPECT_TRUE(Bound("price < -1.49 and price > -1.51 and price = -1.5").Matches(r));
  EXPECT_TRUE(Bound("flag < true and flag = false").Matches(r));
  EXPECT_TRUE(Bound("n in (1, 7) and n not in (2, 3)").Matches(r));
  EXPECT_FALSE(Bound("n not in (7)").Matches(r));
  EXPECT_TRUE(Bound("bin > 'fw=='").Matches(r));  // 0x80 > 0x7f unsigned
}

TEST(ExpressionEvalTest, NaNIsLargestAndEqualsItselfAndNegativeZeroEqualsZero) {
  Record r = MakeRow(1);
  r[2] = Value(std::numeric_limits<double>::quiet_NaN());
  EXPECT_TRUE(Bound("score = 'NaN'").Matches(r));
  EXPECT_TRUE(Bound("score > 'Infinity'").Matches(r));
  EXPECT_TRUE(Bound("score != 1").Matches(r));
  EXPECT_FALSE(Bound("score < 1").Matches(r));
  r[2] = Value(-0.0);
  EXPECT_TRUE(Bound("score = 0").Matches(r));
  EXPECT_TRUE(Bound("score >= 0 and score <= 0").Matches(r));
  EXPECT_FALSE(Bound("score < 0").Matches(r));
  EXPECT_TRUE(Bound("score < 'NaN'").Matches(r));
}

TEST(ExpressionEvalTest, UnboundExpressionsCannotBeEvaluated) {
  EXPECT_THROW(Expression::Parse("id = 1").Evaluate(MakeRow(1)), InvalidArgument);
  EXPECT_THROW(Bound("id = 1").Evaluate(Record{}), InvalidArgument);
}

RecordBatch Batch(const std::vector<Record>& rows, const Schema& schema) {
  RecordBatch b;
  b.schema = schema;
  for (const Field& f : schema.fields()) b.columns.emplace_back(f.type);
  for (const Record& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) b.columns[i].Append(r[i]);
  }
  return b;
}

TEST(ExpressionEvalTest, SelectKeepsRowsThatAreTrue) {
  std::vector<Record> rows;
  for (int i = 0; i < 6; ++i) {
    Record r = MakeRow(i);
    if (i % 2 == 0) r[1] = Value(std::string(1, static_cast<char>('a' + i)));
    rows.push_back(r);
  }
  const RecordBatch batch = Batch(rows, TestSchema());
  std::vector<uint8_t> sel;
  Bound("id >= 2 and not name = 'c'").Select(batch, &sel);
  EXPECT_EQ(sel, (std::vector<uint8_t>{0, 0, 0, 0, 1, 0}));
  Bound("name is null or id in (0)").Select(batch, &sel);
  EXPECT_EQ(sel, (std::vector<uint8_t>{1, 1, 0, 1, 0, 1}));
}

TEST(ExpressionEvalTest, SelectReadsAColumnMissingFromTheBatchAsNull) {
  const Schema old_schema(1, {{1, "id", DataType::Long(), true}});
  const RecordBatch batch = Batch({{Value(int64_t{1})}, {Value(int64_t{2})}}, old_schema);
  std::vector<uint8_t> sel;
  Bound("name is null and id = 2").Select(batch, &sel);
  EXPECT_EQ(sel, (std::vector<uint8_t>{0, 1}));
  Bound("name = 'a' or id = 1").Select(batch, &sel);
  EXPECT_EQ(sel, (std::vector<uint8_t>{1, 0}));
  Bound("not name = 'a'").Select(batch, &sel);
  EXPECT_EQ(sel, (std::vector<uint8_t>{0, 0}));
}

TEST(ExpressionRewriteTest, PushNotDownRemovesEveryNot) {
  EXPECT_EQ(
      Expression::Parse("not (a < 1 and (b is null or not c in (1)))").PushNotDown().ToString(),
      "a >= 1 or (b is not null and c in (1))");
  EXPECT_EQ(Expression::Parse("not not a = 1").PushNotDown().ToString(), "a = 1");
  EXPECT_EQ(Expression::Parse("not true").PushNotDown().ToString(), "false");
}

DataStats IdStats(int64_t lo, int64_t hi, int64_t nulls, int64_t rows) {
  DataStats s;
  s.row_count = rows;
  s.columns[1] = ColumnStats{Value(lo), Value(hi), nulls, std::nullopt, std::nullopt};
  return s;
}

TEST(ExpressionPruningTest, BoundsRuleOutComparisons) {
  const DataStats s = IdStats(10, 20, 0, 100);
  EXPECT_FALSE(MightMatch(Bound("id < 10"), s));
  EXPECT_TRUE(MightMatch(Bound("id <= 10"), s));
  EXPECT_FALSE(MightMatch(Bound("id > 20"), s));
  EXPECT_TRUE(MightMatch(Bound("id >= 20"), s));
  EXPECT_FALSE(MightMatch(Bound("id = 21"), s));
  EXPECT_TRUE(MightMatch(Bound("id = 15"), s));
  EXPECT_TRUE(MightMatch(Bound("id != 15"), s));
  EXPECT_FALSE(MightMatch(Bound("id in (1, 2, 30)"), s));
  EXPECT_TRUE(MightMatch(Bound("id in (1, 12)"), s));
  EXPECT_FALSE(MightMatch(Bound("id is null"), s));
  EXPECT_TRUE(MightMatch(Bound("id is not null"), s));
  EXPECT_FALSE(MightMatch(Bound("not id >= 10"), s));
  EXPECT_FALSE(MightMatch(Bound("id < 5 or id > 25"), s));
  EXPECT_TRUE(MightMatch(Bound("id < 5 or id > 15"), s));
  EXPECT_TRUE(MightMatch(Bound("name = 'x'"), s));  // nothing known about name
  EXPECT_FALSE(MightMatch(Bound("false"), s));
}

TEST(ExpressionPruningTest, KnownValuesDecideComparisonsWithinTheBounds) {
  DataStats s = IdStats(10, 20, 2, 100);
  s.columns[1].values = std::vector<Value>{Value(int64_t{10}), Value(int64_t{14}),
                                           Value(int64_t{20}), Value(int64_t{30})};
  EXPECT_FALSE(MightMatch(Bound("id = 15"), s));  // within the bounds, not a value
  EXPECT_TRUE(MightMatch(Bound("id = 14"), s));
  EXPECT_FALSE(MightMatch(Bound("id = 30"), s));  // a value, outside the bounds
  EXPECT_FALSE(MightMatch(Bound("id in (11, 12, 30)"), s));
  EXPECT_TRUE(MightMatch(Bound("id in (11, 20)"), s));
  EXPECT_TRUE(MightMatch(Bound("id > 14 and id < 20"), s));  // each alone holds for a value
  EXPECT_TRUE(MightMatch(Bound("id != 10"), s));
  EXPECT_FALSE(MightMatch(Bound("id not in (10, 14, 20)"), s));
  EXPECT_TRUE(MightMatch(Bound("id is null"), s));  // the values say nothing of nulls
  s.columns[1].null_count = 100;
  EXPECT_FALSE(MightMatch(Bound("id = 14"), s));  // all null
}

TEST(ExpressionPruningTest, SingleValueAndAllNullColumns) {
  const DataStats one = IdStats(15, 15, 0, 10);
  EXPECT_FALSE(MightMatch(Bound("id != 15"), one));
  EXPECT_FALSE(MightMatch(Bound("id not in (15, 16)"), one));
  EXPECT_TRUE(MightMatch(Bound("id not in (16)"), one));
  DataStats nulls;
  nulls.row_count = 10;
  nulls.columns[2].null_count = 10;
  EXPECT_FALSE(MightMatch(Bound("name = 'a'"), nulls));
  EXPECT_FALSE(MightMatch(Bound("name is not null"), nulls));
  EXPECT_FALSE(MightMatch(Bound("name != 'a'"), nulls));
  EXPECT_TRUE(MightMatch(Bound("name is null"), nulls));
  DataStats empty;
  empty.row_count = 0;
  EXPECT_FALSE(MightMatch(Bound("true"), empty));
}

TEST(ExpressionPruningTest, NaNsAreNotInBoundsSoTheirCountDecides) {
  DataStats s;
  s.row_count = 10;
  s.columns[3] = ColumnStats{Value(1.0), Value(50.0), 0, std::nullopt, std::nullopt};
  EXPECT_TRUE(MightMatch(Bound("score > 100"), s));  // a NaN may be there
  EXPECT_TRUE(MightMatch(Bound("score = 'NaN'"), s));
  EXPECT_FALSE(MightMatch(Bound("score < 1"), s));
  s.columns[3].nan_count = 0;
  EXPECT_FALSE(MightMatch(Bound("score > 100"), s));
  EXPECT_FALSE(MightMatch(Bound("score = 'NaN'"), s));
  EXPECT_FALSE(MightMatch(Bound("score >= 'NaN'"), s));
  EXPECT_TRUE(MightMatch(Bound("score < 'NaN'"), s));
  s.columns[3] = ColumnStats{std::nullopt, std::nullopt, 0, 10, std::nullopt};  // all NaN
  EXPECT_FALSE(MightMatch(Bound("score < 1e300"), s));
  EXPECT_FALSE(MightMatch(Bound("score < 'NaN'"), s));
  EXPECT_TRUE(MightMatch(Bound("score > 1"), s));
  EXPECT_TRUE(MightMatch(Bound("score = 'NaN'"), s));
  // A NaN bound (some writers put one in max) tells nothing.
  s.columns[3] = ColumnStats{Value(1.0), Value(std::nan("")), 0, 0, std::nullopt};
  EXPECT_TRUE(MightMatch(Bound("score > 100"), s));
}

TEST(ExpressionPruningTest, NegativeZeroBoundsMatchZero) {
  DataStats s;
  s.row_count = 1;
  s.columns[3] = ColumnStats{Value(-0.0), Value(-0.0), 0, 0, std::nullopt};
  EXPECT_TRUE(MightMatch(Bound("score = 0"), s));
  EXPECT_FALSE(MightMatch(Bound("score != 0"), s));
  EXPECT_FALSE(MightMatch(Bound("score > 0"), s));
}

TEST(ExpressionPruningTest, PartitionValuesAreExact) {
  const std::map<int, Value> p = {{4, Value(int32_t{19787})}, {2, Value::Null()}};
  EXPECT_TRUE(MightMatchPartition(Bound("day = '2024-03-05'"), p));
  EXPECT_FALSE(MightMatchPartition(Bound("day > '2024-03-05'"), p));
  EXPECT_FALSE(MightMatchPartition(Bound("day = '2024-03-05' and name = 'x'"), p));
  EXPECT_TRUE(MightMatchPartition(Bound("day = '2024-03-05' and name is null"), p));
  EXPECT_TRUE(MightMatchPartition(Bound("id = 5"), p));  // not a partition column
  EXPECT_FALSE(MightMatchPartition(Bound("not day = '2024-03-05'"), p));
}

}  // namespace
}  // namespace datashard
