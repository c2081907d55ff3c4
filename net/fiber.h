// Fibers: the only concurrency inside a node. Built on Boost.Context, driven by an Executor (the
// simulator's event queue or an Asio io_context). All fibers of a scheduler run on one OS thread and
// switch only at explicit suspension points (Waiter::Wait and everything built on it: futures,
// channels, FiberSleep). Between two suspension points a fiber runs alone: no locks are needed.
//
// Switching is always scheduler <-> fiber: a fiber never resumes another fiber directly. Waking a
// fiber posts a resume task to the executor, so wake-ups run in the executor's deterministic order.
//
// Cancellation. Cancel() marks a fiber cancelled and wakes it; its current (or next) suspension point
// throws FiberCancelled, which unwinds the fiber's stack, running destructors, and ends the fiber.
// Code must not swallow FiberCancelled (no bare `catch (...)` without rethrow); it deliberately does
// not derive from std::exception. Destructors must not suspend (a Wait during unwinding aborts).
// CancelAll() (a simulated crash, or shutdown) cancels every fiber synchronously, newest first, so a
// fiber is unwound before the fibers that were running when it was spawned.
//
// Errors inside fibers are values (absl::Status). An exception other than FiberCancelled escaping a
// fiber's function aborts the process with the fiber's name.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/functional/any_invocable.h"
#include "absl/strings/string_view.h"
#include "net/executor.h"
#include "net/time.h"

namespace kv {

// Thrown at a suspension point of a cancelled fiber.
struct FiberCancelled {};

class Fiber;
class FiberScheduler;
class Waiter;

// Waiters waiting for one condition. The condition's owner wakes them; waiters remove themselves
// when their wait ends. Not thread-safe (nothing here is).
class WaitList {
 public:
  WaitList() = default;
  WaitList(const WaitList&) = delete;
  WaitList& operator=(const WaitList&) = delete;
  ~WaitList();

  void Add(Waiter* w);
  void Remove(Waiter* w);
  // Wakes every waiter (they stay registered until their wait ends).
  void WakeAll();
  // Wakes the oldest waiter not yet woken. Returns false if there was none.
  bool WakeOne();
  bool empty() const { return waiters_.empty(); }

 private:
  // Most lists have one waiter at a time (a future's reader, a channel's receiver): no allocation.
  absl::InlinedVector<Waiter*, 2> waiters_;
};

// One suspension of the current fiber. Create it on the fiber's stack, register it with the
// WaitLists it waits on, call Wait/WaitUntil, unregister. Waking is idempotent: the first Wake()
// resumes the fiber; later ones do nothing.
//
// REQUIRES: constructed on a fiber; Wait/WaitUntil called on that same fiber.
class Waiter {
 public:
  Waiter();
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;
  ~Waiter();

  // Callable from anywhere on the executor thread (a fiber or an executor task).
  void Wake();
  bool woken() const { return woken_; }

  // Suspends until Wake(). Returns at once if already woken.
  // Throws FiberCancelled if the fiber is (or becomes) cancelled.
  void Wait();

  // Suspends until Wake() or `deadline`, whichever is first. Returns true if woken.
  // Throws FiberCancelled if the fiber is (or becomes) cancelled.
  bool WaitUntil(MonoTime deadline);

 private:
  friend class Fiber;
  friend class FiberScheduler;
  friend void Yield();
  Fiber* fiber_;
  bool woken_ = false;
};

// Registers a waiter with a WaitList for the life of this object (also when a wait unwinds).
class WaitRegistration {
 public:
  WaitRegistration(WaitList& list, Waiter* w) : list_(list), w_(w) { list_.Add(w_); }
  ~WaitRegistration() { list_.Remove(w_); }
  WaitRegistration(const WaitRegistration&) = delete;
  WaitRegistration& operator=(const WaitRegistration&) = delete;

 private:
  WaitList& list_;
  Waiter* w_;
};

// A fiber's name, for diagnostics only (messages about a fiber that misbehaves). The common forms
// cost nothing to spawn with: a string literal, or a literal prefix followed by a number or by a
// string that outlives the fiber, joined only when the name is printed. Any std::string works too
// (it is kept as it is).
class FiberName {
 public:
  // REQUIRES: `literal` outlives the fiber (a string literal).
  FiberName(const char* literal) : prefix_(literal) {}  // NOLINT: implicit by design
  FiberName(std::string owned) : owned_(std::move(owned)), kind_(Kind::kOwned) {}  // NOLINT
  // `prefix` then `suffix`. REQUIRES: both outlive the fiber.
  FiberName(const char* prefix, absl::string_view suffix)
      : prefix_(prefix), suffix_(suffix), kind_(Kind::kSuffix) {}
  // `prefix` then the decimal `number`. REQUIRES: `prefix` outlives the fiber.
  FiberName(const char* prefix, int64_t number)
      : prefix_(prefix), number_(number), kind_(Kind::kNumber) {}

  std::string ToString() const;

 private:
  enum class Kind : uint8_t { kLiteral, kOwned, kSuffix, kNumber };
  const char* prefix_ = "";
  absl::string_view suffix_;
  int64_t number_ = 0;
  std::string owned_;
  Kind kind_ = Kind::kLiteral;
};

// A handle to a spawned fiber. Copyable; the fiber runs whether or not a handle exists.
class FiberHandle {
 public:
  FiberHandle() = default;

  bool valid() const { return state_ != nullptr; }
  bool done() const;
  // Asks the fiber to stop: its next suspension point throws FiberCancelled. Asynchronous; Join to
  // wait for it to finish. No-op if done.
  void Cancel();
  // Suspends the calling fiber until this fiber has finished (normally or by cancellation).
  // REQUIRES: called on a fiber other than this one.
  void Join();
  // Join with a deadline; returns true if the fiber finished.
  bool JoinUntil(MonoTime deadline);

 private:
  friend class FiberScheduler;
  friend class Fiber;
  struct State;
  explicit FiberHandle(std::shared_ptr<State> s) : state_(std::move(s)) {}
  std::shared_ptr<State> state_;
};

struct FiberOptions {
  // Stack size; rounded up to pages. RocksDB calls made from fibers need deep stacks.
#if defined(__SANITIZE_ADDRESS__)
  size_t stack_bytes = 1024 * 1024;
#else
  size_t stack_bytes = 256 * 1024;
#endif
};

// Owns the fibers of one process.
class FiberScheduler {
 public:
  explicit FiberScheduler(Executor* executor, FiberOptions options = {});
  // REQUIRES: no fiber alive (call CancelAll first).
  ~FiberScheduler();
  FiberScheduler(const FiberScheduler&) = delete;
  FiberScheduler& operator=(const FiberScheduler&) = delete;

  // Starts `fn` on a new fiber. It first runs from a posted executor task, not inline.
  FiberHandle Spawn(FiberName name, absl::AnyInvocable<void()> fn);

  // Cancels every fiber and runs each until it has unwound, newest first; returns when none is
  // left. Fibers spawned while unwinding are cancelled too.
  // REQUIRES: not called on a fiber of this scheduler.
  void CancelAll();

  size_t fiber_count() const { return fibers_live_; }
  uint64_t fibers_spawned() const { return next_id_ - 1; }
  uint64_t switches() const { return switches_; }
  // Fibers made ready (spawned, woken or yielding) whose turn to run has not come yet.
  size_t ready_fibers() const { return ready_fibers_; }
  Executor* executor() const { return executor_; }

  // The fiber running now on this thread, or nullptr when in scheduler/executor context.
  static Fiber* Current();
  // The name of the current fiber, or "<scheduler>".
  static std::string CurrentName();
  // True when called on a fiber.
  static bool OnFiber() { return Current() != nullptr; }
  // The scheduler of the current fiber. REQUIRES: OnFiber().
  static FiberScheduler& CurrentScheduler();

 private:
  friend class Fiber;
  friend class Waiter;
  friend void Yield();
  // A fiber and its handles' state, allocated together.
  struct Block;
  struct Slot {
    std::shared_ptr<Block> block;  // null while free
    uint32_t generation = 0;       // bumped when the slot is freed
  };
  void PostResume(Fiber* f);
  // Runs the fiber in the slot `key` names (Fiber::key_), unless it has finished meanwhile.
  void Resume(uint64_t key);
  void RunFiber(Fiber* f);
  // The live fiber `key` names, or nullptr if it has finished.
  Fiber* Find(uint64_t key) const;
  // Frees the slot of a finished fiber (which may destroy it).
  void Release(Fiber* f);

  Executor* executor_;
  FiberOptions options_;
  uint64_t next_id_ = 1;
  uint64_t switches_ = 0;
  size_t ready_fibers_ = 0;  // resumptions posted to the executor and not yet run
  // Live fibers by slot (a posted resume names a slot and its generation: no search). Slots are
  // reused; ids (spawn order, which CancelAll goes by) never are.
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  size_t fibers_live_ = 0;
};

// Suspends the current fiber for `d` (or until `deadline`). Throws FiberCancelled if cancelled.
// REQUIRES: on a fiber.
void FiberSleep(Duration d);
void FiberSleepUntil(MonoTime deadline);
// Lets other ready fibers and tasks run, then continues.
void Yield();
// True if another fiber of the current fiber's scheduler is ready to run: a fiber about to start
// work that others could join (a group commit) can Yield() only then, and pay nothing when alone.
// REQUIRES: on a fiber.
bool OtherFibersReady();
// Suspends until the executor has run what was ready before and had a chance to notice new
// input: in real mode one pass of the event loop's I/O poll, in the simulator the events already
// due at this instant. Yield() alone resumes before any I/O is looked at. Use it where a fiber
// should let arriving work join a batch (group commit) before a blocking step.
void YieldToPoll();
// The monotonic time of the current fiber's executor. REQUIRES: on a fiber.
MonoTime FiberNow();

}  // namespace kv
