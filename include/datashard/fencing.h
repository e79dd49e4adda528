// Fencing: the resource side of a lock's fencing token (DESIGN.md §7). A lease
// can expire while its holder is paused; the holder's late write must then be
// refused by the resource itself. A guarded resource remembers the highest
// token it has accepted and refuses older ones with StaleFencingToken.
// A table commit checks the tokens it is given in the table's own metadata
// (TransactionOptions::fencing_tokens); only a check stored with the data,
// inside the write that lands, is fencing.
#pragma once

#include <cstdint>
#include <string>

namespace datashard {

/// Accepts `token` for a write to `resource` if it is at least `highest_seen`
/// (equal: the same holder writing again); StaleFencingToken otherwise, naming
/// the resource and both tokens. For resources that persist their own highest
/// token (a file header, a database row) next to the data they protect.
void CheckFencingToken(const std::string& resource, uint64_t token, uint64_t highest_seen);

}  // namespace datashard
