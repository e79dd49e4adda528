#include "datashard/fencing.h"

#include "datashard/errors.h"

namespace datashard {

void CheckFencingToken(const std::string& resource, uint64_t token, uint64_t highest_seen) {
  if (token < highest_seen) {
    throw StaleFencingToken("write to '" + resource + "' refused: fencing token " +
                            std::to_string(token) + " is older than token " +
                            std::to_string(highest_seen) +
                            " already accepted (the writer's lease expired and the lock moved on)");
  }
}

}  // namespace datashard
