#include "metadata/manifest_avro.h"

#include <cstdio>
#include <set>
#include <string>

#include "datashard/errors.h"
#include "metadata/manifest_decimal.h"
#include "util/bounded_memo.h"
#include "util/uuid.h"

namespace datashard {

using Json = nlohmann::ordered_json;

namespace {

Json Optional(Json type) { return Json::array({"null", std::move(type)}); }

Json FieldJson(const std::string& name, Json type, int id) {
  return Json{{"name", name}, {"type", std::move(type)}, {"field-id", id}};
}

Json OptionalFieldJson(const std::string& name, Json type, int id) {
  return Json{
      {"name", name}, {"type", Optional(std::move(type))}, {"default", nullptr}, {"field-id", id}};
}

// Iceberg map<int, V> as Avro: an array of key/value records, logicalType map.
Json IntMapJson(int key_id, int value_id, const char* value_type) {
  return Json{{"type", "array"},
              {"items",
               {{"type", "record"},
                {"name", "k" + std::to_string(key_id) + "_v" + std::to_string(value_id)},
                {"fields", Json::array({FieldJson("key", "int", key_id),
                                        FieldJson("value", value_type, value_id)})}}},
              {"logicalType", "map"}};
}

Json ArrayJson(const char* item_type, int element_id) {
  return Json{{"type", "array"}, {"items", item_type}, {"element-id", element_id}};
}

// A named type is defined once per schema; later uses refer to its name.
Json NamedOnce(std::set<std::string>* defined, const std::string& name, Json definition) {
  if (!defined->insert(name).second) return name;
  return definition;
}

Json PartitionTypeJson(const DataType& type, std::set<std::string>* defined) {
  switch (type.id) {
    case TypeId::kBoolean:
      return "boolean";
    case TypeId::kInt:
      return "int";
    case TypeId::kLong:
      return "long";
    case TypeId::kFloat:
      return "float";
    case TypeId::kDouble:
      return "double";
    case TypeId::kString:
      return "string";
    case TypeId::kBinary:
      return "bytes";
    case TypeId::kDate:
      return Json{{"type", "int"}, {"logicalType", "date"}};
    case TypeId::kTime:
      return Json{{"type", "long"}, {"logicalType", "time-micros"}};
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      return Json{{"type", "long"},
                  {"logicalType", "timestamp-micros"},
                  {"adjust-to-utc", type.id == TypeId::kTimestampTz}};
    case TypeId::kDecimal: {
      const std::string name =
          "decimal_" + std::to_string(type.precision) + "_" + std::to_string(type.scale);
      return NamedOnce(defined, name,
                       Json{{"type", "fixed"},
                            {"name", name},
                            {"size", DecimalRequiredBytes(type.precision)},
                            {"logicalType", "decimal"},
                            {"precision", type.precision},
                            {"scale", type.scale}});
    }
    case TypeId::kUuid:
      return NamedOnce(
          defined, "uuid_fixed",
          Json{{"type", "fixed"}, {"name", "uuid_fixed"}, {"size", 16}, {"logicalType", "uuid"}});
    case TypeId::kFixed: {
      const std::string name = "fixed_" + std::to_string(type.length);
      return NamedOnce(defined, name,
                       Json{{"type", "fixed"}, {"name", name}, {"size", type.length}});
    }
  }
  throw InvalidArgument("partition type " + type.ToString() + " has no Avro form");
}

}  // namespace

std::string AvroCompatibleName(const std::string& name) {
  auto valid = [](char32_t c, bool first) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
           (!first && c >= '0' && c <= '9');
  };
  std::string out;
  size_t i = 0;
  bool first = true;
  while (i < name.size()) {
    // Decode one UTF-8 code point; a malformed byte stands for itself.
    const uint8_t b = static_cast<uint8_t>(name[i]);
    char32_t c = b;
    size_t len = 1;
    if (b >= 0xC0 && b < 0xF8) {
      len = b >= 0xF0 ? 4 : (b >= 0xE0 ? 3 : 2);
      if (i + len <= name.size()) {
        c = b & (0x7F >> len);
        for (size_t k = 1; k < len; ++k) c = (c << 6) | (static_cast<uint8_t>(name[i + k]) & 0x3F);
      } else {
        len = 1;
      }
    }
    if (valid(c, first)) {
      out.push_back(static_cast<char>(c));
    } else if (first && c >= '0' && c <= '9') {
      out += "_" + std::string(1, static_cast<char>(c));
    } else {
      char hex[16];
      std::snprintf(hex, sizeof(hex), "_x%X", static_cast<unsigned>(c));
      out += hex;
    }
    first = false;
    i += len;
  }
  return out.empty() ? "_" : out;
}

namespace {

AvroNodePtr BuildManifestEntryAvroSchema(const std::vector<PartitionFieldType>& fields) {
  std::set<std::string> defined;
  Json partition_fields = Json::array();
  for (const auto& f : fields) {
    partition_fields.push_back(OptionalFieldJson(AvroCompatibleName(f.name),
                                                 PartitionTypeJson(f.type, &defined), f.field_id));
  }
  Json data_file = {
      {"type", "record"},
      {"name", "r2"},
      {"fields",
       Json::array({
           FieldJson("content", "int", 134),
           FieldJson("file_path", "string", 100),
           FieldJson("file_format", "string", 101),
           FieldJson("partition",
                     Json{{"type", "record"}, {"name", "r102"}, {"fields", partition_fields}}, 102),
           FieldJson("record_count", "long", 103),
           FieldJson("file_size_in_bytes", "long", 104),
           OptionalFieldJson("column_sizes", IntMapJson(117, 118, "long"), 108),
           OptionalFieldJson("value_counts", IntMapJson(119, 120, "long"), 109),
           OptionalFieldJson("null_value_counts", IntMapJson(121, 122, "long"), 110),
           OptionalFieldJson("nan_value_counts", IntMapJson(138, 139, "long"), 137),
           OptionalFieldJson("lower_bounds", IntMapJson(126, 127, "bytes"), 125),
           OptionalFieldJson("upper_bounds", IntMapJson(129, 130, "bytes"), 128),
           OptionalFieldJson("key_metadata", "bytes", 131),
           OptionalFieldJson("split_offsets", ArrayJson("long", 133), 132),
           OptionalFieldJson("equality_ids", ArrayJson("int", 136), 135),
           OptionalFieldJson("sort_order_id", "int", 140),
           OptionalFieldJson("referenced_data_file", "string", 143),
       })}};
  Json entry = {{"type", "record"},
                {"name", "manifest_entry"},
                {"fields", Json::array({
                               FieldJson("status", "int", 0),
                               OptionalFieldJson("snapshot_id", "long", 1),
                               OptionalFieldJson("sequence_number", "long", 3),
                               OptionalFieldJson("file_sequence_number", "long", 4),
                               FieldJson("data_file", data_file, 2),
                           })}};
  return ParseAvroSchemaJson(entry);
}

AvroNodePtr BuildManifestFileAvroSchema() {
  Json summary = {{"type", "record"},
                  {"name", "r508"},
                  {"fields", Json::array({
                                 FieldJson("contains_null", "boolean", 509),
                                 OptionalFieldJson("contains_nan", "boolean", 518),
                                 OptionalFieldJson("lower_bound", "bytes", 510),
                                 OptionalFieldJson("upper_bound", "bytes", 511),
                             })}};
  Json manifest_file = {
      {"type", "record"},
      {"name", "manifest_file"},
      {"fields",
       Json::array({
           FieldJson("manifest_path", "string", 500),
           FieldJson("manifest_length", "long", 501),
           FieldJson("partition_spec_id", "int", 502),
           FieldJson("content", "int", 517),
           FieldJson("sequence_number", "long", 515),
           FieldJson("min_sequence_number", "long", 516),
           FieldJson("added_snapshot_id", "long", 503),
           FieldJson("added_files_count", "int", 504),
           FieldJson("existing_files_count", "int", 505),
           FieldJson("deleted_files_count", "int", 506),
           FieldJson("added_rows_count", "long", 512),
           FieldJson("existing_rows_count", "long", 513),
           FieldJson("deleted_rows_count", "long", 514),
           OptionalFieldJson("partitions",
                             Json{{"type", "array"}, {"items", summary}, {"element-id", 508}}, 507),
           OptionalFieldJson("key_metadata", "bytes", 519),
       })}};
  return ParseAvroSchemaJson(manifest_file);
}

}  // namespace

// Every manifest a commit writes needs one of these schemas: built once per
// partition type and process rather than per manifest. Nodes are immutable.
std::shared_ptr<const PrintedAvroSchema> ManifestEntryAvroSchema(
    const std::vector<PartitionFieldType>& fields) {
  std::string key;
  for (const PartitionFieldType& f : fields) {
    key += std::to_string(f.field_id) + ':' + std::to_string(f.name.size()) + ':' + f.name +
           f.type.ToString() + ';';
  }
  static BoundedMemo<std::shared_ptr<const PrintedAvroSchema>> built(64);
  return built.Get(std::move(key), [&] {
    return std::make_shared<const PrintedAvroSchema>(BuildManifestEntryAvroSchema(fields));
  });
}

std::shared_ptr<const PrintedAvroSchema> ManifestFileAvroSchema() {
  static const auto schema =
      std::make_shared<const PrintedAvroSchema>(BuildManifestFileAvroSchema());
  return schema;
}

AvroValue PartitionValueToAvro(const DataType& type, const Value& value) {
  if (value.is_null()) return AvroValue::Null();
  if (!value.Fits(type)) {
    throw InvalidArgument("partition value does not fit type " + type.ToString());
  }
  switch (type.id) {
    case TypeId::kBoolean:
      return AvroValue::Boolean(value.as_bool());
    case TypeId::kInt:
    case TypeId::kDate:
      return AvroValue::Int(value.as_int());
    case TypeId::kLong:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      return AvroValue::Long(value.as_long());
    case TypeId::kFloat:
      return AvroValue::Float(value.as_float());
    case TypeId::kDouble:
      return AvroValue::Double(value.as_double());
    case TypeId::kString:
      return AvroValue::String(value.as_bytes());
    case TypeId::kBinary:
      return AvroValue::Bytes(value.as_bytes());
    case TypeId::kUuid:
    case TypeId::kFixed:
      return AvroValue::Fixed(value.as_bytes());
    case TypeId::kDecimal:
      return AvroValue::Fixed(
          FixedDecimalBytes(value.as_decimal(), DecimalRequiredBytes(type.precision)));
  }
  throw InvalidArgument("partition type " + type.ToString() + " has no Avro form");
}

DataType PartitionTypeFromAvro(const AvroNode& node) {
  const std::string& logical = node.logical_type;
  auto decimal = [&] {
    const auto precision = node.IntAttribute("precision");
    if (!precision || *precision < 1 || *precision > 38) {
      throw Corruption("Avro decimal without a valid precision");
    }
    return DataType::Decimal(static_cast<int>(*precision),
                             static_cast<int>(node.IntAttribute("scale").value_or(0)));
  };
  switch (node.type) {
    case AvroType::kBoolean:
      return DataType::Boolean();
    case AvroType::kInt:
      return logical == "date" ? DataType::Date() : DataType::Int();
    case AvroType::kLong:
      if (logical == "time-micros") return DataType::Time();
      if (logical == "timestamp-micros") {
        auto it = node.attributes.find("adjust-to-utc");
        const bool utc = it != node.attributes.end() && it->is_boolean() && it->get<bool>();
        return utc ? DataType::TimestampTz() : DataType::Timestamp();
      }
      return DataType::Long();
    case AvroType::kFloat:
      return DataType::Float();
    case AvroType::kDouble:
      return DataType::Double();
    case AvroType::kString:
      return logical == "uuid" ? DataType::Uuid() : DataType::String();
    case AvroType::kBytes:
      return logical == "decimal" ? decimal() : DataType::Binary();
    case AvroType::kFixed:
      if (logical == "decimal") return decimal();
      if (logical == "uuid" && node.size == 16) return DataType::Uuid();
      return DataType::Fixed(static_cast<int>(node.size));
    default:
      break;
  }
  throw Corruption(std::string("Avro type ") + AvroTypeName(node.type) +
                   " is not an Iceberg partition type");
}

Value PartitionValueFromAvro(const AvroNode& node, const AvroValue& value) {
  if (value.is_null()) return Value::Null();
  const DataType type = PartitionTypeFromAvro(node);
  switch (type.id) {
    case TypeId::kBoolean:
      return Value(value.AsBool());
    case TypeId::kInt:
    case TypeId::kDate:
      return Value(value.AsInt());
    case TypeId::kLong:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      return Value(value.AsLong());
    case TypeId::kFloat:
      return Value(value.AsFloat());
    case TypeId::kDouble:
      return Value(value.AsDouble());
    case TypeId::kUuid:
      if (node.type == AvroType::kString) {
        try {
          return Value(Uuid::Parse(value.AsBytes()).ToBytes());
        } catch (const InvalidArgument& e) {
          throw Corruption(std::string("partition uuid: ") + e.what());
        }
      }
      return Value(value.AsBytes());
    case TypeId::kDecimal: {
      const std::string& bytes = value.AsBytes();
      if (bytes.empty() || bytes.size() > 16) {
        throw Corruption("decimal partition value of " + std::to_string(bytes.size()) + " bytes");
      }
      return Value::Decimal(DecimalFromBigEndian(bytes));
    }
    case TypeId::kString:
    case TypeId::kFixed:
    case TypeId::kBinary:
      return Value(value.AsBytes());
  }
  throw Corruption("unsupported partition type " + type.ToString());
}

}  // namespace datashard
