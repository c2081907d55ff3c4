#include "storage/engine/key_locks.h"

#include "net/assert.h"

namespace kv::storage {

KeyLocks::Guard::~Guard() {
  if (locks_ != nullptr) locks_->Unlock(key_);
}

bool KeyLocks::Guard::contended() const {
  if (locks_ == nullptr) return false;
  auto it = locks_->held_.find(key_);
  return it != locks_->held_.end() && it->second->queued > 0;
}

KeyLocks::~KeyLocks() { KV_ASSERT_MSG(held_.empty(), "KeyLocks destroyed with keys locked"); }

KeyLocks::Guard KeyLocks::Lock(std::string k) {
  auto it = held_.find(k);
  if (it == held_.end()) {
    held_.emplace(k, std::make_unique<Held>());
    return Guard(this, std::move(k));
  }
  // Wait our turn: the holder's Unlock hands the key to the oldest waiter.
  Held* held = it->second.get();
  ++held->queued;
  Waiter w;
  held->waiters.Add(&w);
  struct Leave {
    KeyLocks* locks;
    const std::string& key;
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
  return Guard(this, std::move(k));
}

void KeyLocks::Unlock(const std::string& key) {
  auto it = held_.find(key);
  KV_ASSERT(it != held_.end());
  Held* held = it->second.get();
  if (held->queued == 0) {
    held_.erase(it);
    return;
  }
  // The key stays held; ownership passes to the oldest waiter not yet woken.
  KV_ASSERT(held->waiters.WakeOne());
}

}  // namespace kv::storage
