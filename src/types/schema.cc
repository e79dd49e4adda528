#include "datashard/schema.h"

#include <algorithm>
#include <set>

#include "datashard/errors.h"

namespace datashard {

Schema::Schema(int schema_id, std::vector<Field> fields, std::vector<int> identifier_field_ids)
    : schema_id_(schema_id),
      fields_(std::move(fields)),
      identifier_field_ids_(std::move(identifier_field_ids)) {
  std::set<int> ids;
  std::set<std::string> names;
  for (const Field& f : fields_) {
    if (f.id <= 0) {
      throw InvalidArgument("schema field '" + f.name + "' has id " + std::to_string(f.id) +
                            ": field ids must be positive");
    }
    if (f.name.empty()) {
      throw InvalidArgument("schema field " + std::to_string(f.id) + " has an empty name");
    }
    if (!ids.insert(f.id).second) {
      throw InvalidArgument("schema field id " + std::to_string(f.id) + " is used twice");
    }
    if (!names.insert(f.name).second) {
      throw InvalidArgument("schema field name '" + f.name + "' is used twice");
    }
  }
  for (int id : identifier_field_ids_) {
    if (!ids.count(id)) {
      throw InvalidArgument("identifier field id " + std::to_string(id) +
                            " names no field of the schema");
    }
  }
}

int Schema::IndexOf(const std::string& name) const {
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (fields_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

int Schema::IndexOfId(int id) const {
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (fields_[i].id == id) return static_cast<int>(i);
  }
  return -1;
}

const Field& Schema::FieldByName(const std::string& name) const {
  const int i = IndexOf(name);
  if (i < 0) throw InvalidArgument("no column named '" + name + "' in the schema");
  return fields_[static_cast<size_t>(i)];
}

int Schema::highest_field_id() const {
  int m = 0;
  for (const Field& f : fields_) m = std::max(m, f.id);
  return m;
}

}  // namespace datashard
