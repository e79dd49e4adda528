#include "format/avro/avro_file.h"

#include <cstdint>

#include "datashard/errors.h"
#include "format/avro/avro_encoding.h"
#include "util/random.h"

namespace datashard {

namespace {

constexpr char kMagic[4] = {'O', 'b', 'j', 1};
constexpr size_t kSyncSize = 16;
// Objects that encode to no bytes are capped per block, so a forged count
// cannot spin the reader.
constexpr int64_t kMaxEmptyObjectsPerBlock = int64_t{1} << 20;

std::string RandomSync() {
  std::string sync(kSyncSize, '\0');
  for (size_t i = 0; i < kSyncSize; i += 8) {
    const uint64_t r = SystemRandom64();
    for (size_t j = 0; j < 8; ++j) sync[i + j] = static_cast<char>(r >> (8 * j));
  }
  return sync;
}

}  // namespace

PrintedAvroSchema::PrintedAvroSchema(AvroNodePtr schema)
    : node(std::move(schema)), json(AvroSchemaToString(*node)) {}

AvroFileWriter::AvroFileWriter(AvroNodePtr schema, AvroCodec codec,
                               std::vector<std::pair<std::string, std::string>> metadata)
    : AvroFileWriter(std::make_shared<const PrintedAvroSchema>(std::move(schema)), codec,
                     std::move(metadata)) {}

AvroFileWriter::AvroFileWriter(std::shared_ptr<const PrintedAvroSchema> schema, AvroCodec codec,
                               std::vector<std::pair<std::string, std::string>> metadata)
    : schema_(std::move(schema)), codec_(codec), sync_(RandomSync()) {
  for (const auto& [key, value] : metadata) {
    if (key.rfind("avro.", 0) == 0) {
      throw InvalidArgument("Avro metadata key " + key + " is reserved for the Avro library");
    }
  }
  out_.append(kMagic, sizeof(kMagic));
  AvroEncoder enc(&out_);
  enc.WriteLong(static_cast<int64_t>(metadata.size() + 2));
  enc.WriteBytes("avro.schema");
  enc.WriteBytes(schema_->json);
  enc.WriteBytes("avro.codec");
  enc.WriteBytes(AvroCodecName(codec_));
  for (const auto& [key, value] : metadata) {
    enc.WriteBytes(key);
    enc.WriteBytes(value);
  }
  enc.WriteLong(0);
  out_.append(sync_);
}

void AvroFileWriter::Append(const AvroValue& value) {
  const size_t before = block_.size();
  try {
    EncodeAvroValue(*schema_->node, value, &block_);
  } catch (...) {
    block_.resize(before);  // the object that did not fit leaves no bytes
    throw;
  }
  ++block_count_;
  if (block_.size() >= kBlockBytes) FlushBlock();
}

void AvroFileWriter::FlushBlock() {
  if (block_count_ == 0) return;
  const std::string compressed = CompressAvroBlock(codec_, block_);
  AvroEncoder enc(&out_);
  enc.WriteLong(block_count_);
  enc.WriteLong(static_cast<int64_t>(compressed.size()));
  out_.append(compressed);
  out_.append(sync_);
  block_.clear();
  block_count_ = 0;
}

std::string AvroFileWriter::Finish() {
  FlushBlock();
  return std::move(out_);
}

AvroFileReader::AvroFileReader(std::string data, std::string name)
    : data_(std::move(data)), name_(std::move(name)) {
  if (data_.size() < sizeof(kMagic) ||
      data_.compare(0, sizeof(kMagic), kMagic, sizeof(kMagic)) != 0) {
    throw Corruption(name_ + ": offset 0: not an Avro object container file (bad magic)");
  }
  AvroDecoder in(data_.data() + sizeof(kMagic), data_.size() - sizeof(kMagic), name_,
                 sizeof(kMagic));
  for (;;) {
    const int64_t count = in.ReadBlockCount();
    if (count == 0) break;
    // Each entry takes at least two bytes (two lengths).
    if (static_cast<uint64_t>(count) > in.remaining() / 2) {
      in.Fail("metadata map claims " + std::to_string(count) + " entries");
    }
    for (int64_t i = 0; i < count; ++i) {
      std::string key = in.ReadBytes();
      metadata_[key] = in.ReadBytes();
    }
  }
  sync_ = in.ReadFixed(kSyncSize);
  pos_ = sizeof(kMagic) + in.position();

  const std::string* schema = Metadata("avro.schema");
  if (schema == nullptr) throw Corruption(name_ + ": header has no avro.schema");
  try {
    schema_ = ParseAvroSchema(*schema);
  } catch (const InvalidArgument& e) {
    throw Corruption(name_ + ": header avro.schema: " + e.what());
  }
  if (const std::string* codec = Metadata("avro.codec")) {
    auto parsed = ParseAvroCodec(*codec);
    if (!parsed) throw NotSupported(name_ + ": unknown Avro codec \"" + *codec + "\"");
    codec_ = *parsed;
  }
}

const std::string* AvroFileReader::Metadata(const std::string& key) const {
  auto it = metadata_.find(key);
  return it == metadata_.end() ? nullptr : &it->second;
}

bool AvroFileReader::LoadBlock() {
  while (pos_ < data_.size()) {
    block_offset_ = pos_;
    AvroDecoder in(data_.data() + pos_, data_.size() - pos_, name_, pos_);
    const int64_t count = in.ReadLong();
    if (count < 0) in.Fail("negative object count " + std::to_string(count));
    const int64_t size = in.ReadLong();
    if (size < 0 || static_cast<uint64_t>(size) > in.remaining()) {
      in.Fail("block size " + std::to_string(size) + " exceeds the " +
              std::to_string(in.remaining()) + " bytes left");
    }
    const size_t data_start = pos_ + in.position();
    const std::string_view raw(data_.data() + data_start, static_cast<size_t>(size));
    in.ReadFixed(static_cast<size_t>(size));
    if (in.ReadFixed(kSyncSize) != sync_) in.Fail("sync marker does not match the header's");
    pos_ += in.position();
    if (codec_ == AvroCodec::kNull) {
      block_.assign(raw);
    } else {
      block_ = DecompressAvroBlock(codec_, raw,
                                   name_ + ": block at offset " + std::to_string(block_offset_));
    }
    const size_t min_size = AvroMinEncodedSize(*schema_);
    if ((min_size > 0 && static_cast<uint64_t>(count) > block_.size() / min_size) ||
        (min_size == 0 && count > kMaxEmptyObjectsPerBlock)) {
      throw Corruption(name_ + ": offset " + std::to_string(block_offset_) + ": block claims " +
                       std::to_string(count) + " objects in " + std::to_string(block_.size()) +
                       " bytes");
    }
    block_left_ = count;
    block_pos_ = 0;
    if (count > 0) return true;
    if (!block_.empty()) {
      throw Corruption(name_ + ": offset " + std::to_string(block_offset_) +
                       ": empty block with data");
    }
  }
  return false;
}

bool AvroFileReader::Next(AvroValue* value) {
  if (block_left_ == 0) {
    if (block_pos_ != block_.size()) {
      throw Corruption(name_ + ": block at offset " + std::to_string(block_offset_) + " has " +
                       std::to_string(block_.size() - block_pos_) + " bytes after its objects");
    }
    if (!LoadBlock()) return false;
  }
  const bool raw = codec_ == AvroCodec::kNull;
  const size_t data_start = pos_ - kSyncSize - block_.size();
  AvroDecoder in(
      block_.data() + block_pos_, block_.size() - block_pos_,
      raw ? name_
          : name_ + ": block at offset " + std::to_string(block_offset_) + " (decompressed)",
      raw ? data_start + block_pos_ : block_pos_);
  *value = DecodeAvroValue(*schema_, in);
  block_pos_ += in.position();
  --block_left_;
  return true;
}

}  // namespace datashard
