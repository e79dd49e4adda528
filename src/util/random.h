// Random numbers for names and ids (uuids, snapshot ids, backoff jitter).
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>

namespace datashard {

/// A source of uniformly distributed 64-bit values. Tests inject a seeded one
/// so that jittered delays and generated ids are reproducible.
using RandomSource = std::function<uint64_t()>;

/// 64 bits from the kernel (getrandom(2)), read 32 values at a time per
/// thread; a forked child discards what its parent had read ahead, so it
/// never repeats its parent's values.
uint64_t SystemRandom64();

/// A deterministic source (std::mt19937_64 seeded with `seed`) for tests.
RandomSource SeededRandom(uint64_t seed);

}  // namespace datashard
