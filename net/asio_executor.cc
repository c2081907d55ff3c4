#include "net/asio_executor.h"

#include <chrono>
#include <memory>
#include <utility>

#include <boost/asio/post.hpp>

#include "absl/time/clock.h"

namespace kv {

AsioExecutor::AsioExecutor() = default;

AsioExecutor::~AsioExecutor() = default;

void AsioExecutor::Run() {
  io_.restart();
  io_.run();
}

void AsioExecutor::Stop() { io_.stop(); }

MonoTime AsioExecutor::Now() const {
  return MonoTime::FromNanos(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::steady_clock::now().time_since_epoch())
                                 .count());
}

WallTime AsioExecutor::WallNow() const { return absl::Now(); }

void AsioExecutor::Post(Task task) {
  ready_.push_back(std::move(task));
  if (drain_posted_) return;
  drain_posted_ = true;
  boost::asio::post(io_, [this] { Drain(); });
}

void AsioExecutor::Drain() {
  // drain_posted_ stays true while draining: tasks posted meanwhile join this batch.
  for (size_t n = 0; n < kDrainBatchMax && !ready_.empty(); ++n) {
    Task task = std::move(ready_.front());
    ready_.pop_front();
    task();
  }
  if (ready_.empty()) {
    drain_posted_ = false;
  } else {
    boost::asio::post(io_, [this] { Drain(); });
  }
}

TimerId AsioExecutor::RunAt(MonoTime when, Task task) {
  const TimerId id = next_timer_++;
  auto timer = std::make_unique<boost::asio::steady_timer>(io_);
  timer->expires_at(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(when.nanos())));
  auto shared = std::make_shared<Task>(std::move(task));
  timer->async_wait([this, id, shared](const boost::system::error_code& error) {
    // Cancel() erases the timer: one cancelled after it expired, while this handler waited in
    // the queue, still arrives here without an error, and must not run.
    if (error || timers_.erase(id) == 0) return;
    (*shared)();
  });
  timers_.emplace(id, std::move(timer));
  return id;
}

void AsioExecutor::Cancel(TimerId id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  it->second->cancel();
  timers_.erase(it);
}

}  // namespace kv
