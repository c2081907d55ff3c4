// A FIFO queue on one growing circular array: push at the back, pop at the front. Unlike
// std::deque, which allocates and frees a block every few dozen elements as the queue moves along,
// it allocates only when it grows past its largest size so far (doubling), so a queue in steady
// use (a mailbox, the simulator's ready events) allocates nothing. Not thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <utility>

#include "net/assert.h"

namespace kv {

template <typename T>
class RingBuffer {
 public:
  RingBuffer() = default;
  RingBuffer(const RingBuffer&) = delete;
  RingBuffer& operator=(const RingBuffer&) = delete;
  ~RingBuffer() { clear(); }

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }

  void push_back(T item) {
    if (size_ == capacity_) Grow();
    ::new (Raw((head_ + size_) & (capacity_ - 1))) T(std::move(item));
    ++size_;
  }

  // REQUIRES: !empty().
  T& front() {
    KV_ASSERT(size_ > 0);
    return *Slot(head_);
  }
  void pop_front() {
    KV_ASSERT(size_ > 0);
    Slot(head_)->~T();
    head_ = (head_ + 1) & (capacity_ - 1);
    --size_;
  }

  void clear() {
    while (size_ > 0) pop_front();
  }

 private:
  // Raw storage for one element, so slots outside [head, head + size) hold no object.
  struct alignas(T) Storage {
    unsigned char bytes[sizeof(T)];
  };
  void* Raw(size_t i) { return slots_[i].bytes; }
  // The element in slot `i`. REQUIRES: the slot holds one.
  T* Slot(size_t i) { return std::launder(reinterpret_cast<T*>(slots_[i].bytes)); }

  void Grow() {
    const size_t capacity = capacity_ == 0 ? 8 : capacity_ * 2;  // a power of two
    auto slots = std::make_unique<Storage[]>(capacity);
    for (size_t i = 0; i < size_; ++i) {
      T* from = Slot((head_ + i) & (capacity_ - 1));
      ::new (static_cast<void*>(slots[i].bytes)) T(std::move(*from));
      from->~T();
    }
    slots_ = std::move(slots);
    capacity_ = capacity;
    head_ = 0;
  }

  std::unique_ptr<Storage[]> slots_;
  size_t capacity_ = 0;  // zero or a power of two
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace kv
