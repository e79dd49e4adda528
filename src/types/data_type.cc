#include <cctype>
#include <string>

#include "datashard/errors.h"
#include "datashard/types.h"

namespace datashard {
namespace {

struct NamedType {
  const char* name;
  TypeId id;
};

constexpr NamedType kSimpleTypes[] = {
    {"boolean", TypeId::kBoolean},   {"int", TypeId::kInt},
    {"long", TypeId::kLong},         {"float", TypeId::kFloat},
    {"double", TypeId::kDouble},     {"date", TypeId::kDate},
    {"time", TypeId::kTime},         {"timestamp", TypeId::kTimestamp},
    {"timestamptz", TypeId::kTimestampTz}, {"string", TypeId::kString},
    {"uuid", TypeId::kUuid},         {"binary", TypeId::kBinary},
};

std::string Strip(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c))) out.push_back(c);
  }
  return out;
}

// Parses the digits of s[pos, end) as a positive int; -1 when not a number.
int ParseCount(const std::string& s, size_t pos, size_t end) {
  if (pos >= end || end - pos > 9) return -1;
  int v = 0;
  for (size_t i = pos; i < end; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

}  // namespace

DataType DataType::Parse(std::string_view text) {
  const std::string s = Strip(text);
  for (const auto& t : kSimpleTypes) {
    if (s == t.name) return DataType{t.id};
  }
  if (s.rfind("decimal(", 0) == 0 && s.back() == ')') {
    const size_t comma = s.find(',');
    if (comma != std::string::npos) {
      const int p = ParseCount(s, 8, comma);
      const int sc = ParseCount(s, comma + 1, s.size() - 1);
      if (p >= 1 && p <= 38 && sc >= 0 && sc <= p) return Decimal(p, sc);
    }
    throw InvalidArgument("invalid decimal type '" + std::string(text) +
                          "': expected decimal(P, S) with 1 <= P <= 38 and 0 <= S <= P");
  }
  if (s.rfind("fixed[", 0) == 0 && s.back() == ']') {
    const int len = ParseCount(s, 6, s.size() - 1);
    if (len >= 1) return Fixed(len);
    throw InvalidArgument("invalid fixed type '" + std::string(text) +
                          "': expected fixed[L] with L >= 1");
  }
  throw InvalidArgument("unknown type '" + std::string(text) +
                        "': expected one of boolean, int, long, float, double, decimal(P, S), "
                        "date, time, timestamp, timestamptz, string, uuid, fixed[L], binary");
}

std::string DataType::ToString() const {
  switch (id) {
    case TypeId::kDecimal:
      return "decimal(" + std::to_string(precision) + ", " + std::to_string(scale) + ")";
    case TypeId::kFixed:
      return "fixed[" + std::to_string(length) + "]";
    default:
      for (const auto& t : kSimpleTypes) {
        if (t.id == id) return t.name;
      }
  }
  return "unknown";
}

}  // namespace datashard
