#include "storage/record/dvv.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/container/btree_set.h"
#include "net/assert.h"
#include "storage/record/validate.h"

namespace kv::storage {
namespace {

// The deterministic choice between two siblings with the same dot (see Merge).
const Sibling& Preferred(const Sibling& a, const Sibling& b) {
  KV_ASSERT(DotOf(a) == DotOf(b));
  const auto key = [](const Sibling& s) {
    return std::make_tuple(s.wall_micros(), s.tombstone(), s.expiry_micros(),
                           absl::string_view(s.value()));
  };
  return key(a) >= key(b) ? a : b;
}

// True iff `wall_now_micros` is at least `age_micros` after `stamp_micros` (no overflow).
bool OlderThan(int64_t stamp_micros, int64_t age_micros, int64_t wall_now_micros) {
  return static_cast<__int128>(wall_now_micros) - stamp_micros >= age_micros;
}

Sibling NewSibling(const Dot& dot, Write write, int64_t wall_now_micros) {
  Sibling s;
  s.set_dot_node(dot.node);
  s.set_dot_counter(dot.counter);
  s.set_wall_micros(wall_now_micros);
  s.set_value(std::move(write.value));
  s.set_tombstone(write.tombstone);
  s.set_expiry_micros(write.expiry_micros);
  return s;
}

}  // namespace

Record EmptyRecord() {
  Record record;
  record.set_format_version(kRecordFormatVersion);
  record.mutable_context();  // present even when empty: every DVV result has the same shape
  return record;
}

Context ReadContext(const Record& record) {
  AssertValidRecord(record);
  return Context::FromProto(record.context());
}

Context ReplyContext(const Record& record, int64_t wall_now_micros,
                     int64_t clock_offset_max_micros) {
  KV_ASSERT(clock_offset_max_micros >= 0);
  Context context = ReadContext(record);
  for (const Sibling& s : record.siblings()) {
    if (s.tombstone() || !IsExpired(s, wall_now_micros)) continue;  // a delete, or shown
    if (OlderThan(s.expiry_micros(), clock_offset_max_micros, wall_now_micros)) continue;
    context.Exclude(DotOf(s));  // hidden here, but maybe live on another node's clock
  }
  KV_ASSERT(context.size() <= static_cast<size_t>(record.context().entries_size()));
  return context;
}

Write Write::Put(std::string value, int64_t expiry_micros) {
  return Write{std::move(value), false, expiry_micros};
}

Write Write::Delete() { return Write{std::string(), true, 0}; }

Record Update(const Record& record, const Context& client_context, uint64_t coordinator,
              Write write, int64_t wall_now_micros, uint64_t min_counter) {
  AssertValidRecord(record);
  KV_ASSERT(!write.tombstone || write.value.empty());
  KV_ASSERT(write.expiry_micros >= 0);
  Context context = Context::FromProto(record.context());
  context.Join(client_context);
  const uint64_t previous = context.counter(coordinator);
  KV_ASSERT_MSG(previous < UINT64_MAX, "dot counter overflow");
  const Dot dot{coordinator, std::max(previous + 1, min_counter)};

  Record out = EmptyRecord();
  bool placed = false;
  Sibling fresh = NewSibling(dot, std::move(write), wall_now_micros);
  for (const Sibling& s : record.siblings()) {
    if (client_context.Covers(DotOf(s))) continue;  // the client saw it: superseded
    if (!placed && dot < DotOf(s)) {
      *out.add_siblings() = std::move(fresh);
      placed = true;
    }
    *out.add_siblings() = s;
  }
  if (!placed) *out.add_siblings() = std::move(fresh);
  context.Advance(dot, wall_now_micros);
  context.ToRecord(&out);
  AssertValidRecord(out);
  return out;
}

namespace {

// The siblings of the merge of `a` and `b` (see Merge), appended to `out` in dot order. `ca`
// and `cb` answer whether a side's context covers a dot.
template <typename CoversA, typename CoversB>
void MergeSiblings(const Record& a, const Record& b, const CoversA& ca, const CoversB& cb,
                   Record* out) {
  int i = 0, j = 0;
  const int na = a.siblings_size(), nb = b.siblings_size();
  while (i < na || j < nb) {
    if (j == nb || (i < na && DotOf(a.siblings(i)) < DotOf(b.siblings(j)))) {
      const Sibling& s = a.siblings(i++);
      if (!cb(DotOf(s))) *out->add_siblings() = s;  // b has not seen it yet
    } else if (i == na || DotOf(b.siblings(j)) < DotOf(a.siblings(i))) {
      const Sibling& s = b.siblings(j++);
      if (!ca(DotOf(s))) *out->add_siblings() = s;  // a has not seen it yet
    } else {
      *out->add_siblings() = Preferred(a.siblings(i++), b.siblings(j++));  // both hold it
    }
  }
}

// Context::Covers on a version vector without exceptions (entries sorted by node).
bool PlainCovers(const VersionVector& vv, const Dot& dot) {
  const auto& entries = vv.entries();
  auto it = std::lower_bound(entries.begin(), entries.end(), dot.node,
                             [](const VersionVectorEntry& e, uint64_t node) { return e.node() < node; });
  return it != entries.end() && it->node() == dot.node && dot.counter <= it->counter();
}

// Merge for two contexts without exceptions, the common case, read straight from the messages:
// the same result as the general path (Context::Join keeps, per node, the higher counter and on a
// tie the later wall time) without converting either context.
Record MergePlain(const Record& a, const Record& b) {
  Record out;
  out.set_format_version(kRecordFormatVersion);  // no exceptions in the join either
  MergeSiblings(
      a, b, [&a](const Dot& d) { return PlainCovers(a.context(), d); },
      [&b](const Dot& d) { return PlainCovers(b.context(), d); }, &out);
  const auto& ea = a.context().entries();
  const auto& eb = b.context().entries();
  auto* entries = out.mutable_context()->mutable_entries();
  entries->Reserve(std::max(ea.size(), eb.size()));
  int i = 0, j = 0;
  while (i < ea.size() || j < eb.size()) {
    const VersionVectorEntry* from;
    if (j == eb.size() || (i < ea.size() && ea[i].node() < eb[j].node())) {
      from = &ea[i++];
    } else if (i == ea.size() || eb[j].node() < ea[i].node()) {
      from = &eb[j++];
    } else {
      const VersionVectorEntry& x = ea[i++];
      const VersionVectorEntry& y = eb[j++];
      const bool take_y = y.counter() > x.counter() ||
                          (y.counter() == x.counter() && y.updated_wall_micros() > x.updated_wall_micros());
      from = take_y ? &y : &x;
    }
    VersionVectorEntry* e = entries->Add();
    e->set_node(from->node());
    e->set_counter(from->counter());
    e->set_updated_wall_micros(from->updated_wall_micros());
  }
  AssertValidRecord(out);
  return out;
}

}  // namespace

Record Merge(const Record& a, const Record& b) {
  // The inputs are not re-checked (dvv.h): each came from DecodeRecord or another operation here,
  // which checked it, and a replica write merges several times. The result is checked.
  if (!HasUnseen(a.context()) && !HasUnseen(b.context())) return MergePlain(a, b);
  const Context ca = Context::FromProto(a.context());
  const Context cb = Context::FromProto(b.context());
  Record out = EmptyRecord();
  MergeSiblings(
      a, b, [&ca](const Dot& d) { return ca.Covers(d); },
      [&cb](const Dot& d) { return cb.Covers(d); }, &out);
  Context joined = ca;
  joined.Join(cb);
  joined.ToRecord(&out);
  AssertValidRecord(out);
  return out;
}

bool Descends(const Record& a, const Record& b) {
  return Context::FromProto(a.context()).Descends(Context::FromProto(b.context()));
}

bool Concurrent(const Record& a, const Record& b) {
  return Concurrent(Context::FromProto(a.context()), Context::FromProto(b.context()));
}

bool IsExpired(const Sibling& sibling, int64_t wall_now_micros) {
  KV_ASSERT(sibling.expiry_micros() >= 0);
  return sibling.expiry_micros() != 0 && sibling.expiry_micros() <= wall_now_micros;
}

std::vector<const Sibling*> LiveValues(const Record& record, int64_t wall_now_micros) {
  std::vector<const Sibling*> live;
  for (const Sibling& s : record.siblings()) {
    if (!s.tombstone() && !IsExpired(s, wall_now_micros)) live.push_back(&s);
  }
  KV_ASSERT(live.size() <= static_cast<size_t>(record.siblings_size()));
  return live;
}

size_t SiblingCount(const Record& record) { return static_cast<size_t>(record.siblings_size()); }

Record PruneContext(const Record& record, uint64_t self_node, const PruneOptions& options,
                    int64_t wall_now_micros) {
  AssertValidRecord(record);
  KV_ASSERT(options.entry_age_min_micros >= 0);
  Context context = Context::FromProto(record.context());
  if (context.size() <= options.entries_max) return record;

  absl::btree_set<uint64_t> protected_nodes = {self_node};
  for (const Sibling& s : record.siblings()) protected_nodes.insert(s.dot_node());
  // Candidates, oldest first: (updated_wall_micros, node).
  std::vector<std::pair<int64_t, uint64_t>> candidates;
  for (const auto& [node, entry] : context.entries()) {
    if (protected_nodes.contains(node)) continue;
    if (!OlderThan(entry.updated_wall_micros, options.entry_age_min_micros, wall_now_micros))
      continue;
    candidates.emplace_back(entry.updated_wall_micros, node);
  }
  std::sort(candidates.begin(), candidates.end());
  for (const auto& [stamp, node] : candidates) {
    if (context.size() <= options.entries_max) break;
    context.Erase(node);
  }
  Record out = record;
  context.ToRecord(&out);
  AssertValidRecord(out);
  return out;
}

}  // namespace kv::storage
