// Single-threaded promises and futures for fibers, and Select over several of them.
//
// A Promise<T> is fulfilled once, with a value or an error status. Its Future<T> is read once, by
// one fiber, which suspends until the result is there or a deadline passes. Destroying an unfulfilled
// promise fulfils it with CANCELLED ("broken promise"), so a waiter never hangs on a promise nobody
// can keep any more (the fiber that held it was cancelled, say).
#pragma once

#include <initializer_list>
#include <memory>
#include <optional>
#include <utility>

#include "absl/status/statusor.h"
#include "net/assert.h"
#include "net/fiber.h"
#include "net/time.h"

namespace kv {

// For futures that carry no value.
struct Unit {};

namespace internal {

template <typename T>
struct FutureState {
  std::optional<absl::StatusOr<T>> result;
  WaitList waiters;
};

// Something a fiber can wait on without consuming it (see Select).
class Waitable {
 public:
  virtual ~Waitable() = default;
  virtual bool ready() const = 0;
  virtual WaitList& wait_list() const = 0;
};

}  // namespace internal

template <typename T>
class Future;

template <typename T>
class Promise {
 public:
  Promise() : state_(std::make_shared<internal::FutureState<T>>()) {}
  Promise(Promise&&) noexcept = default;
  Promise& operator=(Promise&& other) noexcept {
    BreakIfUnset();
    state_ = std::move(other.state_);
    return *this;
  }
  ~Promise() { BreakIfUnset(); }

  // The future of this promise. Call at most once.
  Future<T> GetFuture() { return Future<T>(state_); }

  // Fulfils the promise and wakes the waiting fiber. REQUIRES: not fulfilled yet.
  void Set(absl::StatusOr<T> result) {
    KV_ASSERT(state_ != nullptr);
    KV_ASSERT_MSG(!state_->result.has_value(), "promise fulfilled twice");
    state_->result.emplace(std::move(result));
    state_->waiters.WakeAll();
  }
  bool fulfilled() const { return state_ != nullptr && state_->result.has_value(); }

 private:
  void BreakIfUnset() {
    if (state_ != nullptr && !state_->result.has_value()) {
      Set(absl::CancelledError("broken promise: its owner went away without an answer"));
    }
  }
  std::shared_ptr<internal::FutureState<T>> state_;
};

template <typename T>
class Future : public internal::Waitable {
 public:
  Future() = default;
  Future(Future&&) noexcept = default;
  Future& operator=(Future&&) noexcept = default;

  bool valid() const { return state_ != nullptr; }
  bool ready() const override { return state_ != nullptr && state_->result.has_value(); }

  // Suspends until the result is there, then returns it (moved out; call once).
  // Throws FiberCancelled if the calling fiber is cancelled. REQUIRES: on a fiber, valid().
  absl::StatusOr<T> Get() { return GetUntil(MonoTime::Max()); }

  // As Get, but returns DEADLINE_EXCEEDED if `deadline` passes first (the result, if it arrives
  // later, is dropped).
  absl::StatusOr<T> GetUntil(MonoTime deadline) {
    KV_ASSERT(valid());
    if (!ready()) {
      Waiter w;
      WaitRegistration registration(state_->waiters, &w);
      w.WaitUntil(deadline);
    }
    if (!ready()) return absl::DeadlineExceededError("timed out waiting for a future");
    absl::StatusOr<T> out = std::move(*state_->result);
    state_.reset();
    return out;
  }
  absl::StatusOr<T> GetFor(Duration timeout) { return GetUntil(FiberNow() + timeout); }

  WaitList& wait_list() const override { return state_->waiters; }

 private:
  friend class Promise<T>;
  explicit Future(std::shared_ptr<internal::FutureState<T>> s) : state_(std::move(s)) {}
  std::shared_ptr<internal::FutureState<T>> state_;
};

// A future that is already fulfilled.
template <typename T>
Future<T> MakeReadyFuture(absl::StatusOr<T> value) {
  Promise<T> p;
  Future<T> f = p.GetFuture();
  p.Set(std::move(value));
  return f;
}

// Suspends until one of `items` is ready or `deadline` passes. Returns the index of the first ready
// item (lowest index if several are), or -1 on timeout. Does not consume any future.
// Throws FiberCancelled if the calling fiber is cancelled. REQUIRES: on a fiber; items valid.
int SelectUntil(std::initializer_list<const internal::Waitable*> items, MonoTime deadline);
inline int SelectFor(std::initializer_list<const internal::Waitable*> items, Duration timeout) {
  return SelectUntil(items, FiberNow() + timeout);
}

}  // namespace kv
