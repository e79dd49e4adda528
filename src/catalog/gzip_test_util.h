// Gzip-compresses text for tests of gzip-compressed metadata files (reading
// them is src/catalog/metadata_file.cc's job; writing is for tests only).
#pragma once

#include <zlib.h>

#include <string>

#include <gtest/gtest.h>

namespace datashard::testing {

/// `text` as one gzip member (RFC 1952).
inline std::string Gzip(const std::string& text) {
  z_stream s{};
  EXPECT_EQ(deflateInit2(&s, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&s, static_cast<uLong>(text.size())) + 32, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  s.avail_in = static_cast<uInt>(text.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

}  // namespace datashard::testing
