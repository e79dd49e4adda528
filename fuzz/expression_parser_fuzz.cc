// libFuzzer target for the filter expression parser (DESIGN.md §11, EXPR):
// any text must parse or throw InvalidArgument, never crash or throw anything
// else. What parses prints back to text that parses to the same expression;
// bound to a schema of every type it evaluates the same after PushNotDown,
// and pruning never rules out a file or partition holding a row it keeps.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "datashard/errors.h"
#include "datashard/expression.h"
#include "expr/expression_pruning.h"
#include "fuzz_support.h"

namespace ds = datashard;

namespace {

const ds::Schema& TheSchema() {
  static const ds::Schema schema = ds::fuzz::AllTypesSchema();
  return schema;
}

bool IsNaN(const ds::Value& v) {
  if (std::holds_alternative<float>(v.storage())) return v.as_float() != v.as_float();
  if (std::holds_alternative<double>(v.storage())) return v.as_double() != v.as_double();
  return false;
}

// Sets each column a predicate reads to that predicate's first literal, so
// comparisons meet their edge cases (equal, NaN, extremes).
void TakeLiterals(const ds::Expression& e, ds::Record* row) {
  if (e.kind() == ds::Expression::Kind::kPredicate) {
    if (!e.values().empty()) (*row)[TheSchema().IndexOfId(e.field_id())] = e.values()[0];
    return;
  }
  for (const ds::Expression& c : e.children()) TakeLiterals(c, row);
}

// The statistics of a file (or the identity partition) holding just `row`.
void CheckPruning(const ds::Expression& e, const ds::Record& row) {
  if (e.Evaluate(row) != true) return;
  ds::DataStats stats;
  stats.row_count = 1;
  std::map<int, ds::Value> identity;
  for (size_t i = 0; i < row.size(); ++i) {
    const ds::Field& f = TheSchema().fields()[i];
    ds::ColumnStats& c = stats.columns[f.id];
    c.value_count = 1;
    c.null_count = row[i].is_null() ? 1 : 0;
    const bool floating = f.type.id == ds::TypeId::kFloat || f.type.id == ds::TypeId::kDouble;
    if (floating) c.nan_count = IsNaN(row[i]) ? 1 : 0;
    if (!row[i].is_null() && !IsNaN(row[i])) {
      c.lower = row[i];
      c.upper = row[i];
    }
    identity[f.id] = row[i];
  }
  FUZZ_CHECK(ds::MightMatch(e, stats));
  FUZZ_CHECK(ds::MightMatchPartition(e, identity));
}

void CheckBound(const ds::Expression& bound) {
  const std::string text = bound.ToString();
  const ds::Expression again = ds::Expression::Parse(text, TheSchema());
  FUZZ_CHECK(again.ToString() == text);
  const ds::Expression pushed = bound.PushNotDown();
  ds::Record nulls(TheSchema().fields().size());
  ds::Record literals = nulls;
  TakeLiterals(bound, &literals);
  for (const ds::Record* row : {&nulls, &literals}) {
    FUZZ_CHECK(bound.Evaluate(*row) == pushed.Evaluate(*row));
    CheckPruning(bound, *row);
    CheckPruning(pushed, *row);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  ds::Expression e;
  try {
    e = ds::Expression::Parse(text);
  } catch (const ds::InvalidArgument&) {
    return 0;
  }
  const std::string printed = e.ToString();
  FUZZ_CHECK(ds::Expression::Parse(printed).ToString() == printed);
  ds::Expression bound;
  try {
    bound = e.Bind(TheSchema());
  } catch (const ds::InvalidArgument&) {
    return 0;
  }
  CheckBound(bound);
  return 0;
}
