#include "node/namespaces.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace kv::node {
namespace {

constexpr int kUnitShift = 24;
constexpr PartitionId kPartitionMask = (PartitionId{1} << kUnitShift) - 1;
constexpr PartitionId kCacheBit = PartitionId{1} << 28;
constexpr PartitionId kNMask = 0xF;

}  // namespace

absl::Status ValidateNamespaceName(absl::string_view name) {
  if (name.empty() || name.size() > kNamespaceNameMax) {
    return absl::InvalidArgumentError(absl::StrCat("a namespace name has 1 to ", kNamespaceNameMax,
                                                   " characters; got ", name.size()));
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') {
      return absl::InvalidArgumentError(absl::StrCat(
          "namespace '", absl::CHexEscape(name), "': a name is letters, digits, '_' and '-' only"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateNamespace(const Namespace& ns) {
  if (absl::Status s = ValidateNamespaceName(ns.name()); !s.ok()) return s;
  if (IsDefaultNamespace(ns.name())) {
    return absl::InvalidArgumentError(
        "the default namespace is configured by the nodes' own settings (--n, --r, --w, ...)");
  }
  const std::string what = absl::StrCat("namespace '", ns.name(), "': ");
  if (ns.n() < 1 || ns.n() > kNamespaceNMax) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, "N must be between 1 and ", kNamespaceNMax, "; got ", ns.n()));
  }
  if (ns.r() < 1 || ns.w() < 1 || ns.r() > ns.n() || ns.w() > ns.n()) {
    return absl::InvalidArgumentError(absl::StrCat(what, "need 1 <= R, W <= N; got N=", ns.n(),
                                                   " R=", ns.r(), " W=", ns.w()));
  }
  if (ns.default_ttl_micros() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, "the default TTL must not be negative"));
  }
  return absl::OkStatus();
}

absl::Status ValidateNamespaceChange(const Namespace& current, const Namespace& next) {
  if (current.n() != next.n()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "namespace '", current.name(), "' has N=", current.n(),
        "; N cannot change once a namespace is defined (its keys are placed by it)"));
  }
  if ((current.cache_bytes() > 0) != (next.cache_bytes() > 0)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "namespace '", current.name(), "' ", current.cache_bytes() > 0 ? "is" : "is not",
        " a cache; that cannot change once it is defined (only a cache's budget can)"));
  }
  return absl::OkStatus();
}

bool NamespaceSupersedes(const Namespace& a, const Namespace& b) {
  return std::make_tuple(a.version(), a.modified_by()) > std::make_tuple(b.version(), b.modified_by());
}

std::string StoredKey(absl::string_view ns, absl::string_view key) {
  if (IsDefaultNamespace(ns)) {
    if (key.empty() || key.front() != '\0') return std::string(key);
    return absl::StrCat(absl::string_view("\0\0", 2), key);
  }
  std::string out;
  out.reserve(ns.size() + 2 + key.size());
  out.push_back('\0');
  out.append(ns.data(), ns.size());
  out.push_back('\0');
  out.append(key.data(), key.size());
  return out;
}

bool SplitStoredKey(absl::string_view stored, absl::string_view* ns, absl::string_view* key) {
  if (stored.empty() || stored.front() != '\0') {
    *ns = kDefaultNamespace;
    *key = stored;
    return true;
  }
  const size_t end = stored.find('\0', 1);
  if (end == absl::string_view::npos) return false;
  const absl::string_view name = stored.substr(1, end - 1);
  if (!name.empty() && !ValidateNamespaceName(name).ok()) return false;
  *ns = name.empty() ? kDefaultNamespace : name;
  *key = stored.substr(end + 1);
  return true;
}

PartitionId StoreId(IndexN unit, uint32_t cluster_n) {
  if (unit.n == cluster_n && !unit.cache) return unit.partition;
  return (unit.cache ? kCacheBit : 0) | (static_cast<PartitionId>(unit.n) << kUnitShift) |
         unit.partition;
}

IndexN UnitOf(PartitionId store_id, uint32_t cluster_n) {
  const bool cache = (store_id & kCacheBit) != 0;
  const uint32_t n = (store_id >> kUnitShift) & (cache ? kNMask : 0xFF);
  return IndexN{.partition = store_id & kPartitionMask,
                .n = n == 0 && !cache ? cluster_n : n,
                .cache = cache};
}

uint32_t UnitKindBit(PartitionId store_id) {
  const IndexN unit = UnitOf(store_id, 0);
  if (unit.cache) return uint32_t{1} << (16 + unit.n);
  return uint32_t{1} << std::min<uint32_t>(unit.n, 31);
}

IndexN UnitOfKey(PartitionId partition, const Namespace* def, uint32_t cluster_n) {
  if (def == nullptr) return IndexN{.partition = partition, .n = cluster_n};
  return IndexN{.partition = partition, .n = def->n(), .cache = def->cache_bytes() > 0};
}

std::vector<uint32_t> ReplicationFactors(uint32_t cluster_n,
                                         const google::protobuf::RepeatedPtrField<Namespace>& table,
                                         uint32_t seen) {
  uint32_t bits = seen | 1u;
  for (const Namespace& ns : table) {
    if (ns.cache_bytes() == 0) bits |= UnitKindBit(StoreId({.n = ns.n()}, cluster_n));
  }
  std::vector<uint32_t> out;
  for (uint32_t n = 0; n <= kNamespaceNMax; ++n) {
    if (bits & (uint32_t{1} << n)) out.push_back(n == 0 ? cluster_n : n);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace kv::node
