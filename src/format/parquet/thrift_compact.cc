#include "format/parquet/thrift_compact.h"

#include <cstring>

#include "datashard/errors.h"

namespace datashard::parquet {
namespace {

constexpr int kMaxSkipDepth = 64;
// Struct nesting allowed while reading (the Parquet structs nest < 10 deep).
constexpr size_t kMaxStructDepth = 64;

int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

}  // namespace

bool IsValueType(uint8_t code) { return code >= 1 && code <= 12; }

void CompactWriter::BeginStruct() { last_ids_.push_back(0); }

void CompactWriter::EndStruct() {
  out_->push_back('\0');
  last_ids_.pop_back();
}

void CompactWriter::WriteVarint(uint64_t v) {
  while (v >= 0x80) {
    out_->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out_->push_back(static_cast<char>(v));
}

void CompactWriter::FieldHeader(int16_t id, CType type) {
  const int delta = id - last_ids_.back();
  if (delta > 0 && delta <= 15) {
    out_->push_back(static_cast<char>((delta << 4) | static_cast<int>(type)));
  } else {
    out_->push_back(static_cast<char>(type));
    WriteVarint(ZigZag(id));
  }
  last_ids_.back() = id;
}

void CompactWriter::FieldBool(int16_t id, bool v) {
  FieldHeader(id, v ? CType::kBoolTrue : CType::kBoolFalse);
}

void CompactWriter::FieldI8(int16_t id, int8_t v) {
  FieldHeader(id, CType::kI8);
  out_->push_back(static_cast<char>(v));
}

void CompactWriter::FieldI16(int16_t id, int16_t v) {
  FieldHeader(id, CType::kI16);
  WriteVarint(ZigZag(v));
}

void CompactWriter::FieldI32(int16_t id, int32_t v) {
  FieldHeader(id, CType::kI32);
  WriteVarint(ZigZag(v));
}

void CompactWriter::FieldI64(int16_t id, int64_t v) {
  FieldHeader(id, CType::kI64);
  WriteVarint(ZigZag(v));
}

void CompactWriter::FieldBinary(int16_t id, const std::string& v) {
  FieldHeader(id, CType::kBinary);
  ElementBinary(v);
}

void CompactWriter::ElementBinary(const std::string& v) {
  WriteVarint(v.size());
  out_->append(v);
}

void CompactWriter::FieldStruct(int16_t id) {
  FieldHeader(id, CType::kStruct);
  BeginStruct();
}

void CompactWriter::FieldList(int16_t id, CType element_type, uint32_t size) {
  FieldHeader(id, CType::kList);
  if (size < 15) {
    out_->push_back(static_cast<char>((size << 4) | static_cast<uint32_t>(element_type)));
  } else {
    out_->push_back(static_cast<char>(0xF0 | static_cast<int>(element_type)));
    WriteVarint(size);
  }
}

CompactReader::CompactReader(const uint8_t* data, size_t size, std::string context,
                             uint64_t base_offset)
    : data_(data), size_(size), context_(std::move(context)), base_offset_(base_offset) {}

void CompactReader::Fail(const std::string& why) const {
  throw Corruption(context_ + ": corrupt Thrift data at offset " +
                   std::to_string(base_offset_ + pos_) + ": " + why);
}

uint8_t CompactReader::ReadByte() {
  if (pos_ >= size_) Fail("unexpected end of data");
  return data_[pos_++];
}

uint64_t CompactReader::ReadVarint() {
  uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    const uint8_t b = ReadByte();
    if (shift == 63 && (b & 0x7E) != 0) Fail("varint overflows 64 bits");
    v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) return v;
  }
  Fail("varint longer than 10 bytes");
}

void CompactReader::BeginStruct() {
  if (last_ids_.size() >= kMaxStructDepth) Fail("structs nested too deeply");
  last_ids_.push_back(0);
}

void CompactReader::EndStruct() { last_ids_.pop_back(); }

bool CompactReader::ReadFieldHeader(CType* type, int16_t* id) {
  const uint8_t b = ReadByte();
  if (b == 0) return false;
  const uint8_t t = b & 0x0F;
  if (!IsValueType(t)) Fail("unknown field type " + std::to_string(t));
  const int delta = b >> 4;
  if (delta != 0) {
    *id = static_cast<int16_t>(last_ids_.back() + delta);
  } else {
    const int64_t v = UnZigZag(ReadVarint());
    if (v < INT16_MIN || v > INT16_MAX) Fail("field id out of range");
    *id = static_cast<int16_t>(v);
  }
  last_ids_.back() = *id;
  *type = static_cast<CType>(t);
  return true;
}

bool CompactReader::ReadBool(CType type) {
  if (type == CType::kBoolTrue) return true;
  if (type == CType::kBoolFalse) return false;
  Fail("expected a bool field, got type " + std::to_string(static_cast<int>(type)));
}

bool CompactReader::ReadBoolElement() {
  const uint8_t b = ReadByte();
  // Writers use 1 for true and 0 or 2 for false.
  if (b > 2) Fail("bad bool element " + std::to_string(b));
  return b == 1;
}

int8_t CompactReader::ReadI8() { return static_cast<int8_t>(ReadByte()); }

int16_t CompactReader::ReadI16() {
  const int64_t v = UnZigZag(ReadVarint());
  if (v < INT16_MIN || v > INT16_MAX) Fail("i16 out of range");
  return static_cast<int16_t>(v);
}

int32_t CompactReader::ReadI32() {
  const int64_t v = UnZigZag(ReadVarint());
  if (v < INT32_MIN || v > INT32_MAX) Fail("i32 out of range");
  return static_cast<int32_t>(v);
}

int64_t CompactReader::ReadI64() { return UnZigZag(ReadVarint()); }

double CompactReader::ReadDouble() {
  if (size_ - pos_ < 8) Fail("unexpected end of data in a double");
  double d;
  std::memcpy(&d, data_ + pos_, 8);
  pos_ += 8;
  return d;
}

std::string CompactReader::ReadBinary() {
  const uint64_t n = ReadVarint();
  if (n > size_ - pos_) {
    Fail("binary length " + std::to_string(n) + " exceeds the " + std::to_string(size_ - pos_) +
         " bytes left");
  }
  std::string s(reinterpret_cast<const char*>(data_ + pos_), n);
  pos_ += n;
  return s;
}

void CompactReader::ReadListHeader(CType* element_type, uint32_t* size) {
  const uint8_t b = ReadByte();
  uint64_t n = b >> 4;
  if (n == 15) n = ReadVarint();
  const uint8_t t = b & 0x0F;
  if (!IsValueType(t)) Fail("unknown list element type " + std::to_string(t));
  // Every element takes at least one byte, so a larger count is corrupt.
  if (n > size_ - pos_) {
    Fail("list of " + std::to_string(n) + " elements exceeds the " + std::to_string(size_ - pos_) +
         " bytes left");
  }
  *element_type = static_cast<CType>(t);
  *size = static_cast<uint32_t>(n);
}

void CompactReader::Skip(CType type) { SkipDepth(type, 0); }

void CompactReader::SkipDepth(CType type, int depth) {
  if (depth > kMaxSkipDepth) Fail("values nested too deeply");
  switch (type) {
    case CType::kBoolTrue:
    case CType::kBoolFalse:
      return;
    case CType::kI8:
      ReadByte();
      return;
    case CType::kI16:
    case CType::kI32:
    case CType::kI64:
      ReadVarint();
      return;
    case CType::kDouble:
      ReadDouble();
      return;
    case CType::kBinary: {
      const uint64_t n = ReadVarint();
      if (n > size_ - pos_) Fail("binary length " + std::to_string(n) + " exceeds the data");
      pos_ += n;
      return;
    }
    case CType::kList:
    case CType::kSet: {
      CType et;
      uint32_t n;
      ReadListHeader(&et, &n);
      for (uint32_t i = 0; i < n; ++i) {
        if (et == CType::kBoolTrue || et == CType::kBoolFalse) {
          ReadBoolElement();
        } else {
          SkipDepth(et, depth + 1);
        }
      }
      return;
    }
    case CType::kMap: {
      const uint64_t n = ReadVarint();
      if (n == 0) return;
      const uint8_t kv = ReadByte();
      const uint8_t kt = kv >> 4, vt = kv & 0x0F;
      if (!IsValueType(kt) || !IsValueType(vt)) Fail("bad map element types");
      if (n > size_ - pos_) Fail("map of " + std::to_string(n) + " entries exceeds the data");
      for (uint64_t i = 0; i < n; ++i) {
        for (uint8_t t : {kt, vt}) {
          const CType ct = static_cast<CType>(t);
          if (ct == CType::kBoolTrue || ct == CType::kBoolFalse) {
            ReadBoolElement();
          } else {
            SkipDepth(ct, depth + 1);
          }
        }
      }
      return;
    }
    case CType::kStruct: {
      BeginStruct();
      CType ft;
      int16_t id;
      while (ReadFieldHeader(&ft, &id)) SkipDepth(ft, depth + 1);
      EndStruct();
      return;
    }
    case CType::kStop:
      break;
  }
  Fail("cannot skip type " + std::to_string(static_cast<int>(type)));
}

}  // namespace datashard::parquet
