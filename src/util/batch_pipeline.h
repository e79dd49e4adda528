// Two-stage pipeline over batches: one thread fills the next batch while the
// calling thread consumes the one before, so that parsing input and encoding
// output overlap instead of taking turns.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace datashard {

/// Calls `produce(&batch)` on a thread of its own until it returns false, and
/// `consume(batch)` on the calling thread for each batch it filled, in order.
/// At most `depth` filled batches wait; their storage is handed back to the
/// producer once consumed, so a producer that refills a batch in place
/// reuses it. An exception from either side stops both: batches still
/// waiting are dropped, the producer is joined (so a consumer's error waits
/// for the batch being filled, e.g. for a slow input to deliver it), and the
/// exception is rethrown on the calling thread.
template <typename Batch>
void PipelineBatches(const std::function<bool(Batch*)>& produce,
                     const std::function<void(Batch&)>& consume, size_t depth = 2) {
  std::mutex mu;
  std::condition_variable changed;
  std::deque<Batch> filled;
  std::vector<Batch> spare;
  bool done = false;     // the producer returned false or threw
  bool stopped = false;  // the consumer threw: the producer must end
  std::exception_ptr produce_error;

  std::thread producer([&] {
    try {
      for (;;) {
        Batch batch;
        {
          std::unique_lock<std::mutex> lock(mu);
          changed.wait(lock, [&] { return stopped || filled.size() < depth; });
          if (stopped) break;
          if (!spare.empty()) {
            batch = std::move(spare.back());
            spare.pop_back();
          }
        }
        const bool more = produce(&batch);
        std::lock_guard<std::mutex> lock(mu);
        if (!more || stopped) break;
        filled.push_back(std::move(batch));
        changed.notify_all();
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu);
      produce_error = std::current_exception();
    }
    std::lock_guard<std::mutex> lock(mu);
    done = true;
    changed.notify_all();
  });

  try {
    for (;;) {
      Batch batch;
      {
        std::unique_lock<std::mutex> lock(mu);
        changed.wait(lock, [&] { return done || !filled.empty(); });
        // Done with everything filled consumed, or the producer failed.
        if (filled.empty() || produce_error) break;
        batch = std::move(filled.front());
        filled.pop_front();
        changed.notify_all();
      }
      consume(batch);
      std::lock_guard<std::mutex> lock(mu);
      spare.push_back(std::move(batch));
    }
  } catch (...) {
    {
      std::lock_guard<std::mutex> lock(mu);
      stopped = true;
      changed.notify_all();
    }
    producer.join();
    throw;
  }
  producer.join();
  if (produce_error) std::rethrow_exception(produce_error);
}

}  // namespace datashard
