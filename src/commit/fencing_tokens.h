// Fencing at the commit point (DESIGN.md §7): the highest fencing token a
// table accepted per lock resource lives in its metadata, as table property
// datashard.fencing.<resource> (a decimal uint64). A commit carrying tokens
// is checked against the metadata it builds on and records its tokens in
// the metadata it publishes, so the check and the raise are one
// put-if-absent: a writer whose lease expired can never land after its
// successor, whatever the order its commits reach the table. Stateless.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "datashard/table_metadata.h"

namespace datashard {

/// "datashard.fencing." + resource.
std::string FencingPropertyKey(const std::string& resource);

/// InvalidArgument for an empty resource name, naming the table.
void ValidateFencingTokens(const std::map<std::string, uint64_t>& tokens, const std::string& table);

/// StaleFencingToken naming the table, resource and both tokens when
/// `current` holds a higher token for one of `tokens`' resources, or for an
/// ancestor or descendant of one (a lock covers what lies below it) for
/// which `tokens` holds no token at least as high. Corruption when a stored
/// token is not a number.
void CheckFencingTokens(const TableMetadata& current, const std::map<std::string, uint64_t>& tokens,
                        const std::string& table);

/// Records `tokens` in `next` (each resource's property raised to its token).
void RecordFencingTokens(TableMetadata& next, const std::map<std::string, uint64_t>& tokens);

}  // namespace datashard
