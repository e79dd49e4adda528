// Maps an errno of a file operation to datashard's error kinds (DESIGN.md §8):
// ENOENT -> NotFound, EEXIST -> AlreadyExists, anything else -> IOError. The
// message names the operation, the path and the system's text for the errno.
#pragma once

#include <string>
#include <string_view>

namespace datashard {

[[noreturn]] void ThrowIoError(std::string_view op, const std::string& path, int err);

}  // namespace datashard
