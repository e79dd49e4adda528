#include "log/ingest_log.h"

#include <atomic>
#include <cstddef>
#include <cstring>

#include "datashard/errors.h"
#include "io/lock_signal.h"
#include "util/crc32c.h"
#include "util/uuid.h"

namespace datashard {

namespace {

constexpr uint64_t kMagic = 0x3147484C47534444ull;  // "DDSGLHG1"
constexpr uint32_t kPadding = 1;
constexpr size_t kHeaderFileBytes = 4096;
constexpr size_t kZeroChunk = 1 << 20;
// The longest sleep of a writer waiting for the append lock: the delay a
// release that woke no one (its holder was killed) costs.
constexpr std::chrono::milliseconds kMaxLockSleep(2);

uint64_t Align8(uint64_t n) { return (n + 7) & ~uint64_t{7}; }

void Put32(char* p, uint32_t v) { std::memcpy(p, &v, 4); }
void Put64(char* p, uint64_t v) { std::memcpy(p, &v, 8); }
uint32_t Get32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
uint64_t Get64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// A record's header and payload, zero-padded to a multiple of 8 bytes; a
// padding record (which spans `length` bytes) is only its header. The CRC
// covers the header after it and the payload.
std::string EncodeRecord(uint64_t lsn, std::string_view payload, uint32_t flags, uint64_t length) {
  const size_t hb = IngestLog::kRecordHeaderBytes;
  std::string r((flags & kPadding) ? hb : length, '\0');
  Put32(r.data(), static_cast<uint32_t>(length));
  Put64(r.data() + 8, lsn);
  Put32(r.data() + 16, static_cast<uint32_t>(payload.size()));
  Put32(r.data() + 20, flags);
  if (!payload.empty()) std::memcpy(r.data() + hb, payload.data(), payload.size());
  Put32(r.data() + 4, Crc32c(r.data() + 8, hb - 8 + payload.size()));
  return r;
}

// The futex class of the writers waiting for the `n`th sync of the log to
// end (counted by the header's durable_events): 32 classes in turn.
uint32_t SyncClass(uint32_t n) { return uint32_t{1} << (n % 32); }

std::string SegmentName(uint64_t index) {
  std::string digits = std::to_string(index);
  return std::string(16 - std::min<size_t>(16, digits.size()), '0') + digits + ".log";
}

}  // namespace

// Lives in the shared header file; fields other than the atomics are written
// only under the append lock while `valid` is 0.
struct IngestLog::Header {
  uint64_t magic;
  uint64_t segment_bytes;
  char boot_id[64];
  uint64_t valid;  // atomic: 1 once the fields below describe this boot's log
  uint64_t end;    // atomic: where the next record goes
  uint64_t next_lsn;
  uint64_t durable;         // atomic: the watermark offset
  uint64_t syncing;         // atomic: the end offset an fdatasync in flight will make durable
  uint32_t durable_events;  // atomic: bumped when `durable` rises (a futex word)
  uint32_t sleepers;        // atomic: writers asleep on durable_events (or killed there)
  // The append lock's LockSignal, kept across header rebuilds: a writer may
  // sleep on it during one.
  uint32_t append_releases;  // atomic: bumped when the append lock is released (a futex word)
  uint32_t append_sleepers;  // atomic: writers asleep on append_releases (or killed there)
};

IngestLog::IngestLog(std::shared_ptr<FileIO> io, std::string dir, uint64_t segment_bytes,
                     std::function<LogPosition()> folded, std::chrono::milliseconds lock_wait)
    : io_(std::move(io)),
      dir_(std::move(dir)),
      segment_bytes_(segment_bytes),
      folded_(std::move(folded)),
      lock_wait_(lock_wait) {
  if (segment_bytes_ < 4096 || segment_bytes_ % 4096 != 0 || segment_bytes_ > (1ull << 32)) {
    throw InvalidArgument(
        "ingest log segment size must be a multiple of 4096 between 4 KiB and 4 GiB, not " +
        std::to_string(segment_bytes_));
  }
  // Checked on the table folder, before the log folder is made in it.
  const std::string parent = dir_.substr(0, dir_.find_last_of('/'));
  if (io_->IsNetworkFilesystem(parent.empty() ? "/" : parent)) {
    throw NotSupported("the ingest log " + dir_ +
                       " needs a local filesystem: its header is shared memory and its appends "
                       "are ordered by a lock of this machine, which other machines sharing a "
                       "network filesystem do not see; commit without it (table property "
                       "datashard.ingest-log.enabled=false)");
  }
  io_->CreateDirs(dir_);
  shared_ = io_->MapShared(dir_ + "/header", kHeaderFileBytes);
  boot_id_ = io_->BootId().substr(0, sizeof(Header::boot_id) - 1);
}

IngestLog::~IngestLog() = default;

IngestLog::Header* IngestLog::header() { return reinterpret_cast<Header*>(shared_->data()); }

std::string IngestLog::SegmentPath(uint64_t index) const { return dir_ + "/" + SegmentName(index); }

bool IngestLog::HeaderValid() {
  Header* h = header();
  return std::atomic_ref<uint64_t>(h->valid).load(std::memory_order_acquire) == 1 &&
         h->magic == kMagic && std::strncmp(h->boot_id, boot_id_.c_str(), sizeof h->boot_id) == 0;
}

std::unique_ptr<FileLock> IngestLog::LockAppends() {
  // The lock is held for one write: a release wakes one sleeper, the others
  // sleep on until theirs.
  const LockSignal signal(shared_, offsetof(Header, append_releases),
                          offsetof(Header, append_sleepers), kMaxLockSleep);
  std::unique_ptr<FileLock> lock =
      signal.Lock(*io_, dir_ + "/append.lock", lock_wait_, /*wake_all=*/false);
  if (!lock) {
    throw LockNotAcquired("the append lock of the ingest log " + dir_ + " was held for more than " +
                          std::to_string(lock_wait_.count()) +
                          " ms (by a stopped or hung process?): nothing was appended; retry, or "
                          "raise table property datashard.ingest-log.lock-wait-ms");
  }
  return lock;
}

void IngestLog::EnsureHeader() {
  if (HeaderValid()) return;
  std::unique_ptr<FileLock> lock = LockAppends();
  if (!HeaderValid()) RebuildHeader();
}

// REQUIRES: the append lock is held.
void IngestLog::RebuildHeader() {
  Header* h = header();
  std::atomic_ref<uint64_t>(h->valid).store(0, std::memory_order_release);
  // A header made on this boot keeps its segment size; otherwise ours holds.
  const LogPosition folded = folded_();
  LogPosition end;
  Scan(folded, UINT64_MAX, /*stop_quietly=*/true, &end);
  h->magic = kMagic;
  h->segment_bytes = segment_bytes_;
  std::memset(h->boot_id, 0, sizeof h->boot_id);
  std::memcpy(h->boot_id, boot_id_.data(), boot_id_.size());
  // What a rebuild reads is on disk already: it is durable.
  std::atomic_ref<uint64_t>(h->end).store(end.offset, std::memory_order_relaxed);
  h->next_lsn = end.lsn;
  std::atomic_ref<uint64_t>(h->durable).store(end.offset, std::memory_order_relaxed);
  std::atomic_ref<uint64_t>(h->syncing).store(end.offset, std::memory_order_relaxed);
  // Nobody sleeps on a header not valid in this boot; a count left by a
  // writer killed asleep before the reboot would only cost wakeups.
  std::atomic_ref<uint32_t>(h->sleepers).store(0, std::memory_order_relaxed);
  std::atomic_ref<uint64_t>(h->valid).store(1, std::memory_order_release);
}

bool IngestLog::CreateSegment(uint64_t index) {
  const std::string path = SegmentPath(index);
  if (io_->Exists(path)) return false;
  const std::string tmp = path + ".tmp-" + Uuid::Random().ToString();
  try {
    std::unique_ptr<WritableFile> f = io_->Create(tmp);
    const std::string zeros(kZeroChunk, '\0');
    for (uint64_t done = 0; done < segment_bytes_; done += kZeroChunk) {
      f->Append(zeros.data(),
                static_cast<size_t>(std::min<uint64_t>(kZeroChunk, segment_bytes_ - done)));
    }
    f->Sync();
    f->Close();
    const bool made = io_->LinkIfAbsent(tmp, path);
    io_->Delete(tmp);
    io_->SyncDir(dir_);
    return made;
  } catch (...) {
    try {
      if (io_->Exists(tmp)) io_->Delete(tmp);
    } catch (...) {
      // Best effort: a leftover temporary segment is only disk space.
    }
    throw;
  }
}

std::shared_ptr<UpdatableFile> IngestLog::Segment(uint64_t index) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = segments_.find(index);
    if (it != segments_.end()) return it->second;
  }
  CreateSegment(index);
  std::shared_ptr<UpdatableFile> f = io_->OpenForUpdate(SegmentPath(index));
  if (f->Size() != segment_bytes_) {
    throw Corruption("ingest log segment " + f->path() + " has " + std::to_string(f->Size()) +
                     " bytes, expected " + std::to_string(segment_bytes_));
  }
  std::lock_guard<std::mutex> lock(mu_);
  return segments_.emplace(index, std::move(f)).first->second;
}

void IngestLog::EnsureSpare(uint64_t index) {
  try {
    CreateSegment(index);
  } catch (const Error&) {
    // The append that needs it creates it then, under the lock.
  }
}

void IngestLog::Preallocate() {
  EnsureHeader();
  CreateSegment(std::atomic_ref<uint64_t>(header()->end).load(std::memory_order_acquire) /
                segment_bytes_);
}

LogRecord IngestLog::Append(std::string_view payload) {
  if (payload.size() > max_payload()) {
    throw InvalidArgument("ingest log record of " + std::to_string(payload.size()) +
                          " bytes exceeds the segment's limit of " + std::to_string(max_payload()) +
                          " bytes in " + dir_);
  }
  const uint64_t length = Align8(kRecordHeaderBytes + payload.size());
  const uint64_t s = segment_bytes_;
  EnsureHeader();
  Header* h = header();
  std::atomic_ref<uint64_t> end_ref(h->end);
  LogRecord out;
  uint64_t start;
  bool new_segment = false;
  {
    std::unique_ptr<FileLock> lock = LockAppends();
    if (!HeaderValid()) RebuildHeader();
    start = end_ref.load(std::memory_order_relaxed);
    const uint64_t lsn = h->next_lsn;
    const uint64_t room = s - start % s;
    if (room < length) {
      if (room >= kRecordHeaderBytes) {
        const std::string pad = EncodeRecord(lsn, {}, kPadding, room);
        Segment(start / s)->WriteAt(start % s, pad.data(), pad.size());
      }
      start += room;
      new_segment = true;
    }
    const std::string record = EncodeRecord(lsn, payload, 0, length);
    Segment(start / s)->WriteAt(start % s, record.data(), record.size());
    h->next_lsn = lsn + 1;
    end_ref.store(start + length, std::memory_order_release);
    out.lsn = lsn;
    out.next = {start + length, lsn + 1};
  }
  // The next segment is made ready once this one is half full, outside the
  // lock, so that no append waits for a segment to be zeroed.
  const uint64_t half = s / 2;
  if (new_segment || (start % s < half && (start + length - 1) % s >= half)) {
    EnsureSpare(start / s + 1);
  }
  MakeDurable(out);
  return out;
}

std::unique_ptr<FileLock> IngestLog::HoldAppends() {
  EnsureHeader();
  std::unique_ptr<FileLock> lock = LockAppends();
  if (!HeaderValid()) RebuildHeader();
  Header* h = header();
  LogRecord placed;
  placed.next = {std::atomic_ref<uint64_t>(h->end).load(std::memory_order_acquire), h->next_lsn};
  placed.lsn = placed.next.lsn - 1;
  MakeDurable(placed);
  return lock;
}

// Group commit: one fdatasync at a time. A writer that finds one in flight
// waits for it on a futex; when it ends, it wakes the writers it covered and
// one waiter whose record it did not, who starts the next for everything
// placed meanwhile, so one device flush serves every writer that arrived
// during the previous one. A syncer that died or failed delays the others
// by the wait's timeout only: then they sync themselves.
void IngestLog::MakeDurable(const LogRecord& record) {
  Header* h = header();
  std::atomic_ref<uint64_t> durable(h->durable);
  std::atomic_ref<uint64_t> syncing(h->syncing);
  std::atomic_ref<uint32_t> events(h->durable_events);
  std::atomic_ref<uint32_t> sleepers(h->sleepers);
  const size_t events_offset = offsetof(Header, durable_events);
  const uint64_t mine = record.next.offset;
  constexpr int64_t kWaitUs = 20000;
  bool gave_up_waiting = false;
  for (;;) {
    const uint32_t seen = events.load(std::memory_order_acquire);
    uint64_t d = durable.load(std::memory_order_acquire);
    if (d >= mine) return;
    uint64_t in_flight = syncing.load(std::memory_order_acquire);
    if (in_flight > d && !gave_up_waiting) {
      // Counted before the futex compares `seen` (both sequentially
      // consistent): a syncer either sees the count or bumped the word first.
      // The wait is for the sync in flight when it covers this record, else
      // for the one after it: that sync's end wakes only its own waiters.
      const uint32_t needed = seen + (in_flight >= mine ? 1 : 2);
      sleepers.fetch_add(1);
      shared_->WaitInClass(events_offset, seen, kWaitUs, SyncClass(needed));
      sleepers.fetch_sub(1);
      gave_up_waiting = events.load(std::memory_order_acquire) == seen;
      continue;
    }
    const uint64_t e = std::atomic_ref<uint64_t>(h->end).load(std::memory_order_acquire);
    if (in_flight < e &&
        !syncing.compare_exchange_strong(in_flight, e, std::memory_order_acq_rel) &&
        !gave_up_waiting) {
      continue;  // another writer started a sync just now: wait for it
    }
    try {
      SyncRange(d, e);
    } catch (const IOError& err) {
      // Placed but maybe not durable: a later writer's sync may still cover it.
      throw CommitStateUnknown("ingest log record LSN " + std::to_string(record.lsn) + " in " +
                               dir_ + " was written but not made durable (" + err.what() +
                               "): it may or may not survive");
    }
    while (d < e && !durable.compare_exchange_weak(d, e, std::memory_order_acq_rel)) {
    }
    const uint32_t ended = events.fetch_add(1) + 1;
    // A lone writer wakes no one: the futex calls are system calls saved.
    if (sleepers.load() != 0) {
      // Those whose records this sync covered, and one writer whose record
      // it did not, to start the next sync: the others of that class sleep
      // on until it ends, instead of waking now to find they must wait.
      shared_->WakeClass(events_offset, SyncClass(ended), /*all=*/true);
      shared_->WakeClass(events_offset, SyncClass(ended + 1), /*all=*/false);
    }
    return;
  }
}

void IngestLog::SyncRange(uint64_t from, uint64_t to) {
  if (to <= from) return;
  for (uint64_t seg = from / segment_bytes_; seg <= (to - 1) / segment_bytes_; ++seg) {
    Segment(seg)->SyncData();
  }
}

std::vector<LogRecord> IngestLog::ReadDurable(const LogPosition& from, LogPosition* end) {
  EnsureHeader();
  const uint64_t d = std::atomic_ref<uint64_t>(header()->durable).load(std::memory_order_acquire);
  return Scan(from, d, /*stop_quietly=*/false, end);
}

std::vector<LogRecord> IngestLog::Scan(const LogPosition& from, uint64_t limit, bool stop_quietly,
                                       LogPosition* end) {
  const uint64_t s = segment_bytes_;
  std::vector<LogRecord> out;
  LogPosition pos = from;
  std::string buf;  // bytes of segment `loaded` from in-segment offset `base`
  uint64_t loaded = UINT64_MAX;
  uint64_t base = 0;
  const auto fail = [&](const std::string& why) {
    throw Corruption("ingest log " + dir_ + ": " + why + " at offset " +
                     std::to_string(pos.offset) + " (LSN " + std::to_string(pos.lsn) +
                     "), below the durable watermark " + std::to_string(limit));
  };
  while (pos.offset < limit) {
    const uint64_t seg = pos.offset / s;
    const uint64_t off = pos.offset % s;
    if (s - off < kRecordHeaderBytes) {
      pos.offset += s - off;
      continue;
    }
    if (seg != loaded) {
      // One read per segment: from here to the limit or the segment's end.
      const std::string path = SegmentPath(seg);
      std::unique_ptr<RandomAccessFile> f;
      try {
        f = io_->OpenRead(path);
      } catch (const NotFound&) {
        if (stop_quietly) break;
        throw NotFound("ingest log segment " + path + " holding LSN " + std::to_string(pos.lsn) +
                       " was recycled: a newer snapshot has folded it");
      }
      const uint64_t stop = std::min<uint64_t>(s, limit - seg * s);
      if (f->Size() < stop) {
        if (stop_quietly) break;
        fail("segment " + path + " is shorter than the log");
      }
      buf.resize(stop - off);
      f->ReadAt(off, buf.size(), buf.data());
      loaded = seg;
      base = off;
    }
    const char* p = buf.data() + (off - base);
    const uint64_t available = buf.size() - (off - base);
    const uint32_t length = available >= 4 ? Get32(p) : 0;
    if (available < kRecordHeaderBytes || length < kRecordHeaderBytes || length % 8 != 0 ||
        length > s - off) {
      if (stop_quietly) break;
      fail("a record header does not check out");
    }
    const uint32_t payload = Get32(p + 16);
    const uint32_t flags = Get32(p + 20);
    const bool padding = (flags & kPadding) != 0;
    if (padding ? payload != 0 : (payload > length - kRecordHeaderBytes || length > available)) {
      if (stop_quietly) break;
      fail("a record's length does not check out");
    }
    if (Get64(p + 8) != pos.lsn ||
        Get32(p + 4) != Crc32c(p + 8, kRecordHeaderBytes - 8 + payload)) {
      if (stop_quietly) break;
      // A segment renamed for reuse while we read it holds other LSNs.
      if (Get64(p + 8) != pos.lsn && !io_->Exists(SegmentPath(seg))) {
        throw NotFound("ingest log segment " + SegmentPath(seg) + " was recycled while read");
      }
      fail("a record's LSN or CRC does not check out");
    }
    if (padding) {
      pos.offset = (seg + 1) * s;
      continue;
    }
    LogRecord r;
    r.lsn = pos.lsn;
    r.payload.assign(p + kRecordHeaderBytes, payload);
    pos.offset += length;
    ++pos.lsn;
    r.next = pos;
    out.push_back(std::move(r));
  }
  if (end != nullptr) *end = pos;
  return out;
}

void IngestLog::Recycle(const LogPosition& folded) {
  const uint64_t bound = folded.offset / segment_bytes_;
  std::vector<uint64_t> old;
  uint64_t last = bound;
  for (uint64_t index : Segments()) {
    if (index < bound) old.push_back(index);
    last = std::max(last, index);
  }
  if (old.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (uint64_t index : old) segments_.erase(index);
  }
  // Reuse the first as the spare after the newest segment: its blocks are
  // allocated already, and its stale records carry LSNs no reader expects.
  bool reused = false;
  for (uint64_t index : old) {
    if (!reused && !io_->Exists(SegmentPath(last + 1))) {
      io_->Rename(SegmentPath(index), SegmentPath(last + 1));
      reused = true;
    } else {
      io_->Delete(SegmentPath(index));
    }
  }
  io_->SyncDir(dir_);
}

std::vector<uint64_t> IngestLog::Segments() {
  std::vector<uint64_t> out;
  for (const FileInfo& f : io_->List(dir_)) {
    if (f.name.size() != 20 || f.name.compare(16, 4, ".log") != 0) continue;
    if (f.name.find_first_not_of("0123456789") != 16) continue;
    out.push_back(std::stoull(f.name.substr(0, 16)));
  }
  return out;
}

}  // namespace datashard
