// Partition spec evolution (Iceberg v2, spec "Partition Evolution"): the
// spec a list of changes makes of a table's default spec, checked before
// anything is written, and the metadata that makes it the default.
// Thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "datashard/spec_update.h"
#include "datashard/table_metadata.h"

namespace datashard {

/// The fields `changes` make of `metadata`'s default spec: added fields
/// after the kept ones, with the id of an earlier spec's field of the same
/// source and transform (and name, when one is given) or the next id after
/// last-partition-id; removed ones gone. InvalidArgument naming `table`, the
/// field and the rule for a change that breaks one: an unknown source column
/// or one the transform cannot apply to, a field of the same source and
/// transform or a second time transform (year, month, day, hour) of one
/// column, a name in use or naming another column, a removal of a field the
/// spec lacks or that this update added.
std::vector<PartitionField> EvolveSpec(const TableMetadata& metadata,
                                       const std::vector<PartitionSpecChange>& changes,
                                       const std::string& table);

/// Makes a spec of `fields` the default in `metadata`: an existing spec with
/// the same fields is reused (as Java does), otherwise it is appended with
/// the next spec id; last-partition-id covers its field ids.
void SetDefaultSpec(TableMetadata* metadata, const std::vector<PartitionField>& fields);

}  // namespace datashard
