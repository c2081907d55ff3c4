// Helpers for the record and DVV tests: random valid records, structural equality, live values
// and a printable form for failure messages.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/message_differencer.h"
#include "net/random.h"
#include "storage/record/context.h"
#include "storage/record/dvv.h"
#include "storage/record/record.pb.h"
#include "storage/record/validate.h"

namespace kv::storage::testing {

// Structural equality of two records (same canonical version set and context).
inline bool SameRecord(const Record& a, const Record& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

// A compact printable form: {siblings [(node,counter)=value ...] ctx {node:counter ...}}.
inline std::string Show(const Record& r) {
  std::string out = "{siblings [";
  for (const Sibling& s : r.siblings()) {
    absl::StrAppend(&out, " (", s.dot_node(), ",", s.dot_counter(),
                    ")=", s.tombstone() ? std::string("<tombstone>") : s.value());
    if (s.expiry_micros() != 0) absl::StrAppend(&out, "@exp", s.expiry_micros());
  }
  absl::StrAppend(&out, " ] ctx {");
  for (const VersionVectorEntry& e : r.context().entries()) {
    absl::StrAppend(&out, " ", e.node(), ":", e.counter(), "@", e.updated_wall_micros());
    if (e.unseen_size() > 0) absl::StrAppend(&out, "-[", absl::StrJoin(e.unseen(), ","), "]");
  }
  return absl::StrCat(out, " }}");
}

// The values of `r`'s live siblings at wall time `now_micros` (LiveValues, dvv.h), in sibling
// order: what a read returns.
inline std::vector<std::string> ValuesOf(const Record& r, int64_t now_micros = 0) {
  std::vector<std::string> out;
  for (const Sibling* s : LiveValues(r, now_micros)) out.push_back(s->value());
  return out;
}

struct RandomRecordOptions {
  uint64_t nodes = 4;        // node ids 1..nodes
  uint64_t counter_max = 6;  // context counters in [1, counter_max]
  double entry_probability = 0.7;
  double sibling_probability = 0.3;  // per covered dot
  // Probability that a sibling's content is NOT the canonical content of its dot. Real systems
  // never give one dot two contents (0.0); > 0 exercises Merge's deterministic tie-break.
  double conflicting_content_probability = 0.0;
  // Probability that a context counter below an entry's top is an exception (unseen, context.h),
  // as after a client's write with a reply context that left out a just-expired value.
  double unseen_probability = 0.0;
};

// Options for records whose contexts list unseen counters.
inline RandomRecordOptions UnseenDotOptions() {
  RandomRecordOptions o;
  o.unseen_probability = 0.25;
  return o;
}

// Options for records in which a dot was reissued with other content, to prove a merge stays a join
// even then.
inline RandomRecordOptions ReissuedDotOptions() {
  RandomRecordOptions o;
  o.conflicting_content_probability = 0.3;
  return o;
}

inline void PrintTo(const RandomRecordOptions& o, std::ostream* os) {
  *os << "{nodes=" << o.nodes << " counter_max=" << o.counter_max
      << " conflicting_content_probability=" << o.conflicting_content_probability
      << " unseen_probability=" << o.unseen_probability << "}";
}

// The canonical content of a dot: what "the write with this dot" wrote, in every generated record.
inline Sibling CanonicalSibling(Dot dot) {
  Random r(HashCombine(dot.node, dot.counter));
  Sibling s;
  s.set_dot_node(dot.node);
  s.set_dot_counter(dot.counter);
  s.set_wall_micros(static_cast<int64_t>(1'000'000 * dot.counter + dot.node));
  s.set_tombstone(r.Bernoulli(0.2));
  if (!s.tombstone()) s.set_value(absl::StrCat("v", dot.node, ".", dot.counter));
  s.set_expiry_micros(r.Bernoulli(0.2) ? static_cast<int64_t>(r.Range(1, 10'000'000)) : 0);
  return s;
}

// A random record satisfying ValidateRecord: a random context, and random siblings among the dots
// it covers. Two records from this generator are records of "the same key" in the sense that a dot
// means the same write in both (unless conflicting_content_probability > 0).
inline Record RandomRecord(Random& rng, const RandomRecordOptions& o = {}) {
  Record r = EmptyRecord();
  for (uint64_t node = 1; node <= o.nodes; ++node) {
    if (!rng.Bernoulli(o.entry_probability)) continue;
    const uint64_t counter = 1 + rng.Uniform(o.counter_max);
    VersionVectorEntry* e = r.mutable_context()->add_entries();
    e->set_node(node);
    e->set_counter(counter);
    e->set_updated_wall_micros(static_cast<int64_t>(1'000'000 * counter + node));
    for (uint64_t c = 1; c <= counter; ++c) {
      if (c < counter && o.unseen_probability > 0 && rng.Bernoulli(o.unseen_probability)) {
        e->add_unseen(c);  // not seen, so not held either
        continue;
      }
      if (!rng.Bernoulli(o.sibling_probability)) continue;
      Sibling s = CanonicalSibling(Dot{node, c});
      if (rng.Bernoulli(o.conflicting_content_probability)) {
        s.set_tombstone(false);
        s.set_value(absl::StrCat("conflict", rng.Uniform(3)));
        s.set_wall_micros(static_cast<int64_t>(rng.Uniform(3)));
      }
      *r.add_siblings() = s;
    }
  }
  r.set_format_version(RecordFormatVersionFor(r.context()));
  return r;
}

}  // namespace kv::storage::testing
