#include "net/fault_points.h"

#include <algorithm>

// The linker defines these around the "kv_fault_sites" section. Weak: a binary without any site
// has no such section.
extern "C" {
extern const kv::FaultSite __start_kv_fault_sites[] __attribute__((weak));
extern const kv::FaultSite __stop_kv_fault_sites[] __attribute__((weak));
}

namespace kv {

absl::string_view FaultSiteName(absl::string_view site) {
  const size_t slash = site.rfind('/');
  return slash == absl::string_view::npos ? site : site.substr(slash + 1);
}

std::vector<std::pair<std::string, std::string>> AllFaultSites() {
  std::vector<std::pair<std::string, std::string>> sites;
  if (__start_kv_fault_sites == nullptr) return sites;
  for (const FaultSite* s = __start_kv_fault_sites; s != __stop_kv_fault_sites; ++s) {
    sites.emplace_back(std::string(FaultSiteName(s->name)), s->kind);
  }
  std::sort(sites.begin(), sites.end());
  sites.erase(std::unique(sites.begin(), sites.end()), sites.end());
  return sites;
}

}  // namespace kv
