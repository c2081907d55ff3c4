#include "storage/record/context.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <iterator>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "net/assert.h"
#include "storage/record/envelope.h"
#include "storage/record/scratch_arena.h"
#include "storage/record/validate.h"

namespace kv::storage {
namespace {

// True iff `entry` (of some node) has seen that node's write numbered `counter`.
bool EntryCovers(const Context::Entry& entry, uint64_t counter) {
  return counter <= entry.counter &&
         !std::binary_search(entry.unseen.begin(), entry.unseen.end(), counter);
}

// The exceptions of the join of `a` and `b` (one node's entries): the counters neither has seen.
std::vector<uint64_t> JoinedUnseen(const Context::Entry& a, const Context::Entry& b) {
  std::vector<uint64_t> out;
  for (uint64_t u : a.unseen) {
    if (!EntryCovers(b, u)) out.push_back(u);
  }
  for (uint64_t u : b.unseen) {
    if (!EntryCovers(a, u)) out.push_back(u);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());  // unseen by both: listed twice
  return out;
}

size_t UnseenCount(const VersionVector& vv) {
  size_t n = 0;
  for (const VersionVectorEntry& e : vv.entries()) n += static_cast<size_t>(e.unseen_size());
  return n;
}

}  // namespace

Context Context::FromProto(const VersionVector& vv) {
  Context ctx;
  ctx.entries_.reserve(static_cast<size_t>(vv.entries_size()));
  for (const VersionVectorEntry& e : vv.entries()) {
    KV_ASSERT(e.counter() > 0);
    Entry entry{e.counter(), e.updated_wall_micros(), {e.unseen().begin(), e.unseen().end()}};
    KV_ASSERT(entry.unseen.empty() || entry.unseen.back() < entry.counter);
    const bool inserted = ctx.entries_.emplace(e.node(), std::move(entry)).second;
    KV_ASSERT_MSG(inserted, "duplicate node in a version vector");
  }
  return ctx;
}

void Context::ToProto(VersionVector* vv) const {
  KV_ASSERT(vv != nullptr);
  vv->Clear();
  vv->mutable_entries()->Reserve(static_cast<int>(entries_.size()));
  for (const auto& [node, entry] : entries_) {
    VersionVectorEntry* e = vv->add_entries();
    e->set_node(node);
    e->set_counter(entry.counter);
    e->set_updated_wall_micros(entry.updated_wall_micros);
    e->mutable_unseen()->Add(entry.unseen.begin(), entry.unseen.end());
  }
  KV_ASSERT(static_cast<size_t>(vv->entries_size()) == entries_.size());
}

void Context::ToRecord(Record* record) const {
  KV_ASSERT(record != nullptr);
  ToProto(record->mutable_context());
  record->set_format_version(has_unseen() ? kRecordFormatVersionUnseen : kRecordFormatVersion);
}

std::string Context::Encode() const {
  if (entries_.empty()) return std::string();
  ScratchArena<2048> arena;
  VersionVector& vv = *arena.Make<VersionVector>();
  ToProto(&vv);
  // Seal's bytes, with the payload serialised in place behind the header (one allocation).
  const size_t payload_bytes = vv.ByteSizeLong();
  KV_ASSERT(payload_bytes <= static_cast<size_t>(std::numeric_limits<int>::max()));
  std::string out(kEnvelopeHeaderBytes + payload_bytes, '\0');
  uint8_t* const payload = reinterpret_cast<uint8_t*>(out.data()) + kEnvelopeHeaderBytes;
  uint8_t* const end = vv.SerializeWithCachedSizesToArray(payload);
  KV_ASSERT(end == payload + payload_bytes);
  const std::array<char, kEnvelopeHeaderBytes> header =
      SealHeader(has_unseen() ? kContextFormatVersionUnseen : kContextFormatVersion,
                 absl::string_view(reinterpret_cast<const char*>(payload), payload_bytes));
  std::memcpy(out.data(), header.data(), header.size());
  return out;
}

absl::StatusOr<Context> Context::Decode(absl::string_view bytes) {
  if (bytes.empty()) return Context();
  absl::StatusOr<Opened> opened = Open(bytes, kContextFormatVersionUnseen, "causal context");
  if (!opened.ok()) {
    if (absl::IsFailedPrecondition(opened.status())) return opened.status();
    return absl::InvalidArgumentError(opened.status().message());
  }
  ScratchArena<2048> arena;
  VersionVector& vv = *arena.Make<VersionVector>();
  if (!vv.ParseFromArray(opened->payload.data(), static_cast<int>(opened->payload.size()))) {
    return absl::InvalidArgumentError("causal context does not parse");
  }
  if (static_cast<size_t>(vv.entries_size()) > kContextEntriesLimit) {
    return absl::InvalidArgumentError(absl::StrCat("causal context has ", vv.entries_size(),
                                                   " entries, limit ", kContextEntriesLimit));
  }
  if (const size_t unseen = UnseenCount(vv); unseen > kContextUnseenLimit) {
    return absl::InvalidArgumentError(absl::StrCat(
        "causal context has ", unseen, " unseen counters, limit ", kContextUnseenLimit));
  }
  if (absl::Status s = ValidateVersionVector(vv); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("causal context invalid: ", s.message()));
  }
  // Version 1 has no exceptions; a version 2 context without any is not canonical.
  const uint8_t expected = HasUnseen(vv) ? kContextFormatVersionUnseen : kContextFormatVersion;
  if (opened->version != expected) {
    return absl::InvalidArgumentError(
        absl::StrCat("causal context of format version ", static_cast<int>(opened->version), " ",
                     expected == kContextFormatVersion ? "lists no" : "lists", " unseen counters"));
  }
  return FromProto(vv);
}

uint64_t Context::counter(uint64_t node) const {
  auto it = entries_.find(node);
  return it == entries_.end() ? 0 : it->second.counter;
}

bool Context::Covers(const Dot& dot) const {
  KV_ASSERT(dot.counter > 0);
  auto it = entries_.find(dot.node);
  return it != entries_.end() && EntryCovers(it->second, dot.counter);
}

bool Context::Descends(const Context& other) const {
  for (const auto& [node, theirs] : other.entries_) {
    auto it = entries_.find(node);
    if (it == entries_.end() || it->second.counter < theirs.counter) return false;
    // Every write `other` has seen below our counter must not be one of our exceptions.
    for (uint64_t u : it->second.unseen) {
      if (EntryCovers(theirs, u)) return false;
    }
  }
  return true;
}

void Context::Join(const Context& other) {
  for (const auto& [node, theirs] : other.entries_) {
    auto [it, inserted] = entries_.emplace(node, theirs);
    if (inserted) continue;
    Entry& mine = it->second;
    std::vector<uint64_t> unseen = JoinedUnseen(mine, theirs);
    if (theirs.counter > mine.counter ||
        (theirs.counter == mine.counter && theirs.updated_wall_micros > mine.updated_wall_micros)) {
      mine.counter = theirs.counter;
      mine.updated_wall_micros = theirs.updated_wall_micros;
    }
    mine.unseen = std::move(unseen);
    KV_ASSERT(mine.unseen.empty() || mine.unseen.back() < mine.counter);
  }
  KV_ASSERT(entries_.size() >= other.entries_.size());
}

void Context::Advance(const Dot& dot, int64_t wall_micros) {
  KV_ASSERT(dot.counter > counter(dot.node));
  Entry& entry = entries_[dot.node];
  entry.counter = dot.counter;
  entry.updated_wall_micros = wall_micros;
  KV_ASSERT(Covers(dot));
}

void Context::Exclude(const Dot& dot) {
  KV_ASSERT(Covers(dot));
  Entry& entry = entries_.at(dot.node);
  if (dot.counter < entry.counter) {
    entry.unseen.insert(std::upper_bound(entry.unseen.begin(), entry.unseen.end(), dot.counter),
                        dot.counter);
  } else {
    // The highest counter: lower it to the highest one still seen (exceptions stay below it).
    uint64_t top = dot.counter - 1;
    while (!entry.unseen.empty() && entry.unseen.back() == top) {
      entry.unseen.pop_back();
      --top;
    }
    if (top == 0) {
      entries_.erase(dot.node);
    } else {
      entry.counter = top;
    }
  }
  KV_ASSERT(!Covers(dot));
}

void Context::Erase(uint64_t node) { entries_.erase(node); }

bool Context::has_unseen() const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [](const auto& e) { return !e.second.unseen.empty(); });
}

bool Concurrent(const Context& a, const Context& b) { return !a.Descends(b) && !b.Descends(a); }

}  // namespace kv::storage
