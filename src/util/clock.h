// Time as an injectable dependency: logic asks a Clock, so tests of leases,
// retention and backoff run on a ManualClock without real sleeps.
// Both implementations are safe to use from many threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

namespace datashard {

class Clock {
 public:
  virtual ~Clock() = default;
  /// Wall-clock time in microseconds since the Unix epoch.
  virtual int64_t NowMicros() = 0;
  /// A clock that never goes backwards, for measuring intervals and deadlines.
  virtual int64_t MonotonicMicros() = 0;
  /// Blocks the caller for `d` (a ManualClock advances itself instead).
  virtual void SleepFor(std::chrono::microseconds d) = 0;

  int64_t NowMillis() { return NowMicros() / 1000; }
};

/// `ms` as a duration for a wait or deadline, clamped to [0, 2^40 ms] (about
/// 35 years) so that a huge configured value cannot overflow in nanoseconds.
inline std::chrono::milliseconds BoundedMillis(int64_t ms) {
  return std::chrono::milliseconds(ms < 0 ? 0 : ms > (int64_t{1} << 40) ? int64_t{1} << 40 : ms);
}

/// The operating system's clocks (system_clock, steady_clock).
class RealClock final : public Clock {
 public:
  int64_t NowMicros() override;
  int64_t MonotonicMicros() override;
  void SleepFor(std::chrono::microseconds d) override;
};

/// A process-wide RealClock.
std::shared_ptr<Clock> DefaultClock();

/// A clock that moves only when told to. SleepFor advances it by the duration
/// and returns at once; both readings move together.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_micros = 0) : now_(start_micros) {}
  int64_t NowMicros() override { return now_.load(); }
  int64_t MonotonicMicros() override { return now_.load(); }
  void SleepFor(std::chrono::microseconds d) override {
    slept_.fetch_add(d.count());
    Advance(d);
  }

  void Advance(std::chrono::microseconds d) { now_.fetch_add(d.count()); }
  void SetMicros(int64_t micros) { now_.store(micros); }
  /// Total time callers asked to sleep (tests check backoff this way).
  int64_t slept_micros() const { return slept_.load(); }

 private:
  std::atomic<int64_t> now_;
  std::atomic<int64_t> slept_{0};
};

}  // namespace datashard
