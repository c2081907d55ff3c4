#include "workloads/demo/durability_checker.h"

#include "absl/container/btree_set.h"
#include "absl/strings/str_format.h"

namespace kv::demo {

void DurabilityChecker::OnAck(NodeId node, uint64_t token, LogLocation location) {
  required_[node][token] = location;
  ++acked_;
}

std::vector<std::string> DurabilityChecker::OnRecovered(
    NodeId node, const std::vector<uint64_t>& recovered_tokens,
    const std::vector<InvalidRecord>& invalid, uint64_t seed) {
  std::vector<std::string> violations;
  const absl::btree_set<uint64_t> present(recovered_tokens.begin(), recovered_tokens.end());
  auto& required = required_[node];
  for (auto it = required.begin(); it != required.end();) {
    const uint64_t token = it->first;
    const LogLocation loc = it->second;
    if (present.contains(token)) {
      ++verified_;
      ++it;
      continue;
    }
    bool explained = false;
    for (const InvalidRecord& bad : invalid) {
      explained |= bad.segment == loc.segment && bad.offset <= loc.offset;
    }
    if (explained) {
      ++explained_;
    } else {
      violations.push_back(absl::StrFormat(
          "durability: node %d lost acknowledged append %016x (segment %d offset %d) with no "
          "corruption reported; seed %d",
          node, token, loc.segment, loc.offset, seed));
    }
    it = required.erase(it);
  }
  return violations;
}

}  // namespace kv::demo
