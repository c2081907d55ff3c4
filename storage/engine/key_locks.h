// Per-key mutual exclusion between fibers, so read-modify-write of one key (a DVV update, a merge
// from read repair, anti-entropy or handoff) is never interleaved with another on the same key.
// Locks are held across suspension points (a group-commit fsync). Only locked keys use memory.
#pragma once

#include <memory>
#include <string>

#include "absl/container/btree_map.h"
#include "absl/strings/string_view.h"
#include "net/fiber.h"

namespace kv::storage {

class KeyLocks {
 public:
  class Guard {
   public:
    Guard(Guard&& other) noexcept : locks_(other.locks_), key_(std::move(other.key_)) {
      other.locks_ = nullptr;
    }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    ~Guard();

    // True if another fiber waits for this key (it runs once the guard is released).
    bool contended() const;

   private:
    friend class KeyLocks;
    Guard(KeyLocks* locks, std::string key) : locks_(locks), key_(std::move(key)) {}
    KeyLocks* locks_;
    std::string key_;
  };

  KeyLocks() = default;
  KeyLocks(const KeyLocks&) = delete;
  KeyLocks& operator=(const KeyLocks&) = delete;
  // REQUIRES: no key locked.
  ~KeyLocks();

  // Suspends until `key` is free, then holds it until the guard dies. Waiters get the key in the
  // order they asked. REQUIRES: on a fiber; the fiber does not hold `key` already.
  // Throws FiberCancelled if the fiber is cancelled while waiting.
  Guard Lock(std::string key);

  size_t locked() const { return held_.size(); }

 private:
  struct Held {
    WaitList waiters;
    size_t queued = 0;  // fibers waiting for this key
  };
  void Unlock(const std::string& key);

  absl::btree_map<std::string, std::unique_ptr<Held>> held_;
};

}  // namespace kv::storage
