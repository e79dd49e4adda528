// The Avro side of Iceberg manifests (spec "Manifests", "Manifest Lists",
// Appendix A): the manifest_entry and manifest_file schemas with their field
// ids and record names, and partition values between Value and Avro.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "datashard/types.h"
#include "datashard/value.h"
#include "format/avro/avro_file.h"
#include "format/avro/avro_schema.h"
#include "format/avro/avro_value.h"
#include "metadata/manifest.h"

namespace datashard {

/// manifest_entry with data_file r2 and partition r102 built from `fields`.
std::shared_ptr<const PrintedAvroSchema> ManifestEntryAvroSchema(
    const std::vector<PartitionFieldType>& fields);
/// manifest_file (ids 500..519) with field_summary r508.
std::shared_ptr<const PrintedAvroSchema> ManifestFileAvroSchema();

/// A name Avro accepts, made the way Java's AvroSchemaUtil.makeCompatibleName
/// does: a leading digit gets "_" before it, other invalid characters become
/// "_x" and the code point in upper-case hex.
std::string AvroCompatibleName(const std::string& name);

/// The Avro value of a partition value of `type` (null for a null).
AvroValue PartitionValueToAvro(const DataType& type, const Value& value);
/// The Iceberg type an Avro partition field stores (unions already
/// unwrapped); Corruption when no Iceberg type is stored that way.
DataType PartitionTypeFromAvro(const AvroNode& node);
/// The Value of an Avro partition value of schema `node` (not a union).
Value PartitionValueFromAvro(const AvroNode& node, const AvroValue& value);

}  // namespace datashard
