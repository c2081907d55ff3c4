// The contracts of the decoders the node's message handlers use, checked on arbitrary bytes (for
// tests/fuzz/messages_fuzzer.cc). Each failure is a KV_ASSERT (an abort, which libFuzzer reports).
#pragma once

#include "absl/strings/string_view.h"

namespace kv::fuzz {

// Feeds `bytes` to every decoder a handler might use and checks:
//   - each message type (frames, requests, replies, gossip, transfer tasks) parses or not without
//     harm, and what parses re-serializes to the same message;
//   - DecodeRecord returns only valid records, which encode and decode back to themselves;
//     Context::Decode likewise, and a decoded context descends and joins itself unchanged;
//   - with `bytes` cut in two halves taken as bare Record protobufs: a record ValidateRecord
//     accepts encodes and decodes back, and two such records merge (DVV and LWW) into a valid
//     record, commutatively and idempotently, and a record merged with itself is unchanged;
//   - a gossiped ring that Ring::FromParts accepts gives preference lists of its members, and no
//     two rings supersede each other (RingSupersedes is antisymmetric).
void CheckDecoders(absl::string_view bytes);

}  // namespace kv::fuzz
