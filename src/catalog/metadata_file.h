// Metadata files outside the file catalog's v<N> layout. Catalogs (PyIceberg's
// SqlCatalog, Java's JDBC, REST, Glue and Hive catalogs, Spark with a
// metastore) name each version "<NNNNN>-<uuid>.metadata.json", gzip-compressed
// ones "<NNNNN>-<uuid>.gz.metadata.json" (older writers: ".metadata.json.gz"),
// and keep the pointer to the current one in the catalog, not on disk. These
// functions name, read and (as a guess) pick such files; the files themselves
// are never written here. Stateless; safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "datashard/file_io.h"

namespace datashard {

/// Decompressed metadata larger than this is refused as Corruption (a gzip
/// bomb must not exhaust memory); real metadata files are far smaller.
inline constexpr uint64_t kMaxMetadataFileBytes = uint64_t{1} << 30;

/// True when the file name `name` (last path component) is that of an Iceberg
/// metadata file: it ends in ".metadata.json" or ".metadata.json.gz".
bool IsMetadataFileName(const std::string& name);

/// NNNNN of a catalog-layout name "<NNNNN>-<uuid>.metadata.json" (or its
/// ".gz.metadata.json" / ".metadata.json.gz" forms); nullopt for any other
/// name, v<N>.metadata.json included.
std::optional<int64_t> CatalogMetadataSequence(const std::string& name);

/// The version a metadata file name carries: N of "v<N>.metadata.json" or
/// NNNNN of a catalog-layout name; nullopt for other names.
std::optional<int64_t> MetadataFileVersion(const std::string& name);

/// The JSON text of the metadata file at `path`, gunzipped when the file
/// starts with the gzip magic bytes (JSON never does), whatever its name.
/// NotFound when absent; Corruption naming the file when the gzip data does
/// not decode or exceeds kMaxMetadataFileBytes.
std::string ReadMetadataFile(FileIO& io, const std::string& path);

/// For a table folder whose `metadata_dir` holds no v<N>.metadata.json: the
/// path of the catalog-layout file with the highest sequence number, nullopt
/// when there is none. This is a guess that the catalog holding the table's
/// pointer would answer better (a failed commit can leave a newer orphan);
/// it is refused with NotFound naming the files when several files share
/// the highest number, since then nothing on disk tells which one committed.
std::optional<std::string> GuessCatalogMetadataFile(FileIO& io, const std::string& metadata_dir);

}  // namespace datashard
