// The rules every lock backend applies, in one place: resource paths and
// their hierarchy, which requests conflict, who may be granted in what order,
// and which waiter of a wait-for cycle is the victim.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lock/lock_backend.h"

namespace datashard::lock {

/// InvalidArgument unless `resource` is a non-empty '/'-separated path with no
/// empty segment and no control character, valid UTF-8, at most 1024 bytes.
void ValidateResource(const std::string& resource);
/// InvalidArgument unless `owner` is non-empty, printable, valid UTF-8, at most 256 bytes.
void ValidateOwner(const std::string& owner);
/// InvalidArgument unless 0 < ttl <= kMaxLockDuration and wait >= 0.
void ValidateDurations(std::chrono::milliseconds ttl, std::chrono::milliseconds wait);

/// The canonical order of AcquireAll: by path segments, a parent before its
/// children ("a/b" < "a/b/c" < "a/b-"), so a caller never holds a later
/// resource while waiting for an ancestor of it.
bool CanonicalLess(const std::string& a, const std::string& b);

/// The proper ancestors of a path, outermost first: "a/b/c" -> {"a", "a/b"}.
std::vector<std::string> Ancestors(const std::string& resource);
/// True if the paths are equal or one lies below the other.
bool Related(const std::string& a, const std::string& b);
/// True unless both modes are shared.
bool ModesConflict(LockMode a, LockMode b);

/// Who blocks `request` (owner names with what they hold or wait for), given
/// the live leases and waits on related resources. A request is blocked by a
/// conflicting lease of another owner, and, for fairness, by a conflicting
/// wait of another owner that queued earlier than `my_ticket` (or at all, if
/// the request has no ticket) — unless the requester already holds a lease
/// on a related resource, which could otherwise deadlock with its own queue.
std::vector<std::string> Blockers(const GrantRequest& request, std::optional<int64_t> my_ticket,
                                  const std::vector<Lease>& leases,
                                  const std::vector<Waiter>& waiters);

/// True if no earlier waiter blocks `request` (only leases may): the
/// request is next in line and polls more often than those behind it.
bool NextInLine(const GrantRequest& request, std::optional<int64_t> my_ticket,
                const std::vector<Lease>& leases, const std::vector<Waiter>& waiters);

/// The same blockers as owner ids only (the edges of the wait-for graph).
std::vector<std::string> BlockingOwners(const GrantRequest& request,
                                        std::optional<int64_t> my_ticket,
                                        const std::vector<Lease>& leases,
                                        const std::vector<Waiter>& waiters);

/// A deadlock `owner` takes part in: the owners of its cycle (strongly
/// connected component of the wait-for graph) and the victim, the youngest
/// waiter (highest ticket) among them. Every member computes the same victim.
struct Deadlock {
  std::vector<std::string> owners;
  std::string victim;
};
std::optional<Deadlock> FindDeadlock(const LockSnapshot& snapshot, const std::string& owner);

/// Joins blocker descriptions for a message ("a (exclusive on x), b (...)").
std::string JoinBlockers(const std::vector<std::string>& blockers);

/// Sorts leases by resource then owner.
void SortLeases(std::vector<Lease>& leases);

}  // namespace datashard::lock
