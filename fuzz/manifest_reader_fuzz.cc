// libFuzzer target for the manifest and manifest list readers (Iceberg's
// Avro files, DESIGN.md §3): any file must read or throw Corruption
// (NotSupported for a codec or schema datashard cannot read), never crash or
// throw anything else. Each input is read both as a manifest list and as a
// manifest with its header's context. Seeds: manifests and manifest lists
// written by datashard.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "datashard/errors.h"
#include "datashard/file_io.h"
#include "io/temp_dir.h"
#include "metadata/manifest.h"

namespace ds = datashard;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The readers take a FileIO path, so each input goes through a scratch file.
  static const ds::TempDir dir("manifest-fuzz");
  static const std::shared_ptr<ds::FileIO> io = ds::NewPosixFileIO();
  static int64_t counter = 0;
  const std::string path = dir.Join("input-" + std::to_string(counter++) + ".avro");
  {
    std::unique_ptr<ds::WritableFile> file = io->Create(path);
    file->Append(reinterpret_cast<const char*>(data), size);
    file->Close();
  }
  try {
    ds::ReadManifestList(*io, path);
  } catch (const ds::Corruption&) {
  } catch (const ds::NotSupported&) {
  }
  try {
    ds::ReadManifestContext(*io, path);
    ds::ManifestFile manifest;
    manifest.manifest_path = path;
    manifest.manifest_length = static_cast<int64_t>(size);
    manifest.sequence_number = 2;
    manifest.added_snapshot_id = 9;
    ds::ReadManifest(*io, manifest);
  } catch (const ds::Corruption&) {
  } catch (const ds::NotSupported&) {
  }
  io->Delete(path);
  return 0;
}
