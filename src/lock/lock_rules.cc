#include "lock/lock_rules.h"

#include <algorithm>
#include <map>
#include <set>

#include "datashard/errors.h"

namespace datashard::lock {
namespace {

// The offset of the first byte that is not part of well-formed UTF-8 (no
// overlong forms, no surrogates, nothing above U+10FFFF); npos if none.
size_t InvalidUtf8At(const std::string& text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xbf;  // range of the second byte
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else {
      return i;
    }
    if (i + len > n || p[i + 1] < lo || p[i + 1] > hi) return i;
    for (size_t k = 2; k < len; ++k) {
      if (p[i + k] < 0x80 || p[i + k] > 0xbf) return i;
    }
    i += len;
  }
  return std::string::npos;
}

void ValidateUtf8(const std::string& text, const char* what) {
  const size_t at = InvalidUtf8At(text);
  if (at != std::string::npos) {
    throw InvalidArgument(std::string(what) + " is not valid UTF-8 (byte " + std::to_string(at) +
                          " of " + std::to_string(text.size()) + ")");
  }
}

}  // namespace

void ValidateResource(const std::string& resource) {
  if (resource.empty() || resource.size() > 1024) {
    throw InvalidArgument("lock resource must be 1 to 1024 bytes, got " +
                          std::to_string(resource.size()) + " bytes");
  }
  if (resource.front() == '/' || resource.back() == '/' ||
      resource.find("//") != std::string::npos) {
    throw InvalidArgument("lock resource '" + resource +
                          "' has an empty path segment (leading, trailing or double '/')");
  }
  for (unsigned char c : resource) {
    if (c < 0x20 || c == 0x7f) {
      throw InvalidArgument("lock resource '" + resource + "' contains a control character");
    }
  }
  ValidateUtf8(resource, "lock resource");
}

void ValidateOwner(const std::string& owner) {
  if (owner.empty() || owner.size() > 256) {
    throw InvalidArgument("lock owner must be 1 to 256 bytes, got " + std::to_string(owner.size()) +
                          " bytes");
  }
  for (unsigned char c : owner) {
    if (c < 0x20 || c == 0x7f) {
      throw InvalidArgument("lock owner '" + owner + "' contains a control character");
    }
  }
  ValidateUtf8(owner, "lock owner");
}

void ValidateDurations(std::chrono::milliseconds ttl, std::chrono::milliseconds wait) {
  if (ttl.count() <= 0) {
    throw InvalidArgument("lock lease ttl must be positive, got " + std::to_string(ttl.count()) +
                          "ms");
  }
  if (ttl > kMaxLockDuration) {
    throw InvalidArgument("lock lease ttl must be at most " +
                          std::to_string(kMaxLockDuration.count() / 3600000) + "h, got " +
                          std::to_string(ttl.count()) + "ms");
  }
  if (wait.count() < 0) {
    throw InvalidArgument("lock wait must not be negative, got " + std::to_string(wait.count()) +
                          "ms");
  }
}

bool CanonicalLess(const std::string& a, const std::string& b) {
  // Byte order with '/' below every other byte is the order of the segment
  // lists: no segment contains '/', and control characters are refused.
  auto key = [](char c) { return c == '/' ? 0 : static_cast<unsigned char>(c); };
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [&](char x, char y) { return key(x) < key(y); });
}

std::vector<std::string> Ancestors(const std::string& resource) {
  std::vector<std::string> out;
  for (size_t pos = resource.find('/'); pos != std::string::npos;
       pos = resource.find('/', pos + 1)) {
    out.push_back(resource.substr(0, pos));
  }
  return out;
}

namespace {

bool IsBelow(const std::string& child, const std::string& parent) {
  return child.size() > parent.size() && child.compare(0, parent.size(), parent) == 0 &&
         child[parent.size()] == '/';
}

bool HoldsRelated(const GrantRequest& request, const std::vector<Lease>& leases) {
  return std::any_of(leases.begin(), leases.end(), [&](const Lease& l) {
    return l.owner == request.owner && Related(l.resource, request.resource);
  });
}

template <typename Fn>
void ForEachBlocker(const GrantRequest& request, std::optional<int64_t> my_ticket,
                    const std::vector<Lease>& leases, const std::vector<Waiter>& waiters, Fn&& fn) {
  for (const Lease& l : leases) {
    if (l.owner != request.owner && Related(l.resource, request.resource) &&
        ModesConflict(l.mode, request.mode)) {
      fn(l.owner, std::string(LockModeName(l.mode)) + " on " + l.resource);
    }
  }
  if (HoldsRelated(request, leases)) return;
  for (const Waiter& w : waiters) {
    if (w.owner != request.owner && Related(w.resource, request.resource) &&
        ModesConflict(w.mode, request.mode) && (!my_ticket || w.ticket < *my_ticket)) {
      fn(w.owner, std::string("queued earlier for ") + LockModeName(w.mode) + " on " + w.resource);
    }
  }
}

}  // namespace

bool Related(const std::string& a, const std::string& b) {
  return a == b || IsBelow(a, b) || IsBelow(b, a);
}

bool ModesConflict(LockMode a, LockMode b) {
  return a == LockMode::kExclusive || b == LockMode::kExclusive;
}

std::vector<std::string> Blockers(const GrantRequest& request, std::optional<int64_t> my_ticket,
                                  const std::vector<Lease>& leases,
                                  const std::vector<Waiter>& waiters) {
  std::vector<std::string> out;
  ForEachBlocker(request, my_ticket, leases, waiters,
                 [&](const std::string& owner, const std::string& what) {
                   out.push_back("'" + owner + "' (" + what + ")");
                 });
  return out;
}

bool NextInLine(const GrantRequest& request, std::optional<int64_t> my_ticket,
                const std::vector<Lease>& leases, const std::vector<Waiter>& waiters) {
  bool next = true;
  std::vector<Lease> own;
  for (const Lease& l : leases) {
    if (l.owner == request.owner) own.push_back(l);
  }
  ForEachBlocker(request, my_ticket, own, waiters,
                 [&](const std::string&, const std::string&) { next = false; });
  return next;
}

std::vector<std::string> BlockingOwners(const GrantRequest& request,
                                        std::optional<int64_t> my_ticket,
                                        const std::vector<Lease>& leases,
                                        const std::vector<Waiter>& waiters) {
  std::set<std::string> owners;
  ForEachBlocker(request, my_ticket, leases, waiters,
                 [&](const std::string& owner, const std::string&) { owners.insert(owner); });
  return {owners.begin(), owners.end()};
}

std::optional<Deadlock> FindDeadlock(const LockSnapshot& snapshot, const std::string& owner) {
  std::map<std::string, std::set<std::string>> edges;    // waiter -> blockers
  std::map<std::string, std::set<std::string>> reverse;  // blocker -> waiters
  std::map<std::string, int64_t> youngest_ticket;
  for (const Waiter& w : snapshot.waiters) {
    GrantRequest request{w.resource, w.owner, w.mode};
    for (const std::string& b :
         BlockingOwners(request, w.ticket, snapshot.leases, snapshot.waiters)) {
      edges[w.owner].insert(b);
      reverse[b].insert(w.owner);
    }
    auto& t = youngest_ticket[w.owner];
    t = std::max(t, w.ticket);
  }
  auto reach = [&](const std::map<std::string, std::set<std::string>>& graph) {
    std::set<std::string> seen;
    std::vector<std::string> todo{owner};
    while (!todo.empty()) {
      std::string n = todo.back();
      todo.pop_back();
      auto it = graph.find(n);
      if (it == graph.end()) continue;
      for (const std::string& m : it->second) {
        if (seen.insert(m).second) todo.push_back(m);
      }
    }
    return seen;
  };
  std::set<std::string> forward = reach(edges);
  if (!forward.count(owner)) return std::nullopt;  // no path back to itself
  std::set<std::string> backward = reach(reverse);
  Deadlock d;
  int64_t best = -1;
  for (const std::string& n : forward) {
    if (!backward.count(n)) continue;
    d.owners.push_back(n);
    if (youngest_ticket[n] > best) {
      best = youngest_ticket[n];
      d.victim = n;
    }
  }
  return d;
}

std::string JoinBlockers(const std::vector<std::string>& blockers) {
  std::string out;
  for (const std::string& b : blockers) {
    if (!out.empty()) out += ", ";
    out += b;
  }
  return out;
}

void SortLeases(std::vector<Lease>& leases) {
  std::sort(leases.begin(), leases.end(), [](const Lease& a, const Lease& b) {
    return a.resource != b.resource ? a.resource < b.resource : a.owner < b.owner;
  });
}

}  // namespace datashard::lock
