// A memo of immutable values by text key, for results that are costly to
// build and asked for again and again with a handful of keys (the Avro
// schemas of a table's manifests, the manifest lists a table's commits read
// and write). When full it drops the entry stored first rather than
// tracking use: the keys in play are few. Thread-safe; `make` runs without
// the lock, so two threads may both build a value, and the first stored wins.
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

namespace datashard {

template <typename Value>
class BoundedMemo {
 public:
  explicit BoundedMemo(size_t capacity) : capacity_(capacity) {}

  template <typename Make>
  Value Get(std::string key, Make make) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (const auto it = values_.find(key); it != values_.end()) return it->second;
    }
    Value value = make();
    std::lock_guard<std::mutex> lock(mu_);
    return Store(std::move(key), std::move(value));
  }

  /// Stores `value` for `key` unless one is stored already.
  void Put(std::string key, Value value) {
    std::lock_guard<std::mutex> lock(mu_);
    Store(std::move(key), std::move(value));
  }

 private:
  // REQUIRES: mu_ is held.
  const Value& Store(std::string key, Value value) {
    if (const auto it = values_.find(key); it != values_.end()) return it->second;
    if (values_.size() >= capacity_ && !order_.empty()) {
      values_.erase(order_.front());
      order_.pop_front();
    }
    order_.push_back(key);
    return values_.emplace(std::move(key), std::move(value)).first->second;
  }

  const size_t capacity_;
  std::mutex mu_;
  std::unordered_map<std::string, Value> values_;
  std::deque<std::string> order_;  // keys of values_, first stored first
};

}  // namespace datashard
