// libFuzzer target for the Avro container reader (DESIGN.md §9): any input
// must decode or throw Corruption (NotSupported for an unknown codec or a
// schema datashard cannot read), never crash, hang or throw anything else.
// Seeds: manifests and manifest lists written by datashard.
#include <cstddef>
#include <cstdint>
#include <string>

#include "datashard/errors.h"
#include "format/avro/avro_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    datashard::AvroFileReader reader(std::string(reinterpret_cast<const char*>(data), size),
                                     "fuzz.avro");
    datashard::AvroValue value;
    while (reader.Next(&value)) {
    }
  } catch (const datashard::Corruption&) {
  } catch (const datashard::NotSupported&) {
  }
  return 0;
}
