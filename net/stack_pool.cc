#include "net/stack_pool.h"

#include <sys/mman.h>
#include <unistd.h>

#include "net/assert.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

namespace kv {
namespace {

size_t PageSize() {
  static const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  return page;
}

size_t RoundUpToPages(size_t bytes) {
  const size_t page = PageSize();
  return (bytes + page - 1) / page * page;
}

}  // namespace

StackPool& StackPool::ForThisThread() {
  thread_local StackPool pool;
  return pool;
}

StackPool::~StackPool() {
  for (auto& sctx : free_) {
    void* base = static_cast<char*>(sctx.sp) - sctx.size - PageSize();
    ::munmap(base, sctx.size + PageSize());
  }
}

boost::context::stack_context StackPool::Allocate(size_t bytes) {
  const size_t size = RoundUpToPages(bytes);
  for (size_t i = free_.size(); i > 0; --i) {
    if (free_[i - 1].size == size) {
      boost::context::stack_context sctx = free_[i - 1];
      free_.erase(free_.begin() + static_cast<ptrdiff_t>(i - 1));
      return sctx;
    }
  }
  const size_t total = size + PageSize();
  void* base = ::mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                      -1, 0);
  KV_ASSERT_MSG(base != MAP_FAILED, "mmap of a fiber stack failed");
  // The lowest page is the guard: stacks grow down into it.
  KV_ASSERT(::mprotect(base, PageSize(), PROT_NONE) == 0);
  boost::context::stack_context sctx;
  sctx.size = size;
  sctx.sp = static_cast<char*>(base) + total;
  return sctx;
}

void StackPool::Release(boost::context::stack_context sctx) {
#if defined(__SANITIZE_ADDRESS__)
  // Frames unwound by an exception may leave poisoned shadow behind; the next fiber starts clean.
  __asan_unpoison_memory_region(static_cast<char*>(sctx.sp) - sctx.size, sctx.size);
#endif
  if (free_.size() < kPooledStacksMax) {
    free_.push_back(sctx);
    return;
  }
  void* base = static_cast<char*>(sctx.sp) - sctx.size - PageSize();
  ::munmap(base, sctx.size + PageSize());
}

}  // namespace kv
