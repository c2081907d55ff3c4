#include "net/future.h"

#include <vector>

namespace kv {

namespace {
int FirstReady(std::initializer_list<const internal::Waitable*> items) {
  int i = 0;
  for (const internal::Waitable* item : items) {
    if (item->ready()) return i;
    ++i;
  }
  return -1;
}
}  // namespace

int SelectUntil(std::initializer_list<const internal::Waitable*> items, MonoTime deadline) {
  int ready = FirstReady(items);
  if (ready >= 0) return ready;
  Waiter w;
  for (const internal::Waitable* item : items) item->wait_list().Add(&w);
  struct Unregister {
    std::initializer_list<const internal::Waitable*> items;
    Waiter* w;
    ~Unregister() {
      for (const internal::Waitable* item : items) item->wait_list().Remove(w);
    }
  } unregister{items, &w};
  w.WaitUntil(deadline);
  return FirstReady(items);
}

}  // namespace kv
