// A map kept as one vector of (key, value) pairs sorted by key: the subset of absl::btree_map's
// interface that Context (context.h) uses. A causal context has a handful of entries (one per
// coordinator of the key, pruned), which it builds from an already sorted version vector, so one
// allocation and a binary search beat a btree's nodes; insertion in the middle is O(size).
//
// Iteration is in increasing key order, like btree_map. Unlike btree_map, the key of an element
// can be written through an iterator (do not), and any insertion or erase invalidates iterators.
#pragma once

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

#include "net/assert.h"

namespace kv::storage {

template <typename Key, typename Value>
class SortedVectorMap {
 public:
  using value_type = std::pair<Key, Value>;
  using iterator = typename std::vector<value_type>::iterator;
  using const_iterator = typename std::vector<value_type>::const_iterator;

  iterator begin() { return items_.begin(); }
  iterator end() { return items_.end(); }
  const_iterator begin() const { return items_.begin(); }
  const_iterator end() const { return items_.end(); }
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  void reserve(size_t n) { items_.reserve(n); }

  iterator find(const Key& key) {
    auto it = LowerBound(key);
    return it != items_.end() && it->first == key ? it : items_.end();
  }
  const_iterator find(const Key& key) const {
    auto it = LowerBound(key);
    return it != items_.end() && it->first == key ? it : items_.end();
  }
  bool contains(const Key& key) const { return find(key) != end(); }
  // REQUIRES: contains(key).
  Value& at(const Key& key) {
    auto it = find(key);
    KV_ASSERT_MSG(it != end(), "SortedVectorMap::at: no such key");
    return it->second;
  }
  const Value& at(const Key& key) const {
    auto it = find(key);
    KV_ASSERT_MSG(it != end(), "SortedVectorMap::at: no such key");
    return it->second;
  }

  // Inserts (key, value) unless `key` is present; returns the element and whether it inserted.
  template <typename V>
  std::pair<iterator, bool> emplace(const Key& key, V&& value) {
    auto it = LowerBound(key);
    if (it != items_.end() && it->first == key) return {it, false};
    // Appending in key order (building from a sorted source) is the common, cheap case.
    return {items_.emplace(it, key, std::forward<V>(value)), true};
  }
  Value& operator[](const Key& key) { return emplace(key, Value()).first->second; }
  // Returns the number of elements erased (0 or 1).
  size_t erase(const Key& key) {
    auto it = find(key);
    if (it == items_.end()) return 0;
    items_.erase(it);
    return 1;
  }

  friend bool operator==(const SortedVectorMap&, const SortedVectorMap&) = default;

 private:
  iterator LowerBound(const Key& key) {
    return std::lower_bound(items_.begin(), items_.end(), key,
                            [](const value_type& item, const Key& k) { return item.first < k; });
  }
  const_iterator LowerBound(const Key& key) const {
    return std::lower_bound(items_.begin(), items_.end(), key,
                            [](const value_type& item, const Key& k) { return item.first < k; });
  }

  std::vector<value_type> items_;  // strictly increasing keys
};

}  // namespace kv::storage
