#include "storage/record/resolution.h"

#include <tuple>
#include <utility>

#include "absl/strings/string_view.h"
#include "net/assert.h"
#include "storage/record/validate.h"

namespace kv::storage {
namespace {

auto NewestKey(const Sibling& s) {
  return std::make_tuple(s.wall_micros(), s.dot_node(), s.dot_counter(), s.tombstone(),
                         s.expiry_micros(), absl::string_view(s.value()));
}

Record MergeNewest(const Record& a, const Record& b) {
  // Inputs unchecked, result checked, as in the DVV Merge (dvv.h).
  const Sibling* newest = nullptr;
  for (const Record* r : {&a, &b}) {
    for (const Sibling& s : r->siblings()) {
      if (newest == nullptr || NewerWrite(s, *newest)) newest = &s;
    }
  }
  Context joined = Context::FromProto(a.context());
  joined.Join(Context::FromProto(b.context()));
  Record out = EmptyRecord();
  if (newest != nullptr) *out.add_siblings() = *newest;
  joined.ToRecord(&out);
  AssertValidRecord(out);
  KV_ASSERT(out.siblings_size() <= 1);
  return out;
}

}  // namespace

bool NewerWrite(const Sibling& a, const Sibling& b) { return NewestKey(a) > NewestKey(b); }

void KeepNewestSibling(Record* record) {
  KV_ASSERT(record != nullptr);
  const int count = record->siblings_size();
  if (count <= 1) return;
  int newest = 0;
  for (int i = 1; i < count; ++i) {
    if (NewerWrite(record->siblings(i), record->siblings(newest))) newest = i;
  }
  record->mutable_siblings()->SwapElements(0, newest);
  record->mutable_siblings()->DeleteSubrange(1, count - 1);
  KV_ASSERT(record->siblings_size() == 1);
}

Record Merge(const Record& a, const Record& b, Resolution resolution) {
  if (resolution == Resolution::kDottedVersionVectors) return Merge(a, b);
  KV_ASSERT(resolution == Resolution::kLastWriterWins);
  return MergeNewest(a, b);
}

Record Update(const Record& record, const Context& client_context, uint64_t coordinator,
              Write write, int64_t wall_now_micros, uint64_t min_counter, Resolution resolution) {
  if (resolution == Resolution::kDottedVersionVectors) {
    return Update(record, client_context, coordinator, std::move(write), wall_now_micros,
                  min_counter);
  }
  KV_ASSERT(resolution == Resolution::kLastWriterWins);
  // With the empty context Update supersedes nothing: the current siblings and
  // the new write stay, and the newest of them is kept.
  Record out =
      Update(record, Context(), coordinator, std::move(write), wall_now_micros, min_counter);
  KeepNewestSibling(&out);
  AssertValidRecord(out);
  return out;
}

}  // namespace kv::storage
