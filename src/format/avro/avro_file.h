// Avro object container files (Avro specification, "Object Container
// Files"): magic "Obj\x01", a metadata map (avro.schema, avro.codec and
// custom keys), a 16-byte random sync marker, then blocks of encoded objects
// each followed by the marker. Both classes work on bytes in memory; callers
// move the bytes through FileIO. Neither class is thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "format/avro/avro_codec.h"
#include "format/avro/avro_schema.h"
#include "format/avro/avro_value.h"

namespace datashard {

/// A schema with the avro.schema text it is written as, printed once for
/// the many files written with it.
struct PrintedAvroSchema {
  explicit PrintedAvroSchema(AvroNodePtr schema);
  AvroNodePtr node;
  std::string json;
};

class AvroFileWriter {
 public:
  /// `metadata` holds custom header keys; keys starting with "avro." are
  /// reserved (InvalidArgument).
  AvroFileWriter(AvroNodePtr schema, AvroCodec codec,
                 std::vector<std::pair<std::string, std::string>> metadata);
  AvroFileWriter(std::shared_ptr<const PrintedAvroSchema> schema, AvroCodec codec,
                 std::vector<std::pair<std::string, std::string>> metadata);

  /// Encodes one object; InvalidArgument if it does not fit the schema (the
  /// file is unchanged then).
  void Append(const AvroValue& value);
  /// Ends the last block and returns the whole file. The writer is spent.
  std::string Finish();

  /// A block is closed once its encoded objects reach this many bytes.
  static constexpr size_t kBlockBytes = 64 * 1024;

 private:
  void FlushBlock();

  std::shared_ptr<const PrintedAvroSchema> schema_;
  AvroCodec codec_;
  std::string sync_;
  std::string out_;
  std::string block_;
  int64_t block_count_ = 0;
};

class AvroFileReader {
 public:
  /// Parses the header of the file held in `data`; `name` names it in
  /// errors. Throws Corruption naming the file and offset when the header is
  /// malformed, NotSupported for an unknown codec.
  AvroFileReader(std::string data, std::string name);

  /// The writer's schema from avro.schema.
  const AvroNodePtr& schema() const { return schema_; }
  AvroCodec codec() const { return codec_; }
  /// Every header key with its raw value, avro.* keys included.
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  /// A header value, or nullptr if the key is absent.
  const std::string* Metadata(const std::string& key) const;

  /// Decodes the next object into `value`; false after the last one. Throws
  /// Corruption naming the file and offset on malformed blocks.
  bool Next(AvroValue* value);

 private:
  bool LoadBlock();

  std::string data_;
  std::string name_;
  AvroNodePtr schema_;
  AvroCodec codec_ = AvroCodec::kNull;
  std::map<std::string, std::string> metadata_;
  std::string sync_;
  size_t pos_ = 0;  // next block in data_

  std::string block_;          // decompressed objects of the current block
  uint64_t block_offset_ = 0;  // file offset of the current block
  int64_t block_left_ = 0;     // objects not yet read from block_
  size_t block_pos_ = 0;
};

}  // namespace datashard
