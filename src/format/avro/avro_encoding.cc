#include "format/avro/avro_encoding.h"

#include <cstring>

#include "datashard/errors.h"

namespace datashard {

void AvroEncoder::WriteLong(int64_t v) {
  uint64_t n = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  while (n >= 0x80) {
    out_->push_back(static_cast<char>((n & 0x7F) | 0x80));
    n >>= 7;
  }
  out_->push_back(static_cast<char>(n));
}

void AvroEncoder::WriteFloat(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  for (int i = 0; i < 4; ++i) out_->push_back(static_cast<char>(bits >> (8 * i)));
}

void AvroEncoder::WriteDouble(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  for (int i = 0; i < 8; ++i) out_->push_back(static_cast<char>(bits >> (8 * i)));
}

void AvroEncoder::WriteBytes(const std::string& v) {
  WriteLong(static_cast<int64_t>(v.size()));
  out_->append(v);
}

void AvroDecoder::Fail(const std::string& what) const {
  throw Corruption(source_ + ": offset " + std::to_string(base_offset_ + pos_) + ": " + what);
}

void AvroDecoder::Need(size_t n) const {
  if (n > size_ - pos_) {
    Fail("truncated: need " + std::to_string(n) + " bytes, " + std::to_string(size_ - pos_) +
         " left");
  }
}

int64_t AvroDecoder::ReadLong() {
  uint64_t n = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    Need(1);
    const uint8_t b = static_cast<uint8_t>(data_[pos_++]);
    if (shift == 63 && b > 1) Fail("varint longer than 64 bits");
    n |= static_cast<uint64_t>(b & 0x7F) << shift;
    if (!(b & 0x80)) return static_cast<int64_t>((n >> 1) ^ (~(n & 1) + 1));
  }
  Fail("varint longer than 10 bytes");
}

int32_t AvroDecoder::ReadInt() {
  const size_t start = pos_;
  const int64_t v = ReadLong();
  if (v < INT32_MIN || v > INT32_MAX) {
    pos_ = start;
    Fail("int out of range: " + std::to_string(v));
  }
  return static_cast<int32_t>(v);
}

float AvroDecoder::ReadFloat() {
  Need(4);
  uint32_t bits = 0;
  for (int i = 0; i < 4; ++i)
    bits |= static_cast<uint32_t>(static_cast<uint8_t>(data_[pos_ + i])) << (8 * i);
  pos_ += 4;
  float v;
  std::memcpy(&v, &bits, 4);
  return v;
}

double AvroDecoder::ReadDouble() {
  Need(8);
  uint64_t bits = 0;
  for (int i = 0; i < 8; ++i)
    bits |= static_cast<uint64_t>(static_cast<uint8_t>(data_[pos_ + i])) << (8 * i);
  pos_ += 8;
  double v;
  std::memcpy(&v, &bits, 8);
  return v;
}

bool AvroDecoder::ReadBoolean() {
  Need(1);
  const uint8_t b = static_cast<uint8_t>(data_[pos_]);
  if (b > 1) Fail("boolean byte is " + std::to_string(b));
  ++pos_;
  return b == 1;
}

std::string AvroDecoder::ReadBytes() {
  const int64_t n = ReadLong();
  if (n < 0) Fail("negative length " + std::to_string(n));
  return ReadFixed(static_cast<size_t>(n));
}

std::string AvroDecoder::ReadFixed(size_t n) {
  Need(n);
  std::string out(data_ + pos_, n);
  pos_ += n;
  return out;
}

int64_t AvroDecoder::ReadBlockCount() {
  int64_t count = ReadLong();
  if (count < 0) {
    if (count == INT64_MIN) Fail("block count out of range");
    count = -count;
    const int64_t bytes = ReadLong();
    if (bytes < 0 || static_cast<uint64_t>(bytes) > remaining()) {
      Fail("block byte size " + std::to_string(bytes) + " exceeds the " +
           std::to_string(remaining()) + " bytes left");
    }
  }
  return count;
}

size_t AvroMinEncodedSize(const AvroNode& schema) {
  switch (schema.type) {
    case AvroType::kNull:
      return 0;
    case AvroType::kFloat:
      return 4;
    case AvroType::kDouble:
      return 8;
    case AvroType::kFixed:
      return static_cast<size_t>(schema.size);
    case AvroType::kRecord: {
      size_t total = 0;
      for (const auto& f : schema.fields) total += AvroMinEncodedSize(*f.type);
      return total;
    }
    default:
      return 1;
  }
}

namespace {

// Lists of values that take no bytes (null, empty records) are capped so a
// forged count cannot make the decoder allocate without bound.
constexpr int64_t kMaxZeroSizeItems = int64_t{1} << 20;

// Reads the blocks of an array or map, calling read_item() once per item.
template <typename ReadItem>
void ReadBlocks(AvroDecoder& in, const AvroNode& item_schema, size_t key_bytes,
                ReadItem read_item) {
  const size_t min_size = AvroMinEncodedSize(item_schema) + key_bytes;
  int64_t total = 0;
  for (;;) {
    const int64_t count = in.ReadBlockCount();
    if (count == 0) return;
    if (min_size > 0 && static_cast<uint64_t>(count) > in.remaining() / min_size) {
      in.Fail("block of " + std::to_string(count) + " items cannot fit in the " +
              std::to_string(in.remaining()) + " bytes left");
    }
    if (min_size == 0 && count > kMaxZeroSizeItems - total) {
      in.Fail("more than " + std::to_string(kMaxZeroSizeItems) + " empty items in one list");
    }
    total += count;
    for (int64_t i = 0; i < count; ++i) read_item();
  }
}

bool SameKind(AvroType schema, AvroType value) {
  return schema == value || (schema == AvroType::kBytes && value == AvroType::kString) ||
         (schema == AvroType::kString && value == AvroType::kBytes);
}

bool Promotable(AvroType schema, AvroType value) {
  switch (schema) {
    case AvroType::kLong:
      return value == AvroType::kInt;
    case AvroType::kFloat:
      return value == AvroType::kInt || value == AvroType::kLong;
    case AvroType::kDouble:
      return value == AvroType::kInt || value == AvroType::kLong || value == AvroType::kFloat;
    default:
      return false;
  }
}

int ChooseBranch(const AvroNode& schema, const AvroValue& value) {
  if (value.branch() >= 0) {
    if (static_cast<size_t>(value.branch()) >= schema.branches.size()) {
      throw InvalidArgument("Avro union has no branch " + std::to_string(value.branch()));
    }
    return value.branch();
  }
  for (size_t i = 0; i < schema.branches.size(); ++i) {
    if (schema.branches[i]->type == value.type()) return static_cast<int>(i);
  }
  for (size_t i = 0; i < schema.branches.size(); ++i) {
    if (SameKind(schema.branches[i]->type, value.type()) ||
        Promotable(schema.branches[i]->type, value.type())) {
      return static_cast<int>(i);
    }
  }
  throw InvalidArgument(std::string("Avro union has no branch for a ") +
                        AvroTypeName(value.type()) + " value");
}

}  // namespace

void EncodeAvroValue(const AvroNode& schema, const AvroValue& value, std::string* out) {
  AvroEncoder enc(out);
  switch (schema.type) {
    case AvroType::kNull:
      if (!value.is_null()) {
        throw InvalidArgument(std::string("Avro null expected, got ") + AvroTypeName(value.type()));
      }
      return;
    case AvroType::kBoolean:
      out->push_back(value.AsBool() ? 1 : 0);
      return;
    case AvroType::kInt:
      enc.WriteLong(value.AsInt());
      return;
    case AvroType::kLong:
      enc.WriteLong(value.AsLong());
      return;
    case AvroType::kFloat:
      enc.WriteFloat(value.AsFloat());
      return;
    case AvroType::kDouble:
      enc.WriteDouble(value.AsDouble());
      return;
    case AvroType::kBytes:
    case AvroType::kString:
      enc.WriteBytes(value.AsBytes());
      return;
    case AvroType::kFixed:
      if (value.AsBytes().size() != static_cast<size_t>(schema.size)) {
        throw InvalidArgument("Avro fixed " + schema.name + " needs " +
                              std::to_string(schema.size) + " bytes, got " +
                              std::to_string(value.AsBytes().size()));
      }
      out->append(value.AsBytes());
      return;
    case AvroType::kEnum:
      if (value.AsEnum() < 0 || static_cast<size_t>(value.AsEnum()) >= schema.symbols.size()) {
        throw InvalidArgument("Avro enum " + schema.name + " has no symbol " +
                              std::to_string(value.AsEnum()));
      }
      enc.WriteLong(value.AsEnum());
      return;
    case AvroType::kArray: {
      const auto& items = value.AsArray();
      if (!items.empty()) {
        enc.WriteLong(static_cast<int64_t>(items.size()));
        for (const auto& item : items) EncodeAvroValue(*schema.items, item, out);
      }
      enc.WriteLong(0);
      return;
    }
    case AvroType::kMap: {
      const auto& entries = value.AsMap();
      if (!entries.empty()) {
        enc.WriteLong(static_cast<int64_t>(entries.size()));
        for (const auto& [key, v] : entries) {
          enc.WriteBytes(key);
          EncodeAvroValue(*schema.values, v, out);
        }
      }
      enc.WriteLong(0);
      return;
    }
    case AvroType::kRecord: {
      const auto& fields = value.AsRecord();
      if (fields.size() != schema.fields.size()) {
        throw InvalidArgument("Avro record " + schema.name + " has " +
                              std::to_string(schema.fields.size()) + " fields, value has " +
                              std::to_string(fields.size()));
      }
      for (size_t i = 0; i < fields.size(); ++i) {
        try {
          EncodeAvroValue(*schema.fields[i].type, fields[i], out);
        } catch (const InvalidArgument& e) {
          throw InvalidArgument(schema.name + "." + schema.fields[i].name + ": " + e.what());
        }
      }
      return;
    }
    case AvroType::kUnion: {
      const int branch = ChooseBranch(schema, value);
      enc.WriteLong(branch);
      EncodeAvroValue(*schema.branches[branch], value, out);
      return;
    }
  }
}

AvroValue DecodeAvroValue(const AvroNode& schema, AvroDecoder& in) {
  switch (schema.type) {
    case AvroType::kNull:
      return AvroValue::Null();
    case AvroType::kBoolean:
      return AvroValue::Boolean(in.ReadBoolean());
    case AvroType::kInt:
      return AvroValue::Int(in.ReadInt());
    case AvroType::kLong:
      return AvroValue::Long(in.ReadLong());
    case AvroType::kFloat:
      return AvroValue::Float(in.ReadFloat());
    case AvroType::kDouble:
      return AvroValue::Double(in.ReadDouble());
    case AvroType::kBytes:
      return AvroValue::Bytes(in.ReadBytes());
    case AvroType::kString:
      return AvroValue::String(in.ReadBytes());
    case AvroType::kFixed:
      return AvroValue::Fixed(in.ReadFixed(static_cast<size_t>(schema.size)));
    case AvroType::kEnum: {
      const int64_t index = in.ReadLong();
      if (index < 0 || static_cast<uint64_t>(index) >= schema.symbols.size()) {
        in.Fail("enum " + schema.name + " has no symbol " + std::to_string(index));
      }
      return AvroValue::Enum(index);
    }
    case AvroType::kArray: {
      AvroValue::Array items;
      ReadBlocks(in, *schema.items, 0,
                 [&] { items.push_back(DecodeAvroValue(*schema.items, in)); });
      return AvroValue::MakeArray(std::move(items));
    }
    case AvroType::kMap: {
      AvroValue::Map entries;
      ReadBlocks(in, *schema.values, 1, [&] {
        std::string key = in.ReadBytes();
        entries.emplace_back(std::move(key), DecodeAvroValue(*schema.values, in));
      });
      return AvroValue::MakeMap(std::move(entries));
    }
    case AvroType::kRecord: {
      AvroValue::Array fields;
      fields.reserve(schema.fields.size());
      for (const auto& f : schema.fields) fields.push_back(DecodeAvroValue(*f.type, in));
      return AvroValue::Record(std::move(fields));
    }
    case AvroType::kUnion: {
      const int64_t branch = in.ReadLong();
      if (branch < 0 || static_cast<uint64_t>(branch) >= schema.branches.size()) {
        in.Fail("union branch " + std::to_string(branch) + " out of range");
      }
      AvroValue v = DecodeAvroValue(*schema.branches[branch], in);
      v.set_branch(static_cast<int>(branch));
      return v;
    }
  }
  in.Fail("unknown schema type");
}

}  // namespace datashard
