#include "commit/fencing_tokens.h"

#include <charconv>

#include "datashard/errors.h"
#include "datashard/fencing.h"

namespace datashard {
namespace {

// The token stored for `resource` in `m`; 0 when none.
uint64_t StoredToken(const TableMetadata& m, const std::string& resource,
                     const std::string& table) {
  const std::string key = FencingPropertyKey(resource);
  const auto it = m.properties.find(key);
  if (it == m.properties.end()) return 0;
  uint64_t value = 0;
  const char* end = it->second.data() + it->second.size();
  const auto [ptr, ec] = std::from_chars(it->second.data(), end, value);
  if (ec != std::errc() || ptr != end || it->second.empty()) {
    throw Corruption("table property " + key + " of " + table + " is '" + it->second +
                     "', not a fencing token (an unsigned integer)");
  }
  return value;
}

}  // namespace

std::string FencingPropertyKey(const std::string& resource) {
  return "datashard.fencing." + resource;
}

void ValidateFencingTokens(const std::map<std::string, uint64_t>& tokens,
                           const std::string& table) {
  for (const auto& [resource, token] : tokens) {
    if (resource.empty())
      throw InvalidArgument("fencing token " + std::to_string(token) + " for a commit to " + table +
                            " names no lock resource");
  }
}

void CheckFencingTokens(const TableMetadata& current, const std::map<std::string, uint64_t>& tokens,
                        const std::string& table) {
  for (const auto& [resource, token] : tokens) {
    try {
      CheckFencingToken(resource, token, StoredToken(current, resource, table));
    } catch (const StaleFencingToken& e) {
      throw StaleFencingToken("commit to " + table + ": " + e.what());
    }
  }
}

void RecordFencingTokens(TableMetadata& next, const std::map<std::string, uint64_t>& tokens) {
  for (const auto& [resource, token] : tokens) {
    // Checked against the same base just before: never lowers a token.
    next.properties[FencingPropertyKey(resource)] = std::to_string(token);
  }
}

}  // namespace datashard
