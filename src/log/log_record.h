// The payload of one ingest-log record (DESIGN.md §6a): the rows one append
// commits, grouped by partition, with what a checkpoint needs to fold them
// (the schema and spec they were validated against, the commit id).
// Encoding: Avro binary primitives; columns are stored whole, a validity
// byte per row and then the values, so encoding is a few copies per column.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "commit/append_input.h"
#include "datashard/schema.h"

namespace datashard {

struct LogAppend {
  std::string commit_id;
  int schema_id = 0;
  int spec_id = 0;
  std::vector<PartitionGroup> groups;

  int64_t num_rows() const;
};

/// Encodes `append`; its columns must follow the schema `schema_id` names
/// field for field, its partition tuples `partition_types`.
std::string EncodeLogAppend(const LogAppend& append, const std::vector<DataType>& partition_types);

/// Decodes a payload. `schema` must be the schema `schema_id` names and
/// `partition_types` the result types of spec `spec_id` (read from the
/// payload by PeekLogAppendIds first). Corruption naming `source` when the
/// bytes do not decode.
LogAppend DecodeLogAppend(const std::string& payload, const Schema& schema,
                          const std::vector<DataType>& partition_types, const std::string& source);

/// The schema and spec ids a payload was written with.
void PeekLogAppendIds(const std::string& payload, const std::string& source, int* schema_id,
                      int* spec_id);

}  // namespace datashard
