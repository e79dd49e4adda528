// Avro binary encoding (Avro specification, "Binary Encoding"): zigzag
// varints, length-prefixed strings and bytes, unions as a branch index,
// arrays and maps in blocks. Decoding is bounds-checked: truncated or
// malformed input throws Corruption naming the source and byte offset, and
// no allocation is sized by a count the input has not backed with bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "format/avro/avro_schema.h"
#include "format/avro/avro_value.h"

namespace datashard {

/// Appends Avro binary encodings to a string it does not own.
class AvroEncoder {
 public:
  explicit AvroEncoder(std::string* out) : out_(out) {}
  void WriteLong(int64_t v);
  void WriteFloat(float v);
  void WriteDouble(double v);
  void WriteBytes(const std::string& v);  // long length + bytes (string or bytes)
  void WriteRaw(const char* data, size_t n) { out_->append(data, n); }

 private:
  std::string* out_;
};

/// Reads Avro binary encodings from a buffer it does not own. `source` names
/// the file and block in error messages; `base_offset` is added to reported
/// offsets so they name positions in the file.
class AvroDecoder {
 public:
  AvroDecoder(const char* data, size_t size, std::string source, uint64_t base_offset = 0)
      : data_(data), size_(size), source_(std::move(source)), base_offset_(base_offset) {}

  int64_t ReadLong();
  int32_t ReadInt();
  float ReadFloat();
  double ReadDouble();
  bool ReadBoolean();
  std::string ReadBytes();
  std::string ReadFixed(size_t n);
  /// Reads an array or map block header: the item count, reading and
  /// checking the byte size that follows a negative count. 0 ends the list.
  int64_t ReadBlockCount();

  size_t position() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }
  /// Throws Corruption at the current offset.
  [[noreturn]] void Fail(const std::string& what) const;

 private:
  void Need(size_t n) const;

  const char* data_;
  size_t size_;
  size_t pos_ = 0;
  std::string source_;
  uint64_t base_offset_;
};

/// The fewest bytes any value of `schema` encodes to (0 for null or an empty
/// record), used to check counts against the bytes that must back them.
size_t AvroMinEncodedSize(const AvroNode& schema);

/// Appends the encoding of `value` as `schema` to `out`. Throws
/// InvalidArgument when the value does not fit the schema.
void EncodeAvroValue(const AvroNode& schema, const AvroValue& value, std::string* out);

/// Decodes one value of `schema`. Throws Corruption on malformed input.
AvroValue DecodeAvroValue(const AvroNode& schema, AvroDecoder& in);

}  // namespace datashard
