#include "util/random.h"

#include <pthread.h>
#include <sys/random.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <random>
#include <string>

#include "datashard/errors.h"

namespace datashard {

namespace {

void FillFromKernel(char* out, size_t size) {
  size_t got = 0;
  while (got < size) {
    const ssize_t n = getrandom(out + got, size - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw IOError(std::string("getrandom: ") + std::strerror(errno));
    }
    got += static_cast<size_t>(n);
  }
}

// Bumped in a forked child, which must not hand out the values its parent
// buffered.
std::atomic<uint64_t> fork_generation{1};

void CountFork() { fork_generation.fetch_add(1, std::memory_order_relaxed); }

}  // namespace

uint64_t SystemRandom64() {
  static const bool registered = [] { return pthread_atfork(nullptr, nullptr, CountFork) == 0; }();
  // One getrandom(2) per 32 values: a commit takes several (ids, names), and
  // each system call costs microseconds on a virtual machine.
  constexpr size_t kBuffered = 32;
  thread_local uint64_t buffer[kBuffered];
  thread_local size_t next = kBuffered;
  thread_local uint64_t generation = 0;
  if (!registered) {
    uint64_t value = 0;
    FillFromKernel(reinterpret_cast<char*>(&value), sizeof value);
    return value;
  }
  const uint64_t now = fork_generation.load(std::memory_order_relaxed);
  if (generation != now || next == kBuffered) {
    FillFromKernel(reinterpret_cast<char*>(buffer), sizeof buffer);
    generation = now;
    next = 0;
  }
  return buffer[next++];
}

RandomSource SeededRandom(uint64_t seed) {
  auto engine = std::make_shared<std::mt19937_64>(seed);
  return [engine] { return (*engine)(); };
}

}  // namespace datashard
