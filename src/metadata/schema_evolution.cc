#include "metadata/schema_evolution.h"

#include <algorithm>

#include "datashard/errors.h"
#include "types/type_promotion.h"

namespace datashard {
namespace {

// Names what uses field `id` in a way that forbids dropping (or, with
// widen, changing the type of) it; empty when nothing does.
std::string UseOf(const TableMetadata& m, int id, bool widen) {
  for (const PartitionSpec& spec : m.partition_specs) {
    for (const PartitionField& f : spec.fields()) {
      if (f.source_id == id) {
        return "it is the source of partition field '" + f.name + "' (spec " +
               std::to_string(spec.spec_id()) + ")";
      }
    }
  }
  if (widen) return "";
  for (const SortOrder& order : m.sort_orders) {
    for (const SortField& f : order.fields) {
      if (f.source_id == id) {
        return "it is a source column of sort order " + std::to_string(order.order_id);
      }
    }
  }
  const std::vector<int>& identifiers = m.CurrentSchema().identifier_field_ids();
  if (std::find(identifiers.begin(), identifiers.end(), id) != identifiers.end()) {
    return "it is an identifier field of the schema";
  }
  return "";
}

}  // namespace

Schema EvolveSchema(const TableMetadata& metadata, const std::vector<SchemaChange>& changes,
                    const std::string& table) {
  const Schema& current = metadata.CurrentSchema();
  std::vector<Field> fields = current.fields();
  std::vector<int> identifiers = current.identifier_field_ids();
  int last_id = std::max(metadata.last_column_id, current.highest_field_id());
  const auto find = [&](const std::string& name) {
    return std::find_if(fields.begin(), fields.end(),
                        [&](const Field& f) { return f.name == name; });
  };
  const auto refuse = [&](const std::string& what, const std::string& why) {
    throw InvalidArgument("schema change of " + table + " refused: " + what + ": " + why);
  };
  for (const SchemaChange& c : changes) {
    using Kind = SchemaChange::Kind;
    if (c.kind == Kind::kAddColumn) {
      const std::string what = "cannot add column '" + c.name + "'";
      if (c.name.empty()) refuse("cannot add a column", "its name is empty");
      if (find(c.name) != fields.end()) refuse(what, "the table has a column of that name");
      Field f;
      f.id = ++last_id;
      f.name = c.name;
      f.type = c.type;
      f.required = false;  // v2 has no defaults to fill old rows with
      f.doc = c.doc;
      fields.push_back(std::move(f));
      continue;
    }
    const auto it = find(c.name);
    if (it == fields.end()) {
      const char* verb = c.kind == Kind::kRenameColumn  ? "rename"
                         : c.kind == Kind::kDropColumn  ? "drop"
                         : c.kind == Kind::kWidenColumn ? "widen"
                                                        : "move";
      refuse(std::string("cannot ") + verb + " column '" + c.name + "'",
             "the table has no column of that name");
    }
    if (c.kind == Kind::kMoveFirst || c.kind == Kind::kMoveBefore || c.kind == Kind::kMoveAfter) {
      // Only the position changes: files are read by field id.
      Field moved = *it;
      if (c.kind == Kind::kMoveFirst) {
        fields.erase(it);
        fields.insert(fields.begin(), std::move(moved));
        continue;
      }
      const bool before = c.kind == Kind::kMoveBefore;
      const std::string what = "cannot move column '" + c.name + "' " +
                               (before ? "before" : "after") + " '" + c.new_name + "'";
      if (c.new_name == c.name) refuse(what, "a column cannot move relative to itself");
      if (find(c.new_name) == fields.end()) refuse(what, "the table has no column of that name");
      fields.erase(it);
      const auto other = find(c.new_name);
      fields.insert(before ? other : other + 1, std::move(moved));
      continue;
    }
    if (c.kind == Kind::kRenameColumn) {
      const std::string what = "cannot rename column '" + c.name + "' to '" + c.new_name + "'";
      if (c.new_name.empty()) refuse(what, "the new name is empty");
      if (c.new_name != c.name && find(c.new_name) != fields.end())
        refuse(what, "the table has a column of that name");
      it->name = c.new_name;  // the id stays: files written before read by id
    } else if (c.kind == Kind::kDropColumn) {
      const std::string what = "cannot drop column '" + c.name + "'";
      const std::string use = UseOf(metadata, it->id, false);
      if (!use.empty()) refuse(what, use);
      if (fields.size() == 1) refuse(what, "it is the table's last column");
      fields.erase(it);  // its id stays retired: last-column-id never goes back
    } else {
      const std::string what = "cannot widen column '" + c.name + "' from " + it->type.ToString() +
                               " to " + c.type.ToString();
      if (it->type == c.type) refuse(what, "it has that type already");
      if (!ReadsAs(it->type, c.type)) {
        refuse(what,
               "Iceberg allows only int to long, float to double and decimal(P,S) to "
               "decimal(P',S) with P' > P");
      }
      const std::string use = UseOf(metadata, it->id, true);
      if (!use.empty()) refuse(what, use + ", whose values keep their type");
      it->type = c.type;
    }
  }
  return Schema(current.schema_id(), std::move(fields), std::move(identifiers));
}

void SetCurrentSchema(TableMetadata* metadata, const Schema& schema) {
  int next_id = 0;
  for (const Schema& s : metadata->schemas) {
    if (s.SameFields(schema) && s.identifier_field_ids() == schema.identifier_field_ids()) {
      metadata->current_schema_id = s.schema_id();
      return;
    }
    next_id = std::max(next_id, s.schema_id() + 1);
  }
  metadata->schemas.push_back(Schema(next_id, schema.fields(), schema.identifier_field_ids()));
  metadata->current_schema_id = next_id;
  metadata->last_column_id = std::max(metadata->last_column_id, schema.highest_field_id());
}

void CheckWritesFit(const Schema& written, const Schema& current, const std::string& what) {
  for (const Field& f : current.fields()) {
    const int index = written.IndexOfId(f.id);
    if (index < 0) {
      if (f.required) {
        throw CommitConflict(what + " lacks required column '" + f.name + "' (id " +
                             std::to_string(f.id) + ") that a concurrent schema change added");
      }
      continue;
    }
    const DataType& type = written.fields()[static_cast<size_t>(index)].type;
    if (!ReadsAs(type, f.type)) {
      throw CommitConflict(what + " wrote column '" + f.name + "' as " + type.ToString() +
                           ", which does not read as its type " + f.type.ToString() +
                           " after a concurrent schema change");
    }
  }
}

}  // namespace datashard

namespace datashard {

SchemaUpdate& SchemaUpdate::AddColumn(const std::string& name, const DataType& type,
                                      const std::string& doc) {
  changes_.push_back({SchemaChange::Kind::kAddColumn, name, "", type, doc});
  return *this;
}

SchemaUpdate& SchemaUpdate::RenameColumn(const std::string& name, const std::string& new_name) {
  changes_.push_back({SchemaChange::Kind::kRenameColumn, name, new_name, {}, ""});
  return *this;
}

SchemaUpdate& SchemaUpdate::DropColumn(const std::string& name) {
  changes_.push_back({SchemaChange::Kind::kDropColumn, name, "", {}, ""});
  return *this;
}

SchemaUpdate& SchemaUpdate::WidenColumn(const std::string& name, const DataType& type) {
  changes_.push_back({SchemaChange::Kind::kWidenColumn, name, "", type, ""});
  return *this;
}

SchemaUpdate& SchemaUpdate::MoveFirst(const std::string& name) {
  changes_.push_back({SchemaChange::Kind::kMoveFirst, name, "", {}, ""});
  return *this;
}

SchemaUpdate& SchemaUpdate::MoveBefore(const std::string& name, const std::string& other) {
  changes_.push_back({SchemaChange::Kind::kMoveBefore, name, other, {}, ""});
  return *this;
}

SchemaUpdate& SchemaUpdate::MoveAfter(const std::string& name, const std::string& other) {
  changes_.push_back({SchemaChange::Kind::kMoveAfter, name, other, {}, ""});
  return *this;
}

}  // namespace datashard
