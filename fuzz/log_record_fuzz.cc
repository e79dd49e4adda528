// libFuzzer target for the ingest log record decoder (DESIGN.md §6a): any
// payload must decode or throw Corruption, never crash, read out of bounds
// or throw anything else. The payload is read as a record of a table with
// fuzz::AllTypesSchema() and fuzz::AllTransformsSpec(); seeds are records
// datashard wrote to such a table's log.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "datashard/errors.h"
#include "fuzz_support.h"
#include "log/log_record.h"

namespace ds = datashard;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ds::Schema schema = ds::fuzz::AllTypesSchema();
  static const std::vector<ds::DataType> partition_types =
      ds::fuzz::AllTransformsSpec().ResultTypes(schema);
  const std::string payload(reinterpret_cast<const char*>(data), size);
  try {
    int schema_id = 0, spec_id = 0;
    ds::PeekLogAppendIds(payload, "fuzz record", &schema_id, &spec_id);
    const ds::LogAppend append =
        ds::DecodeLogAppend(payload, schema, partition_types, "fuzz record");
    int64_t rows = 0;
    for (const ds::PartitionGroup& g : append.groups) {
      FUZZ_CHECK(g.partition.size() == partition_types.size());
      FUZZ_CHECK(g.columns.size() == schema.fields().size());
      for (const ds::ColumnVector& c : g.columns) {
        FUZZ_CHECK(c.size() == g.num_rows());
        for (size_t i = 0; i < c.size(); ++i) c.Get(i);
      }
      rows += static_cast<int64_t>(g.num_rows());
    }
    FUZZ_CHECK(rows == append.num_rows());
  } catch (const ds::Corruption&) {
  }
  return 0;
}
