#include "io/io_error.h"

#include <cerrno>
#include <cstring>

#include "datashard/errors.h"

namespace datashard {

void ThrowIoError(std::string_view op, const std::string& path, int err) {
  const std::string message = std::string(op) + " '" + path + "': " + std::strerror(err);
  if (err == ENOENT) throw NotFound(message);
  if (err == EEXIST) throw AlreadyExists(message);
  throw IOError(message);
}

}  // namespace datashard
