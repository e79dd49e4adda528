// A list of schema changes to commit together (Table::UpdateSchema), with
// Iceberg v2's rules of schema evolution by field id: added columns are
// optional and get new ids from the table's last-column-id; renames keep the
// id; a dropped column's id is retired, never reused; widening allows
// int -> long, float -> double and decimal(P,S) -> decimal(P',S), P' > P.
// Value type; thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "datashard/types.h"

namespace datashard {

struct SchemaChange {
  enum class Kind { kAddColumn, kRenameColumn, kDropColumn, kWidenColumn };
  Kind kind = Kind::kAddColumn;
  std::string name;      // the column (for a rename: its current name)
  std::string new_name;  // rename only
  DataType type;         // add and widen only
  std::string doc;       // add only
  bool operator==(const SchemaChange&) const = default;
};

class SchemaUpdate {
 public:
  /// Adds an optional column at the end of the schema.
  SchemaUpdate& AddColumn(const std::string& name, const DataType& type,
                          const std::string& doc = "");
  SchemaUpdate& RenameColumn(const std::string& name, const std::string& new_name);
  SchemaUpdate& DropColumn(const std::string& name);
  /// Promotes the column to a wider type (see above).
  SchemaUpdate& WidenColumn(const std::string& name, const DataType& type);

  /// The changes in the order given; later changes see earlier ones (a
  /// column added can be renamed, a renamed one is named by its new name).
  const std::vector<SchemaChange>& changes() const { return changes_; }
  bool empty() const { return changes_.empty(); }

 private:
  std::vector<SchemaChange> changes_;
};

}  // namespace datashard
