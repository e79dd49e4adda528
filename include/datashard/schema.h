// An Iceberg schema: fields with stable ids, names, types and nullability
// (DESIGN.md §3). Value type; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "datashard/types.h"

namespace datashard {

struct Field {
  int id = 0;
  std::string name;
  DataType type;
  bool required = false;
  std::string doc;

  bool operator==(const Field&) const = default;
};

class Schema {
 public:
  Schema() = default;
  /// Checks ids are positive and unique and names unique and non-empty, and
  /// that each identifier field id names a field; throws InvalidArgument
  /// naming the offending field otherwise.
  Schema(int schema_id, std::vector<Field> fields, std::vector<int> identifier_field_ids = {});

  int schema_id() const { return schema_id_; }
  const std::vector<Field>& fields() const { return fields_; }
  /// Iceberg's identifier-field-ids: the fields that identify a row.
  const std::vector<int>& identifier_field_ids() const { return identifier_field_ids_; }
  /// Index of the field with this name or id, or -1.
  int IndexOf(const std::string& name) const;
  int IndexOfId(int id) const;
  /// The field with this name; throws InvalidArgument naming it if absent.
  const Field& FieldByName(const std::string& name) const;
  int highest_field_id() const;

  /// Same fields (ids, names, types, nullability) regardless of schema id.
  bool SameFields(const Schema& other) const { return fields_ == other.fields_; }
  bool operator==(const Schema&) const = default;

 private:
  int schema_id_ = 0;
  std::vector<Field> fields_;
  std::vector<int> identifier_field_ids_;
};

}  // namespace datashard
