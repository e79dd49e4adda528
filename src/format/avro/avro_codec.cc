#include "format/avro/avro_codec.h"

#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>

#include "datashard/errors.h"

namespace datashard {

const char* AvroCodecName(AvroCodec codec) {
  switch (codec) {
    case AvroCodec::kNull:
      return "null";
    case AvroCodec::kDeflate:
      return "deflate";
    case AvroCodec::kSnappy:
      return "snappy";
    case AvroCodec::kZstandard:
      return "zstandard";
  }
  return "unknown";
}

std::optional<AvroCodec> ParseAvroCodec(std::string_view name) {
  if (name == "null") return AvroCodec::kNull;
  if (name == "deflate") return AvroCodec::kDeflate;
  if (name == "snappy") return AvroCodec::kSnappy;
  if (name == "zstandard") return AvroCodec::kZstandard;
  return std::nullopt;
}

namespace {

constexpr size_t kChunk = 64 * 1024;

uint32_t Crc32(std::string_view data) {
  uLong crc = crc32(0L, Z_NULL, 0);
  size_t pos = 0;
  while (pos < data.size()) {
    const uInt n = static_cast<uInt>(std::min<size_t>(data.size() - pos, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data() + pos), n);
    pos += n;
  }
  return static_cast<uint32_t>(crc);
}

// One zlib stream per thread and kind, reset between blocks: setting one up
// allocates and clears hundreds of KiB, far more than a manifest's block
// costs to compress.
struct DeflateStream {
  z_stream zs{};
  bool ready =
      deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  ~DeflateStream() {
    if (ready) deflateEnd(&zs);
  }
};

struct InflateStream {
  z_stream zs{};
  bool ready = inflateInit2(&zs, -15) == Z_OK;
  ~InflateStream() {
    if (ready) inflateEnd(&zs);
  }
};

std::string Deflate(std::string_view data) {
  thread_local DeflateStream stream;
  z_stream& zs = stream.zs;
  if (!stream.ready || deflateReset(&zs) != Z_OK) {
    throw IOError("deflate: cannot initialise zlib");
  }
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  const size_t written = zs.total_out;
  if (rc != Z_STREAM_END)
    throw IOError("deflate: compression failed (zlib " + std::to_string(rc) + ")");
  out.resize(written);
  return out;
}

std::string Inflate(std::string_view data, const std::string& source) {
  thread_local InflateStream stream;
  z_stream& zs = stream.zs;
  if (!stream.ready || inflateReset(&zs) != Z_OK) {
    throw IOError(source + ": cannot initialise zlib");
  }
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  // Room for a manifest block's usual ratio at once, grown in chunks after.
  size_t step = std::min(kChunk, std::max<size_t>(4096, 8 * data.size()));
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (out.size() >= kMaxAvroBlockBytes) {
      throw Corruption(source + ": deflate block inflates beyond " +
                       std::to_string(kMaxAvroBlockBytes) + " bytes");
    }
    const size_t old = out.size();
    out.resize(old + step);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + old);
    zs.avail_out = static_cast<uInt>(step);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.resize(old + step - zs.avail_out);
    step = kChunk;
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK || (zs.avail_in == 0 && zs.avail_out != 0)) {
      throw Corruption(source + ": deflate data is corrupt or truncated (zlib " +
                       std::to_string(rc) + ")");
    }
  }
  if (zs.avail_in != 0) throw Corruption(source + ": bytes after the end of the deflate stream");
  return out;
}

std::string SnappyCompress(std::string_view data) {
  size_t n = snappy_max_compressed_length(data.size());
  std::string out(n + 4, '\0');
  if (snappy_compress(data.data(), data.size(), out.data(), &n) != SNAPPY_OK) {
    throw IOError("snappy: compression failed");
  }
  const uint32_t crc = Crc32(data);
  for (int i = 0; i < 4; ++i) out[n + i] = static_cast<char>(crc >> (24 - 8 * i));
  out.resize(n + 4);
  return out;
}

std::string SnappyUncompress(std::string_view data, const std::string& source) {
  if (data.size() < 4) throw Corruption(source + ": snappy block shorter than its CRC");
  const std::string_view body = data.substr(0, data.size() - 4);
  size_t n = 0;
  if (snappy_uncompressed_length(body.data(), body.size(), &n) != SNAPPY_OK) {
    throw Corruption(source + ": snappy block has no valid length header");
  }
  // Snappy expands at most ~22x (a 3-byte copy of 64 bytes), so a larger
  // claim is corrupt and must not size an allocation.
  if (n > kMaxAvroBlockBytes || n > 32 * body.size() + 64) {
    throw Corruption(source + ": snappy block claims " + std::to_string(n) + " bytes from " +
                     std::to_string(body.size()));
  }
  std::string out(n, '\0');
  if (snappy_uncompress(body.data(), body.size(), out.data(), &n) != SNAPPY_OK) {
    throw Corruption(source + ": snappy block is corrupt");
  }
  out.resize(n);
  uint32_t stored = 0;
  for (int i = 0; i < 4; ++i) {
    stored = (stored << 8) | static_cast<uint8_t>(data[data.size() - 4 + i]);
  }
  if (stored != Crc32(out)) throw Corruption(source + ": snappy block fails its CRC32 check");
  return out;
}

std::string ZstdCompress(std::string_view data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
  if (ZSTD_isError(n)) throw IOError(std::string("zstd: ") + ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

std::string ZstdUncompress(std::string_view data, const std::string& source) {
  ZSTD_DStream* ds = ZSTD_createDStream();
  if (ds == nullptr) throw IOError(source + ": cannot create a zstd stream");
  ZSTD_initDStream(ds);
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  std::string out;
  size_t rc = 1;
  while (rc != 0) {
    if (out.size() >= kMaxAvroBlockBytes) {
      ZSTD_freeDStream(ds);
      throw Corruption(source + ": zstandard block decompresses beyond " +
                       std::to_string(kMaxAvroBlockBytes) + " bytes");
    }
    const size_t old = out.size();
    out.resize(old + kChunk);
    ZSTD_outBuffer ob{out.data() + old, kChunk, 0};
    const size_t in_before = in.pos;
    rc = ZSTD_decompressStream(ds, &ob, &in);
    out.resize(old + ob.pos);
    if (ZSTD_isError(rc)) {
      ZSTD_freeDStream(ds);
      throw Corruption(source + ": zstandard block is corrupt: " + ZSTD_getErrorName(rc));
    }
    if (rc != 0 && in.pos == in.size && in.pos == in_before && ob.pos == 0) {
      ZSTD_freeDStream(ds);
      throw Corruption(source + ": zstandard block is truncated");
    }
  }
  ZSTD_freeDStream(ds);
  if (in.pos != in.size) throw Corruption(source + ": bytes after the end of the zstandard frame");
  return out;
}

}  // namespace

std::string CompressAvroBlock(AvroCodec codec, std::string_view data) {
  switch (codec) {
    case AvroCodec::kNull:
      return std::string(data);
    case AvroCodec::kDeflate:
      return Deflate(data);
    case AvroCodec::kSnappy:
      return SnappyCompress(data);
    case AvroCodec::kZstandard:
      return ZstdCompress(data);
  }
  throw InvalidArgument("unknown Avro codec");
}

std::string DecompressAvroBlock(AvroCodec codec, std::string_view data, const std::string& source) {
  switch (codec) {
    case AvroCodec::kNull:
      return std::string(data);
    case AvroCodec::kDeflate:
      return Inflate(data, source);
    case AvroCodec::kSnappy:
      return SnappyUncompress(data, source);
    case AvroCodec::kZstandard:
      return ZstdUncompress(data, source);
  }
  throw InvalidArgument("unknown Avro codec");
}

}  // namespace datashard
