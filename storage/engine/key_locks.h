// Per-key mutual exclusion between fibers, so read-modify-write of one key (a DVV update, a merge
// from read repair, anti-entropy or handoff) is never interleaved with another on the same key.
// Locks are held across suspension points (a group-commit fsync). Only locked keys use memory.
//
// A key is named by a 64-bit hash of it (the caller's: stable, well mixed). Two keys whose hashes
// collide share a lock, which only serialises them: mutual exclusion per key still holds.
#pragma once

#include <cstdint>

#include "absl/container/node_hash_map.h"
#include "net/fiber.h"

namespace kv::storage {

class KeyLocks {
 public:
  class Guard {
   public:
    Guard(Guard&& other) noexcept : locks_(other.locks_), key_(other.key_) {
      other.locks_ = nullptr;
    }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    ~Guard();

    // True if another fiber waits for this key (it runs once the guard is released).
    bool contended() const;

   private:
    friend class KeyLocks;
    Guard(KeyLocks* locks, uint64_t key) : locks_(locks), key_(key) {}
    KeyLocks* locks_;
    uint64_t key_;
  };

  KeyLocks() = default;
  KeyLocks(const KeyLocks&) = delete;
  KeyLocks& operator=(const KeyLocks&) = delete;
  // REQUIRES: no key locked.
  ~KeyLocks();

  // Suspends until `key` is free, then holds it until the guard dies. Waiters get the key in the
  // order they asked. REQUIRES: on a fiber; the fiber does not hold `key` already.
  // Throws FiberCancelled if the fiber is cancelled while waiting.
  Guard Lock(uint64_t key);

  size_t locked() const { return held_.size(); }

 private:
  struct Held {
    WaitList waiters;
    size_t queued = 0;  // fibers waiting for this key
  };
  void Unlock(uint64_t key);

  // Looked up by key, never iterated (order cannot matter); a node map, so a waiter's Held stays
  // put while other keys come and go. One allocation per locked key.
  absl::node_hash_map<uint64_t, Held> held_;
};

}  // namespace kv::storage
