#include "storage/record/context.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "net/assert.h"
#include "storage/record/envelope.h"
#include "storage/record/validate.h"

namespace kv::storage {

Context Context::FromProto(const VersionVector& vv) {
  Context ctx;
  for (const VersionVectorEntry& e : vv.entries()) {
    KV_ASSERT(e.counter() > 0);
    const bool inserted =
        ctx.entries_.emplace(e.node(), Entry{e.counter(), e.updated_wall_micros()}).second;
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
  }
  KV_ASSERT(static_cast<size_t>(vv->entries_size()) == entries_.size());
}

std::string Context::Encode() const {
  if (entries_.empty()) return std::string();
  VersionVector vv;
  ToProto(&vv);
  return Seal(kContextFormatVersion, vv.SerializeAsString());
}

absl::StatusOr<Context> Context::Decode(absl::string_view bytes) {
  if (bytes.empty()) return Context();
  absl::StatusOr<absl::string_view> payload = Open(bytes, kContextFormatVersion, "causal context");
  if (!payload.ok()) {
    if (absl::IsFailedPrecondition(payload.status())) return payload.status();
    return absl::InvalidArgumentError(payload.status().message());
  }
  VersionVector vv;
  if (!vv.ParseFromArray(payload->data(), static_cast<int>(payload->size()))) {
    return absl::InvalidArgumentError("causal context does not parse");
  }
  if (static_cast<size_t>(vv.entries_size()) > kContextEntriesLimit) {
    return absl::InvalidArgumentError(absl::StrCat("causal context has ", vv.entries_size(),
                                                   " entries, limit ", kContextEntriesLimit));
  }
  if (absl::Status s = ValidateVersionVector(vv); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("causal context invalid: ", s.message()));
  }
  return FromProto(vv);
}

uint64_t Context::counter(uint64_t node) const {
  auto it = entries_.find(node);
  return it == entries_.end() ? 0 : it->second.counter;
}

bool Context::Covers(const Dot& dot) const {
  KV_ASSERT(dot.counter > 0);
  return counter(dot.node) >= dot.counter;
}

bool Context::Descends(const Context& other) const {
  for (const auto& [node, entry] : other.entries_) {
    if (counter(node) < entry.counter) return false;
  }
  return true;
}

void Context::Join(const Context& other) {
  for (const auto& [node, theirs] : other.entries_) {
    auto [it, inserted] = entries_.emplace(node, theirs);
    if (inserted) continue;
    Entry& mine = it->second;
    if (theirs.counter > mine.counter ||
        (theirs.counter == mine.counter && theirs.updated_wall_micros > mine.updated_wall_micros)) {
      mine = theirs;
    }
  }
  KV_ASSERT(entries_.size() >= other.entries_.size());
}

void Context::Advance(const Dot& dot, int64_t wall_micros) {
  KV_ASSERT(dot.counter > counter(dot.node));
  entries_[dot.node] = Entry{dot.counter, wall_micros};
  KV_ASSERT(Covers(dot));
}

void Context::Erase(uint64_t node) { entries_.erase(node); }

bool Concurrent(const Context& a, const Context& b) { return !a.Descends(b) && !b.Descends(a); }

}  // namespace kv::storage
