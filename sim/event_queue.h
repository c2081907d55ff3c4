// The simulator's only scheduler: events ordered by (time, sequence number). Two events due at the
// same simulated time run in the order they were pushed, so a run is a pure function of the seed.
//
// Each event carries its owner (a process id, or 0 for the simulator itself) and the owner's
// incarnation when it was pushed; the simulator drops events of a crashed incarnation when they pop.
// Cancellation is eager: a cancelled event's task is destroyed and its heap entry removed at once
// (O(log n)). Most timers are cancelled (an RPC's timeout when its reply comes), so the heap holds
// only live events: about 40 rather than about 7,000 in the 5-node cluster benchmark.
//
// Events pushed for the time of the last popped event (fiber wake-ups, the bulk of all events) skip
// the heap: they queue in a FIFO, in push order, so the FIFO is sorted by (time, sequence) like the
// heap. Popping the earlier of the heap's top and the FIFO's front by (time, sequence) gives
// exactly the order of a heap alone.
#pragma once

#include <cstdint>
#include <vector>

#include "net/executor.h"
#include "net/ring_buffer.h"

namespace kv::sim {

class EventQueue {
 public:
  struct Popped {
    int64_t time_ns = 0;
    uint64_t seq = 0;
    uint32_t owner = 0;
    uint32_t incarnation = 0;
    Task task;
  };

  EventQueue() = default;
  EventQueue(const EventQueue&) = delete;
  EventQueue& operator=(const EventQueue&) = delete;

  // Schedules `task` at `time_ns`. Returns an id for Cancel (never 0).
  TimerId Push(int64_t time_ns, uint32_t owner, uint32_t incarnation, Task task);

  // Cancels a pending event; no-op if it already ran or was cancelled.
  void Cancel(TimerId id);

  // The earliest event, without removing it. Returns false if none is left.
  struct Head {
    int64_t time_ns = 0;
    uint32_t owner = 0;
    uint32_t incarnation = 0;
  };
  bool PeekLive(Head* head);

  // Moves the earliest event to `time_ns` (behind events already due then), keeping its id
  // valid for Cancel. REQUIRES: PeekLive returned true and nothing changed since.
  void DeferHead(int64_t time_ns);

  // Removes the earliest event into `out`. Returns false if none is left.
  bool Pop(Popped* out);

  bool empty() const { return size() == 0; }
  // Pending events (cancelled ones are gone).
  size_t size() const { return heap_.size() + ready_live_; }
  uint64_t pushed() const { return next_seq_; }

 private:
  struct Entry {
    int64_t time_ns;
    uint64_t seq;
    uint32_t slot;
  };
  struct Slot {
    Task task;
    uint32_t generation = 0;
    uint32_t owner = 0;
    uint32_t incarnation = 0;
    uint32_t heap_index = 0;  // where the slot's entry is in heap_, while live and not ready
    uint64_t seq = 0;         // the live entry's sequence number (ready_ entries are checked by it)
    bool live = false;
    bool ready = false;       // the entry is in ready_, not in heap_
  };
  static bool Later(const Entry& a, const Entry& b) {
    return a.time_ns != b.time_ns ? a.time_ns > b.time_ns : a.seq > b.seq;
  }
  // Children per heap node. Four halves the depth of a binary heap, and the four children
  // (96 bytes) span two or three cache lines: push+pop with 100k-1M events pending is 30-40%
  // cheaper than with two (tests/bench/event_queue_bench.cc). Pop order does not depend on it:
  // (time, seq) keys are unique, so a run's trace is the same for any arity.
  static constexpr size_t kArity = 4;
  // Writes `e` at heap_[i] and records the position in its slot.
  void Place(size_t i, const Entry& e) {
    heap_[i] = e;
    slots_[e.slot].heap_index = static_cast<uint32_t>(i);
  }
  // Queues `e` (its slot filled in and live) in ready_ or the heap.
  void Enqueue(const Entry& e);
  // Drops cancelled entries from the front of ready_; true if a live one is there.
  bool ReadyFront();
  // True if the next event is ready_'s front rather than the heap's top. REQUIRES: !empty().
  bool NextIsReady();
  void SiftUp(size_t i);
  void SiftDown(size_t i);
  void FreeSlot(uint32_t slot);
  // Removes heap_[i], restoring the heap order.
  void RemoveAt(size_t i);

  std::vector<Entry> heap_;  // a kArity-ary min-heap on (time, seq); every entry's slot is live
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  uint64_t next_seq_ = 0;
  // Events due at one time (last_pop_ns_ when pushed), in push order; entries of cancelled events stay until they reach
  // the front (their slot's seq no longer matches).
  RingBuffer<Entry> ready_;
  int64_t ready_time_ns_ = 0;  // the time of every entry in ready_ (while it has any)
  size_t ready_live_ = 0;
  int64_t last_pop_ns_ = 0;  // the time of the last popped event (0 before any)
};

}  // namespace kv::sim
