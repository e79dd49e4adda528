// In-memory RandomAccessFile and WritableFile for the codec's unit tests, so
// they run without a filesystem and can corrupt bytes at will.
#pragma once

#include <atomic>
#include <cstring>
#include <memory>
#include <string>

#include "datashard/errors.h"
#include "datashard/file_io.h"

namespace datashard::parquet {

class MemoryReadFile final : public RandomAccessFile {
 public:
  MemoryReadFile(std::string path, std::string data)
      : RandomAccessFile(std::move(path)), data_(std::move(data)) {}
  uint64_t Size() const override { return data_.size(); }
  void ReadAt(uint64_t offset, size_t n, char* buf) const override {
    if (offset > data_.size() || n > data_.size() - offset) {
      throw IOError(path() + ": short read of " + std::to_string(n) + " bytes at " +
                    std::to_string(offset));
    }
    if (n != 0) std::memcpy(buf, data_.data() + offset, n);  // buf may be null then
    bytes_read_ += n;
  }
  /// Bytes ReadAt returned so far.
  uint64_t bytes_read() const { return bytes_read_; }

 private:
  std::string data_;
  mutable std::atomic<uint64_t> bytes_read_{0};
};

/// Appends to a string owned by the caller, which must outlive the file.
class MemoryWriteFile final : public WritableFile {
 public:
  MemoryWriteFile(std::string path, std::string* out) : WritableFile(std::move(path)), out_(out) {}
  using WritableFile::Append;
  void Append(const char* data, size_t n) override { out_->append(data, n); }
  void Sync() override { ++syncs; }
  void Close() override { closed = true; }
  uint64_t Size() const override { return out_->size(); }
  int syncs = 0;
  bool closed = false;

 private:
  std::string* out_;
};

}  // namespace datashard::parquet
