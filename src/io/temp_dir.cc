#include "io/temp_dir.h"

#include <stdlib.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <vector>

#include "io/io_error.h"

namespace datashard {

TempDir::TempDir(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string base = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  std::string pattern = base + "/" + prefix + "-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) ThrowIoError("create temporary directory", pattern, errno);
  // Canonical, so callers may compare it with resolved paths (e.g. a root).
  std::error_code ec;
  const std::filesystem::path canonical = std::filesystem::canonical(buf.data(), ec);
  path_ = ec ? std::string(buf.data()) : canonical.string();
}

TempDir::~TempDir() {
  std::error_code ignored;  // best effort: a destructor must not throw
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace datashard
