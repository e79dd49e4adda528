// Thrift compact protocol (thrift-compact-protocol.md): the encoding of the
// Parquet footer and page headers. The writer appends to a string; the reader
// walks a byte range and checks every length against what is left, throwing
// Corruption that names the file and the absolute offset. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace datashard::parquet {

/// Compact protocol type codes (field headers and list element types).
enum class CType : uint8_t {
  kStop = 0,
  kBoolTrue = 1,
  kBoolFalse = 2,
  kI8 = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
};

class CompactWriter {
 public:
  explicit CompactWriter(std::string* out) : out_(out) {}

  /// Starts/ends a struct value (top level or a list element); EndStruct
  /// writes the stop byte.
  void BeginStruct();
  void EndStruct();

  void FieldBool(int16_t id, bool v);
  void FieldI8(int16_t id, int8_t v);
  void FieldI16(int16_t id, int16_t v);
  void FieldI32(int16_t id, int32_t v);
  void FieldI64(int16_t id, int64_t v);
  void FieldBinary(int16_t id, const std::string& v);
  /// Writes the header of a struct field and begins it; close with EndStruct.
  void FieldStruct(int16_t id);
  /// Writes the header of a list field; then write `size` elements.
  void FieldList(int16_t id, CType element_type, uint32_t size);

  void ElementI32(int32_t v) { WriteVarint(ZigZag(v)); }
  void ElementI64(int64_t v) { WriteVarint(ZigZag(v)); }
  /// A bool list element is one byte: 1 true, 0 false.
  void ElementBool(bool v) { out_->push_back(v ? 1 : 0); }
  void ElementBinary(const std::string& v);

  static uint64_t ZigZag(int64_t v) {
    return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  }

 private:
  void FieldHeader(int16_t id, CType type);
  void WriteVarint(uint64_t v);

  std::string* out_;
  std::vector<int16_t> last_ids_{0};
};

class CompactReader {
 public:
  /// Reads [data, data+size); `context` (e.g. "f.parquet: footer") and
  /// `base_offset` (file offset of data[0]) go into error messages.
  CompactReader(const uint8_t* data, size_t size, std::string context, uint64_t base_offset);

  void BeginStruct();
  void EndStruct();
  /// Reads the next field header of the current struct; false at its stop byte.
  bool ReadFieldHeader(CType* type, int16_t* id);

  /// Values; `type` is the field's header type (needed for bools).
  bool ReadBool(CType type);
  int8_t ReadI8();
  int16_t ReadI16();
  int32_t ReadI32();
  int64_t ReadI64();
  double ReadDouble();
  std::string ReadBinary();
  /// Reads a list header; the size is checked against the bytes left.
  void ReadListHeader(CType* element_type, uint32_t* size);
  /// A bool list element is one byte.
  bool ReadBoolElement();

  /// Skips a value of `type` (any nesting up to a fixed depth).
  void Skip(CType type);

  /// Bytes consumed so far.
  size_t position() const { return pos_; }
  /// Throws Corruption at the current offset.
  [[noreturn]] void Fail(const std::string& why) const;

 private:
  uint8_t ReadByte();
  uint64_t ReadVarint();
  void SkipDepth(CType type, int depth);

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  std::string context_;
  uint64_t base_offset_;
  std::vector<int16_t> last_ids_;
};

/// Checks that a type code read from the wire is a valid value type.
bool IsValueType(uint8_t code);

}  // namespace datashard::parquet
