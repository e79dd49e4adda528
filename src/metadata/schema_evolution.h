// Schema evolution by field id (Iceberg v2, spec "Schema Evolution"): the
// schema a list of changes makes of a table's current schema, checked
// against the rules before anything is written, and the metadata that makes
// it current. Thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "datashard/schema_update.h"
#include "datashard/table_metadata.h"

namespace datashard {

/// The schema `changes` make of `metadata`'s current schema: added columns
/// optional with ids after last-column-id, renamed ones keeping their id,
/// dropped ones gone (their ids never reused), widened ones promoted, moved
/// ones at their new position. Its schema id is not yet assigned.
/// InvalidArgument naming `table`, the column and the rule for a change that
/// breaks one: an unknown column or a name in use, a required column added,
/// a type that is no promotion, a drop of a partition or sort source column
/// or of an identifier field, a widening of a partition source column, a
/// drop of the last column, a move relative to an unknown column or to the
/// column itself.
Schema EvolveSchema(const TableMetadata& metadata, const std::vector<SchemaChange>& changes,
                    const std::string& table);

/// Makes `schema` current in `metadata`: an existing schema with the same
/// fields is reused (as Java does), otherwise it is appended with the next
/// schema id; last-column-id covers its ids.
void SetCurrentSchema(TableMetadata* metadata, const Schema& schema);

/// Whether files written with schema `written` read correctly as
/// `current`: every field of `current` that `written` has reads as the
/// written type (equal or a promotion), and every other field of `current`
/// is optional. Otherwise throws CommitConflict naming the field and why.
/// `what` names the writer for the message.
void CheckWritesFit(const Schema& written, const Schema& current, const std::string& what);

}  // namespace datashard
