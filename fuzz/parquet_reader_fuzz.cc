// libFuzzer target for the Parquet reader (DESIGN.md §9): any file must read
// or throw Corruption (NotSupported for a feature datashard does not read),
// never crash, hang, read out of bounds or throw anything else. Seeds:
// files written by DuckDB, hyparquet and datashard.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "datashard/errors.h"
#include "format/parquet/memory_file.h"
#include "format/parquet/parquet_reader.h"
#include "fuzz_support.h"

namespace parquet = datashard::parquet;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto reader = parquet::ParquetReader::Open(std::make_unique<parquet::MemoryReadFile>(
        "fuzz.parquet", std::string(reinterpret_cast<const char*>(data), size)));
    parquet::ReadOptions options;
    // Small batches so that batches end inside pages and row groups.
    options.batch_size = 61;
    reader->Start(options);
    std::vector<datashard::ColumnVector> batch;
    int64_t rows = 0;
    while (reader->Next(&batch)) {
      for (const datashard::ColumnVector& c : batch) {
        for (size_t i = 0; i < c.size(); ++i) c.Get(i);
      }
      rows += batch.empty() ? 0 : static_cast<int64_t>(batch[0].size());
      // A read never returns more rows than the footer declares.
      FUZZ_CHECK(rows <= reader->num_rows());
    }
  } catch (const datashard::Corruption&) {
  } catch (const datashard::NotSupported&) {
  }
  return 0;
}
