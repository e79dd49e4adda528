#include "datashard/partition_spec.h"

#include <cctype>
#include <cstring>
#include <set>

#include "datashard/errors.h"
#include "format/json/value_json.h"
#include "metadata/manifest_decimal.h"
#include "metadata/partition_term.h"

namespace datashard {
namespace {

constexpr int64_t kMicrosPerHour = 3600LL * 1000 * 1000;
constexpr int64_t kMicrosPerDay = 24 * kMicrosPerHour;

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

uint32_t Rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

uint32_t MixK(uint32_t k) {
  k *= 0xcc9e2d51u;
  k = Rotl32(k, 15);
  return k * 0x1b873593u;
}

uint32_t Murmur3X86_32(const std::string& data) {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  const size_t len = data.size();
  uint32_t h = 0;
  size_t i = 0;
  for (; i + 4 <= len; i += 4) {
    const uint32_t k = static_cast<uint32_t>(p[i]) | (static_cast<uint32_t>(p[i + 1]) << 8) |
                       (static_cast<uint32_t>(p[i + 2]) << 16) |
                       (static_cast<uint32_t>(p[i + 3]) << 24);
    h ^= MixK(k);
    h = Rotl32(h, 13);
    h = h * 5 + 0xe6546b64u;
  }
  uint32_t k = 0;
  switch (len & 3) {
    case 3:
      k ^= static_cast<uint32_t>(p[i + 2]) << 16;
      [[fallthrough]];
    case 2:
      k ^= static_cast<uint32_t>(p[i + 1]) << 8;
      [[fallthrough]];
    case 1:
      k ^= static_cast<uint32_t>(p[i]);
      h ^= MixK(k);
  }
  h ^= static_cast<uint32_t>(len);
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

std::string LittleEndian64(int64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff);
  return out;
}

struct CivilYm {
  int64_t year;
  int month;  // 1..12
};

bool IsTemporal(TypeId id) {
  return id == TypeId::kDate || id == TypeId::kTimestamp || id == TypeId::kTimestampTz;
}

// Days since epoch of a date or timestamp value.
int64_t DaysOf(const DataType& source, const Value& v) {
  if (source.id == TypeId::kDate) return v.as_int();
  return FloorDiv(v.as_long(), kMicrosPerDay);
}

std::string Pad(int64_t v, int width) {
  std::string s = std::to_string(v < 0 ? -v : v);
  while (static_cast<int>(s.size()) < width) s.insert(s.begin(), '0');
  return v < 0 ? "-" + s : s;
}

// First `w` code points of UTF-8 text.
std::string TruncateUtf8(const std::string& s, int w) {
  size_t i = 0;
  int points = 0;
  while (i < s.size() && points < w) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = 1;
    if (c >= 0xf0) {
      n = 4;
    } else if (c >= 0xe0) {
      n = 3;
    } else if (c >= 0xc0) {
      n = 2;
    }
    i += n;
    ++points;
  }
  return s.substr(0, std::min(i, s.size()));
}

// Java's URLEncoder.encode (UTF-8): keeps [A-Za-z0-9.*_-], space becomes '+'.
std::string UrlEscape(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '.' || c == '-' || c == '*' || c == '_') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

int ParsePositive(const std::string& text, std::string_view context) {
  size_t used = 0;
  int v = 0;
  try {
    v = std::stoi(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || v <= 0) {
    throw InvalidArgument("'" + std::string(context) + "': '" + text +
                          "' is not a positive integer");
  }
  return v;
}

// A partition source value as Iceberg names it in paths.
std::string FormatValueForPath(const DataType& type, const Value& v) {
  switch (type.id) {
    case TypeId::kString:
      return v.as_bytes();
    case TypeId::kDate:
      return FormatDate(v.as_int());
    case TypeId::kTime:
      return FormatTime(v.as_long());
    case TypeId::kTimestamp:
      return FormatTimestamp(v.as_long(), false);
    case TypeId::kTimestampTz:
      return FormatTimestamp(v.as_long(), true);
    case TypeId::kDecimal:
      return FormatDecimal(v.as_decimal(), type.scale);
    case TypeId::kUuid:
      return FormatUuid(v.as_bytes());
    case TypeId::kFixed:
    case TypeId::kBinary:
      return Base64Encode(v.as_bytes());
    default:
      return ValueToJson(v, type).dump();
  }
}

CivilYm YearMonthOf(int64_t days) {
  int64_t y = 0;
  unsigned m = 0, d = 0;
  CivilFromDays(days, &y, &m, &d);
  return CivilYm{y, static_cast<int>(m)};
}

}  // namespace

Transform Transform::Bucket(int n) {
  if (n <= 0) throw InvalidArgument("bucket count must be positive, got " + std::to_string(n));
  return Transform(TransformKind::kBucket, n);
}

Transform Transform::Truncate(int width) {
  if (width <= 0) {
    throw InvalidArgument("truncate width must be positive, got " + std::to_string(width));
  }
  return Transform(TransformKind::kTruncate, width);
}

Transform Transform::Parse(std::string_view text) {
  const std::string t = Trim(text);
  if (t == "identity") return Identity();
  if (t == "year") return Year();
  if (t == "month") return Month();
  if (t == "day") return Day();
  if (t == "hour") return Hour();
  if (t == "void") return Void();
  for (const auto& [prefix, kind] :
       {std::pair<std::string, TransformKind>{"bucket[", TransformKind::kBucket},
        {"truncate[", TransformKind::kTruncate}}) {
    if (t.size() > prefix.size() + 1 && t.compare(0, prefix.size(), prefix) == 0 &&
        t.back() == ']') {
      const int p = ParsePositive(t.substr(prefix.size(), t.size() - prefix.size() - 1), t);
      return kind == TransformKind::kBucket ? Bucket(p) : Truncate(p);
    }
  }
  throw InvalidArgument("unknown partition transform '" + t + "'");
}

std::string Transform::ToString() const {
  switch (kind_) {
    case TransformKind::kIdentity:
      return "identity";
    case TransformKind::kBucket:
      return "bucket[" + std::to_string(param_) + "]";
    case TransformKind::kTruncate:
      return "truncate[" + std::to_string(param_) + "]";
    case TransformKind::kYear:
      return "year";
    case TransformKind::kMonth:
      return "month";
    case TransformKind::kDay:
      return "day";
    case TransformKind::kHour:
      return "hour";
    case TransformKind::kVoid:
      return "void";
  }
  return "identity";
}

bool Transform::CanApplyTo(const DataType& source) const {
  switch (kind_) {
    case TransformKind::kIdentity:
    case TransformKind::kVoid:
      return true;
    case TransformKind::kBucket:
      return source.id != TypeId::kBoolean && source.id != TypeId::kFloat &&
             source.id != TypeId::kDouble;
    case TransformKind::kTruncate:
      return source.id == TypeId::kInt || source.id == TypeId::kLong ||
             source.id == TypeId::kDecimal || source.id == TypeId::kString ||
             source.id == TypeId::kBinary;
    case TransformKind::kYear:
    case TransformKind::kMonth:
    case TransformKind::kDay:
      return IsTemporal(source.id);
    case TransformKind::kHour:
      return source.id == TypeId::kTimestamp || source.id == TypeId::kTimestampTz;
  }
  return false;
}

DataType Transform::ResultType(const DataType& source) const {
  if (!CanApplyTo(source)) {
    throw InvalidArgument("partition transform " + ToString() + " cannot apply to type " +
                          source.ToString());
  }
  switch (kind_) {
    case TransformKind::kBucket:
    case TransformKind::kYear:
    case TransformKind::kMonth:
    case TransformKind::kHour:
      return DataType::Int();
    case TransformKind::kDay:
      return DataType::Date();
    default:
      return source;
  }
}

Value Transform::Apply(const DataType& source, const Value& v) const {
  if (v.is_null() || kind_ == TransformKind::kVoid) return Value::Null();
  if (!CanApplyTo(source)) ResultType(source);  // throws naming both
  switch (kind_) {
    case TransformKind::kIdentity:
      return v;
    case TransformKind::kBucket:
      return static_cast<int32_t>((IcebergBucketHash(source, v) & 0x7fffffff) % param_);
    case TransformKind::kTruncate: {
      const int64_t w = param_;
      switch (source.id) {
        case TypeId::kInt: {
          const int64_t x = v.as_int();
          return static_cast<int32_t>(x - (((x % w) + w) % w));
        }
        case TypeId::kLong: {
          const int64_t x = v.as_long();
          return x - (((x % w) + w) % w);
        }
        case TypeId::kDecimal: {
          const Int128 x = v.as_decimal();
          const Int128 wide = w;
          return Value::Decimal(x - (((x % wide) + wide) % wide));
        }
        case TypeId::kString:
          return TruncateUtf8(v.as_bytes(), param_);
        default:
          return v.as_bytes().substr(0, std::min<size_t>(v.as_bytes().size(), param_));
      }
    }
    case TransformKind::kYear: {
      return static_cast<int32_t>(YearMonthOf(DaysOf(source, v)).year - 1970);
    }
    case TransformKind::kMonth: {
      const CivilYm d = YearMonthOf(DaysOf(source, v));
      return static_cast<int32_t>((d.year - 1970) * 12 + (d.month - 1));
    }
    case TransformKind::kDay:
      return static_cast<int32_t>(DaysOf(source, v));
    case TransformKind::kHour:
      return static_cast<int32_t>(FloorDiv(v.as_long(), kMicrosPerHour));
    case TransformKind::kVoid:
      break;
  }
  return Value::Null();
}

std::string Transform::HumanString(const DataType& source, const Value& result) const {
  if (result.is_null()) return "null";
  switch (kind_) {
    case TransformKind::kBucket:
      return std::to_string(result.as_int());
    case TransformKind::kYear:
      return Pad(1970 + result.as_int(), 4);
    case TransformKind::kMonth: {
      const int64_t m = result.as_int();
      const int64_t year = 1970 + FloorDiv(m, 12);
      return Pad(year, 4) + "-" + Pad(m - FloorDiv(m, 12) * 12 + 1, 2);
    }
    case TransformKind::kDay:
      return FormatDate(result.as_int());
    case TransformKind::kHour: {
      const int64_t h = result.as_int();
      const int64_t days = FloorDiv(h, 24);
      return FormatDate(static_cast<int32_t>(days)) + "-" + Pad(h - days * 24, 2);
    }
    default:
      return FormatValueForPath(source, result);
  }
}

int32_t IcebergBucketHash(const DataType& type, const Value& v) {
  std::string bytes;
  switch (type.id) {
    case TypeId::kInt:
    case TypeId::kDate:
      bytes = LittleEndian64(v.as_int());
      break;
    case TypeId::kLong:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      bytes = LittleEndian64(v.as_long());
      break;
    case TypeId::kDecimal:
      bytes = MinimalDecimalBytes(v.as_decimal());
      break;
    case TypeId::kString:
    case TypeId::kUuid:
    case TypeId::kFixed:
    case TypeId::kBinary:
      bytes = v.as_bytes();
      break;
    default:
      throw InvalidArgument("bucket transform cannot hash type " + type.ToString());
  }
  return static_cast<int32_t>(Murmur3X86_32(bytes));
}

PartitionSpec::PartitionSpec(int spec_id, std::vector<PartitionField> fields)
    : spec_id_(spec_id), fields_(std::move(fields)) {
  std::set<int> ids;
  std::set<std::string> names;
  for (const PartitionField& f : fields_) {
    if (f.field_id < 1000) {
      throw InvalidArgument("partition field '" + f.name + "' has id " +
                            std::to_string(f.field_id) + ": partition field ids start at 1000");
    }
    if (f.name.empty())
      throw InvalidArgument("partition field " + std::to_string(f.field_id) + " has an empty name");
    if (!ids.insert(f.field_id).second) {
      throw InvalidArgument("partition field id " + std::to_string(f.field_id) + " is used twice");
    }
    if (!names.insert(f.name).second) {
      throw InvalidArgument("partition field name '" + f.name + "' is used twice");
    }
  }
}

PartitionTerm ParsePartitionTerm(const std::string& term) {
  if (term.empty()) throw InvalidArgument("empty partition term");
  PartitionTerm out;
  const size_t open = term.find('(');
  if (open == std::string::npos) {
    out.column = term;
    return out;
  }
  if (term.back() != ')') throw InvalidArgument("partition term '" + term + "' lacks ')'");
  const std::string fn = Trim(term.substr(0, open));
  std::string args = term.substr(open + 1, term.size() - open - 2);
  const size_t comma = args.find(',');
  if (fn == "bucket" || fn == "truncate") {
    if (comma == std::string::npos) {
      throw InvalidArgument("partition term '" + term + "' needs two arguments: " + fn + "(N,col)");
    }
    const int n = ParsePositive(Trim(args.substr(0, comma)), term);
    out.column = Trim(args.substr(comma + 1));
    out.transform = fn == "bucket" ? Transform::Bucket(n) : Transform::Truncate(n);
    return out;
  }
  if (comma != std::string::npos)
    throw InvalidArgument("partition term '" + term + "' takes one column");
  out.column = Trim(args);
  if (fn == "year" || fn == "month" || fn == "day" || fn == "hour" || fn == "void") {
    out.transform = Transform::Parse(fn);
    return out;
  }
  throw InvalidArgument("unknown partition function '" + fn + "' in '" + term + "'");
}

std::string DefaultPartitionFieldName(const std::string& column, const Transform& transform) {
  switch (transform.kind()) {
    case TransformKind::kIdentity:
      return column;
    case TransformKind::kBucket:
      return column + "_bucket";
    case TransformKind::kTruncate:
      return column + "_trunc";
    case TransformKind::kVoid:
      return column + "_null";
    default:
      return column + "_" + transform.ToString();  // year, month, day, hour
  }
}

PartitionSpec PartitionSpec::Parse(std::string_view text, const Schema& schema, int spec_id) {
  // Split on commas outside parentheses.
  std::vector<std::string> terms;
  std::string cur;
  int depth = 0;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      terms.push_back(Trim(cur));
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  terms.push_back(Trim(cur));
  std::vector<PartitionField> fields;
  for (const std::string& term : terms) {
    if (term.empty())
      throw InvalidArgument("empty term in partition spec '" + std::string(text) + "'");
    const PartitionTerm parsed = ParsePartitionTerm(term);
    const int idx = schema.IndexOf(parsed.column);
    if (idx < 0)
      throw InvalidArgument("partition term '" + term + "' names no column of the schema");
    const Field& source = schema.fields()[static_cast<size_t>(idx)];
    if (!parsed.transform.CanApplyTo(source.type)) {
      throw InvalidArgument("partition term '" + term + "': " + parsed.transform.ToString() +
                            " cannot apply to column '" + parsed.column + "' of type " +
                            source.type.ToString());
    }
    fields.push_back(PartitionField{source.id, 1000 + static_cast<int>(fields.size()),
                                    DefaultPartitionFieldName(parsed.column, parsed.transform),
                                    parsed.transform});
  }
  PartitionSpec spec(spec_id, std::move(fields));
  spec.Validate(schema);
  return spec;
}

int PartitionSpec::last_field_id() const {
  int m = 999;
  for (const PartitionField& f : fields_) m = std::max(m, f.field_id);
  return m;
}

void PartitionSpec::Validate(const Schema& schema) const {
  for (const PartitionField& f : fields_) {
    const int idx = schema.IndexOfId(f.source_id);
    if (idx < 0) {
      throw InvalidArgument("partition field '" + f.name + "' has source id " +
                            std::to_string(f.source_id) + ", which is no column of the schema");
    }
    const Field& source = schema.fields()[static_cast<size_t>(idx)];
    if (!f.transform.CanApplyTo(source.type)) {
      throw InvalidArgument("partition field '" + f.name + "': " + f.transform.ToString() +
                            " cannot apply to column '" + source.name + "' of type " +
                            source.type.ToString());
    }
    const int clash = schema.IndexOf(f.name);
    if (clash >= 0 && !(f.transform.kind() == TransformKind::kIdentity && clash == idx)) {
      throw InvalidArgument("partition field name '" + f.name +
                            "' is the name of a schema column it is not an identity of");
    }
  }
}

std::vector<DataType> PartitionSpec::ResultTypes(const Schema& schema) const {
  Validate(schema);
  std::vector<DataType> out;
  for (const PartitionField& f : fields_) {
    out.push_back(f.transform.ResultType(
        schema.fields()[static_cast<size_t>(schema.IndexOfId(f.source_id))].type));
  }
  return out;
}

std::vector<Value> PartitionSpec::PartitionOf(const Schema& schema, const Record& record) const {
  std::vector<Value> out;
  out.reserve(fields_.size());
  for (const PartitionField& f : fields_) {
    const int idx = schema.IndexOfId(f.source_id);
    if (idx < 0 || static_cast<size_t>(idx) >= record.size()) {
      throw InvalidArgument("partition field '" + f.name + "': source column id " +
                            std::to_string(f.source_id) + " missing from the record");
    }
    out.push_back(f.transform.Apply(schema.fields()[static_cast<size_t>(idx)].type,
                                    record[static_cast<size_t>(idx)]));
  }
  return out;
}

std::string PartitionSpec::PartitionPath(const Schema& schema,
                                         const std::vector<Value>& tuple) const {
  std::string path;
  for (size_t i = 0; i < fields_.size(); ++i) {
    const PartitionField& f = fields_[i];
    const int idx = schema.IndexOfId(f.source_id);
    if (idx < 0) throw InvalidArgument("partition field '" + f.name + "' has no source column");
    if (!path.empty()) path += "/";
    path += UrlEscape(f.name) + "=" +
            UrlEscape(f.transform.HumanString(schema.fields()[static_cast<size_t>(idx)].type,
                                              i < tuple.size() ? tuple[i] : Value::Null()));
  }
  return path;
}

std::string PartitionSpec::Describe(const Schema& schema) const {
  std::string out = "[";
  for (size_t i = 0; i < fields_.size(); ++i) {
    const PartitionField& f = fields_[i];
    const int idx = schema.IndexOfId(f.source_id);
    const std::string source = idx >= 0 ? schema.fields()[static_cast<size_t>(idx)].name
                                        : "#" + std::to_string(f.source_id);
    if (i > 0) out += ", ";
    out += std::to_string(f.field_id) + ": " + f.name + " " + f.transform.ToString() + "(" +
           source + ")";
  }
  return out + "]";
}

}  // namespace datashard
