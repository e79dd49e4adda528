#include "format/avro/avro_value.h"

#include "datashard/errors.h"

namespace datashard {

void AvroValue::Mismatch(const char* wanted) const {
  throw InvalidArgument(std::string("Avro value is ") + AvroTypeName(type_) + ", not " + wanted);
}

bool AvroValue::AsBool() const {
  if (type_ != AvroType::kBoolean) Mismatch("boolean");
  return std::get<bool>(data_);
}

int32_t AvroValue::AsInt() const {
  if (type_ != AvroType::kInt) Mismatch("int");
  return static_cast<int32_t>(std::get<int64_t>(data_));
}

int64_t AvroValue::AsLong() const {
  if (type_ != AvroType::kInt && type_ != AvroType::kLong) Mismatch("long");
  return std::get<int64_t>(data_);
}

float AvroValue::AsFloat() const {
  if (type_ == AvroType::kInt || type_ == AvroType::kLong) {
    return static_cast<float>(std::get<int64_t>(data_));
  }
  if (type_ != AvroType::kFloat) Mismatch("float");
  return static_cast<float>(std::get<double>(data_));
}

double AvroValue::AsDouble() const {
  if (type_ == AvroType::kInt || type_ == AvroType::kLong) {
    return static_cast<double>(std::get<int64_t>(data_));
  }
  if (type_ != AvroType::kFloat && type_ != AvroType::kDouble) Mismatch("double");
  return std::get<double>(data_);
}

const std::string& AvroValue::AsBytes() const {
  if (type_ != AvroType::kString && type_ != AvroType::kBytes && type_ != AvroType::kFixed) {
    Mismatch("string, bytes or fixed");
  }
  return std::get<std::string>(data_);
}

int64_t AvroValue::AsEnum() const {
  if (type_ != AvroType::kEnum) Mismatch("enum");
  return std::get<int64_t>(data_);
}

const AvroValue::Array& AvroValue::AsArray() const {
  if (type_ != AvroType::kArray) Mismatch("array");
  return std::get<Array>(data_);
}

const AvroValue::Map& AvroValue::AsMap() const {
  if (type_ != AvroType::kMap) Mismatch("map");
  return std::get<Map>(data_);
}

const AvroValue::Array& AvroValue::AsRecord() const {
  if (type_ != AvroType::kRecord) Mismatch("record");
  return std::get<Array>(data_);
}

}  // namespace datashard
