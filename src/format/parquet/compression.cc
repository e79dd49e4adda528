#include "format/parquet/compression.h"

#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdint>
#include <cstring>
#include <memory>

#include "datashard/errors.h"

namespace datashard::parquet {
namespace {

// One zstd context of each kind per thread, reused: the one-shot
// ZSTD_compress and ZSTD_decompress build and free a context per call, and
// a compression context's tables reach megabytes, allocated per page.
ZSTD_CCtx* ThreadCompressor() {
  thread_local const std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> context(ZSTD_createCCtx(),
                                                                                &ZSTD_freeCCtx);
  if (!context) throw IOError("zstd: cannot create a compression context");
  return context.get();
}

ZSTD_DCtx* ThreadDecompressor() {
  thread_local const std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> context(ZSTD_createDCtx(),
                                                                                &ZSTD_freeDCtx);
  if (!context) throw IOError("zstd: cannot create a decompression context");
  return context.get();
}

void GzipCompress(int level, const char* data, size_t n, std::string* out) {
  z_stream s{};
  // windowBits 15 + 16 selects the gzip (RFC 1952) wrapper.
  if (deflateInit2(&s, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw IOError("gzip: deflateInit2 failed");
  }
  const size_t start = out->size();
  out->resize(start + deflateBound(&s, static_cast<uLong>(n)) + 32);
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
  s.avail_in = static_cast<uInt>(n);
  s.next_out = reinterpret_cast<Bytef*>(out->data() + start);
  s.avail_out = static_cast<uInt>(out->size() - start);
  const int rc = deflate(&s, Z_FINISH);
  const size_t written = s.total_out;
  deflateEnd(&s);
  if (rc != Z_STREAM_END) throw IOError("gzip: deflate failed");
  out->resize(start + written);
}

void GzipDecompress(const uint8_t* in, size_t in_size, size_t out_size,
                    std::vector<uint8_t>* buffer) {
  // The trailer's ISIZE is the uncompressed size mod 2^32 of the last member.
  if (in_size < 18) throw Corruption("gzip page is shorter than a gzip header and trailer");
  uint32_t isize;
  std::memcpy(&isize, in + in_size - 4, 4);
  if (isize > out_size || (isize != static_cast<uint32_t>(out_size) && in_size < 36)) {
    throw Corruption("gzip page declares " + std::to_string(isize) +
                     " uncompressed bytes, the page header " + std::to_string(out_size));
  }
  buffer->resize(out_size);
  uint8_t* out = buffer->data();
  z_stream s{};
  if (inflateInit2(&s, 15 + 16) != Z_OK) throw IOError("gzip: inflateInit2 failed");
  s.next_in = const_cast<Bytef*>(in);
  s.avail_in = static_cast<uInt>(in_size);
  s.next_out = out;
  s.avail_out = static_cast<uInt>(out_size);
  int rc = Z_OK;
  // Several gzip members may follow each other; decode them all.
  while (true) {
    rc = inflate(&s, Z_NO_FLUSH);
    if (rc == Z_STREAM_END && s.avail_in > 0) {
      if (inflateReset(&s) != Z_OK) break;
      continue;
    }
    break;
  }
  const size_t produced = s.total_out;
  const bool extra_output = rc == Z_OK && s.avail_out == 0 && s.avail_in > 0;
  inflateEnd(&s);
  if (rc != Z_STREAM_END || extra_output) {
    throw Corruption("gzip page does not decode (zlib code " + std::to_string(rc) + ")");
  }
  if (produced != out_size) {
    throw Corruption("gzip page decodes to " + std::to_string(produced) + " bytes, expected " +
                     std::to_string(out_size));
  }
}

// The most bytes `in_size` bytes of `codec` can decode to, from each
// format's best ratio: a page header claiming more is refused before its
// buffer is allocated (a 40-byte page could otherwise claim 2 GiB).
size_t MaxDecodedSize(CompressionCodec codec, size_t in_size) {
  switch (codec) {
    case CompressionCodec::kSnappy:
      return 32 * in_size + 64;  // a 64-byte copy takes 3 bytes
    case CompressionCodec::kGzip:
      return 1032 * in_size + 64;  // deflate's limit is 1032:1
    case CompressionCodec::kZstd:
      return 32768 * in_size + (128 << 10);  // an RLE block: 4 bytes make 128 KiB
    default:
      return SIZE_MAX;  // uncompressed: checked exactly; others: not supported
  }
}

}  // namespace

const char* CodecName(CompressionCodec codec) {
  switch (codec) {
    case CompressionCodec::kUncompressed:
      return "UNCOMPRESSED";
    case CompressionCodec::kSnappy:
      return "SNAPPY";
    case CompressionCodec::kGzip:
      return "GZIP";
    case CompressionCodec::kLzo:
      return "LZO";
    case CompressionCodec::kBrotli:
      return "BROTLI";
    case CompressionCodec::kLz4:
      return "LZ4";
    case CompressionCodec::kZstd:
      return "ZSTD";
    case CompressionCodec::kLz4Raw:
      return "LZ4_RAW";
  }
  return "UNKNOWN";
}

void Compress(CompressionCodec codec, int level, const char* data, size_t n, std::string* out) {
  switch (codec) {
    case CompressionCodec::kUncompressed:
      out->append(data, n);
      return;
    case CompressionCodec::kSnappy: {
      const size_t start = out->size();
      out->resize(start + snappy::MaxCompressedLength(n));
      size_t len = 0;
      snappy::RawCompress(data, n, out->data() + start, &len);
      out->resize(start + len);
      return;
    }
    case CompressionCodec::kGzip:
      GzipCompress(level, data, n, out);
      return;
    case CompressionCodec::kZstd: {
      const size_t start = out->size();
      out->resize(start + ZSTD_compressBound(n));
      const size_t len = ZSTD_compressCCtx(ThreadCompressor(), out->data() + start,
                                           out->size() - start, data, n, level);
      if (ZSTD_isError(len)) {
        throw IOError(std::string("zstd: compression failed: ") + ZSTD_getErrorName(len));
      }
      out->resize(start + len);
      return;
    }
    default:
      throw NotSupported(std::string("writing codec ") + CodecName(codec) + " is not supported");
  }
}

void Decompress(CompressionCodec codec, const uint8_t* in, size_t in_size, size_t out_size,
                std::vector<uint8_t>* out) {
  if (out_size > MaxDecodedSize(codec, in_size)) {
    throw Corruption(std::string(CodecName(codec)) + " page of " + std::to_string(in_size) +
                     " bytes cannot hold the " + std::to_string(out_size) +
                     " bytes its header claims");
  }
  switch (codec) {
    case CompressionCodec::kUncompressed:
      if (in_size != out_size) {
        throw Corruption("uncompressed page has " + std::to_string(in_size) +
                         " bytes, its header says " + std::to_string(out_size));
      }
      out->assign(in, in + in_size);
      return;
    case CompressionCodec::kSnappy: {
      size_t len = 0;
      const char* src = reinterpret_cast<const char*>(in);
      if (!snappy::GetUncompressedLength(src, in_size, &len) || len != out_size) {
        throw Corruption("snappy page does not declare the " + std::to_string(out_size) +
                         " bytes its header states");
      }
      out->resize(out_size);
      if (!snappy::RawUncompress(src, in_size, reinterpret_cast<char*>(out->data()))) {
        throw Corruption("snappy page does not decode");
      }
      return;
    }
    case CompressionCodec::kGzip:
      GzipDecompress(in, in_size, out_size, out);
      return;
    case CompressionCodec::kZstd: {
      const unsigned long long declared = ZSTD_getFrameContentSize(in, in_size);
      if (declared == ZSTD_CONTENTSIZE_ERROR) throw Corruption("zstd page is not a zstd frame");
      if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != out_size) {
        throw Corruption("zstd page declares " + std::to_string(declared) + " bytes, its header " +
                         std::to_string(out_size));
      }
      out->resize(out_size);
      const size_t len =
          ZSTD_decompressDCtx(ThreadDecompressor(), out->data(), out_size, in, in_size);
      if (ZSTD_isError(len)) {
        throw Corruption(std::string("zstd page does not decode: ") + ZSTD_getErrorName(len));
      }
      if (len != out_size) {
        throw Corruption("zstd page decodes to " + std::to_string(len) + " bytes, expected " +
                         std::to_string(out_size));
      }
      return;
    }
    default:
      throw NotSupported(std::string("codec ") + CodecName(codec) + " is not supported");
  }
}

}  // namespace datashard::parquet
