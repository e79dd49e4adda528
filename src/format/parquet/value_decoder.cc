#include "format/parquet/value_decoder.h"

#include <algorithm>
#include <cstring>

#include "datashard/errors.h"
#include "format/parquet/bit_util.h"
#include "format/parquet/delta_binary_packed.h"
#include "format/parquet/rle_hybrid.h"

namespace datashard::parquet {
namespace {

constexpr size_t kScratch = 1024;

[[noreturn]] void Mismatch(const char* what) {
  throw Corruption(std::string("page encoding cannot decode ") + what + " values");
}

// One byte value of a page: copied into a string, or viewed in place.
void PutBytes(std::string* out, const uint8_t* p, size_t n) {
  out->assign(reinterpret_cast<const char*>(p), n);
}
void PutBytes(std::string_view* out, const uint8_t* p, size_t n) {
  *out = std::string_view(reinterpret_cast<const char*>(p), n);
}

// DecodeBytes and DecodeViews of a decoder whose byte values lie in its page
// as they are: Derived::Bytes(out, n) copies them into strings or views them.
template <typename Derived>
class InPlaceBytesDecoder : public ValueDecoder {
 public:
  void DecodeBytes(std::string* out, size_t n) override { Self().Bytes(out, n); }
  bool DecodeViews(std::string_view* out, size_t n) override {
    Self().Bytes(out, n);
    return true;
  }

 private:
  Derived& Self() { return static_cast<Derived&>(*this); }
};

class PlainDecoder final : public InPlaceBytesDecoder<PlainDecoder> {
 public:
  PlainDecoder(const PhysicalColumn& column, const uint8_t* data, size_t size)
      : column_(column), data_(data), size_(size) {}

  void DecodeBool(uint8_t* out, size_t n) override {
    if (n > (size_ - pos_) * 8 - bit_) throw Corruption("PLAIN booleans run past the page");
    for (size_t i = 0; i < n; ++i) {
      out[i] = (data_[pos_] >> bit_) & 1;
      if (++bit_ == 8) {
        bit_ = 0;
        ++pos_;
      }
    }
  }
  void DecodeInt32(int32_t* out, size_t n) override { Fixed(out, n); }
  void DecodeInt64(int64_t* out, size_t n) override { Fixed(out, n); }
  void DecodeFloat(float* out, size_t n) override { Fixed(out, n); }
  void DecodeDouble(double* out, size_t n) override { Fixed(out, n); }

 private:
  friend class InPlaceBytesDecoder<PlainDecoder>;
  template <typename Out>
  void Bytes(Out* out, size_t n) {
    if (column_.type == PhysicalType::kFixedLenByteArray) {
      const size_t len = static_cast<size_t>(column_.type_length);
      if (len == 0 || n > (size_ - pos_) / len) throw Corruption("PLAIN values run past the page");
      for (size_t i = 0; i < n; ++i, pos_ += len) PutBytes(&out[i], data_ + pos_, len);
      return;
    }
    for (size_t i = 0; i < n; ++i) {
      if (size_ - pos_ < 4) throw Corruption("PLAIN byte array length runs past the page");
      const uint32_t len = LoadLE<uint32_t>(data_ + pos_);
      pos_ += 4;
      if (len > size_ - pos_) {
        throw Corruption("PLAIN byte array of " + std::to_string(len) +
                         " bytes runs past the page");
      }
      PutBytes(&out[i], data_ + pos_, len);
      pos_ += len;
    }
  }

  template <typename T>
  void Fixed(T* out, size_t n) {
    if (n == 0) return;  // `out` may be null then, which memcpy does not allow
    if (n > (size_ - pos_) / sizeof(T)) throw Corruption("PLAIN values run past the page");
    std::memcpy(out, data_ + pos_, n * sizeof(T));
    pos_ += n * sizeof(T);
  }

  PhysicalColumn column_;
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  int bit_ = 0;
};

class DictionaryDecoder final : public ValueDecoder {
 public:
  DictionaryDecoder(const PhysicalValues* dict, const uint8_t* data, size_t size)
      : dict_(dict), data_(data), size_(size) {}

  void DecodeBool(uint8_t* out, size_t n) override { Gather(dict_->bools, out, n); }
  void DecodeInt32(int32_t* out, size_t n) override { Gather(dict_->i32, out, n); }
  void DecodeInt64(int64_t* out, size_t n) override { Gather(dict_->i64, out, n); }
  void DecodeFloat(float* out, size_t n) override { Gather(dict_->f32, out, n); }
  void DecodeDouble(double* out, size_t n) override { Gather(dict_->f64, out, n); }
  void DecodeBytes(std::string* out, size_t n) override { Gather(dict_->views, out, n); }
  bool DecodeViews(std::string_view* out, size_t n) override {
    Gather(dict_->views, out, n);
    return true;
  }

 private:
  template <typename T, typename U>
  void Gather(const std::vector<T>& values, U* out, size_t n) {
    if (n == 0) return;
    if (!started_) {
      // The first byte is the bit width of the indices.
      if (size_ < 1) throw Corruption("dictionary-encoded page has no bit width");
      indices_ = RleDecoder(data_ + 1, size_ - 1, data_[0]);
      started_ = true;
    }
    uint32_t idx[kScratch];
    while (n > 0) {
      const size_t k = std::min(n, kScratch);
      indices_.Decode(idx, k);
      for (size_t i = 0; i < k; ++i) {
        if (idx[i] >= values.size()) {
          throw Corruption("dictionary index " + std::to_string(idx[i]) + " exceeds the " +
                           std::to_string(values.size()) + " dictionary entries");
        }
        out[i] = values[idx[i]];
      }
      out += k;
      n -= k;
    }
  }

  const PhysicalValues* dict_;
  const uint8_t* data_;
  size_t size_;
  bool started_ = false;
  RleDecoder indices_;
};

class DeltaIntDecoder final : public ValueDecoder {
 public:
  DeltaIntDecoder(const uint8_t* data, size_t size) : delta_(data, size) {}
  void DecodeInt32(int32_t* out, size_t n) override {
    int64_t tmp[kScratch];
    while (n > 0) {
      const size_t k = std::min(n, kScratch);
      delta_.Decode(tmp, k);
      for (size_t i = 0; i < k; ++i) out[i] = static_cast<int32_t>(tmp[i]);
      out += k;
      n -= k;
    }
  }
  void DecodeInt64(int64_t* out, size_t n) override { delta_.Decode(out, n); }

 private:
  DeltaBinaryPackedDecoder delta_;
};

class DeltaLengthDecoder final : public InPlaceBytesDecoder<DeltaLengthDecoder> {
 public:
  DeltaLengthDecoder(const uint8_t* data, size_t size)
      : lengths_(data, size), data_(data), size_(size), pos_(lengths_.EndPosition()) {}

 private:
  friend class InPlaceBytesDecoder<DeltaLengthDecoder>;
  template <typename Out>
  void Bytes(Out* out, size_t n) {
    int64_t len[kScratch];
    while (n > 0) {
      const size_t k = std::min(n, kScratch);
      lengths_.Decode(len, k);
      for (size_t i = 0; i < k; ++i) {
        if (len[i] < 0 || static_cast<uint64_t>(len[i]) > size_ - pos_) {
          throw Corruption("DELTA_LENGTH_BYTE_ARRAY value of " + std::to_string(len[i]) +
                           " bytes runs past the page");
        }
        PutBytes(&out[i], data_ + pos_, static_cast<size_t>(len[i]));
        pos_ += static_cast<size_t>(len[i]);
      }
      out += k;
      n -= k;
    }
  }

  DeltaBinaryPackedDecoder lengths_;
  const uint8_t* data_;
  size_t size_;
  size_t pos_;
};

class DeltaByteArrayDecoder final : public ValueDecoder {
 public:
  DeltaByteArrayDecoder(const PhysicalColumn& column, const uint8_t* data, size_t size)
      : column_(column), prefixes_(data, size), suffixes_(Suffixes(prefixes_, data, size)) {}

  void DecodeBytes(std::string* out, size_t n) override {
    int64_t prefix[kScratch];
    std::string suffix;
    while (n > 0) {
      const size_t k = std::min(n, kScratch);
      prefixes_.Decode(prefix, k);
      for (size_t i = 0; i < k; ++i) {
        suffixes_.DecodeBytes(&suffix, 1);
        if (prefix[i] < 0 || static_cast<uint64_t>(prefix[i]) > last_.size()) {
          throw Corruption("DELTA_BYTE_ARRAY prefix of " + std::to_string(prefix[i]) +
                           " bytes exceeds the previous value");
        }
        last_.resize(static_cast<size_t>(prefix[i]));
        last_ += suffix;
        if (column_.type == PhysicalType::kFixedLenByteArray &&
            last_.size() != static_cast<size_t>(column_.type_length)) {
          throw Corruption("DELTA_BYTE_ARRAY value has " + std::to_string(last_.size()) +
                           " bytes in a FIXED_LEN_BYTE_ARRAY(" +
                           std::to_string(column_.type_length) + ") column");
        }
        out[i] = last_;
      }
      out += k;
      n -= k;
    }
  }

 private:
  static DeltaLengthDecoder Suffixes(const DeltaBinaryPackedDecoder& prefixes, const uint8_t* data,
                                     size_t size) {
    const size_t start = prefixes.EndPosition();
    return DeltaLengthDecoder(data + start, size - start);
  }

  PhysicalColumn column_;
  DeltaBinaryPackedDecoder prefixes_;
  DeltaLengthDecoder suffixes_;
  std::string last_;
};

class ByteStreamSplitDecoder final : public ValueDecoder {
 public:
  ByteStreamSplitDecoder(const PhysicalColumn& column, const uint8_t* data, size_t size)
      : column_(column), data_(data), width_(WidthOf(column)) {
    if (size % width_ != 0) {
      throw Corruption("BYTE_STREAM_SPLIT page of " + std::to_string(size) +
                       " bytes is not a multiple of the value width " + std::to_string(width_));
    }
    count_ = size / width_;
  }

  void DecodeInt32(int32_t* out, size_t n) override { Fixed(out, n); }
  void DecodeInt64(int64_t* out, size_t n) override { Fixed(out, n); }
  void DecodeFloat(float* out, size_t n) override { Fixed(out, n); }
  void DecodeDouble(double* out, size_t n) override { Fixed(out, n); }
  void DecodeBytes(std::string* out, size_t n) override {
    Check(n);
    for (size_t i = 0; i < n; ++i, ++index_) {
      out[i].resize(width_);
      for (size_t k = 0; k < width_; ++k) out[i][k] = static_cast<char>(data_[k * count_ + index_]);
    }
  }

 private:
  static size_t WidthOf(const PhysicalColumn& c) {
    switch (c.type) {
      case PhysicalType::kFloat:
      case PhysicalType::kInt32:
        return 4;
      case PhysicalType::kDouble:
      case PhysicalType::kInt64:
        return 8;
      case PhysicalType::kFixedLenByteArray:
        if (c.type_length > 0) return static_cast<size_t>(c.type_length);
        break;
      default:
        break;
    }
    throw Corruption("BYTE_STREAM_SPLIT does not apply to this column's physical type");
  }
  void Check(size_t n) const {
    if (n > count_ - index_) throw Corruption("BYTE_STREAM_SPLIT values run past the page");
  }
  template <typename T>
  void Fixed(T* out, size_t n) {
    Check(n);
    uint8_t buf[sizeof(T)];
    for (size_t i = 0; i < n; ++i, ++index_) {
      for (size_t k = 0; k < sizeof(T); ++k) buf[k] = data_[k * count_ + index_];
      std::memcpy(&out[i], buf, sizeof(T));
    }
  }

  PhysicalColumn column_;
  const uint8_t* data_;
  size_t width_;
  size_t count_ = 0;
  size_t index_ = 0;
};

// RLE-encoded booleans (data page v2): a 4-byte length, then the hybrid
// encoding with bit width 1.
class RleBoolDecoder final : public ValueDecoder {
 public:
  RleBoolDecoder(const uint8_t* data, size_t size) {
    if (size < 4) throw Corruption("RLE boolean page has no length prefix");
    // Some writers (hyparquet-writer) store the value count here instead of
    // the byte length; the runs are bounded by the page either way.
    const size_t len = std::min<size_t>(LoadLE<uint32_t>(data), size - 4);
    rle_ = RleDecoder(data + 4, len, 1);
  }
  void DecodeBool(uint8_t* out, size_t n) override {
    uint32_t tmp[kScratch];
    while (n > 0) {
      const size_t k = std::min(n, kScratch);
      rle_.Decode(tmp, k);
      for (size_t i = 0; i < k; ++i) out[i] = static_cast<uint8_t>(tmp[i]);
      out += k;
      n -= k;
    }
  }

 private:
  RleDecoder rle_;
};

size_t MinPlainWidth(const PhysicalColumn& c) {
  switch (c.type) {
    case PhysicalType::kInt32:
    case PhysicalType::kFloat:
    case PhysicalType::kByteArray:
      return 4;
    case PhysicalType::kInt64:
    case PhysicalType::kDouble:
      return 8;
    case PhysicalType::kInt96:
      return 12;
    case PhysicalType::kFixedLenByteArray:
      if (c.type_length > 0) return static_cast<size_t>(c.type_length);
      break;
    case PhysicalType::kBoolean:
      return 1;
  }
  throw Corruption("column has no valid physical type");
}

}  // namespace

void ValueDecoder::DecodeBool(uint8_t*, size_t) { Mismatch("BOOLEAN"); }
void ValueDecoder::DecodeInt32(int32_t*, size_t) { Mismatch("INT32"); }
void ValueDecoder::DecodeInt64(int64_t*, size_t) { Mismatch("INT64"); }
void ValueDecoder::DecodeFloat(float*, size_t) { Mismatch("FLOAT"); }
void ValueDecoder::DecodeDouble(double*, size_t) { Mismatch("DOUBLE"); }
void ValueDecoder::DecodeBytes(std::string*, size_t) { Mismatch("byte array"); }
bool ValueDecoder::DecodeViews(std::string_view*, size_t) { return false; }

const char* EncodingName(Encoding e) {
  switch (e) {
    case Encoding::kPlain:
      return "PLAIN";
    case Encoding::kPlainDictionary:
      return "PLAIN_DICTIONARY";
    case Encoding::kRle:
      return "RLE";
    case Encoding::kBitPacked:
      return "BIT_PACKED";
    case Encoding::kDeltaBinaryPacked:
      return "DELTA_BINARY_PACKED";
    case Encoding::kDeltaLengthByteArray:
      return "DELTA_LENGTH_BYTE_ARRAY";
    case Encoding::kDeltaByteArray:
      return "DELTA_BYTE_ARRAY";
    case Encoding::kRleDictionary:
      return "RLE_DICTIONARY";
    case Encoding::kByteStreamSplit:
      return "BYTE_STREAM_SPLIT";
  }
  return "UNKNOWN";
}

std::unique_ptr<ValueDecoder> MakeValueDecoder(Encoding encoding, const PhysicalColumn& column,
                                               const uint8_t* data, size_t size,
                                               const PhysicalValues* dictionary) {
  const PhysicalType t = column.type;
  auto wrong = [&]() -> std::unique_ptr<ValueDecoder> {
    throw Corruption(std::string("encoding ") + EncodingName(encoding) +
                     " does not apply to physical type " + std::to_string(static_cast<int>(t)));
  };
  switch (encoding) {
    case Encoding::kPlain:
      if (t == PhysicalType::kInt96) throw NotSupported("INT96 values are not supported");
      return std::make_unique<PlainDecoder>(column, data, size);
    case Encoding::kPlainDictionary:
    case Encoding::kRleDictionary:
      if (dictionary == nullptr) {
        throw Corruption("dictionary-encoded page in a column chunk without a dictionary page");
      }
      return std::make_unique<DictionaryDecoder>(dictionary, data, size);
    case Encoding::kDeltaBinaryPacked:
      if (t != PhysicalType::kInt32 && t != PhysicalType::kInt64) return wrong();
      return std::make_unique<DeltaIntDecoder>(data, size);
    case Encoding::kDeltaLengthByteArray:
      if (t != PhysicalType::kByteArray) return wrong();
      return std::make_unique<DeltaLengthDecoder>(data, size);
    case Encoding::kDeltaByteArray:
      if (t != PhysicalType::kByteArray && t != PhysicalType::kFixedLenByteArray) return wrong();
      return std::make_unique<DeltaByteArrayDecoder>(column, data, size);
    case Encoding::kByteStreamSplit:
      return std::make_unique<ByteStreamSplitDecoder>(column, data, size);
    case Encoding::kRle:
      if (t != PhysicalType::kBoolean) return wrong();
      return std::make_unique<RleBoolDecoder>(data, size);
    default:
      throw NotSupported(std::string("data page encoding ") + EncodingName(encoding) + " (" +
                         std::to_string(static_cast<int>(encoding)) + ") is not supported");
  }
}

PhysicalValues DecodeDictionary(const PhysicalColumn& column,
                                std::shared_ptr<const std::vector<uint8_t>> page, int64_t count) {
  const uint8_t* data = page->data();
  const size_t size = page->size();
  const size_t width = MinPlainWidth(column);
  const uint64_t max = column.type == PhysicalType::kBoolean ? uint64_t{size} * 8 : size / width;
  if (count < 0 || static_cast<uint64_t>(count) > max) {
    throw Corruption("dictionary page of " + std::to_string(size) + " bytes cannot hold " +
                     std::to_string(count) + " values");
  }
  const size_t n = static_cast<size_t>(count);
  PlainDecoder d(column, data, size);
  PhysicalValues v;
  v.size = n;
  switch (column.type) {
    case PhysicalType::kBoolean:
      v.bools.resize(n);
      d.DecodeBool(v.bools.data(), n);
      break;
    case PhysicalType::kInt32:
      v.i32.resize(n);
      d.DecodeInt32(v.i32.data(), n);
      break;
    case PhysicalType::kInt64:
      v.i64.resize(n);
      d.DecodeInt64(v.i64.data(), n);
      break;
    case PhysicalType::kFloat:
      v.f32.resize(n);
      d.DecodeFloat(v.f32.data(), n);
      break;
    case PhysicalType::kDouble:
      v.f64.resize(n);
      d.DecodeDouble(v.f64.data(), n);
      break;
    case PhysicalType::kByteArray:
    case PhysicalType::kFixedLenByteArray:
      v.views.resize(n);
      d.DecodeViews(v.views.data(), n);
      break;
    case PhysicalType::kInt96:
      throw NotSupported("INT96 dictionaries are not supported");
  }
  v.page = std::move(page);
  return v;
}

}  // namespace datashard::parquet
