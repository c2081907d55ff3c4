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
  // Asio copies handlers in some paths; a shared_ptr keeps the move-only task movable-by-copy.
  auto shared = std::make_shared<Task>(std::move(task));
  boost::asio::post(io_, [shared] { (*shared)(); });
}

TimerId AsioExecutor::RunAt(MonoTime when, Task task) {
  const TimerId id = next_timer_++;
  auto timer = std::make_unique<boost::asio::steady_timer>(io_);
  timer->expires_at(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(when.nanos())));
  auto shared = std::make_shared<Task>(std::move(task));
  timer->async_wait([this, id, shared](const boost::system::error_code& error) {
    if (error) return;  // cancelled
    timers_.erase(id);
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
