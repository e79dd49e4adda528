#include "metadata/file_location.h"

#include "datashard/errors.h"

namespace datashard {

std::string LocalFilePath(const std::string& location, const std::string& what) {
  if (location.rfind("file://localhost/", 0) == 0) return location.substr(16);
  if (location.rfind("file://", 0) == 0) return location.substr(7);
  if (location.rfind("file:", 0) == 0) return location.substr(5);
  if (location.find("://") != std::string::npos) {
    throw NotSupported(what + " " + location + " is not on the local filesystem; datashard reads " +
                       "plain paths and file: URIs only");
  }
  return location;
}

}  // namespace datashard
