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

void FencingGuard::Admit(const std::string& resource, uint64_t token) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t& highest = highest_[resource];
  CheckFencingToken(resource, token, highest);
  highest = token;
}

uint64_t FencingGuard::highest(const std::string& resource) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = highest_.find(resource);
  return it == highest_.end() ? 0 : it->second;
}

}  // namespace datashard
