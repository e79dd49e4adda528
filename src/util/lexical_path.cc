#include "util/lexical_path.h"

#include <algorithm>
#include <vector>

namespace datashard {

std::string LexicallyNormal(const std::string& path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= path.size()) {
    const size_t j = std::min(path.find('/', i), path.size());
    const std::string part = path.substr(i, j - i);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out;
  for (const std::string& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

std::optional<std::string> PathBelow(const std::string& path, const std::string& folder) {
  if (folder == "/") return path == "/" ? "" : path;
  if (path.compare(0, folder.size(), folder) != 0) return std::nullopt;
  if (path.size() == folder.size()) return "";
  if (path[folder.size()] != '/') return std::nullopt;
  return path.substr(folder.size());
}

std::string ParentPath(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace datashard
