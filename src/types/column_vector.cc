#include "datashard/column_vector.h"

#include <algorithm>

#include "datashard/errors.h"

namespace datashard {

size_t ColumnVector::null_count() const {
  return static_cast<size_t>(std::count(valid_.begin(), valid_.end(), uint8_t{0}));
}

namespace {

// Calls f on the typed storage that columns of `c`'s type use.
template <typename C, typename F>
void WithStorage(C& c, F&& f) {
  switch (c.type().id) {
    case TypeId::kBoolean:
      f(c.bools);
      break;
    case TypeId::kInt:
    case TypeId::kDate:
      f(c.ints);
      break;
    case TypeId::kLong:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      f(c.longs);
      break;
    case TypeId::kFloat:
      f(c.floats);
      break;
    case TypeId::kDouble:
      f(c.doubles);
      break;
    case TypeId::kDecimal:
      f(c.decimals);
      break;
    default:
      if (c.holds_views()) {
        f(c.views);
      } else {
        f(c.bytes);
      }
      break;
  }
}

}  // namespace

void ColumnVector::UseViews() {
  bytes.clear();
  views.clear();
  buffers.clear();
  valid_.clear();
  holds_views_ = true;
}

void ColumnVector::OwnBytes() {
  if (!holds_views_) return;
  bytes.assign(views.begin(), views.end());
  views.clear();
  buffers.clear();
  holds_views_ = false;
}

void ColumnVector::Reserve(size_t n) {
  valid_.reserve(n);
  WithStorage(*this, [n](auto& v) { v.reserve(n); });
}

size_t ColumnVector::capacity() const {
  size_t n = valid_.capacity();
  WithStorage(*this, [&n](const auto& v) { n = std::min(n, v.capacity()); });
  return n;
}

void ColumnVector::Resize(size_t n) {
  valid_.resize(n, 0);
  WithStorage(*this, [n](auto& v) { v.resize(n); });
}

void ColumnVector::Clear() {
  valid_.clear();
  bools.clear();
  ints.clear();
  longs.clear();
  floats.clear();
  doubles.clear();
  decimals.clear();
  bytes.clear();
  views.clear();
  buffers.clear();
  holds_views_ = false;
}

void ColumnVector::AppendNull() {
  OwnBytes();
  valid_.push_back(0);
  switch (type_.id) {
    case TypeId::kBoolean:
      bools.push_back(0);
      break;
    case TypeId::kInt:
    case TypeId::kDate:
      ints.push_back(0);
      break;
    case TypeId::kLong:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      longs.push_back(0);
      break;
    case TypeId::kFloat:
      floats.push_back(0);
      break;
    case TypeId::kDouble:
      doubles.push_back(0);
      break;
    case TypeId::kDecimal:
      decimals.push_back(0);
      break;
    default:
      bytes.emplace_back();
      break;
  }
}

void ColumnVector::Append(const Value& v) {
  if (v.is_null()) {
    AppendNull();
    return;
  }
  if (!v.Fits(type_)) {
    throw InvalidArgument("value does not fit column type " + type_.ToString());
  }
  OwnBytes();
  valid_.push_back(1);
  switch (type_.id) {
    case TypeId::kBoolean:
      bools.push_back(v.as_bool() ? 1 : 0);
      break;
    case TypeId::kInt:
    case TypeId::kDate:
      ints.push_back(v.as_int());
      break;
    case TypeId::kLong:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      longs.push_back(v.as_long());
      break;
    case TypeId::kFloat:
      floats.push_back(v.as_float());
      break;
    case TypeId::kDouble:
      doubles.push_back(v.as_double());
      break;
    case TypeId::kDecimal:
      decimals.push_back(v.as_decimal());
      break;
    default:
      bytes.push_back(v.as_bytes());
      break;
  }
}

Value ColumnVector::Get(size_t i) const {
  if (valid_[i] == 0) return Value::Null();
  switch (type_.id) {
    case TypeId::kBoolean:
      return Value(bools[i] != 0);
    case TypeId::kInt:
    case TypeId::kDate:
      return Value(ints[i]);
    case TypeId::kLong:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      return Value(longs[i]);
    case TypeId::kFloat:
      return Value(floats[i]);
    case TypeId::kDouble:
      return Value(doubles[i]);
    case TypeId::kDecimal:
      return Value::Decimal(decimals[i]);
    default:
      return Value(std::string(bytes_at(i)));
  }
}

}  // namespace datashard
