#include "net/runtime.h"

namespace kv {

Runtime::Runtime(Parts parts) : p_(parts) {
  KV_ASSERT(p_.clock != nullptr);
  KV_ASSERT(p_.executor != nullptr);
  KV_ASSERT(p_.fibers != nullptr);
  KV_ASSERT(p_.transport != nullptr);
  KV_ASSERT(p_.random != nullptr);
  KV_ASSERT(p_.fault_points != nullptr);
  KV_ASSERT(p_.logger != nullptr);
}

}  // namespace kv
