#include "metadata/name_mapping.h"

#include <algorithm>
#include <limits>

#include <nlohmann/json.hpp>

#include "datashard/errors.h"
#include "format/json/json_excerpt.h"

namespace datashard {

namespace {

using nlohmann::json;

[[noreturn]] void Bad(const std::string& entry, const std::string& what) {
  throw Corruption(std::string("table property ") + kNameMappingProperty + ", entry " + entry +
                   ": " + what);
}

// Nested levels are checked by recursion, one frame and one path per level.
constexpr int kMaxLevels = 1000;

// Parses one level of mappings; `path` names the level's place in the
// property ("" at the top, "[2].fields" below entry 2) and `level` counts
// from 1 at the top. Checks nested levels the same way and returns only this
// level's fields.
std::vector<MappedField> ParseLevel(const json& list, const std::string& path, int level) {
  std::vector<MappedField> out;
  std::unordered_map<std::string, size_t> name_entry;
  std::unordered_map<int, size_t> id_entry;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string entry = path + "[" + std::to_string(i) + "]";
    const json& e = list[i];
    if (!e.is_object()) Bad(entry, "is " + JsonExcerpt(e) + ", not an object");
    MappedField f;
    if (const auto it = e.find("field-id"); it != e.end() && !it->is_null()) {
      if (!it->is_number_integer() || it->get<int64_t>() < std::numeric_limits<int>::min() ||
          it->get<int64_t>() > std::numeric_limits<int>::max()) {
        Bad(entry, "field-id " + JsonExcerpt(*it) + " is not a 32-bit integer");
      }
      f.field_id = it->get<int>();
      if (const auto [seen, fresh] = id_entry.emplace(*f.field_id, i); !fresh) {
        Bad(entry, "field-id " + std::to_string(*f.field_id) + " is already mapped by entry " +
                       path + "[" + std::to_string(seen->second) + "]");
      }
    }
    const auto names = e.find("names");
    if (names == e.end() || !names->is_array()) Bad(entry, "has no 'names' list");
    for (const json& n : *names) {
      if (!n.is_string()) Bad(entry, "name " + JsonExcerpt(n) + " is not a string");
      const std::string name = n.get<std::string>();
      if (const auto [seen, fresh] = name_entry.emplace(name, i); !fresh) {
        Bad(entry, "name '" + name + "' is already mapped by entry " + path + "[" +
                       std::to_string(seen->second) + "]");
      }
      f.names.push_back(name);
    }
    if (const auto it = e.find("fields"); it != e.end() && !it->is_null()) {
      if (!it->is_array()) Bad(entry, "'fields' is " + JsonExcerpt(*it) + ", not a list");
      if (level >= kMaxLevels) {
        Bad(entry, "nests deeper than " + std::to_string(kMaxLevels) + " levels");
      }
      ParseLevel(*it, entry + ".fields", level + 1);
    }
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace

NameMapping::NameMapping(std::vector<MappedField> fields) : fields_(std::move(fields)) {
  for (const MappedField& f : fields_) {
    if (!f.field_id) continue;
    for (const std::string& name : f.names) id_by_name_.emplace(name, *f.field_id);
  }
}

NameMapping NameMapping::Parse(const std::string& text) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    throw Corruption(std::string("table property ") + kNameMappingProperty +
                     " is not valid JSON: " + e.what());
  }
  if (!doc.is_array()) {
    throw Corruption(std::string("table property ") + kNameMappingProperty +
                     " must be a JSON list of field mappings, not " + JsonExcerpt(doc));
  }
  return NameMapping(ParseLevel(doc, "", 1));
}

std::shared_ptr<const NameMapping> NameMapping::FromProperties(
    const std::map<std::string, std::string>& properties) {
  const auto it = properties.find(kNameMappingProperty);
  if (it == properties.end()) return nullptr;
  return std::make_shared<const NameMapping>(Parse(it->second));
}

const NameMapping& NameMapping::PositionDeleteColumns() {
  static const NameMapping mapping(
      {MappedField{2147483546, {"file_path"}}, MappedField{2147483545, {"pos"}}});
  return mapping;
}

std::optional<int> NameMapping::FieldIdOf(const std::string& name) const {
  const auto it = id_by_name_.find(name);
  if (it == id_by_name_.end()) return std::nullopt;
  return it->second;
}

// Files with ids are read by id only, as Java's ReadConf does (a column
// without an id in such a file is not the field). Files without ids go
// through the name mapping; without one, the spec's Column Projection rules
// leave every field "not present" and so null (Java instead assigns
// positional ids, PyIceberg refuses the file; the spec is followed here).
FileColumnResolver::FileColumnResolver(const std::vector<parquet::FileColumn>& columns,
                                       const NameMapping* mapping, const std::string& file) {
  const bool has_ids = std::any_of(columns.begin(), columns.end(),
                                   [](const parquet::FileColumn& c) { return c.field_id; });
  for (size_t k = 0; k < columns.size(); ++k) {
    std::optional<int> id = columns[k].field_id;
    if (!has_ids && mapping != nullptr) id = mapping->FieldIdOf(columns[k].name);
    if (!id) continue;
    const auto [it, fresh] = column_by_id_.emplace(*id, static_cast<int>(k));
    if (!fresh) {
      throw Corruption(file + " has columns '" + columns[static_cast<size_t>(it->second)].name +
                       "' and '" + columns[k].name + "' that both hold field id " +
                       std::to_string(*id) +
                       (has_ids ? "" : std::string(" by the table's ") + kNameMappingProperty));
    }
  }
}

int FileColumnResolver::Find(int field_id) const {
  const auto it = column_by_id_.find(field_id);
  return it == column_by_id_.end() ? -1 : it->second;
}

std::string FileColumnNote(const parquet::FileColumn& column, const Field& field) {
  return column.name == field.name ? "" : " (file column '" + column.name + "')";
}

}  // namespace datashard
