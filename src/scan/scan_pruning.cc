#include "scan/scan_pruning.h"

#include <vector>

#include "expr/expression_internal.h"
#include "types/type_promotion.h"

namespace datashard {

namespace {

using Kind = Expression::Kind;
using Op = Expression::Op;

// The partition values a manifest or data file may hold for one partition
// field: a range of transform results and whether nulls / non-nulls occur.
struct PartitionRange {
  bool may_null = true;
  bool may_non_null = true;
  std::optional<Value> lower;
  std::optional<Value> upper;
};

bool OrderPreserving(TransformKind kind) {
  return kind == TransformKind::kIdentity || kind == TransformKind::kTruncate ||
         kind == TransformKind::kYear || kind == TransformKind::kMonth ||
         kind == TransformKind::kDay || kind == TransformKind::kHour;
}

// May a row whose partition value for `field` lies in `range` satisfy the
// predicate `p` on the field's source column?
bool PredicateMightMatch(const Expression& p, const PartitionField& field,
                         const PartitionRange& range) {
  const TransformKind kind = field.transform.kind();
  if (kind == TransformKind::kVoid) return true;
  const Op op = p.op();
  // A null partition value comes from a null source value and back.
  if (!range.may_non_null) return op == Op::kIsNull && range.may_null;
  if (op == Op::kIsNull) return range.may_null;
  if (op == Op::kNotNull) return true;
  if (!range.lower || !range.upper) return true;
  const DataType& source = p.type();
  // NaN and -0.0 make ranges of floats unreliable for a few operators.
  if (source.id == TypeId::kFloat || source.id == TypeId::kDouble) return true;
  const DataType result = field.transform.ResultType(source);
  const Value lower = PromoteValue(*range.lower, result);
  const Value upper = PromoteValue(*range.upper, result);
  if (!lower.Fits(result) || !upper.Fits(result) || lower.is_null() || upper.is_null()) return true;
  auto in_range = [&](const Value& literal) {
    const Value t = field.transform.Apply(source, literal);
    return CompareValues(result, lower, t) <= 0 && CompareValues(result, t, upper) <= 0;
  };
  switch (op) {
    case Op::kEq:
      return in_range(p.values()[0]);
    case Op::kIn:
      for (const Value& v : p.values()) {
        if (in_range(v)) return true;
      }
      return false;
    case Op::kNe:
    case Op::kNotIn:
      if (kind != TransformKind::kIdentity || CompareValues(result, lower, upper) != 0) return true;
      for (const Value& v : p.values()) {
        if (CompareValues(result, v, lower) == 0) return false;
      }
      return true;
    default:
      break;
  }
  if (!OrderPreserving(kind)) return true;
  const Value t = field.transform.Apply(source, p.values()[0]);
  if (op == Op::kLt || op == Op::kLe) return CompareValues(result, lower, t) <= 0;
  return CompareValues(result, t, upper) <= 0;  // kGt, kGe
}

bool PartitionMightMatch(const Expression& e, const PartitionSpec& spec,
                         const std::vector<PartitionRange>& ranges) {
  switch (e.kind()) {
    case Kind::kTrue:
      return true;
    case Kind::kFalse:
      return false;
    case Kind::kAnd:
      return PartitionMightMatch(e.children()[0], spec, ranges) &&
             PartitionMightMatch(e.children()[1], spec, ranges);
    case Kind::kOr:
      return PartitionMightMatch(e.children()[0], spec, ranges) ||
             PartitionMightMatch(e.children()[1], spec, ranges);
    case Kind::kNot:
      return true;  // callers push negations down first
    case Kind::kPredicate:
      break;
  }
  for (size_t i = 0; i < spec.fields().size() && i < ranges.size(); ++i) {
    if (spec.fields()[i].source_id == e.field_id() &&
        !PredicateMightMatch(e, spec.fields()[i], ranges[i])) {
      return false;
    }
  }
  return true;
}

const Field* FieldById(const Schema& schema, int id) {
  const int index = schema.IndexOfId(id);
  return index < 0 ? nullptr : &schema.fields()[static_cast<size_t>(index)];
}

// The partition field's result type in the current schema, or nullopt when
// its source column is gone.
std::optional<DataType> PartitionResultType(const Schema& schema, const PartitionField& field) {
  const Field* source = FieldById(schema, field.source_id);
  if (source == nullptr || !field.transform.CanApplyTo(source->type)) return std::nullopt;
  return field.transform.ResultType(source->type);
}

// Whether every partition value `s` summarises is null (Java's
// ManifestEvaluator): nulls and no lower bound, and for float and double
// also no NaN, since NaN values leave no bounds. An unknown type (source
// column gone) or an unknown contains_nan is not all null.
bool SummaryAllNull(const PartitionFieldSummary& s, const std::optional<DataType>& type) {
  if (!s.contains_null || s.lower_bound.has_value()) return false;
  if (!type) return false;
  if (type->id == TypeId::kFloat || type->id == TypeId::kDouble) {
    return s.contains_nan.has_value() && !*s.contains_nan;
  }
  return true;
}

template <typename T>
std::optional<T> Find(const std::map<int, T>& m, int key) {
  auto it = m.find(key);
  if (it == m.end()) return std::nullopt;
  return it->second;
}

// The value every row of `file` holds in the identity-partitioned column
// `field_id`, when the spec has such a partition field.
std::optional<Value> IdentityValue(const Schema& schema, const PartitionSpec& spec,
                                   const DataFile& file, int field_id) {
  for (size_t i = 0; i < spec.fields().size() && i < file.partition.size(); ++i) {
    const PartitionField& pf = spec.fields()[i];
    if (pf.source_id != field_id || pf.transform.kind() != TransformKind::kIdentity) continue;
    const Field* source = FieldById(schema, field_id);
    if (source == nullptr) return std::nullopt;
    const Value v = PromoteValue(file.partition[i], source->type);
    if (v.Fits(source->type)) return v;
  }
  return std::nullopt;
}

// Is predicate `p` provably true for every row of `file`?
bool PredicateAllMatch(const Expression& p, const Schema& schema, const PartitionSpec& spec,
                       const DataFile& file) {
  if (std::optional<Value> v = IdentityValue(schema, spec, file, p.field_id())) {
    return EvaluatePredicate(p, *v).value_or(false);
  }
  const DataType& t = p.type();
  if (t.id == TypeId::kFloat || t.id == TypeId::kDouble) return false;
  const int id = p.field_id();
  const std::optional<int64_t> nulls = Find(file.null_value_counts, id);
  if (p.op() == Op::kIsNull) {
    return nulls && *nulls == file.record_count;
  }
  if (!nulls || *nulls != 0 || file.record_count == 0) return false;
  // A file without a value count for the column may not store it at all.
  if (!Find(file.value_counts, id)) return false;
  if (p.op() == Op::kNotNull) return true;
  const std::optional<std::string> lo = Find(file.lower_bounds, id);
  const std::optional<std::string> hi = Find(file.upper_bounds, id);
  if (!lo || !hi) return false;
  const Value lower = DecodeBound(t, *lo);
  const Value upper = DecodeBound(t, *hi);
  auto cmp = [&t](const Value& a, const Value& b) { return CompareValues(t, a, b); };
  switch (p.op()) {
    case Op::kEq:
      return cmp(lower, p.values()[0]) == 0 && cmp(upper, p.values()[0]) == 0;
    case Op::kNe:
      return cmp(p.values()[0], lower) < 0 || cmp(p.values()[0], upper) > 0;
    case Op::kLt:
      return cmp(upper, p.values()[0]) < 0;
    case Op::kLe:
      return cmp(upper, p.values()[0]) <= 0;
    case Op::kGt:
      return cmp(lower, p.values()[0]) > 0;
    case Op::kGe:
      return cmp(lower, p.values()[0]) >= 0;
    case Op::kIn:
      if (cmp(lower, upper) != 0) return false;
      for (const Value& v : p.values()) {
        if (cmp(v, lower) == 0) return true;
      }
      return false;
    case Op::kNotIn:
      for (const Value& v : p.values()) {
        if (cmp(v, lower) >= 0 && cmp(v, upper) <= 0) return false;
      }
      return true;
    default:
      return false;
  }
}

}  // namespace

Value DecodeBound(const DataType& type, const std::string& bytes) {
  if (type.id == TypeId::kLong && bytes.size() == 4) {
    return PromoteValue(DeserializeSingleValue(DataType::Int(), bytes), type);
  }
  if (type.id == TypeId::kDouble && bytes.size() == 4) {
    return PromoteValue(DeserializeSingleValue(DataType::Float(), bytes), type);
  }
  return DeserializeSingleValue(type, bytes);
}

bool ManifestMightMatch(const Expression& filter, const Schema& schema, const PartitionSpec& spec,
                        const ManifestFile& manifest) {
  if (manifest.partitions.size() != spec.fields().size()) return true;
  std::vector<PartitionRange> ranges(spec.fields().size());
  for (size_t i = 0; i < ranges.size(); ++i) {
    const PartitionFieldSummary& s = manifest.partitions[i];
    const std::optional<DataType> type = PartitionResultType(schema, spec.fields()[i]);
    PartitionRange& r = ranges[i];
    r.may_null = s.contains_null;
    r.may_non_null = !SummaryAllNull(s, type);
    if (type && s.lower_bound && s.upper_bound) {
      r.lower = DecodeBound(*type, *s.lower_bound);
      r.upper = DecodeBound(*type, *s.upper_bound);
    }
  }
  return PartitionMightMatch(filter, spec, ranges);
}

DataStats DataFileStats(const Expression& filter, const Schema& schema, const DataFile& file) {
  DataStats stats;
  stats.row_count = file.record_count;
  for (int id : filter.ReferencedFieldIds()) {
    const Field* field = FieldById(schema, id);
    if (field == nullptr) continue;
    ColumnStats c;
    c.null_count = Find(file.null_value_counts, id);
    c.nan_count = Find(file.nan_value_counts, id);
    c.value_count = Find(file.value_counts, id);
    if (auto lo = Find(file.lower_bounds, id)) c.lower = DecodeBound(field->type, *lo);
    if (auto hi = Find(file.upper_bounds, id)) c.upper = DecodeBound(field->type, *hi);
    stats.columns[id] = std::move(c);
  }
  return stats;
}

bool DataFileMightMatch(const Expression& filter, const Schema& schema, const PartitionSpec& spec,
                        const DataFile& file) {
  std::vector<PartitionRange> ranges(spec.fields().size());
  for (size_t i = 0; i < ranges.size() && i < file.partition.size(); ++i) {
    const Value& v = file.partition[i];
    ranges[i].may_null = v.is_null();
    ranges[i].may_non_null = !v.is_null();
    if (!v.is_null()) ranges[i].lower = ranges[i].upper = v;
  }
  if (file.partition.size() == spec.fields().size() && !PartitionMightMatch(filter, spec, ranges)) {
    return false;
  }
  return MightMatch(filter, DataFileStats(filter, schema, file));
}

bool DataFileAllMatch(const Expression& filter, const Schema& schema, const PartitionSpec& spec,
                      const DataFile& file) {
  switch (filter.kind()) {
    case Kind::kTrue:
      return true;
    case Kind::kFalse:
      return false;
    case Kind::kAnd:
      return DataFileAllMatch(filter.children()[0], schema, spec, file) &&
             DataFileAllMatch(filter.children()[1], schema, spec, file);
    case Kind::kOr:
      return DataFileAllMatch(filter.children()[0], schema, spec, file) ||
             DataFileAllMatch(filter.children()[1], schema, spec, file);
    case Kind::kNot:
      return false;  // callers push negations down first
    case Kind::kPredicate:
      return PredicateAllMatch(filter, schema, spec, file);
  }
  return false;
}

}  // namespace datashard
