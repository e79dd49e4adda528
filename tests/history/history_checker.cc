#include "history/history_checker.h"

#include <algorithm>
#include <set>

namespace datashard::history {

namespace {

using Visible = std::set<WriteId>;

class Checker {
 public:
  Checker(const std::vector<Operation>& ops, const CheckOptions& options)
      : ops_(ops), options_(options) {}

  CheckResult Run() {
    Index();
    for (const Operation* r : reads_) CheckRead(*r);
    CheckReadChain();
    CheckProcessOrder();
    CheckRealTimeCommitOrder();
    CheckGuardedWrites();
    return std::move(result_);
  }

 private:
  void Report(const std::string& type, const std::string& explanation,
              std::vector<const Operation*> involved) {
    if (++result_.counts[type] > static_cast<int64_t>(options_.examples_per_type)) return;
    Anomaly a{type, explanation, {}};
    for (const Operation* o : involved) a.ops.push_back(*o);
    result_.anomalies.push_back(std::move(a));
  }

  void Index() {
    for (const Operation& o : ops_) {
      if (o.is_write()) {
        writes_[*o.write] = &o;
        if (o.outcome == EventType::kOk) {
          ++result_.writes_ok;
          acked_.push_back(&o);
          if (o.position) ordered_.push_back(&o);
        } else if (o.outcome == EventType::kFail) {
          ++result_.writes_failed;
        } else {
          ++result_.writes_unknown;
        }
      } else if (o.observed && o.outcome == EventType::kOk) {
        reads_.push_back(&o);
        ++result_.reads_ok;
        if (o.final) ++result_.reads_final;
      } else {
        ++result_.other_ops;
      }
    }
    std::stable_sort(ordered_.begin(), ordered_.end(), [](const Operation* a, const Operation* b) {
      return *a->position < *b->position;
    });
  }

  // The write `id` names if it is one a read may legitimately see: invoked,
  // and not failed. Other writes are anomalies of their own (G1a, unexpected).
  const Operation* Legit(const WriteId& id) const {
    const auto it = writes_.find(id);
    if (it == writes_.end() || it->second->outcome == EventType::kFail) return nullptr;
    return it->second;
  }

  const Visible& VisibleOf(const Operation& r) {
    auto [it, fresh] = visible_.try_emplace(r.index);
    if (fresh) {
      for (const auto& [id, seen] : r.observed->writes) {
        if (seen.distinct > 0 && Legit(id)) it->second.insert(id);
      }
    }
    return it->second;
  }

  // A write missing from a read is reported once, under the first name.
  bool Missing(const Operation& r, const Operation& w) {
    return reported_missing_.insert({r.index, w.index}).second;
  }

  void CheckRead(const Operation& r) {
    const Observation& o = *r.observed;
    FinalRows rows;
    rows.checked = true;
    for (const auto& [id, seen] : o.writes) {
      rows.duplicated += seen.total - seen.distinct;
      const auto it = writes_.find(id);
      if (it == writes_.end()) {
        rows.phantom += seen.total;
        Report("unexpected",
               "a read saw " + std::to_string(seen.total) + " rows of write " + id.ToString() +
                   ", which no operation invoked",
               {&r});
        continue;
      }
      const Operation& w = *it->second;
      if (w.outcome == EventType::kFail) {
        rows.phantom += seen.total;
        Report("G1a", "aborted read: a read saw write " + id.ToString() + ", whose commit failed",
               {&r, &w});
      } else if (w.outcome == EventType::kInfo) {
        rows.unknown_landed += seen.total;
      }
      if (seen.distinct > 0 && seen.distinct < w.rows) {
        Report("G1b",
               "intermediate read: a read saw " + std::to_string(seen.distinct) + " of the " +
                   std::to_string(w.rows) + " rows of write " + id.ToString(),
               {&r, &w});
      }
      if (seen.total > seen.distinct || seen.distinct > w.rows) {
        rows.duplicated += std::max<int64_t>(0, seen.distinct - w.rows);
        Report("duplicate",
               "a read saw " + std::to_string(seen.total) + " rows (" +
                   std::to_string(seen.distinct) + " distinct) of write " + id.ToString() +
                   ", which adds " + std::to_string(w.rows),
               {&r, &w});
      }
    }
    if (o.foreign_rows > 0) {
      rows.phantom += o.foreign_rows;
      Report("unexpected",
             "a read saw " + std::to_string(o.foreign_rows) + " rows that name no write", {&r});
    }

    const Visible& visible = VisibleOf(r);
    // A prefix of commit order: nothing acknowledged below the highest
    // position the read shows (or read) is missing.
    const Operation* newest = nullptr;
    std::optional<int64_t> top = r.position;
    std::map<int64_t, const Operation*> visible_at;  // position -> a visible write there
    for (const WriteId& id : visible) {
      const Operation& w = *writes_.at(id);
      if (!w.position) continue;
      visible_at.emplace(*w.position, &w);
      if (!top || *w.position > *top) {
        top = w.position;
        newest = &w;
      }
    }
    // Missing writes by the most specific name first: G0, lost, G-single,
    // G-single-realtime.
    for (const Operation* w : ordered_) {
      if (!top || *w->position > *top) break;
      const auto same = visible_at.find(*w->position);
      if (same == visible_at.end() || visible.count(*w->write)) continue;
      if (Missing(r, *w)) {
        Report("G0",
               "dirty write: writes " + w->write->ToString() + " and " +
                   same->second->write->ToString() + " were both acknowledged at position " +
                   std::to_string(*w->position) + ", and a read saw only the second",
               {&r, w, same->second});
      }
    }
    if (r.final) {
      for (const Operation* w : acked_) {
        if (*w->complete_ns >= r.invoke_ns) continue;
        rows.expected += w->rows;
        const auto seen = o.writes.find(*w->write);
        rows.found += seen == o.writes.end() ? 0 : std::min(seen->second.distinct, w->rows);
        if (!visible.count(*w->write) && Missing(r, *w)) {
          Report("lost", "write " + w->write->ToString() + " was acknowledged but is missing",
                 {&r, w});
        }
      }
      rows.lost = rows.expected - rows.found;
      result_.final_rows = rows;  // reads come in invocation order: the last one stays
    }
    for (const Operation* w : ordered_) {
      if (!top || *w->position > *top) break;
      if (visible.count(*w->write) || !Missing(r, *w)) continue;
      std::vector<const Operation*> involved{&r, w};
      if (newest != nullptr) involved.push_back(newest);
      Report("G-single",
             "read skew: a read " +
                 (newest != nullptr ? "saw write " + newest->write->ToString() + " @" +
                                          std::to_string(*newest->position)
                                    : "of position " + std::to_string(*r.position)) +
                 " but missed write " + w->write->ToString() + " @" + std::to_string(*w->position) +
                 ", earlier in commit order",
             involved);
    }
    if (options_.realtime_reads && !r.final) {
      for (const Operation* w : acked_) {
        if (*w->complete_ns < r.invoke_ns && !visible.count(*w->write) && Missing(r, *w)) {
          Report("G-single-realtime",
                 "stale read: write " + w->write->ToString() +
                     " was acknowledged before a read began that missed it",
                 {&r, w});
        }
      }
    }
  }

  // Every state is a prefix of one commit order, so the states reads saw
  // are ordered by inclusion.
  void CheckReadChain() {
    std::vector<const Operation*> by_size(reads_.begin(), reads_.end());
    std::stable_sort(by_size.begin(), by_size.end(), [&](const Operation* a, const Operation* b) {
      return VisibleOf(*a).size() < VisibleOf(*b).size();
    });
    for (size_t i = 1; i < by_size.size(); ++i) {
      const Operation& a = *by_size[i - 1];
      const Operation& b = *by_size[i];
      const Visible& va = VisibleOf(a);
      const Visible& vb = VisibleOf(b);
      for (const WriteId& id : va) {
        if (vb.count(id)) continue;
        const Operation& w = *writes_.at(id);
        if (!Missing(b, w)) break;
        const auto other =
            std::find_if(vb.begin(), vb.end(), [&](const WriteId& x) { return !va.count(x); });
        std::vector<const Operation*> involved{&a, &b, &w};
        std::string explanation =
            "a read saw write " + id.ToString() + " that a read of at least as many writes missed";
        if (other != vb.end()) {
          involved.push_back(writes_.at(*other));
          explanation = "one read saw write " + id.ToString() + " but not " + other->ToString() +
                        ", another saw " + other->ToString() + " but not " + id.ToString();
        }
        Report("incompatible-order", explanation, involved);
        break;
      }
    }
  }

  // A process's reads never go back: each sees what its previous one saw.
  void CheckProcessOrder() {
    std::map<std::string, std::vector<const Operation*>> by_process;
    for (const Operation* r : reads_) by_process[r->process].push_back(r);
    for (auto& [process, reads] : by_process) {
      std::stable_sort(reads.begin(), reads.end(),
                       [](const Operation* a, const Operation* b) { return a->op < b->op; });
      for (size_t i = 1; i < reads.size(); ++i) {
        const Operation& a = *reads[i - 1];
        const Operation& b = *reads[i];
        if (a.position && b.position && *b.position < *a.position) {
          Report("G-single-process",
                 "non-monotonic read: process " + process + " read position " +
                     std::to_string(*b.position) + " after " + std::to_string(*a.position),
                 {&a, &b});
        }
        const Visible& vb = VisibleOf(b);
        for (const WriteId& id : VisibleOf(a)) {
          if (vb.count(id)) continue;
          const Operation& w = *writes_.at(id);
          if (Missing(b, w)) {
            Report("G-single-process",
                   "non-monotonic read: process " + process + " saw write " + id.ToString() +
                       ", then a later read of it missed the write",
                   {&a, &b, &w});
          }
        }
      }
    }
  }

  // A write acknowledged before another was invoked is ordered before it.
  void CheckRealTimeCommitOrder() {
    const Operation* earliest_later = nullptr;  // least ok time among higher positions
    size_t i = ordered_.size();
    while (i > 0) {
      size_t j = i;
      const int64_t position = *ordered_[i - 1]->position;
      while (j > 0 && *ordered_[j - 1]->position == position) --j;
      for (size_t k = j; k < i; ++k) {
        const Operation& w = *ordered_[k];
        if (earliest_later != nullptr && *earliest_later->complete_ns < w.invoke_ns) {
          Report("G0-realtime",
                 "write " + earliest_later->write->ToString() + " was acknowledged at position " +
                     std::to_string(*earliest_later->position) + " before write " +
                     w.write->ToString() + " began, which committed earlier, at position " +
                     std::to_string(position),
                 {earliest_later, &w});
        }
      }
      for (size_t k = j; k < i; ++k) {
        if (earliest_later == nullptr || *ordered_[k]->complete_ns < *earliest_later->complete_ns) {
          earliest_later = ordered_[k];
        }
      }
      i = j;
    }
  }

  // A guarded write commits only if nothing in its scope committed after its
  // base.
  void CheckGuardedWrites() {
    for (const Operation* w : ordered_) {
      if (!w->base) continue;
      if (*w->base >= *w->position) {
        Report("G1c",
               "cyclic information flow: write " + w->write->ToString() +
                   " committed at position " + std::to_string(*w->position) +
                   " but read the state at position " + std::to_string(*w->base),
               {w});
        continue;
      }
      for (const Operation* other : ordered_) {
        if (*other->position >= *w->position) break;
        if (*other->position <= *w->base || other == w) continue;
        if (!w->scope.empty() && !other->scope.empty() && w->scope != other->scope) continue;
        Report("lost-update",
               "write " + w->write->ToString() + " guarded the state at position " +
                   std::to_string(*w->base) + " and committed at " + std::to_string(*w->position) +
                   " although write " + other->write->ToString() + " committed in its scope at " +
                   std::to_string(*other->position),
               {other, w});
      }
    }
  }

  const std::vector<Operation>& ops_;
  const CheckOptions& options_;
  CheckResult result_;
  std::map<WriteId, const Operation*> writes_;
  std::vector<const Operation*> acked_;    // acknowledged writes, by invocation
  std::vector<const Operation*> ordered_;  // acknowledged writes with a position, by position
  std::vector<const Operation*> reads_;    // ok reads, by invocation
  std::map<size_t, Visible> visible_;
  std::set<std::pair<size_t, size_t>> reported_missing_;  // (read, write) indices
};

}  // namespace

std::string Anomaly::ToString() const {
  std::string s = type + ": " + explanation + " [";
  for (size_t i = 0; i < ops.size(); ++i) s += (i ? "; " : "") + ops[i].Describe();
  return s + "]";
}

int64_t CheckResult::anomaly_count() const {
  int64_t n = 0;
  for (const auto& [type, count] : counts) n += count;
  return n;
}

CheckResult Check(const std::vector<Operation>& operations, const CheckOptions& options) {
  return Checker(operations, options).Run();
}

}  // namespace datashard::history
