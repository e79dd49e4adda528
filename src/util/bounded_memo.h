// A process-wide memo of immutable values by text key, for results that are
// costly to build and asked for again and again with a handful of keys (the
// Avro schemas of a table's manifests). When full it starts over rather than
// tracking use: the keys in play are few. Thread-safe; `make` runs without
// the lock, so two threads may both build a value, and the first stored wins.
#pragma once

#include <cstddef>
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
    if (values_.size() >= capacity_) values_.clear();
    return values_.emplace(std::move(key), std::move(value)).first->second;
  }

 private:
  const size_t capacity_;
  std::mutex mu_;
  std::unordered_map<std::string, Value> values_;
};

}  // namespace datashard
