// The ingest log of a table (DESIGN.md §6a): appends commit by adding one
// record here, with group commit and no leader, instead of publishing an
// Iceberg snapshot; checkpoints fold the records into snapshots later.
//
//   <table>/log/<segment, 16 digits>.log   pre-zeroed segments of fixed size
//   <table>/log/header                     shared memory: end, next LSN,
//                                          durable watermark, boot id
//   <table>/log/append.lock                OFD lock held while a record is placed
//
// Positions are byte offsets in the concatenation of all segments. A record
// never spans segments: one that does not fit in the rest of a segment goes
// to the start of the next, after a padding record (or none, when less than
// a record header remains). Record layout, little-endian, 8-byte aligned:
//   u32 length (whole record, padded) | u32 CRC-32C of header and payload after it |
//   u64 LSN | u32 payload length | u32 flags (1 = padding) | payload
// LSNs count records from 1 without gaps, so a stale record left in a
// recycled segment never passes for the next one.
//
// Append: under the lock, place the record at `end` and advance `end`; then,
// without the lock, fdatasync the segments between the durable watermark and
// the `end` read after the write, and raise the watermark to that end. One
// fdatasync thus serves every writer whose record was placed before it.
// Readers never read past the watermark. After a reboot (the header's boot
// id differs) the header is rebuilt by reading from the position the table's
// current snapshot folded: the log ends at the first record whose length,
// CRC or LSN does not check out. Thread-safe; many processes on one machine.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "datashard/file_io.h"

namespace datashard {

/// A place in the log: the byte offset where the record with this LSN is
/// (or will be) written.
struct LogPosition {
  uint64_t offset = 0;
  uint64_t lsn = 1;
  bool operator==(const LogPosition&) const = default;
};

struct LogRecord {
  uint64_t lsn = 0;
  LogPosition next;  // the position right after this record
  std::string payload;
};

class IngestLog {
 public:
  static constexpr uint64_t kDefaultSegmentBytes = 64ull << 20;
  static constexpr size_t kRecordHeaderBytes = 24;

  /// Opens the log in `dir` (created if missing). `folded` tells where the
  /// table's current snapshot stopped folding; it is asked only to rebuild a
  /// stale header. `segment_bytes` must be a multiple of 4096 and is fixed
  /// for the life of the log (the header keeps the one it was made with).
  /// The append lock, held for microseconds by each append, is waited for at
  /// most `lock_wait`: a holder stopped or hung longer fails appends with
  /// LockNotAcquired instead of blocking them forever.
  IngestLog(std::shared_ptr<FileIO> io, std::string dir, uint64_t segment_bytes,
            std::function<LogPosition()> folded,
            std::chrono::milliseconds lock_wait = std::chrono::seconds(10));
  ~IngestLog();

  const std::string& dir() const { return dir_; }
  uint64_t segment_bytes() const { return segment_bytes_; }
  /// The largest payload one record holds.
  size_t max_payload() const { return segment_bytes_ - kRecordHeaderBytes; }

  /// Creates the segment the next append goes to, if missing, so that it
  /// does not wait for a segment to be zeroed (tables make their first one
  /// at creation, as a database pre-allocates its write-ahead log).
  void Preallocate();

  /// Appends one record and returns once it is durable: its LSN and the
  /// position after it. InvalidArgument if the payload exceeds max_payload().
  /// IOError when placing the record fails (it is not in the log);
  /// CommitStateUnknown when making it durable fails (it may survive).
  LogRecord Append(std::string_view payload);

  /// Blocks appends until the returned lock is released, after making every
  /// record placed so far durable (a killed appender's too): a change that
  /// must order after every acknowledged append (DESIGN.md §6a) folds the
  /// log and publishes while it holds this. LockNotAcquired after the lock
  /// wait.
  std::unique_ptr<FileLock> HoldAppends();

  /// Records from `from` up to the durable watermark, in LSN order, and the
  /// position after the last one. NotFound when `from` lies in a segment
  /// that was recycled (the caller's snapshot has been folded further since);
  /// Corruption when a record below the watermark does not check out.
  std::vector<LogRecord> ReadDurable(const LogPosition& from, LogPosition* end = nullptr);

  /// Deletes or renames for reuse every segment wholly before `folded`, which
  /// a durable snapshot has folded; keeps one spare ahead of the end.
  void Recycle(const LogPosition& folded);

  /// Segment files present, by index (for tests and `stats`).
  std::vector<uint64_t> Segments();

 private:
  struct Header;
  Header* header();
  std::string SegmentPath(uint64_t index) const;
  // The writers' handle of segment `index`, created pre-zeroed if missing.
  std::shared_ptr<UpdatableFile> Segment(uint64_t index);
  bool CreateSegment(uint64_t index);
  void EnsureSpare(uint64_t index);
  void EnsureHeader();
  void RebuildHeader();
  bool HeaderValid();
  void SyncRange(uint64_t from, uint64_t to);
  // The append lock, or LockNotAcquired after lock_wait_.
  std::unique_ptr<FileLock> LockAppends();
  // Returns once the watermark covers `record`.
  void MakeDurable(const LogRecord& record);
  // Reads records from `from` while they check out, up to `limit` bytes.
  std::vector<LogRecord> Scan(const LogPosition& from, uint64_t limit, bool stop_quietly,
                              LogPosition* end);

  std::shared_ptr<FileIO> io_;
  std::string dir_;
  uint64_t segment_bytes_;
  std::function<LogPosition()> folded_;
  std::chrono::milliseconds lock_wait_;
  std::shared_ptr<SharedMemory> shared_;  // the header
  std::string boot_id_;
  std::mutex mu_;  // guards segments_
  std::map<uint64_t, std::shared_ptr<UpdatableFile>> segments_;
};

}  // namespace datashard
