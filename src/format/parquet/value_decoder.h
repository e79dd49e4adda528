// Decoders of the non-null values of one data page, by encoding: PLAIN,
// dictionary indices (RLE_DICTIONARY / PLAIN_DICTIONARY), DELTA_BINARY_PACKED,
// DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and BYTE_STREAM_SPLIT. Each is a
// cursor over the page bytes it is given (which must outlive it) and checks
// every length against them, throwing Corruption.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "format/parquet/parquet_thrift.h"

namespace datashard::parquet {

/// Physical values of one type, e.g. a decoded dictionary.
struct PhysicalValues {
  std::vector<uint8_t> bools;
  std::vector<int32_t> i32;
  std::vector<int64_t> i64;
  std::vector<float> f32;
  std::vector<double> f64;
  std::vector<std::string> bytes;  // BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY built by a decoder
  /// A dictionary's BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY values, viewed in
  /// `page`: one string per entry cost a large dictionary more than the
  /// pages that use it.
  std::vector<std::string_view> views;
  /// The PLAIN page the values were decoded from (a dictionary's).
  std::shared_ptr<const std::vector<uint8_t>> page;
  size_t size = 0;
};

class ValueDecoder {
 public:
  virtual ~ValueDecoder() = default;
  /// Each decodes exactly n values; the one matching the column's physical
  /// type is used. Corruption if the page holds fewer values.
  virtual void DecodeBool(uint8_t* out, size_t n);
  virtual void DecodeInt32(int32_t* out, size_t n);
  virtual void DecodeInt64(int64_t* out, size_t n);
  virtual void DecodeFloat(float* out, size_t n);
  virtual void DecodeDouble(double* out, size_t n);
  virtual void DecodeBytes(std::string* out, size_t n);
  /// Decodes n byte values as views into the page bytes or the dictionary
  /// (PLAIN, DELTA_LENGTH_BYTE_ARRAY, dictionary indices), which must
  /// outlive the views; false, with nothing consumed, for an encoding that
  /// builds its values (use DecodeBytes).
  virtual bool DecodeViews(std::string_view* out, size_t n);
};

/// Describes the leaf being decoded.
struct PhysicalColumn {
  PhysicalType type = PhysicalType::kInt32;
  int type_length = 0;  // FIXED_LEN_BYTE_ARRAY
};

/// A decoder for `encoding` over [data, data+size). Corruption when the
/// encoding does not apply to the physical type or its header is malformed;
/// NotSupported for encodings datashard does not read. `dictionary` is
/// required for the dictionary encodings (Corruption when absent).
std::unique_ptr<ValueDecoder> MakeValueDecoder(Encoding encoding, const PhysicalColumn& column,
                                               const uint8_t* data, size_t size,
                                               const PhysicalValues* dictionary);

/// Decodes a PLAIN dictionary page of `count` values, keeping the page: byte
/// values are views into it. Corruption when the page cannot hold that many
/// values.
PhysicalValues DecodeDictionary(const PhysicalColumn& column,
                                std::shared_ptr<const std::vector<uint8_t>> page, int64_t count);

/// Name of an encoding as parquet.thrift spells it.
const char* EncodingName(Encoding e);

}  // namespace datashard::parquet
