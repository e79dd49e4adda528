// Avro schemas (Avro specification, "Schema Declaration"): a tree of nodes
// parsed from and printed to JSON. Attributes Avro itself does not define
// (Iceberg's "field-id", "element-id", "adjust-to-utc", ...) are kept and
// printed back. Recursive named types are not supported (NotSupported).
// Nodes are immutable once built and may be shared between threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace datashard {

enum class AvroType {
  kNull,
  kBoolean,
  kInt,
  kLong,
  kFloat,
  kDouble,
  kBytes,
  kString,
  kRecord,
  kEnum,
  kArray,
  kMap,
  kUnion,
  kFixed,
};

/// Avro's name of a type: "null", "record", ...
const char* AvroTypeName(AvroType type);

struct AvroNode;
using AvroNodePtr = std::shared_ptr<const AvroNode>;

struct AvroField {
  std::string name;
  AvroNodePtr type;
  std::optional<nlohmann::ordered_json> default_value;
  /// Every other attribute of the field ("field-id", "doc", "aliases", ...).
  nlohmann::ordered_json attributes = nlohmann::ordered_json::object();

  /// The Iceberg "field-id" attribute when present and an integer.
  std::optional<int> field_id() const;
};

struct AvroNode {
  AvroType type = AvroType::kNull;
  std::string name;                   // full name of a record, enum or fixed
  std::vector<AvroField> fields;      // record
  std::vector<std::string> symbols;   // enum
  AvroNodePtr items;                  // array
  AvroNodePtr values;                 // map
  std::vector<AvroNodePtr> branches;  // union
  int64_t size = 0;                   // fixed
  std::string logical_type;           // "date", "decimal", "map", ... or empty
  /// Every other attribute ("element-id", "precision", "adjust-to-utc", "doc", ...).
  nlohmann::ordered_json attributes = nlohmann::ordered_json::object();

  /// Index of the record field with this name, or -1.
  int FieldIndex(std::string_view field_name) const;
  /// Index of the record field whose "field-id" is `field_id`, or -1.
  int FieldIndexById(int field_id) const;
  /// Index of the first union branch of type `t`, or -1.
  int BranchIndex(AvroType t) const;
  /// An integer attribute ("element-id", "precision", ...), if present.
  std::optional<int64_t> IntAttribute(const std::string& key) const;
};

/// Builders for schemas assembled in code.
AvroNodePtr MakeAvroPrimitive(AvroType type, std::string logical_type = "",
                              nlohmann::ordered_json attributes = nlohmann::ordered_json::object());
/// ["null", type], the form of an optional Iceberg field.
AvroNodePtr MakeAvroOptional(AvroNodePtr type);

/// Parses a schema from JSON text. Throws InvalidArgument naming the problem
/// (malformed JSON, unknown type or name, duplicate names, bad union).
AvroNodePtr ParseAvroSchema(std::string_view json_text);
/// Parses a schema from an already parsed JSON document.
AvroNodePtr ParseAvroSchemaJson(const nlohmann::ordered_json& json);

/// Prints a schema as JSON. Primitives without attributes print as a plain
/// string ("long"); a named type printed before prints as its name.
nlohmann::ordered_json AvroSchemaToJson(const AvroNode& node);
std::string AvroSchemaToString(const AvroNode& node);

}  // namespace datashard
