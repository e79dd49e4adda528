// For tests that a decoder refuses a claimed size before allocating it:
// runs the decoding in a forked child whose address space is limited, so an
// allocation the size of the claim fails there instead of succeeding here.
#pragma once

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <functional>
#include <new>

#include "datashard/errors.h"

namespace datashard {

/// How `decode`, run in a child limited to `bytes` of address space, ended:
/// 0 Corruption, 1 std::bad_alloc, 2 no error, 3 the child did not exit.
/// Not under AddressSanitizer (see util/sanitizers.h).
inline int DecodeUnderAddressLimit(size_t bytes, const std::function<void()>& decode) {
  const pid_t pid = fork();
  if (pid == 0) {
    const rlimit limit{bytes, bytes};
    setrlimit(RLIMIT_AS, &limit);
    try {
      decode();
    } catch (const Corruption&) {
      _exit(0);
    } catch (const std::bad_alloc&) {
      _exit(1);
    }
    _exit(2);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 3;
}

}  // namespace datashard
