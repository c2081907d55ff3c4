#include "net/fiber.h"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <utility>

#include <boost/context/fiber.hpp>
#include <boost/context/preallocated.hpp>

#include "absl/strings/str_cat.h"
#include "net/assert.h"
#include "net/stack_pool.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

namespace kv {

namespace ctx = boost::context;

struct FiberHandle::State {
  explicit State(FiberName&& n) : name(std::move(n)) {}
  FiberName name;
  bool done = false;
  bool cancel_requested = false;
  Fiber* fiber = nullptr;  // null once done
  WaitList joiners;
};

// One fiber. Owned by its scheduler's map; destroyed after its context has returned.
class Fiber {
 public:
  Fiber(FiberScheduler* sched, uint64_t id, uint64_t key, FiberHandle::State* state,
        absl::AnyInvocable<void()>&& fn)
      : sched_(sched), id_(id), key_(key), state_(state), fn_(std::move(fn)) {}

  // Switches from this fiber to its scheduler; returns when resumed.
  void SwitchOut();
  // Throws FiberCancelled if cancellation was requested.
  void CheckCancelled();
  // The body run on the fiber's own stack.
  void RunBody();

  FiberScheduler* sched_;
  uint64_t id_;   // spawn order, never reused
  uint64_t key_;  // the scheduler's slot (low 32 bits) and its generation (high 32 bits)
  FiberHandle::State* state_;  // in the same Block
  absl::AnyInvocable<void()> fn_;
  ctx::fiber context_;  // the fiber side; empty once the fiber has finished
  ctx::fiber caller_;   // the scheduler side, valid while the fiber runs
  Waiter* waiting_ = nullptr;
  bool resume_posted_ = false;

  // AddressSanitizer's view of the two stacks (unused without ASan).
  const void* stack_bottom_ = nullptr;
  size_t stack_size_ = 0;
  const void* caller_bottom_ = nullptr;
  size_t caller_size_ = 0;
  void* fiber_fake_stack_ = nullptr;
  void* caller_fake_stack_ = nullptr;
};

// What Spawn allocates, once: the fiber and its handles' state. The scheduler's slot owns it while
// the fiber runs; handles keep it (for the state) after that.
struct FiberScheduler::Block {
  // By reference: the name and function are moved once, into place.
  Block(FiberScheduler* sched, uint64_t id, uint64_t key, FiberName&& name,
        absl::AnyInvocable<void()>&& fn)
      : state(std::move(name)), fiber(sched, id, key, &state, std::move(fn)) {}
  FiberHandle::State state;
  Fiber fiber;
};

namespace {

thread_local Fiber* t_current = nullptr;

inline void StartSwitch(void** fake_stack_save, const void* bottom, size_t size) {
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_start_switch_fiber(fake_stack_save, bottom, size);
#endif
}

inline void FinishSwitch(void* fake_stack_save, const void** bottom_old, size_t* size_old) {
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_finish_switch_fiber(fake_stack_save, bottom_old, size_old);
#endif
}

}  // namespace

// ---- FiberName ----

std::string FiberName::ToString() const {
  switch (kind_) {
    case Kind::kLiteral:
      return prefix_;
    case Kind::kOwned:
      return owned_;
    case Kind::kSuffix:
      return absl::StrCat(prefix_, suffix_);
    case Kind::kNumber:
      return absl::StrCat(prefix_, number_);
  }
  return prefix_;
}

// ---- WaitList ----

WaitList::~WaitList() {
  KV_ASSERT_MSG(waiters_.empty(), "WaitList destroyed while fibers wait on it");
}

void WaitList::Add(Waiter* w) { waiters_.push_back(w); }

void WaitList::Remove(Waiter* w) {
  auto it = std::find(waiters_.begin(), waiters_.end(), w);
  if (it != waiters_.end()) waiters_.erase(it);
}

void WaitList::WakeAll() {
  for (Waiter* w : waiters_) w->Wake();
}

bool WaitList::WakeOne() {
  for (Waiter* w : waiters_) {
    if (!w->woken()) {
      w->Wake();
      return true;
    }
  }
  return false;
}

// ---- Fiber ----

void Fiber::SwitchOut() {
  StartSwitch(&fiber_fake_stack_, caller_bottom_, caller_size_);
  caller_ = std::move(caller_).resume();
  FinishSwitch(fiber_fake_stack_, &caller_bottom_, &caller_size_);
}

void Fiber::CheckCancelled() {
  if (!state_->cancel_requested) return;
  KV_ASSERT_MSG(std::uncaught_exceptions() == 0,
                absl::StrCat("fiber '", state_->name.ToString(),
                             "' suspends while unwinding (a destructor blocks)"));
  throw FiberCancelled{};
}

void Fiber::RunBody() {
  try {
    if (!state_->cancel_requested) fn_();
  } catch (const FiberCancelled&) {
    // Normal end of a cancelled fiber.
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fiber '%s' ended with exception: %s\n", state_->name.ToString().c_str(),
                 e.what());
    KV_UNREACHABLE("exception escaped a fiber");
  } catch (...) {
    std::fprintf(stderr, "fiber '%s' ended with an unknown exception\n",
                 state_->name.ToString().c_str());
    KV_UNREACHABLE("exception escaped a fiber");
  }
  fn_ = nullptr;  // Captured state dies on the fiber, before joiners run.
  state_->done = true;
  state_->fiber = nullptr;
  state_->joiners.WakeAll();
}

// ---- Waiter ----

Waiter::Waiter() : fiber_(t_current) {
  KV_ASSERT_MSG(fiber_ != nullptr, "a fiber wait was started outside any fiber");
}

Waiter::~Waiter() { KV_ASSERT(fiber_->waiting_ != this); }

void Waiter::Wake() {
  if (woken_) return;
  woken_ = true;
  if (fiber_->waiting_ == this) fiber_->sched_->PostResume(fiber_);
}

void Waiter::Wait() {
  KV_ASSERT_MSG(fiber_ == t_current, "a Waiter was waited on by another fiber");
  fiber_->CheckCancelled();
  while (!woken_) {
    fiber_->waiting_ = this;
    fiber_->SwitchOut();
    fiber_->waiting_ = nullptr;
    fiber_->CheckCancelled();
  }
}

bool Waiter::WaitUntil(MonoTime deadline) {
  if (deadline == MonoTime::Max()) {
    Wait();
    return true;
  }
  Executor* exec = fiber_->sched_->executor();
  if (woken_ || deadline <= exec->Now()) {
    fiber_->CheckCancelled();
    return woken_;
  }
  bool timed_out = false;
  const TimerId timer = exec->RunAt(deadline, [this, &timed_out] {
    if (woken_) return;
    timed_out = true;
    Wake();
  });
  struct CancelTimer {
    Executor* exec;
    TimerId id;
    ~CancelTimer() { exec->Cancel(id); }
  } cancel_timer{exec, timer};
  Wait();
  return !timed_out;
}

// ---- FiberHandle ----

bool FiberHandle::done() const { return state_ == nullptr || state_->done; }

void FiberHandle::Cancel() {
  if (state_ == nullptr || state_->done) return;
  state_->cancel_requested = true;
  Fiber* f = state_->fiber;
  if (f->waiting_ != nullptr) f->waiting_->Wake();
}

void FiberHandle::Join() { JoinUntil(MonoTime::Max()); }

bool FiberHandle::JoinUntil(MonoTime deadline) {
  if (done()) return true;
  KV_ASSERT_MSG(state_->fiber != t_current, "a fiber joined itself");
  Waiter w;
  WaitRegistration registration(state_->joiners, &w);
  w.WaitUntil(deadline);
  return state_->done;
}

// ---- FiberScheduler ----

FiberScheduler::FiberScheduler(Executor* executor, FiberOptions options)
    : executor_(executor), options_(options) {
  KV_ASSERT(executor_ != nullptr);
}

FiberScheduler::~FiberScheduler() {
  KV_ASSERT_MSG(fibers_live_ == 0, "FiberScheduler destroyed with live fibers; call CancelAll first");
}

Fiber* FiberScheduler::Current() { return t_current; }

std::string FiberScheduler::CurrentName() {
  return t_current == nullptr ? "<scheduler>" : t_current->state_->name.ToString();
}

FiberScheduler& FiberScheduler::CurrentScheduler() {
  KV_ASSERT_MSG(t_current != nullptr, "not on a fiber");
  return *t_current->sched_;
}

FiberHandle FiberScheduler::Spawn(FiberName name, absl::AnyInvocable<void()> fn) {
  const uint64_t id = next_id_++;
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    KV_ASSERT(slots_.size() < UINT32_MAX);
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[slot];
  KV_ASSERT(s.block == nullptr);
  const uint64_t key = static_cast<uint64_t>(s.generation) << 32 | slot;
  s.block = std::make_shared<Block>(this, id, key, std::move(name), std::move(fn));
  ++fibers_live_;
  Fiber* f = &s.block->fiber;
  FiberHandle::State* state = &s.block->state;
  state->fiber = f;

  PooledStackAllocator alloc(options_.stack_bytes);
  ctx::stack_context sctx = alloc.allocate();
  f->stack_bottom_ = static_cast<char*>(sctx.sp) - sctx.size;
  f->stack_size_ = sctx.size;
  f->context_ = ctx::fiber(std::allocator_arg, ctx::preallocated(sctx.sp, sctx.size, sctx), alloc,
                           [f](ctx::fiber&& caller) {
                             FinishSwitch(nullptr, &f->caller_bottom_, &f->caller_size_);
                             f->caller_ = std::move(caller);
                             f->RunBody();
                             // nullptr: this fiber's fake stack is released; it never returns.
                             StartSwitch(nullptr, f->caller_bottom_, f->caller_size_);
                             return std::move(f->caller_);
                           });
  PostResume(f);
  // The handle shares the block's ownership but points at its state.
  return FiberHandle(std::shared_ptr<FiberHandle::State>(s.block, state));
}

void FiberScheduler::PostResume(Fiber* f) {
  if (f->resume_posted_) return;
  f->resume_posted_ = true;
  ++ready_fibers_;
  // Two words, so the task is stored inline (absl::AnyInvocable): posting allocates nothing.
  executor_->Post([this, key = f->key_] { Resume(key); });
}

Fiber* FiberScheduler::Find(uint64_t key) const {
  const uint32_t slot = static_cast<uint32_t>(key);
  if (slot >= slots_.size()) return nullptr;
  const Slot& s = slots_[slot];
  if (s.block == nullptr || s.generation != static_cast<uint32_t>(key >> 32)) return nullptr;
  return &s.block->fiber;
}

void FiberScheduler::Resume(uint64_t key) {
  KV_ASSERT(ready_fibers_ > 0);
  --ready_fibers_;
  Fiber* f = Find(key);
  if (f == nullptr) return;  // Finished (or unwound by CancelAll) meanwhile.
  f->resume_posted_ = false;
  RunFiber(f);
}

void FiberScheduler::RunFiber(Fiber* f) {
  KV_ASSERT_MSG(t_current == nullptr, "a fiber tried to resume another fiber directly");
  KV_ASSERT(f->context_);
  t_current = f;
  ++switches_;
  StartSwitch(&f->caller_fake_stack_, f->stack_bottom_, f->stack_size_);
  f->context_ = std::move(f->context_).resume();
  FinishSwitch(f->caller_fake_stack_, nullptr, nullptr);
  t_current = nullptr;
  if (!f->context_) Release(f);
}

void FiberScheduler::Release(Fiber* f) {
  const uint32_t slot = static_cast<uint32_t>(f->key_);
  KV_ASSERT(Find(f->key_) == f);
  Slot& s = slots_[slot];
  ++s.generation;
  --fibers_live_;
  free_slots_.push_back(slot);
  std::shared_ptr<Block> block = std::move(s.block);  // destroyed last: it may hold `f`
}

void FiberScheduler::CancelAll() {
  KV_ASSERT_MSG(t_current == nullptr, "CancelAll called on a fiber");
  // Newest first. `order` lists live fibers by ascending id as (id, key); a fiber spawned while
  // another unwinds is newer than every listed one, so it is appended (and goes next).
  std::vector<std::pair<uint64_t, uint64_t>> order;
  uint64_t listed_below = 0;  // every fiber with a smaller id was listed (or had finished)
  while (true) {
    if (listed_below != next_id_) {
      const size_t first_new = order.size();
      for (const Slot& s : slots_) {
        if (s.block != nullptr && s.block->fiber.id_ >= listed_below) {
          order.emplace_back(s.block->fiber.id_, s.block->fiber.key_);
        }
      }
      std::sort(order.begin() + static_cast<ptrdiff_t>(first_new), order.end());
      listed_below = next_id_;
    }
    if (order.empty()) break;
    const uint64_t key = order.back().second;
    order.pop_back();
    Fiber* f = Find(key);
    if (f == nullptr) continue;  // it ended while a newer one unwound
    f->state_->cancel_requested = true;
    for (int round = 0; Find(key) == f; ++round) {
      KV_ASSERT_MSG(round < 1000, absl::StrCat("fiber '", f->state_->name.ToString(),
                                               "' keeps running after cancellation"));
      if (f->waiting_ != nullptr) f->waiting_->woken_ = true;
      f->resume_posted_ = false;
      RunFiber(f);
    }
  }
  KV_ASSERT(fibers_live_ == 0);
}

// ---- free functions ----

void FiberSleepUntil(MonoTime deadline) {
  Waiter w;
  w.WaitUntil(deadline);
}

void FiberSleep(Duration d) { FiberSleepUntil(FiberNow() + d); }

void Yield() {
  Fiber* f = t_current;
  KV_ASSERT_MSG(f != nullptr, "Yield outside any fiber");
  Waiter w;
  f->waiting_ = &w;
  f->sched_->PostResume(f);
  f->SwitchOut();
  f->waiting_ = nullptr;
  w.woken_ = true;
  f->CheckCancelled();
}

bool OtherFibersReady() {
  KV_ASSERT_MSG(t_current != nullptr, "OtherFibersReady outside any fiber");
  // The current fiber is running, so none of the posted resumptions is its own.
  return t_current->sched_->ready_fibers() > 0;
}

void YieldToPoll() {
  KV_ASSERT_MSG(t_current != nullptr, "YieldToPoll outside any fiber");
  Executor* exec = FiberScheduler::CurrentScheduler().executor();
  Waiter w;
  // A timer due now: the executor runs it after the I/O poll (real) or after the events already
  // queued for this instant (simulated). Waiter::WaitUntil would return at once for "now".
  const TimerId timer = exec->RunAt(exec->Now(), [&w] { w.Wake(); });
  struct CancelTimer {
    Executor* exec;
    TimerId id;
    ~CancelTimer() { exec->Cancel(id); }
  } cancel_timer{exec, timer};
  w.Wait();
}

MonoTime FiberNow() { return FiberScheduler::CurrentScheduler().executor()->Now(); }

}  // namespace kv
