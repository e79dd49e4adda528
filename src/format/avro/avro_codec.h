// Block codecs of Avro object container files (Avro specification, "Required
// Codecs" and "Optional Codecs"): null, deflate (raw RFC 1951), snappy (each
// block followed by the big-endian CRC32 of its uncompressed bytes) and
// zstandard.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace datashard {

enum class AvroCodec { kNull, kDeflate, kSnappy, kZstandard };

/// The codec's name in the "avro.codec" metadata key.
const char* AvroCodecName(AvroCodec codec);
/// The codec of an "avro.codec" value, or nullopt if unknown.
std::optional<AvroCodec> ParseAvroCodec(std::string_view name);

/// Largest decompressed block accepted; larger claims are Corruption.
constexpr size_t kMaxAvroBlockBytes = size_t{1} << 30;

std::string CompressAvroBlock(AvroCodec codec, std::string_view data);
/// Throws Corruption, prefixed with `source`, when `data` does not decompress,
/// fails its checksum or exceeds kMaxAvroBlockBytes.
std::string DecompressAvroBlock(AvroCodec codec, std::string_view data, const std::string& source);

}  // namespace datashard
