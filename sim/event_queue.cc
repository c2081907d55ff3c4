#include "sim/event_queue.h"

#include <algorithm>
#include <utility>

#include "net/assert.h"

namespace kv::sim {

TimerId EventQueue::Push(int64_t time_ns, uint32_t owner, uint32_t incarnation, Task task) {
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[slot];
  KV_ASSERT(!s.live);
  s.task = std::move(task);
  s.owner = owner;
  s.incarnation = incarnation;
  s.live = true;
  const TimerId id = (static_cast<uint64_t>(s.generation) << 32 | slot) + 1;
  Enqueue(Entry{time_ns, next_seq_++, slot});
  return id;
}

void EventQueue::Enqueue(const Entry& e) {
  Slot& s = slots_[e.slot];
  KV_ASSERT(s.live);
  s.seq = e.seq;
  // ready_ stays sorted by (time, seq): one time, pushed in sequence order.
  if (e.time_ns == last_pop_ns_ && (ready_.empty() || ready_time_ns_ == e.time_ns)) {
    ready_time_ns_ = e.time_ns;
    s.ready = true;
    ready_.push_back(e);
    ++ready_live_;
    return;
  }
  s.ready = false;
  heap_.push_back(e);
  s.heap_index = static_cast<uint32_t>(heap_.size() - 1);
  SiftUp(heap_.size() - 1);
}

bool EventQueue::ReadyFront() {
  while (!ready_.empty()) {
    const Entry& e = ready_.front();
    const Slot& s = slots_[e.slot];
    if (s.live && s.ready && s.seq == e.seq) return true;
    ready_.pop_front();  // cancelled
  }
  return false;
}

bool EventQueue::NextIsReady() {
  if (!ReadyFront()) return false;
  return heap_.empty() || Later(heap_.front(), ready_.front());
}

void EventQueue::Cancel(TimerId id) {
  if (id == 0) return;
  const uint64_t raw = id - 1;
  const uint32_t slot = static_cast<uint32_t>(raw);
  const uint32_t generation = static_cast<uint32_t>(raw >> 32);
  if (slot >= slots_.size()) return;
  Slot& s = slots_[slot];
  if (!s.live || s.generation != generation) return;
  if (s.ready) {
    --ready_live_;  // its entry stays in ready_ until it reaches the front
  } else {
    KV_ASSERT(heap_[s.heap_index].slot == slot);
    RemoveAt(s.heap_index);
  }
  FreeSlot(slot);  // Captured state dies now.
}

void EventQueue::RemoveAt(size_t i) {
  KV_ASSERT(i < heap_.size());
  const Entry last = heap_.back();
  heap_.pop_back();
  if (i == heap_.size()) return;  // it was the last entry
  Place(i, last);
  if (i > 0 && Later(heap_[(i - 1) / kArity], last)) {
    SiftUp(i);
  } else {
    SiftDown(i);
  }
}

bool EventQueue::PeekLive(Head* head) {
  if (empty()) return false;
  const Entry& top = NextIsReady() ? ready_.front() : heap_.front();
  const Slot& s = slots_[top.slot];
  KV_ASSERT(s.live);
  head->time_ns = top.time_ns;
  head->owner = s.owner;
  head->incarnation = s.incarnation;
  return true;
}

void EventQueue::DeferHead(int64_t time_ns) {
  KV_ASSERT(!empty());
  if (NextIsReady()) {
    Entry e = ready_.front();
    ready_.pop_front();
    --ready_live_;
    KV_ASSERT(time_ns >= e.time_ns);
    e.time_ns = time_ns;
    e.seq = next_seq_++;
    Enqueue(e);
    return;
  }
  KV_ASSERT(slots_[heap_.front().slot].live);
  KV_ASSERT(time_ns >= heap_.front().time_ns);
  heap_.front().time_ns = time_ns;
  heap_.front().seq = next_seq_++;
  slots_[heap_.front().slot].seq = heap_.front().seq;
  SiftDown(0);
}

bool EventQueue::Pop(Popped* out) {
  if (empty()) return false;
  Entry top;
  if (NextIsReady()) {
    top = ready_.front();
    ready_.pop_front();
    --ready_live_;
  } else {
    top = heap_.front();
    RemoveAt(0);
  }
  last_pop_ns_ = top.time_ns;
  Slot& s = slots_[top.slot];
  KV_ASSERT(s.live);
  out->time_ns = top.time_ns;
  out->seq = top.seq;
  out->owner = s.owner;
  out->incarnation = s.incarnation;
  out->task = std::move(s.task);
  FreeSlot(top.slot);
  return true;
}

void EventQueue::FreeSlot(uint32_t slot) {
  Slot& s = slots_[slot];
  // Destroyed last, once the queue is consistent: its captured state may push or cancel events.
  Task task = std::move(s.task);
  s.task = nullptr;
  s.live = false;
  s.ready = false;
  ++s.generation;
  free_slots_.push_back(slot);
}

void EventQueue::SiftUp(size_t i) {
  Entry e = heap_[i];
  while (i > 0) {
    const size_t parent = (i - 1) / kArity;
    if (!Later(heap_[parent], e)) break;
    Place(i, heap_[parent]);
    i = parent;
  }
  Place(i, e);
}

void EventQueue::SiftDown(size_t i) {
  const size_t n = heap_.size();
  Entry e = heap_[i];
  while (true) {
    const size_t first = kArity * i + 1;
    if (first >= n) break;
    const size_t end = std::min(first + kArity, n);
    size_t child = first;  // the earliest of i's children
    for (size_t c = first + 1; c < end; ++c) {
      if (Later(heap_[child], heap_[c])) child = c;
    }
    if (!Later(e, heap_[child])) break;
    Place(i, heap_[child]);
    i = child;
  }
  Place(i, e);
}

}  // namespace kv::sim
