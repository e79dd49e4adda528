// Exponential backoff with full jitter (the AWS architecture blog's "full
// jitter": sleep a uniform random time in [0, min(cap, base * 2^retry))), used
// by commit retries and lock waits. Thread-compatible.
#pragma once

#include <chrono>
#include <cstdint>

#include "util/clock.h"
#include "util/random.h"

namespace datashard {

struct RetryPolicy {
  /// Attempts in total, the first one included; 1 means never retry.
  int max_attempts = 10;
  /// Upper bound of the first retry's delay; doubles with every retry.
  std::chrono::microseconds base{1000};
  /// No delay is ever longer than this.
  std::chrono::microseconds cap{1000000};

  /// Upper bound of the delay before retry number `retry` (1 = first retry):
  /// min(cap, base * 2^(retry-1)), without overflow for any retry.
  std::chrono::microseconds MaxDelay(int retry) const;
};

/// Tracks the attempts of one operation under a RetryPolicy.
///   Backoff b(policy);
///   for (;;) { try { Op(); break; } catch (const Retryable&) {
///       if (!b.CanRetry()) throw; clock.SleepFor(b.NextDelay()); } }
class Backoff {
 public:
  /// `random` defaults to the kernel's random source.
  explicit Backoff(RetryPolicy policy, RandomSource random = SystemRandom64);

  /// True while another attempt is allowed after the ones made so far.
  bool CanRetry() const { return attempts_ < policy_.max_attempts; }
  /// Counts one more attempt and returns how long to wait before it: uniform
  /// in [0, MaxDelay(retry)] at microsecond resolution.
  std::chrono::microseconds NextDelay();
  /// Retries granted so far (NextDelay calls).
  int retries() const { return attempts_ - 1; }
  const RetryPolicy& policy() const { return policy_; }

 private:
  RetryPolicy policy_;
  RandomSource random_;
  int attempts_ = 1;  // the first attempt needs no permission
};

}  // namespace datashard
