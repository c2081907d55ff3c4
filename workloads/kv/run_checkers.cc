#include "workloads/kv/run_checkers.h"

#include <algorithm>

#include "absl/container/btree_map.h"
#include "workloads/kv/key_place.h"

namespace kv::workloads {
namespace {

bool Listed(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// The operations of the keys `keep` says, in order, with their context links renumbered.
KvHistory Select(const KvHistory& all, const std::function<bool(const std::string&)>& keep) {
  KvHistory out;
  absl::btree_map<int64_t, int64_t> renumbered;
  for (size_t i = 0; i < all.ops.size(); ++i) {
    if (!keep(all.ops[i].key)) continue;
    KvOp op = all.ops[i];
    if (op.context_from >= 0) {
      auto it = renumbered.find(op.context_from);
      op.context_from = it == renumbered.end() ? -1 : it->second;
    }
    renumbered[static_cast<int64_t>(i)] = static_cast<int64_t>(out.Add(std::move(op)));
  }
  return out;
}

}  // namespace

std::vector<Verdict> RunScenarioCheckers(const Scenario& s, const CheckInput& in) {
  const ClusterSpec& c = s.cluster;
  auto namespace_of = [&c](const std::string& key) -> const node::Namespace* {
    const KeyPlace place = PlaceOf(key, c);
    for (const node::Namespace& ns : c.namespaces) {
      if (ns.name() == place.ns) return &ns;
    }
    return nullptr;
  };
  auto is_cache = [&](const std::string& key) {
    const node::Namespace* ns = namespace_of(key);
    return ns != nullptr && ns->cache_bytes() > 0;
  };
  const bool has_cache = std::any_of(c.namespaces.begin(), c.namespaces.end(),
                                     [](const node::Namespace& ns) { return ns.cache_bytes() > 0; });
  KvHistory regular_history, cache_history;
  absl::btree_map<std::string, KeyFinal> regular_finals;
  CheckInput regular = in, cache = in;
  if (has_cache) {
    regular_history = Select(*in.history, [&](const std::string& k) { return !is_cache(k); });
    cache_history = Select(*in.history, is_cache);
    for (const auto& [key, final] : *in.finals) {
      if (!is_cache(key)) regular_finals[key] = final;
    }
    regular.history = &regular_history;
    regular.finals = &regular_finals;
    cache.history = &cache_history;
  } else {
    cache_history = KvHistory();
    cache.history = &cache_history;
  }
  if (!c.namespaces.empty()) {
    regular.strict_quorum_for = [&](const std::string& key) {
      const node::Namespace* ns = namespace_of(key);
      if (ns == nullptr) return !c.sloppy && c.r + c.w > c.n;
      return ns->strict() && ns->r() + ns->w() > ns->n();
    };
  }
  std::vector<Verdict> verdicts = RunAllCheckers(regular);
  verdicts.push_back(CheckCacheReads(cache));
  std::vector<Verdict> out;
  for (Verdict& v : verdicts) {
    if (!s.checks.run.empty() && !Listed(s.checks.run, v.checker)) continue;
    v.expected_violation = Listed(s.checks.expect_violation, v.checker);
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace kv::workloads
