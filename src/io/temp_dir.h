// A fresh, uniquely named directory under $TMPDIR (or /tmp), removed with
// everything in it by the destructor. For tests and scratch work of tools.
#pragma once

#include <string>

namespace datashard {

class TempDir {
 public:
  /// Creates the directory; throws IOError if it cannot.
  explicit TempDir(const std::string& prefix = "datashard");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  /// Absolute path of the directory, without a trailing slash.
  const std::string& path() const { return path_; }
  /// path() + "/" + name.
  std::string Join(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace datashard
