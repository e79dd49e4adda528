// libFuzzer target for the JSON Lines input of `datashard append`
// (DESIGN.md §11) into a table with fuzz::AllTypesSchema() partitioned by
// fuzz::AllTransformsSpec(): any text must give rows or throw
// InvalidArgument, never crash or throw anything else. Rows that parse print
// back to JSON that parses to the same rows, pass the append checks and
// partitioning, and read back unchanged from the Parquet file they make.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "commit/append_input.h"
#include "datashard/errors.h"
#include "format/json/json_lines_reader.h"
#include "format/json/value_json.h"
#include "format/parquet/memory_file.h"
#include "format/parquet/parquet_reader.h"
#include "format/parquet/parquet_writer.h"
#include "fuzz_support.h"

namespace ds = datashard;

namespace {

std::string RowText(const ds::Record& row, const ds::Schema& schema) {
  std::string text;
  ds::AppendRecordJson(row, schema, &text);
  return text;
}

// Every row, in order, of the Parquet file of `groups`.
std::vector<std::string> ThroughParquet(const std::vector<ds::PartitionGroup>& groups,
                                        const ds::Schema& schema) {
  std::string bytes;
  ds::parquet::WriterOptions options;
  options.page_size_bytes = 256;  // several pages from few rows
  ds::parquet::ParquetWriter writer(
      std::make_unique<ds::parquet::MemoryWriteFile>("fuzz.parquet", &bytes), schema, options);
  for (const ds::PartitionGroup& g : groups) writer.Write(g.columns);
  writer.Finish();
  auto reader = ds::parquet::ParquetReader::Open(
      std::make_unique<ds::parquet::MemoryReadFile>("fuzz.parquet", bytes));
  reader->Start({});
  std::vector<std::string> rows;
  std::vector<ds::ColumnVector> batch;
  while (reader->Next(&batch)) {
    for (size_t r = 0; r < batch[0].size(); ++r) {
      ds::Record row;
      for (const ds::ColumnVector& c : batch) row.push_back(c.Get(r));
      rows.push_back(RowText(row, schema));
    }
  }
  return rows;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ds::Schema schema = ds::fuzz::AllTypesSchema();
  static const ds::PartitionSpec spec = ds::fuzz::AllTransformsSpec();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<ds::Record> rows;
  try {
    ds::JsonLinesReader reader(schema, ds::JsonLinesReader::FromText(text));
    std::vector<ds::ColumnVector> batch;
    while (reader.ReadBatch(64, &batch)) {
      for (size_t r = 0; r < batch[0].size(); ++r) {
        ds::Record row;
        for (const ds::ColumnVector& c : batch) row.push_back(c.Get(r));
        rows.push_back(std::move(row));
      }
    }
  } catch (const ds::InvalidArgument&) {
    return 0;
  }
  for (const ds::Record& row : rows) {
    const std::string printed = RowText(row, schema);
    FUZZ_CHECK(RowText(ds::RecordFromJsonLine(printed, schema, 1), schema) == printed);
  }
  ds::AppendInput input(schema, spec, schema, {});
  input.AddRows(rows);
  const std::vector<ds::PartitionGroup> groups = input.TakeGroups();
  std::vector<std::string> expected;
  for (const ds::PartitionGroup& g : groups) {
    FUZZ_CHECK(g.partition.size() == spec.fields().size());
    for (size_t r = 0; r < g.num_rows(); ++r) {
      ds::Record row;
      for (const ds::ColumnVector& c : g.columns) row.push_back(c.Get(r));
      FUZZ_CHECK(spec.PartitionOf(schema, row) == g.partition);
      expected.push_back(RowText(row, schema));
    }
  }
  FUZZ_CHECK(expected.size() == rows.size());
  if (!groups.empty()) FUZZ_CHECK(ThroughParquet(groups, schema) == expected);
  return 0;
}
