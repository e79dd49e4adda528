#include "format/avro/avro_schema.h"

#include <map>
#include <set>
#include <string>

#include "datashard/errors.h"
#include "format/json/json_excerpt.h"
#include "util/bounded_memo.h"

namespace datashard {

using Json = nlohmann::ordered_json;

const char* AvroTypeName(AvroType type) {
  switch (type) {
    case AvroType::kNull:
      return "null";
    case AvroType::kBoolean:
      return "boolean";
    case AvroType::kInt:
      return "int";
    case AvroType::kLong:
      return "long";
    case AvroType::kFloat:
      return "float";
    case AvroType::kDouble:
      return "double";
    case AvroType::kBytes:
      return "bytes";
    case AvroType::kString:
      return "string";
    case AvroType::kRecord:
      return "record";
    case AvroType::kEnum:
      return "enum";
    case AvroType::kArray:
      return "array";
    case AvroType::kMap:
      return "map";
    case AvroType::kUnion:
      return "union";
    case AvroType::kFixed:
      return "fixed";
  }
  return "unknown";
}

std::optional<int> AvroField::field_id() const {
  auto it = attributes.find("field-id");
  if (it == attributes.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int>();
}

int AvroNode::FieldIndex(std::string_view field_name) const {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].name == field_name) return static_cast<int>(i);
  }
  return -1;
}

int AvroNode::FieldIndexById(int field_id) const {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].field_id() == field_id) return static_cast<int>(i);
  }
  return -1;
}

int AvroNode::BranchIndex(AvroType t) const {
  for (size_t i = 0; i < branches.size(); ++i) {
    if (branches[i]->type == t) return static_cast<int>(i);
  }
  return -1;
}

std::optional<int64_t> AvroNode::IntAttribute(const std::string& key) const {
  auto it = attributes.find(key);
  if (it == attributes.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

AvroNodePtr MakeAvroPrimitive(AvroType type, std::string logical_type, Json attributes) {
  auto node = std::make_shared<AvroNode>();
  node->type = type;
  node->logical_type = std::move(logical_type);
  node->attributes = std::move(attributes);
  return node;
}

AvroNodePtr MakeAvroOptional(AvroNodePtr type) {
  auto node = std::make_shared<AvroNode>();
  node->type = AvroType::kUnion;
  node->branches = {MakeAvroPrimitive(AvroType::kNull), std::move(type)};
  return node;
}

namespace {

constexpr int kMaxDepth = 64;

std::optional<AvroType> PrimitiveType(const std::string& name) {
  static const std::map<std::string, AvroType> kPrimitives = {
      {"null", AvroType::kNull},   {"boolean", AvroType::kBoolean}, {"int", AvroType::kInt},
      {"long", AvroType::kLong},   {"float", AvroType::kFloat},     {"double", AvroType::kDouble},
      {"bytes", AvroType::kBytes}, {"string", AvroType::kString}};
  auto it = kPrimitives.find(name);
  if (it == kPrimitives.end()) return std::nullopt;
  return it->second;
}

bool ValidName(const std::string& name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

[[noreturn]] void Fail(const std::string& what) { throw InvalidArgument("Avro schema: " + what); }

class SchemaParser {
 public:
  AvroNodePtr Parse(const Json& j, const std::string& ns, int depth) {
    if (depth > kMaxDepth) Fail("nested deeper than " + std::to_string(kMaxDepth) + " levels");
    if (j.is_string()) return ParseName(j.get<std::string>(), ns);
    if (j.is_array()) return ParseUnion(j, ns, depth);
    if (!j.is_object()) Fail("expected a type name, object or union, got " + JsonExcerpt(j));
    auto type_it = j.find("type");
    if (type_it == j.end()) Fail("object without \"type\": " + JsonExcerpt(j));
    if (!type_it->is_string()) {
      // {"type": {...}} or {"type": [...]}: a wrapped schema, as some writers emit.
      return Parse(*type_it, ns, depth + 1);
    }
    const std::string type = type_it->get<std::string>();
    if (auto primitive = PrimitiveType(type)) {
      auto node = std::make_shared<AvroNode>();
      node->type = *primitive;
      ReadCommon(j, node.get(), {"type"});
      return node;
    }
    if (type == "record" || type == "error") return ParseRecord(j, ns, depth);
    if (type == "enum") return ParseEnum(j, ns);
    if (type == "fixed") return ParseFixed(j, ns);
    if (type == "array" || type == "map") {
      auto node = std::make_shared<AvroNode>();
      const bool array = type == "array";
      node->type = array ? AvroType::kArray : AvroType::kMap;
      auto child = j.find(array ? "items" : "values");
      if (child == j.end()) Fail(type + " without \"" + (array ? "items" : "values") + "\"");
      (array ? node->items : node->values) = Parse(*child, ns, depth + 1);
      ReadCommon(j, node.get(), {"type", array ? "items" : "values"});
      return node;
    }
    // {"type": "some_named_type"} refers to a defined name.
    return ParseName(type, ns);
  }

 private:
  // Moves logicalType into the node and every key not in `known` into attributes.
  static void ReadCommon(const Json& j, AvroNode* node, std::set<std::string> known) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (known.count(it.key())) continue;
      if (it.key() == "logicalType") {
        if (!it->is_string()) Fail("logicalType must be a string: " + JsonExcerpt(*it));
        node->logical_type = it->get<std::string>();
      } else {
        node->attributes[it.key()] = *it;
      }
    }
  }

  AvroNodePtr ParseName(const std::string& name, const std::string& ns) {
    if (auto primitive = PrimitiveType(name)) return MakeAvroPrimitive(*primitive);
    std::vector<std::string> candidates;
    if (name.find('.') == std::string::npos && !ns.empty()) candidates.push_back(ns + "." + name);
    candidates.push_back(name);
    for (const auto& full : candidates) {
      if (auto it = named_.find(full); it != named_.end()) return it->second;
      if (in_progress_.count(full)) {
        throw NotSupported("Avro schema: recursive type " + full + " is not supported");
      }
    }
    Fail("unknown type \"" + name + "\"");
  }

  // Full name and the namespace its children inherit.
  std::pair<std::string, std::string> FullName(const Json& j, const std::string& ns) {
    auto name_it = j.find("name");
    if (name_it == j.end() || !name_it->is_string())
      Fail("named type without a name: " + JsonExcerpt(j));
    std::string name = name_it->get<std::string>();
    std::string space = ns;
    if (auto ns_it = j.find("namespace"); ns_it != j.end() && ns_it->is_string()) {
      space = ns_it->get<std::string>();
    }
    std::string full = name;
    if (name.find('.') != std::string::npos) {
      space = name.substr(0, name.rfind('.'));
      name = name.substr(name.rfind('.') + 1);
    } else if (!space.empty()) {
      full = space + "." + name;
    }
    if (!ValidName(name)) Fail("invalid name \"" + name + "\"");
    if (named_.count(full) || in_progress_.count(full) || PrimitiveType(full)) {
      Fail("type name \"" + full + "\" defined twice");
    }
    return {full, space};
  }

  AvroNodePtr ParseRecord(const Json& j, const std::string& ns, int depth) {
    auto [full, space] = FullName(j, ns);
    in_progress_.insert(full);
    auto node = std::make_shared<AvroNode>();
    node->type = AvroType::kRecord;
    node->name = full;
    auto fields = j.find("fields");
    if (fields == j.end() || !fields->is_array())
      Fail("record " + full + " without a fields array");
    std::set<std::string> seen;
    for (const auto& f : *fields) {
      if (!f.is_object()) Fail("record " + full + ": field is not an object: " + JsonExcerpt(f));
      AvroField field;
      auto name_it = f.find("name");
      if (name_it == f.end() || !name_it->is_string() || !ValidName(name_it->get<std::string>())) {
        Fail("record " + full + ": field without a valid name: " + JsonExcerpt(f));
      }
      field.name = name_it->get<std::string>();
      if (!seen.insert(field.name).second) {
        Fail("record " + full + ": field \"" + field.name + "\" appears twice");
      }
      auto type_it = f.find("type");
      if (type_it == f.end()) Fail("record " + full + ": field " + field.name + " without a type");
      field.type = Parse(*type_it, space, depth + 1);
      for (auto it = f.begin(); it != f.end(); ++it) {
        if (it.key() == "name" || it.key() == "type") continue;
        if (it.key() == "default") {
          field.default_value = *it;
        } else {
          field.attributes[it.key()] = *it;
        }
      }
      node->fields.push_back(std::move(field));
    }
    ReadCommon(j, node.get(), {"type", "name", "namespace", "fields"});
    in_progress_.erase(full);
    named_[full] = node;
    return node;
  }

  AvroNodePtr ParseEnum(const Json& j, const std::string& ns) {
    auto [full, space] = FullName(j, ns);
    auto node = std::make_shared<AvroNode>();
    node->type = AvroType::kEnum;
    node->name = full;
    auto symbols = j.find("symbols");
    if (symbols == j.end() || !symbols->is_array()) Fail("enum " + full + " without symbols");
    std::set<std::string> seen;
    for (const auto& s : *symbols) {
      if (!s.is_string() || !ValidName(s.get<std::string>()) ||
          !seen.insert(s.get<std::string>()).second) {
        Fail("enum " + full + ": invalid or repeated symbol " + JsonExcerpt(s));
      }
      node->symbols.push_back(s.get<std::string>());
    }
    ReadCommon(j, node.get(), {"type", "name", "namespace", "symbols"});
    named_[full] = node;
    return node;
  }

  AvroNodePtr ParseFixed(const Json& j, const std::string& ns) {
    auto [full, space] = FullName(j, ns);
    auto node = std::make_shared<AvroNode>();
    node->type = AvroType::kFixed;
    node->name = full;
    auto size = j.find("size");
    if (size == j.end() || !size->is_number_integer() || size->get<int64_t>() < 0 ||
        size->get<int64_t>() > (int64_t{1} << 30)) {
      Fail("fixed " + full + " without a valid size");
    }
    node->size = size->get<int64_t>();
    ReadCommon(j, node.get(), {"type", "name", "namespace", "size"});
    named_[full] = node;
    return node;
  }

  AvroNodePtr ParseUnion(const Json& j, const std::string& ns, int depth) {
    auto node = std::make_shared<AvroNode>();
    node->type = AvroType::kUnion;
    std::set<std::string> seen;
    for (const auto& b : j) {
      AvroNodePtr branch = Parse(b, ns, depth + 1);
      if (branch->type == AvroType::kUnion)
        Fail("union directly inside a union: " + JsonExcerpt(j));
      const std::string key = branch->name.empty() ? AvroTypeName(branch->type) : branch->name;
      if (!seen.insert(key).second) Fail("union lists " + key + " twice: " + JsonExcerpt(j));
      node->branches.push_back(std::move(branch));
    }
    if (node->branches.empty()) Fail("empty union");
    return node;
  }

  std::map<std::string, AvroNodePtr> named_;
  std::set<std::string> in_progress_;
};

class SchemaPrinter {
 public:
  Json Print(const AvroNode& node) {
    switch (node.type) {
      case AvroType::kUnion: {
        Json out = Json::array();
        for (const auto& b : node.branches) out.push_back(Print(*b));
        return out;
      }
      case AvroType::kRecord:
      case AvroType::kEnum:
      case AvroType::kFixed:
        if (!printed_.insert(node.name).second) return node.name;
        break;
      default:
        if (node.type != AvroType::kArray && node.type != AvroType::kMap &&
            node.logical_type.empty() && node.attributes.empty()) {
          return AvroTypeName(node.type);
        }
    }
    Json out = Json::object();
    out["type"] = AvroTypeName(node.type);
    if (!node.name.empty()) out["name"] = node.name;
    switch (node.type) {
      case AvroType::kRecord: {
        Json fields = Json::array();
        for (const auto& f : node.fields) {
          Json field = Json::object();
          field["name"] = f.name;
          field["type"] = Print(*f.type);
          if (f.default_value) field["default"] = *f.default_value;
          for (auto it = f.attributes.begin(); it != f.attributes.end(); ++it) {
            field[it.key()] = *it;
          }
          fields.push_back(std::move(field));
        }
        out["fields"] = std::move(fields);
        break;
      }
      case AvroType::kEnum:
        out["symbols"] = node.symbols;
        break;
      case AvroType::kFixed:
        out["size"] = node.size;
        break;
      case AvroType::kArray:
        out["items"] = Print(*node.items);
        break;
      case AvroType::kMap:
        out["values"] = Print(*node.values);
        break;
      default:
        break;
    }
    if (!node.logical_type.empty()) out["logicalType"] = node.logical_type;
    for (auto it = node.attributes.begin(); it != node.attributes.end(); ++it) {
      out[it.key()] = *it;
    }
    return out;
  }

 private:
  std::set<std::string> printed_;
};

}  // namespace

AvroNodePtr ParseAvroSchemaJson(const Json& json) { return SchemaParser().Parse(json, "", 0); }

namespace {

AvroNodePtr ParseUncached(std::string_view json_text) {
  Json json;
  try {
    json = Json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    Fail(std::string("malformed JSON: ") + e.what());
  }
  return ParseAvroSchemaJson(json);
}

}  // namespace

AvroNodePtr ParseAvroSchema(std::string_view json_text) {
  // Every manifest and manifest list of a table carries one of a handful of
  // schema texts, and a commit reads several of them: parsing each text once
  // per process takes the JSON parse off the commit path. Nodes are
  // immutable, so sharing them is safe.
  static BoundedMemo<AvroNodePtr> parsed(64);
  return parsed.Get(std::string(json_text), [&] { return ParseUncached(json_text); });
}

Json AvroSchemaToJson(const AvroNode& node) { return SchemaPrinter().Print(node); }

std::string AvroSchemaToString(const AvroNode& node) { return AvroSchemaToJson(node).dump(); }

}  // namespace datashard
