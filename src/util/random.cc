#include "util/random.h"

#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <random>
#include <string>

#include "datashard/errors.h"

namespace datashard {

uint64_t SystemRandom64() {
  uint64_t value = 0;
  char* out = reinterpret_cast<char*>(&value);
  size_t got = 0;
  while (got < sizeof(value)) {
    const ssize_t n = getrandom(out + got, sizeof(value) - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw IOError(std::string("getrandom: ") + std::strerror(errno));
    }
    got += static_cast<size_t>(n);
  }
  return value;
}

RandomSource SeededRandom(uint64_t seed) {
  auto engine = std::make_shared<std::mt19937_64>(seed);
  return [engine] { return (*engine)(); };
}

}  // namespace datashard
