// An Iceberg snapshot: the state of a table after one commit (spec
// "Snapshots"). Value type; thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace datashard {

/// Summary key under which every datashard commit records its unique commit
/// id, so that a writer whose commit outcome is unknown can find out whether
/// it landed (DESIGN.md §4, §8).
inline constexpr const char* kCommitIdSummaryKey = "datashard.commit-id";
/// Retries the commit needed before it published (a string, like every
/// summary value).
inline constexpr const char* kCommitRetriesSummaryKey = "datashard.commit-retries";
/// Running totals over the table's whole history (they survive retention):
/// number of datashard commits, of their retries, and of commits that gave up
/// with CommitConflict (reported by the same process's next commit).
inline constexpr const char* kTotalCommitsSummaryKey = "datashard.total-commits";
inline constexpr const char* kTotalRetriesSummaryKey = "datashard.total-retries";
inline constexpr const char* kTotalConflictsSummaryKey = "datashard.total-conflicts";
/// On tables with an ingest log (DESIGN.md §6a): the log position up to which
/// the snapshot holds the log's records (byte offset, and the LSN of the
/// first record not folded). Every later snapshot carries them on.
inline constexpr const char* kLogFoldedOffsetSummaryKey = "datashard.log.folded-offset";
inline constexpr const char* kLogFoldedLsnSummaryKey = "datashard.log.folded-lsn";

struct Snapshot {
  int64_t snapshot_id = 0;
  std::optional<int64_t> parent_snapshot_id;
  int64_t sequence_number = 0;
  int64_t timestamp_ms = 0;
  std::string manifest_list;  // absolute location of the manifest list
  /// Iceberg summary: "operation" plus metrics such as added-records,
  /// total-records, added-data-files... All values are strings.
  std::map<std::string, std::string> summary;
  std::optional<int> schema_id;

  /// summary["operation"] ("append", "overwrite", ...), empty if absent.
  std::string operation() const;
  /// A numeric summary value, or `fallback` when absent or not a number.
  int64_t SummaryLong(const std::string& key, int64_t fallback = 0) const;

  bool operator==(const Snapshot&) const = default;
};

/// The snapshots a table keeps, oldest first. A snapshot never changes once
/// in a list, so copies of the list (and the metadata versions a reader loads
/// one after another) share the snapshots they have in common instead of
/// copying a hundred summaries each time, and the metadata writer reuses the
/// text it made of each. Read like a vector; changed only by appending,
/// clearing, Replace() and Keep().
class SnapshotList {
 public:
  class const_iterator {
   public:
    using iterator_category = std::bidirectional_iterator_tag;
    using value_type = Snapshot;
    using difference_type = std::ptrdiff_t;
    using pointer = const Snapshot*;
    using reference = const Snapshot&;

    const_iterator() = default;
    explicit const_iterator(std::vector<std::shared_ptr<const Snapshot>>::const_iterator at)
        : at_(at) {}
    reference operator*() const { return **at_; }
    pointer operator->() const { return at_->get(); }
    const_iterator& operator++() {
      ++at_;
      return *this;
    }
    const_iterator operator++(int) { return const_iterator(at_++); }
    const_iterator& operator--() {
      --at_;
      return *this;
    }
    const_iterator operator--(int) { return const_iterator(at_--); }
    bool operator==(const const_iterator&) const = default;

   private:
    std::vector<std::shared_ptr<const Snapshot>>::const_iterator at_;
  };

  SnapshotList() = default;
  SnapshotList(std::initializer_list<Snapshot> snapshots);

  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  const Snapshot& operator[](size_t i) const { return *items_[i]; }
  const Snapshot& front() const { return *items_.front(); }
  const Snapshot& back() const { return *items_.back(); }
  const_iterator begin() const { return const_iterator(items_.begin()); }
  const_iterator end() const { return const_iterator(items_.end()); }
  /// Snapshot i, shared with the lists it came from.
  const std::shared_ptr<const Snapshot>& shared(size_t i) const { return items_[i]; }

  void reserve(size_t n) { items_.reserve(n); }
  void clear() { items_.clear(); }
  void push_back(Snapshot snapshot);
  /// `snapshot` must not change from then on, whoever else holds it.
  void push_back(std::shared_ptr<const Snapshot> snapshot);
  /// Puts `snapshot` in place of snapshot i (other lists keep theirs).
  void Replace(size_t i, Snapshot snapshot);
  /// Keeps the snapshots `keep` accepts, in order; returns the others.
  template <typename Predicate>
  std::vector<std::shared_ptr<const Snapshot>> Keep(Predicate keep) {
    std::vector<std::shared_ptr<const Snapshot>> kept, dropped;
    for (std::shared_ptr<const Snapshot>& s : items_)
      (keep(*s) ? kept : dropped).push_back(std::move(s));
    items_ = std::move(kept);
    return dropped;
  }

  /// Equal snapshots in the same order.
  bool operator==(const SnapshotList& other) const;

 private:
  std::vector<std::shared_ptr<const Snapshot>> items_;
};

}  // namespace datashard
