// The real runtime's event loop: an Executor and Clock on one Boost.Asio io_context, run by one
// thread (the process's). Monotonic time is std::chrono::steady_clock; wall time is the system
// clock. Timers are asio steady_timers. Everything here belongs to the thread that calls Run.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "absl/container/flat_hash_map.h"
#include "net/clock.h"
#include "net/executor.h"

namespace kv {

class AsioExecutor final : public Executor, public Clock {
 public:
  AsioExecutor();
  ~AsioExecutor() override;

  boost::asio::io_context& io() { return io_; }

  // Runs tasks until none is left (no pending task, timer or I/O) or Stop is called.
  void Run();
  // Makes Run return after the task in progress. Callable from any thread.
  void Stop();

  // Executor.
  MonoTime Now() const override;
  void Post(Task task) override;
  TimerId RunAt(MonoTime when, Task task) override;
  void Cancel(TimerId id) override;

  // Clock.
  MonoTime MonoNow() const override { return Now(); }
  WallTime WallNow() const override;

 private:
  // Posted tasks run from one asio handler in batches of at most kDrainBatchMax, so a chain of
  // fiber wake-ups costs no reactor poll (epoll_wait) per task; I/O completions still get a turn
  // between batches.
  static constexpr size_t kDrainBatchMax = 256;
  void Drain();

  boost::asio::io_context io_;
  std::deque<Task> ready_;
  bool drain_posted_ = false;
  TimerId next_timer_ = 1;
  // Pending timers by id: looked up and erased, never iterated.
  absl::flat_hash_map<TimerId, std::unique_ptr<boost::asio::steady_timer>> timers_;
};

}  // namespace kv
