#include "types/type_promotion.h"

#include <variant>

namespace datashard {

bool ReadsAs(const DataType& from, const DataType& to) {
  if (from.id == TypeId::kDecimal && to.id == TypeId::kDecimal) {
    return from.scale == to.scale && from.precision <= to.precision;
  }
  return from == to || (from.id == TypeId::kInt && to.id == TypeId::kLong) ||
         (from.id == TypeId::kFloat && to.id == TypeId::kDouble);
}

Value PromoteValue(const Value& v, const DataType& type) {
  if (v.is_null()) return v;
  if (std::holds_alternative<int32_t>(v.storage()) &&
      (type.id == TypeId::kLong || type.id == TypeId::kTime || type.id == TypeId::kTimestamp ||
       type.id == TypeId::kTimestampTz)) {
    return Value(static_cast<int64_t>(v.as_int()));
  }
  if (std::holds_alternative<float>(v.storage()) && type.id == TypeId::kDouble) {
    return Value(static_cast<double>(v.as_float()));
  }
  return v;
}

}  // namespace datashard
