#include "format/parquet/dictionary_builder.h"

#include <cstring>
#include <functional>

#include "format/parquet/bit_util.h"

namespace datashard::parquet {
namespace {

constexpr size_t kInitialSlots = 1024;

size_t HashBits(uint64_t bits) {
  const uint64_t h = bits * 0x9E3779B97F4A7C15ull;
  return static_cast<size_t>(h ^ (h >> 29));
}

size_t HashBytes(std::string_view v) { return std::hash<std::string_view>()(v); }

}  // namespace

DictionaryBuilder::DictionaryBuilder(int width, bool length_prefix)
    : width_(width), length_prefix_(length_prefix), slots_(kInitialSlots, 0) {}

void DictionaryBuilder::Clear() {
  plain_.clear();
  bits_.clear();
  offsets_.clear();
  lengths_.clear();
  if (slots_.size() == kInitialSlots) {
    std::fill(slots_.begin(), slots_.end(), 0);
  } else {
    slots_.assign(kInitialSlots, 0);
  }
  count_ = 0;
}

// The slot holding the value, or the free slot where it belongs.
uint32_t* DictionaryBuilder::Probe(size_t hash, uint64_t bits, std::string_view bytes) {
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    uint32_t& s = slots_[i];
    if (s == 0) return &s;
    const uint32_t e = s - 1;
    if (width_ > 0) {
      if (bits_[e] == bits) return &s;
    } else if (lengths_[e] == bytes.size() &&
               std::memcmp(plain_.data() + offsets_[e], bytes.data(), bytes.size()) == 0) {
      return &s;
    }
  }
}

void DictionaryBuilder::Grow() {
  std::vector<uint32_t> old(slots_.size() * 2, 0);
  old.swap(slots_);
  const size_t mask = slots_.size() - 1;
  for (uint32_t s : old) {
    if (s == 0) continue;
    const uint32_t e = s - 1;
    const size_t h = width_ > 0
                         ? HashBits(bits_[e])
                         : HashBytes(std::string_view(plain_.data() + offsets_[e], lengths_[e]));
    size_t i = h & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

uint32_t DictionaryBuilder::IndexOfBits(uint64_t bits) {
  uint32_t* slot = Probe(HashBits(bits), bits, {});
  if (*slot != 0) return *slot - 1;
  const uint32_t e = static_cast<uint32_t>(count_++);
  *slot = e + 1;
  bits_.push_back(bits);
  if (width_ == 4) {
    AppendLE<uint32_t>(static_cast<uint32_t>(bits), &plain_);
  } else {
    AppendLE<uint64_t>(bits, &plain_);
  }
  if (count_ * 2 > slots_.size()) Grow();
  return e;
}

uint32_t DictionaryBuilder::IndexOfBytes(std::string_view v) {
  uint32_t* slot = Probe(HashBytes(v), 0, v);
  if (*slot != 0) return *slot - 1;
  const uint32_t e = static_cast<uint32_t>(count_++);
  *slot = e + 1;
  if (length_prefix_) AppendLE<uint32_t>(static_cast<uint32_t>(v.size()), &plain_);
  offsets_.push_back(static_cast<uint32_t>(plain_.size()));
  lengths_.push_back(static_cast<uint32_t>(v.size()));
  plain_.append(v);
  if (count_ * 2 > slots_.size()) Grow();
  return e;
}

size_t DictionaryBuilder::PlainSize(uint32_t i) const {
  if (width_ > 0) return static_cast<size_t>(width_);
  return lengths_[i] + (length_prefix_ ? 4 : 0);
}

void DictionaryBuilder::AppendPlain(uint32_t i, std::string* out) const {
  if (width_ > 0) {
    out->append(plain_, static_cast<size_t>(i) * static_cast<size_t>(width_),
                static_cast<size_t>(width_));
    return;
  }
  const size_t prefix = length_prefix_ ? 4 : 0;
  out->append(plain_, offsets_[i] - prefix, lengths_[i] + prefix);
}

}  // namespace datashard::parquet
