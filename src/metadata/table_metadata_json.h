// The Iceberg v2 metadata JSON codec (spec "Table Metadata", Appendix C),
// field by field. Writes only what Java's parser accepts;
// reads v2 and the v1 fields v2 readers accept. Statistics entries and
// top-level fields it does not know are kept as JSON text and written back
// unchanged. Stateless; thread-safe.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "datashard/partition_spec.h"
#include "datashard/table_metadata.h"

namespace datashard {

/// The metadata as JSON text. Calls ValidateTableMetadata first, so that
/// metadata Java would reject is never written.
std::string TableMetadataToJson(const TableMetadata& metadata);

/// Parses metadata JSON; `where` (a file path) is named in errors. Corruption
/// for malformed or inconsistent metadata, NotSupported for a format version
/// above 2 or features datashard cannot read.
/// `previous`: metadata of the same table read before, whose snapshots the
/// result shares where the text has them too (same id, sequence number,
/// timestamp and manifest list: a snapshot never changes), so that loading
/// the next version builds only the snapshots it added.
TableMetadata TableMetadataFromJson(const std::string& text, const std::string& where,
                                    const TableMetadata* previous = nullptr);

/// Throws Corruption naming the rule when `metadata` breaks one of the checks
/// Java's TableMetadata applies (uuid present, snapshot sequence numbers <=
/// last-sequence-number, refs point to known snapshots, refs.main equals the
/// current snapshot, ordered logs, current schema and spec present).
void ValidateTableMetadata(const TableMetadata& metadata);

/// {"spec-id":N,"fields":[{"name","transform","source-id","field-id"}...]}.
nlohmann::json PartitionSpecToJson(const PartitionSpec& spec);
/// Only the "fields" array: what manifests store in their "partition-spec" key.
nlohmann::json PartitionFieldsToJson(const PartitionSpec& spec);
PartitionSpec PartitionSpecFromJson(const nlohmann::json& j, int default_spec_id);

}  // namespace datashard
