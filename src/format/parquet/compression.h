// Page compression codecs: none, snappy (raw block), gzip (RFC 1952) and
// zstd (a standard frame), through Debian's libsnappy, zlib and libzstd.
// Stateless; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "format/parquet/parquet_thrift.h"

namespace datashard::parquet {

/// Appends the compressed form of [data, data+n) to `out`. `level` applies
/// to gzip and zstd.
void Compress(CompressionCodec codec, int level, const char* data, size_t n, std::string* out);

/// Decompresses into `out` (resized to exactly out_size bytes). Corruption
/// when the input is malformed or does not decode to exactly out_size bytes;
/// the size the stream itself declares is checked before `out` is allocated.
/// NotSupported for codecs other than the four above.
void Decompress(CompressionCodec codec, const uint8_t* in, size_t in_size, size_t out_size,
                std::vector<uint8_t>* out);

/// Name of a codec as parquet.thrift spells it ("ZSTD").
const char* CodecName(CompressionCodec codec);

}  // namespace datashard::parquet
