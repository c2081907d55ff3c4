// Dots and causal contexts (version vectors) for dotted version vectors (dvv.h).
//
// A Dot names one write: (coordinating node, that node's counter for the key). A Context is a
// version vector: for each node, the highest counter seen, which stands for "every write that node
// issued to this key up to that counter", less an entry's `unseen` counters, the exceptions: writes
// below the counter that the context has not seen (a client that was not shown a value must not
// supersede it; dvv.h, ReplyContext). Only such client contexts create exceptions; joining a
// context that has seen an exception's write removes it. Each entry also carries the wall time at
// which its counter was issued, so that pruning (dvv.h) can drop entries by age.
//
// A Context is a plain value type. Clients receive it on a read as opaque bytes (Encode) and pass
// them back on put/delete (Decode); the bytes are checksummed, so a corrupted context is rejected
// rather than silently claiming to have seen writes it did not see (which would delete them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/record/record.pb.h"
#include "storage/record/sorted_vector_map.h"

namespace kv::storage {

// The causal context's format version: the version byte of its envelope (envelope.h). A context
// with exceptions is written as version 2, one without as version 1 (what older builds read; they
// refuse version 2 rather than take its exceptions as seen).
inline constexpr uint8_t kContextFormatVersion = 1;
inline constexpr uint8_t kContextFormatVersionUnseen = 2;
// Context::Decode rejects contexts with more entries than this (one entry per node that ever
// coordinated a write to the key; pruning keeps it far smaller), or more exceptions in all (each
// is a sibling a read did not show, so siblings_max bounds them in practice).
inline constexpr size_t kContextEntriesLimit = 4096;
inline constexpr size_t kContextUnseenLimit = 4096;

struct Dot {
  uint64_t node = 0;
  uint64_t counter = 0;  // >= 1 for a real write

  friend auto operator<=>(const Dot&, const Dot&) = default;
};

// The dot of a stored sibling.
inline Dot DotOf(const Sibling& s) { return Dot{s.dot_node(), s.dot_counter()}; }

class Context {
 public:
  struct Entry {
    uint64_t counter = 0;
    int64_t updated_wall_micros = 0;
    std::vector<uint64_t> unseen;  // exceptions: sorted, each in [1, counter)
    friend bool operator==(const Entry&, const Entry&) = default;
  };

  // The empty context: has seen no write.
  Context() = default;

  // REQUIRES: ValidateVersionVector(vv).ok() (true of any decoded or DVV-produced record).
  static Context FromProto(const VersionVector& vv);
  // Writes the entries to `vv` (replacing its contents) in canonical order (by node).
  void ToProto(VersionVector* vv) const;
  // Makes this `record`'s context, and sets the record's format_version to what it needs (2 with
  // exceptions, else 1).
  void ToRecord(Record* record) const;

  // Opaque bytes for clients (format version 1, or 2 with exceptions). The empty context encodes
  // to the empty string, so a client that has read nothing may send nothing.
  std::string Encode() const;
  // Inverse of Encode. The empty string decodes to the empty context (a "blind" write).
  // Errors: INVALID_ARGUMENT if the bytes are corrupted (checksum), do not parse, break the
  // version vector rules (validate.h; exceptions only in version 2) or hold more than
  // kContextEntriesLimit entries or kContextUnseenLimit exceptions;
  // FAILED_PRECONDITION if they carry a context format version this build does not read.
  static absl::StatusOr<Context> Decode(absl::string_view bytes);

  // The highest counter seen from `node` (0 if none).
  uint64_t counter(uint64_t node) const;
  // True iff the write `dot` is in this context's causal past.
  bool Covers(const Dot& dot) const;
  // True iff this context has seen every write `other` has seen (reflexive).
  bool Descends(const Context& other) const;
  // This := the least upper bound of this and `other`, the union of what they have seen: per node,
  // the higher counter (on equal counters, the later wall time, so Join stays commutative) and
  // the exceptions neither side has seen.
  void Join(const Context& other);
  // Records that dot.node issued dot.counter at `wall_micros`.
  // REQUIRES: dot.counter > counter(dot.node).
  void Advance(const Dot& dot, int64_t wall_micros);
  // Takes `dot` out of what this context has seen (an exception, or a lower counter if it was the
  // highest). REQUIRES: Covers(dot).
  void Exclude(const Dot& dot);
  // Forgets `node`'s entry (pruning only).
  void Erase(uint64_t node);

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  // True iff some entry has exceptions.
  bool has_unseen() const;
  // By increasing node.
  const SortedVectorMap<uint64_t, Entry>& entries() const { return entries_; }

  friend bool operator==(const Context&, const Context&) = default;

 private:
  SortedVectorMap<uint64_t, Entry> entries_;  // no entry has counter 0
};

// True iff neither context descends the other: each has seen a write the other has not.
bool Concurrent(const Context& a, const Context& b);

}  // namespace kv::storage
