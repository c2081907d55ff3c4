#include "storage/record/validate.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "net/assert.h"

namespace kv::storage {
namespace {

// OK iff every sibling's dot is covered by `context`. REQUIRES: both sorted by node.
// (Iterators, not indices: RepeatedPtrField's indexed access is an out-of-line call, and every
// DVV operation runs this.)
absl::Status CheckSiblingsCovered(const Record& record) {
  const auto& entries = record.context().entries();
  auto e = entries.begin();
  const auto end = entries.end();
  for (const Sibling& s : record.siblings()) {
    while (e != end && e->node() < s.dot_node()) ++e;
    if (e == end || e->node() != s.dot_node() || e->counter() < s.dot_counter() ||
        std::binary_search(e->unseen().begin(), e->unseen().end(), s.dot_counter())) {
      return absl::InvalidArgumentError(absl::StrCat("sibling (", s.dot_node(), ", ",
                                                     s.dot_counter(),
                                                     ") is not covered by the record's context"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckSibling(const Sibling& s, const Sibling* prev) {
  if (s.dot_counter() == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("sibling of node ", s.dot_node(), " has counter 0"));
  }
  if (prev != nullptr &&
      !(prev->dot_node() < s.dot_node() ||
        (prev->dot_node() == s.dot_node() && prev->dot_counter() < s.dot_counter()))) {
    return absl::InvalidArgumentError(
        absl::StrCat("siblings not in strictly increasing dot order at (", s.dot_node(), ", ",
                     s.dot_counter(), ")"));
  }
  if (s.tombstone() && !s.value().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("tombstone (", s.dot_node(), ", ", s.dot_counter(), ") carries a value"));
  }
  if (s.expiry_micros() < 0) {
    return absl::InvalidArgumentError(absl::StrCat("sibling (", s.dot_node(), ", ", s.dot_counter(),
                                                   ") has negative expiry ", s.expiry_micros()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateVersionVector(const VersionVector& vv) {
  const VersionVectorEntry* prev = nullptr;
  for (const VersionVectorEntry& e : vv.entries()) {
    if (e.counter() == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("context entry for node ", e.node(), " has counter 0"));
    }
    if (prev != nullptr && prev->node() >= e.node()) {
      return absl::InvalidArgumentError(
          absl::StrCat("context entries not in strictly increasing node order at node ", e.node()));
    }
    uint64_t previous = 0;
    for (uint64_t unseen : e.unseen()) {
      if (unseen <= previous || unseen >= e.counter()) {
        return absl::InvalidArgumentError(
            absl::StrCat("context entry for node ", e.node(), " (counter ", e.counter(),
                         ") has unseen counter ", unseen, " out of order or not in [1, counter)"));
      }
      previous = unseen;
    }
    prev = &e;
  }
  return absl::OkStatus();
}

bool HasUnseen(const VersionVector& vv) {
  for (const VersionVectorEntry& e : vv.entries()) {
    if (e.unseen_size() > 0) return true;
  }
  return false;
}

uint8_t RecordFormatVersionFor(const VersionVector& vv) {
  return HasUnseen(vv) ? kRecordFormatVersionUnseen : kRecordFormatVersion;
}

absl::Status ValidateRecord(const Record& record) {
  if (absl::Status s = ValidateVersionVector(record.context()); !s.ok()) return s;
  const uint8_t version = RecordFormatVersionFor(record.context());
  if (record.format_version() != version) {
    return absl::InvalidArgumentError(
        absl::StrCat("record format_version ", record.format_version(), ", expected ", version,
                     version == kRecordFormatVersion ? " (its context lists no unseen counters)"
                                                     : " (its context lists unseen counters)"));
  }
  const Sibling* prev = nullptr;
  for (const Sibling& s : record.siblings()) {
    if (absl::Status st = CheckSibling(s, prev); !st.ok()) return st;
    prev = &s;
  }
  return CheckSiblingsCovered(record);
}

void AssertValidRecord(const Record& record) {
  const absl::Status s = ValidateRecord(record);
  KV_ASSERT_MSG(s.ok(), s.message());
}

}  // namespace kv::storage
