// Fiber stacks: mmap'ed with a guard page below each stack (an overflow faults instead of
// corrupting memory), recycled through a per-thread pool so spawning a fiber costs no system call in
// steady state. Pages are touched lazily, so a 256 KiB stack costs only the memory it uses.
#pragma once

#include <cstddef>
#include <vector>

#include <boost/context/stack_context.hpp>

namespace kv {

class StackPool {
 public:
  // The pool of the calling thread.
  static StackPool& ForThisThread();

  ~StackPool();

  // Returns a stack of at least `bytes` (rounded up to pages) plus a guard page. Aborts if the
  // system is out of memory.
  boost::context::stack_context Allocate(size_t bytes);
  void Release(boost::context::stack_context sctx);

  size_t pooled() const { return free_.size(); }

  // Bound on stacks kept for reuse; more are unmapped on release.
  static constexpr size_t kPooledStacksMax = 4096;

 private:
  std::vector<boost::context::stack_context> free_;
};

// A Boost.Context StackAllocator that draws from the thread's StackPool.
class PooledStackAllocator {
 public:
  explicit PooledStackAllocator(size_t bytes) : bytes_(bytes) {}
  boost::context::stack_context allocate() { return StackPool::ForThisThread().Allocate(bytes_); }
  void deallocate(boost::context::stack_context& sctx) { StackPool::ForThisThread().Release(sctx); }

 private:
  size_t bytes_;
};

}  // namespace kv
