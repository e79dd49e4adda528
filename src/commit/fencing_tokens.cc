#include "commit/fencing_tokens.h"

#include <charconv>
#include <string_view>

#include "datashard/errors.h"
#include "datashard/fencing.h"
#include "lock/lock_rules.h"

namespace datashard {
namespace {

constexpr std::string_view kPrefix = "datashard.fencing.";

// The value of fencing property `key`.
uint64_t StoredToken(const std::string& key, const std::string& text, const std::string& table) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) {
    throw Corruption("table property " + key + " of " + table + " is '" + text +
                     "', not a fencing token (an unsigned integer)");
  }
  return value;
}

}  // namespace

std::string FencingPropertyKey(const std::string& resource) {
  return std::string(kPrefix) + resource;
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
  // A lock covers the resources below it, so a token stored for an ancestor
  // or a descendant (granted after this one's lease ended) fences it too,
  // unless this commit carries a token at least as new for that resource.
  const auto from = current.properties.lower_bound(std::string(kPrefix));
  for (auto it = from; it != current.properties.end() && it->first.starts_with(kPrefix); ++it) {
    const std::string stored_resource = it->first.substr(kPrefix.size());
    const uint64_t stored = StoredToken(it->first, it->second, table);
    const auto own = tokens.find(stored_resource);
    if (own != tokens.end() && own->second >= stored) continue;
    for (const auto& [resource, token] : tokens) {
      if (!lock::Related(resource, stored_resource)) continue;
      try {
        CheckFencingToken(resource, token, stored);
      } catch (const StaleFencingToken& e) {
        throw StaleFencingToken(
            "commit to " + table + ": " + e.what() +
            (stored_resource == resource
                 ? std::string()
                 : " (for '" + stored_resource + "', which '" + resource + "' " +
                       (resource.size() < stored_resource.size() ? "covers" : "lies below") + ")"));
      }
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
