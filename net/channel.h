// A bounded FIFO queue between fibers (and from executor tasks to fibers): the mailbox under the
// transport's receive side, and a general work queue. Sending never blocks: a full channel refuses
// the item (the caller decides: drop and count, or push back). Receiving suspends the fiber.
#pragma once

#include <cstddef>
#include <utility>

#include "absl/status/statusor.h"
#include "net/assert.h"
#include "net/fiber.h"
#include "net/future.h"
#include "net/ring_buffer.h"

namespace kv {

template <typename T>
class Channel : public internal::Waitable {
 public:
  // REQUIRES: capacity > 0.
  explicit Channel(size_t capacity) : capacity_(capacity) { KV_ASSERT(capacity > 0); }

  // Appends `item` unless the channel is full or closed. Returns false (and drops nothing already
  // queued) in that case. Callable from fibers and executor tasks.
  bool TrySend(T item) {
    if (closed_ || items_.size() >= capacity_) return false;
    items_.push_back(std::move(item));
    waiters_.WakeOne();
    return true;
  }

  // Suspends until an item is there and returns the oldest one. Returns DEADLINE_EXCEEDED if
  // `deadline` passes first, CANCELLED if the channel is closed and empty.
  // Throws FiberCancelled if the calling fiber is cancelled. REQUIRES: on a fiber.
  absl::StatusOr<T> ReceiveUntil(MonoTime deadline) {
    while (items_.empty()) {
      if (closed_) return absl::CancelledError("channel closed");
      Waiter w;
      WaitRegistration registration(waiters_, &w);
      if (!w.WaitUntil(deadline) && items_.empty()) {
        return absl::DeadlineExceededError("timed out waiting on a channel");
      }
    }
    T item = std::move(items_.front());
    items_.pop_front();
    // Another receiver may have been woken for an item this one took; pass the turn on.
    if (!items_.empty()) waiters_.WakeOne();
    return item;
  }
  absl::StatusOr<T> Receive() { return ReceiveUntil(MonoTime::Max()); }

  // Non-blocking receive; false if empty.
  bool TryReceive(T* out) {
    if (items_.empty()) return false;
    *out = std::move(items_.front());
    items_.pop_front();
    return true;
  }

  // Wakes all receivers; later sends fail; queued items can still be received.
  void Close() {
    closed_ = true;
    waiters_.WakeAll();
  }

  bool ready() const override { return !items_.empty() || closed_; }
  WaitList& wait_list() const override { return waiters_; }
  size_t size() const { return items_.size(); }
  size_t capacity() const { return capacity_; }
  bool closed() const { return closed_; }

 private:
  size_t capacity_;
  bool closed_ = false;
  RingBuffer<T> items_;  // allocates only when it grows past its largest size so far
  mutable WaitList waiters_;
};

}  // namespace kv
