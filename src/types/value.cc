#include "datashard/value.h"

#include <cmath>
#include <cstring>

namespace datashard {

bool Value::Fits(const DataType& type) const {
  if (is_null()) return true;
  switch (type.id) {
    case TypeId::kBoolean: return std::holds_alternative<bool>(v_);
    case TypeId::kInt:
    case TypeId::kDate: return std::holds_alternative<int32_t>(v_);
    case TypeId::kLong:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz: return std::holds_alternative<int64_t>(v_);
    case TypeId::kFloat: return std::holds_alternative<float>(v_);
    case TypeId::kDouble: return std::holds_alternative<double>(v_);
    case TypeId::kDecimal: return std::holds_alternative<Int128>(v_);
    case TypeId::kUuid:
      return std::holds_alternative<std::string>(v_) && as_bytes().size() == 16;
    case TypeId::kFixed:
      return std::holds_alternative<std::string>(v_) &&
             as_bytes().size() == static_cast<size_t>(type.length);
    case TypeId::kString:
    case TypeId::kBinary: return std::holds_alternative<std::string>(v_);
  }
  return false;
}

namespace {

template <typename T>
int Cmp(T a, T b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

// Total order for floating point: -0.0 < +0.0, NaN above everything.
template <typename F>
int CmpFloat(F a, F b) {
  const bool na = std::isnan(a), nb = std::isnan(b);
  if (na || nb) return Cmp(na, nb);
  if (a == b) return Cmp(std::signbit(b), std::signbit(a));
  return a < b ? -1 : 1;
}

}  // namespace

int CompareValues(const DataType& type, const Value& a, const Value& b) {
  switch (type.id) {
    case TypeId::kBoolean: return Cmp(a.as_bool(), b.as_bool());
    case TypeId::kInt:
    case TypeId::kDate: return Cmp(a.as_int(), b.as_int());
    case TypeId::kLong:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz: return Cmp(a.as_long(), b.as_long());
    case TypeId::kFloat: return CmpFloat(a.as_float(), b.as_float());
    case TypeId::kDouble: return CmpFloat(a.as_double(), b.as_double());
    case TypeId::kDecimal: return Cmp(a.as_decimal(), b.as_decimal());
    case TypeId::kString:
    case TypeId::kUuid:
    case TypeId::kFixed:
    case TypeId::kBinary: {
      const std::string& x = a.as_bytes();
      const std::string& y = b.as_bytes();
      const int c = std::memcmp(x.data(), y.data(), std::min(x.size(), y.size()));
      if (c != 0) return c < 0 ? -1 : 1;
      return Cmp(x.size(), y.size());
    }
  }
  return 0;
}

}  // namespace datashard
