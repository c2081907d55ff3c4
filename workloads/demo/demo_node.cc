#include "workloads/demo/demo_node.h"

#include <cstring>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "net/assert.h"

namespace kv::demo {
namespace {

constexpr int kRecoveryAttemptsMax = 20;

std::string TokenPayload(uint64_t token, Random& random) {
  std::string payload(8, '\0');
  std::memcpy(payload.data(), &token, 8);
  // A random-length tail, so records straddle sector boundaries and tear in interesting places.
  payload.append(random.Uniform(600), static_cast<char>('a' + random.Uniform(26)));
  return payload;
}

uint64_t PayloadToken(const std::string& payload) {
  uint64_t token = 0;
  if (payload.size() >= 8) std::memcpy(&token, payload.data(), 8);
  return token;
}

}  // namespace

DemoNode::DemoNode(Runtime& rt, storage::FileSystem& fs, DemoHistory* history,
                   const DemoNodeOptions* options, std::vector<NodeId> peers)
    : rt_(rt), history_(history), options_(options), peers_(std::move(peers)), log_(&fs, "/data") {
  // Ids from a fresh random base, so a pong meant for an earlier incarnation never matches.
  next_ping_id_ = rt_.random().Next64() >> 1;
  KV_ASSERT(history_ != nullptr);
  KV_ASSERT(options_ != nullptr);
  rt_.Spawn("receiver", [this] { Receiver(); });
  rt_.Spawn("main", [this] { Main(); });
}

void DemoNode::Main() {
  if (!RecoverLog()) return;  // refuses to serve: the log could not be read
  rt_.Spawn("writer", [this] { Writer(); });
  if (!peers_.empty()) rt_.Spawn("pinger", [this] { Pinger(); });
}

bool DemoNode::RecoverLog() {
  for (int attempt = 1; attempt <= kRecoveryAttemptsMax; ++attempt) {
    absl::StatusOr<RecoveredLog> recovered = log_.Recover();
    if (!recovered.ok()) {
      ++history_->recovery_failures;
      rt_.Log(LogLevel::kInfo, "recovery attempt %d failed: %s", attempt,
              recovered.status().ToString());
      FiberSleep(absl::Milliseconds(200) * attempt);
      continue;
    }
    std::vector<uint64_t> tokens;
    tokens.reserve(recovered->records.size());
    for (const auto& record : recovered->records) tokens.push_back(PayloadToken(record.payload));
    ++history_->recoveries;
    ++history_->recovered_since_audit[rt_.self()];
    history_->records_recovered += tokens.size();
    history_->invalid_records += recovered->invalid.size();
    history_->read_retries += recovered->read_retries;
    for (const InvalidRecord& bad : recovered->invalid) {
      rt_.Log(LogLevel::kInfo, "recovery: invalid record in segment %d at offset %d (%s)",
              bad.segment, bad.offset, bad.reason);
    }
    for (std::string& v : history_->durability.OnRecovered(rt_.self(), tokens, recovered->invalid,
                                                           history_->seed)) {
      history_->violations.push_back(std::move(v));
    }
    return true;
  }
  rt_.Log(LogLevel::kError, "giving up recovery after %d attempts; not serving",
          kRecoveryAttemptsMax);
  return false;
}

void DemoNode::Writer() {
  while (!history_->workload_stopped) {
    // Fault point: a burst of appends with no pause between them.
    if (!KV_BUGGIFY(rt_)) FiberSleep(rt_.random().Exponential(options_->append_interval_mean));
    if (history_->workload_stopped) break;
    const uint64_t token = rt_.random().Next64();
    const MonoTime start = rt_.Now();
    absl::StatusOr<LogLocation> where = log_.AppendDurable(TokenPayload(token, rt_.random()));
    if (where.ok()) {
      ++history_->appends_ok;
      history_->append_latency.Add(rt_.Now() - start);
      history_->durability.OnAck(rt_.self(), token, *where);
    } else {
      ++history_->appends_failed;
      ++history_->append_errors[absl::StatusCodeToString(where.status().code())];
    }
  }
}

NodeId DemoNode::ChoosePeer() {
  uint64_t pick = rt_.random().Uniform(peers_.size());
  switch (options_->inject) {
    case DemoNodeOptions::Nondeterminism::kNone:
      break;
    case DemoNodeOptions::Nondeterminism::kHashOrder: {
      // The bug this mode plants: behaviour decided by a hashed container's iteration order,
      // which depends on Abseil's per-process hash seed.
      absl::flat_hash_set<uint64_t> tokens;
      for (uint64_t i = 0; i < 64; ++i) tokens.insert(i);
      pick = *tokens.begin() % peers_.size();
      break;
    }
    case DemoNodeOptions::Nondeterminism::kExternal:
      pick = options_->external_entropy() % peers_.size();
      break;
  }
  return peers_[pick];
}

void DemoNode::Pinger() {
  while (!history_->workload_stopped) {
    FiberSleep(rt_.random().Exponential(options_->ping_interval_mean));
    const NodeId peer = ChoosePeer();
    const uint64_t id = next_ping_id_++;
    Future<Unit> pong = pending_pings_[id].GetFuture();
    const MonoTime start = rt_.Now();
    if (!rt_.transport().Send(peer, absl::StrCat("ping ", id)).ok()) {
      pending_pings_.erase(id);
      continue;
    }
    // Fault point: a very short timeout, so the late-answer path runs.
    const Duration timeout =
        KV_BUGGIFY(rt_) ? absl::Microseconds(300) : options_->ping_timeout;
    const absl::StatusOr<Unit> answer = pong.GetFor(timeout);
    pending_pings_.erase(id);
    if (answer.ok()) {
      ++history_->pings_ok;
      history_->ping_rtt.Add(rt_.Now() - start);
    } else {
      ++history_->pings_timed_out;
    }
  }
}

void DemoNode::Receiver() {
  while (true) {
    absl::StatusOr<TransportEvent> event = rt_.transport().ReceiveUntil(MonoTime::Max());
    if (!event.ok()) return;
    if (event->kind != TransportEvent::Kind::kMessage) {
      ++history_->connection_events;
      continue;
    }
    uint64_t id = 0;
    if (absl::StartsWith(event->payload, "ping ") &&
        absl::SimpleAtoi(absl::string_view(event->payload).substr(5), &id)) {
      (void)rt_.transport().Send(event->peer, absl::StrCat("pong ", id));
    } else if (absl::StartsWith(event->payload, "pong ") &&
               absl::SimpleAtoi(absl::string_view(event->payload).substr(5), &id)) {
      auto it = pending_pings_.find(id);
      if (it == pending_pings_.end() || it->second.fulfilled()) {
        ++history_->late_or_duplicate_pongs;
      } else {
        it->second.Set(Unit{});
      }
    } else {
      rt_.Log(LogLevel::kWarn, "unknown message from %d: %s", event->peer, event->payload);
    }
  }
}

}  // namespace kv::demo
