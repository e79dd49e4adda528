#include "util/backoff.h"

#include <algorithm>
#include <utility>

namespace datashard {

std::chrono::microseconds RetryPolicy::MaxDelay(int retry) const {
  if (retry < 1 || base.count() <= 0 || cap.count() <= 0) return std::chrono::microseconds(0);
  int64_t delay = base.count();
  for (int i = 1; i < retry && delay < cap.count(); ++i) {
    delay = delay > cap.count() / 2 ? cap.count() : delay * 2;
  }
  return std::chrono::microseconds(std::min(delay, cap.count()));
}

Backoff::Backoff(RetryPolicy policy, RandomSource random)
    : policy_(policy), random_(std::move(random)) {}

std::chrono::microseconds Backoff::NextDelay() {
  ++attempts_;
  const int64_t bound = policy_.MaxDelay(attempts_ - 1).count();
  if (bound <= 0) return std::chrono::microseconds(0);
  return std::chrono::microseconds(
      static_cast<int64_t>(random_() % (static_cast<uint64_t>(bound) + 1)));
}

}  // namespace datashard
