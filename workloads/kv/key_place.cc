#include "workloads/kv/key_place.h"

#include "absl/strings/str_cat.h"
#include "workloads/kv/key_chooser.h"

namespace kv::workloads {

std::string WorkloadKey(uint64_t index, const ClusterSpec& c) {
  const uint64_t slot = index % (c.namespaces.size() + 1);
  if (slot == 0) return KeyName(index);
  return absl::StrCat(c.namespaces[slot - 1].name(), "/", KeyName(index));
}

KeyPlace PlaceOf(const std::string& workload_key, const ClusterSpec& c) {
  KeyPlace place;
  place.n = c.n;
  const size_t slash = workload_key.find('/');
  if (slash == std::string::npos) {
    place.key = workload_key;
  } else {
    place.ns = workload_key.substr(0, slash);
    place.key = workload_key.substr(slash + 1);
    for (const node::Namespace& ns : c.namespaces) {
      if (ns.name() == place.ns) place.n = ns.n();
    }
  }
  place.stored = node::StoredKey(place.ns, place.key);
  return place;
}

}  // namespace kv::workloads
