// Short excerpts of JSON values for error messages. Stateless; thread-safe.
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

namespace datashard {

/// The compact JSON text of `j` (as j.dump()), cut to `max_chars` with "..."
/// at the end when longer. Written without recursion and stops once long
/// enough, so a deeply nested or huge value read from a file cannot exhaust
/// the stack or memory (nlohmann's dump recurses once per level).
std::string JsonExcerpt(const nlohmann::json& j, size_t max_chars = 80);
std::string JsonExcerpt(const nlohmann::ordered_json& j, size_t max_chars = 80);

}  // namespace datashard
