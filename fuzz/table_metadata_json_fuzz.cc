// libFuzzer target for the table metadata JSON reader (DESIGN.md §9): any
// text must parse or throw Corruption (NotSupported for a format version or
// feature datashard cannot read), never crash or throw anything else. What
// parses and passes validation must write, and what is written must read
// back to the same text. Seeds: metadata files written by datashard.
#include <cstddef>
#include <cstdint>
#include <string>

#include "datashard/errors.h"
#include "fuzz_support.h"
#include "metadata/table_metadata_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  datashard::TableMetadata metadata;
  try {
    metadata = datashard::TableMetadataFromJson(text, "fuzz.metadata.json");
  } catch (const datashard::Corruption&) {
    return 0;
  } catch (const datashard::NotSupported&) {
    return 0;
  }
  std::string written;
  try {
    written = datashard::TableMetadataToJson(metadata);
  } catch (const datashard::Corruption&) {
    return 0;  // read, but breaks a rule the writer enforces (ValidateTableMetadata)
  }
  const datashard::TableMetadata reread =
      datashard::TableMetadataFromJson(written, "fuzz.metadata.json (rewritten)");
  FUZZ_CHECK(datashard::TableMetadataToJson(reread) == written);
  return 0;
}
