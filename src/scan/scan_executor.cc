#include "scan/scan_executor.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "scan/scan_file_reader.h"

namespace datashard {

namespace {

// Batches a worker may queue for one file before it waits for the consumer.
constexpr size_t kQueuedBatchesPerFile = 2;

// A unit of work: part `part` of task `task` (part 0 is the whole file or
// its first slice of row groups). Ordered as the output is.
using UnitKey = std::pair<size_t, int>;

class ScanExecutor final : public ScanReader {
 public:
  explicit ScanExecutor(ScanExecution e) : e_(std::move(e)) {}

  ~ScanExecutor() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      cancel_ = true;
    }
    producer_cv_.notify_all();
    consumer_cv_.notify_all();
    for (std::thread& t : workers_) t.join();
  }

  const Schema& schema() const override { return e_.output_schema; }

  ScanMetrics metrics() const override {
    ScanMetrics m;
    m.manifests_considered = e_.plan.manifests_considered;
    m.manifests_pruned = e_.plan.manifests_pruned;
    m.data_files_considered = e_.plan.data_files_considered;
    m.data_files_pruned = e_.plan.data_files_pruned;
    m.row_groups_considered = counters_.row_groups_considered.load();
    m.row_groups_pruned = counters_.row_groups_pruned.load();
    m.bytes_read = counters_.bytes_read.load();
    m.pages_read = counters_.pages_read.load();
    m.pages_skipped = counters_.pages_skipped.load();
    m.columns_allocated = counters_.columns_allocated.load();
    m.delete_files = e_.plan.delete_files;
    m.rows_deleted = counters_.rows_deleted.load();
    m.rows_returned = rows_returned_ + rows_counted_.load();
    return m;
  }

  bool Next(RecordBatch* batch) override {
    if (!started_) Start();
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      if (error_) std::rethrow_exception(error_);
      if (TakeBatch(batch)) {
        rows_returned_ += static_cast<int64_t>(batch->num_rows());
        lock.unlock();
        producer_cv_.notify_all();
        return true;
      }
      // Parts of a split file get their queues before its first part ends.
      if (next_task_ >= e_.plan.tasks.size() && channels_.empty()) return false;
      consumer_cv_.wait(lock);
    }
  }

 private:
  struct Channel {
    std::deque<RecordBatch> batches;
    bool done = false;
  };

  // The column storage one thread refills, from file to file.
  struct WorkerStorage {
    ReaderStorage reader;
    // Columns read only for the filter or deletes, past the output ones of a
    // batch: they stay with the thread, as output columns come back through
    // spare_.
    std::vector<ColumnVector> not_output;
  };

  void Start() {
    started_ = true;
    const size_t n = std::min(static_cast<size_t>(e_.threads), e_.plan.tasks.size());
    for (size_t i = 0; i < n; ++i) workers_.emplace_back([this] { Work(); });
  }

  // Requires mu_. Moves the next batch into `batch`, dropping drained files.
  bool TakeBatch(RecordBatch* batch) {
    for (auto it = channels_.begin(); it != channels_.end();) {
      Channel& c = it->second;
      if (!c.batches.empty()) {
        // The caller's previous batch goes to the workers to refill, so that
        // a long scan reuses its column storage instead of faulting in new.
        std::swap(*batch, c.batches.front());
        if (!c.batches.front().columns.empty()) {
          spare_.push_back(std::move(c.batches.front().columns));
        }
        c.batches.pop_front();
        return true;
      }
      if (!c.done) {
        if (e_.ordered) return false;  // the next file in order is still being read
        ++it;
        continue;
      }
      it = channels_.erase(it);
      producer_cv_.notify_all();
    }
    return false;
  }

  void Work() {
    WorkerStorage storage;
    for (;;) {
      UnitKey key;
      RowGroupSlice slice;
      bool whole_file = false;
      {
        std::unique_lock<std::mutex> lock(mu_);
        // At most `threads` files have queues, so memory stays bounded even
        // when the consumer waits for an earlier file; parts of a file split
        // among the threads already have theirs.
        producer_cv_.wait(lock, [this] {
          return cancel_ || error_ || !pending_.empty() || next_task_ >= e_.plan.tasks.size() ||
                 channels_.size() < static_cast<size_t>(e_.threads);
        });
        if (cancel_ || error_) return;
        if (!pending_.empty()) {
          // The earliest part first: the consumer may wait for it.
          key = pending_.begin()->first;
          slice = pending_.begin()->second;
          pending_.erase(pending_.begin());
        } else if (next_task_ < e_.plan.tasks.size()) {
          key = UnitKey{next_task_++, 0};
          whole_file = true;
          channels_[key];
        } else {
          return;
        }
      }
      try {
        if (whole_file) slice = Split(key.first);
        ReadFile(key, slice, &storage);
      } catch (...) {
        {
          std::lock_guard<std::mutex> lock(mu_);
          if (!error_) error_ = std::current_exception();
        }
        consumer_cv_.notify_all();
        producer_cv_.notify_all();
        return;
      }
    }
  }

  // For a large file of several row groups when there are threads to share
  // it: queues all but the first slice of its row groups as parts of task
  // `index` and returns the first. Otherwise the whole file.
  RowGroupSlice Split(size_t index) {
    const ScanTask& task = e_.plan.tasks[index];
    if (e_.threads < 2 || task.file.entry.data_file.file_size_in_bytes < e_.split_file_bytes) {
      return {};
    }
    const int groups = ScanFileReader::CountRowGroups(*e_.io, task.file);
    const int parts = std::min(groups, e_.threads);
    if (parts < 2) return {};
    const auto first = [&](int p) { return static_cast<int>(int64_t{groups} * p / parts); };
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (int p = 1; p < parts; ++p) {
        const UnitKey key{index, p};
        channels_[key];
        pending_[key] = RowGroupSlice{first(p), first(p + 1) - first(p)};
      }
    }
    producer_cv_.notify_all();
    return RowGroupSlice{0, first(1)};
  }

  void ReadFile(const UnitKey& key, const RowGroupSlice& slice, WorkerStorage* storage) {
    const ScanTask& task = e_.plan.tasks[key.first];
    std::optional<Expression> filter;
    if (!task.all_rows_match) filter = e_.filter;
    ScanFileReader reader(*e_.io, task.file, e_.metadata.SpecById(task.file.spec_id),
                          e_.read_schema, std::move(filter), e_.batch_size, &counters_,
                          task.deletes, e_.deletes.get(), e_.name_mapping.get(), slice);
    reader.SwapStorage(&storage->reader);
    if (e_.count_only) {
      rows_counted_ += reader.CountRows();
      reader.SwapStorage(&storage->reader);
      MarkDone(key);
      return;
    }
    const size_t outputs = e_.output_schema.fields().size();
    RecordBatch read;
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (read.columns.empty() && !spare_.empty()) {
          read.columns = std::move(spare_.back());
          spare_.pop_back();
        }
      }
      if (!storage->not_output.empty()) {
        read.columns.resize(outputs);
        for (ColumnVector& c : storage->not_output) read.columns.push_back(std::move(c));
        storage->not_output.clear();
      }
      const bool more = reader.Next(&read);
      if (read.columns.size() > outputs) {
        for (size_t c = outputs; c < read.columns.size(); ++c) {
          storage->not_output.push_back(std::move(read.columns[c]));
        }
        read.columns.resize(outputs);
      }
      if (!more) break;
      RecordBatch out;
      out.schema = e_.output_schema;
      out.columns = std::move(read.columns);
      read.columns.clear();
      std::unique_lock<std::mutex> lock(mu_);
      producer_cv_.wait(lock, [&] {
        return cancel_ || error_ || channels_[key].batches.size() < kQueuedBatchesPerFile;
      });
      if (cancel_ || error_) return;
      channels_[key].batches.push_back(std::move(out));
      lock.unlock();
      consumer_cv_.notify_all();
    }
    reader.SwapStorage(&storage->reader);
    if (!read.columns.empty()) {
      std::lock_guard<std::mutex> lock(mu_);
      spare_.push_back(std::move(read.columns));
    }
    MarkDone(key);
  }

  void MarkDone(const UnitKey& key) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      channels_[key].done = true;
    }
    consumer_cv_.notify_all();
  }

  ScanExecution e_;
  ScanCounters counters_;
  int64_t rows_returned_ = 0;             // consumer thread only
  std::atomic<int64_t> rows_counted_{0};  // by the workers of a count_only scan
  bool started_ = false;                  // consumer thread only
  std::vector<std::thread> workers_;

  std::mutex mu_;
  std::condition_variable consumer_cv_;  // a batch was queued, a file finished, or an error
  std::condition_variable producer_cv_;  // a batch was taken, a file dropped, or cancel
  std::map<UnitKey, Channel> channels_;  // GUARDED_BY(mu_), in output order
  // Parts of split files no thread reads yet, with their row groups.
  std::map<UnitKey, RowGroupSlice> pending_;  // GUARDED_BY(mu_)
  // Columns of batches the consumer is done with. Not capped: there are no
  // more than the batches ever in flight at once, which the queues bound,
  // and a set dropped here would be allocated and zero-filled anew.
  std::vector<std::vector<ColumnVector>> spare_;  // GUARDED_BY(mu_)
  size_t next_task_ = 0;                          // GUARDED_BY(mu_)
  bool cancel_ = false;                           // GUARDED_BY(mu_)
  std::exception_ptr error_;                      // GUARDED_BY(mu_)
};

}  // namespace

std::unique_ptr<ScanReader> NewScanExecutor(ScanExecution execution) {
  return std::make_unique<ScanExecutor>(std::move(execution));
}

}  // namespace datashard
