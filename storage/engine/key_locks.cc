#include "storage/engine/key_locks.h"

#include "net/assert.h"

namespace kv::storage {

KeyLocks::Guard::~Guard() {
  if (locks_ != nullptr) locks_->Unlock(key_);
}

bool KeyLocks::Guard::contended() const {
  if (locks_ == nullptr) return false;
  auto it = locks_->held_.find(key_);
  return it != locks_->held_.end() && it->second.queued > 0;
}

KeyLocks::~KeyLocks() { KV_ASSERT_MSG(held_.empty(), "KeyLocks destroyed with keys locked"); }

KeyLocks::Guard KeyLocks::Lock(uint64_t k) {
  auto [it, inserted] = held_.try_emplace(k);
  if (inserted) return Guard(this, k);
  // Wait our turn: the holder's Unlock hands the key to the oldest waiter.
  Held* held = &it->second;
  ++held->queued;
  Waiter w;
  held->waiters.Add(&w);
  struct Leave {
    KeyLocks* locks;
    uint64_t key;
    Held* held;
    Waiter* w;
    bool taken = false;
    ~Leave() {
      held->waiters.Remove(w);
      --held->queued;
      // Cancelled after the key was handed to us: hand it on, or it stays locked forever.
      if (!taken && w->woken()) locks->Unlock(key);
    }
  } leave{this, k, held, &w};
  w.Wait();
  leave.taken = true;
  return Guard(this, k);
}

void KeyLocks::Unlock(uint64_t key) {
  auto it = held_.find(key);
  KV_ASSERT(it != held_.end());
  Held* held = &it->second;
  if (held->queued == 0) {
    held_.erase(it);
    return;
  }
  // The key stays held; ownership passes to the oldest waiter not yet woken.
  KV_ASSERT(held->waiters.WakeOne());
}

}  // namespace kv::storage
