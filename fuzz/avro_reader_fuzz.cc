// libFuzzer target for the Avro container reader (DESIGN.md §9): any input
// must decode or throw a datashard::Error, never crash, hang or throw
// anything else. Built only with clang (see CMakeLists.txt):
//   CXX=clang++ cmake -S . -B build-fuzz -G Ninja && cmake --build build-fuzz --target avro_fuzz
//   build-fuzz/src/format/avro/avro_fuzz -max_total_time=60
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
  } catch (const datashard::Error&) {
  }
  return 0;
}
