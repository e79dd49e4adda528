// A list of schema changes to commit together (Table::UpdateSchema), with
// Iceberg v2's rules of schema evolution by field id: added columns are
// optional and get new ids from the table's last-column-id; renames keep the
// id; a dropped column's id is retired, never reused; widening allows
// int -> long, float -> double and decimal(P,S) -> decimal(P',S), P' > P;
// a move changes only the column's position (Iceberg's moveFirst,
// moveBefore, moveAfter): scans return columns in the new order, files
// written before read by id. Value type; thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "datashard/types.h"

namespace datashard {

struct SchemaChange {
  enum class Kind {
    kAddColumn,
    kRenameColumn,
    kDropColumn,
    kWidenColumn,
    kMoveFirst,
    kMoveBefore,
    kMoveAfter
  };
  Kind kind = Kind::kAddColumn;
  std::string name;      // the column (for a rename: its current name)
  std::string new_name;  // rename: the new name; move before/after: the other column
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
  /// Moves the column to the first position.
  SchemaUpdate& MoveFirst(const std::string& name);
  /// Moves the column to just before (after) column `other`.
  SchemaUpdate& MoveBefore(const std::string& name, const std::string& other);
  SchemaUpdate& MoveAfter(const std::string& name, const std::string& other);

  /// The changes in the order given; later changes see earlier ones (a
  /// column added can be renamed, a renamed one is named by its new name).
  const std::vector<SchemaChange>& changes() const { return changes_; }
  bool empty() const { return changes_.empty(); }

 private:
  std::vector<SchemaChange> changes_;
};

}  // namespace datashard
