// Simulated message delivery: processes in a ring, each with a sender fiber that sends 16-byte
// payloads to its successor through Transport::Send, and a receiver fiber that reads its inbox with
// ReceiveUntil(MonoTime::Max()). Items/s in the output is messages received per second (of CPU
// time, as every Google Benchmark rate; the same as wall time on an idle core).
//
// Senders are paced in simulated time (a burst, then a sleep) rather than by acknowledgements, so
// loss cannot stall them: kBurstMessages every kBurstInterval per sender, 640k messages per
// simulated second. With the default latency profile about 1,500 messages are in flight per link
// (FIFO links hold each message behind the slowest one sent before it); events_pending reports it.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "net/assert.h"
#include "net/runtime.h"
#include "sim/sim_network.h"
#include "sim/sim_process.h"
#include "sim/simulator.h"

namespace kv {
namespace {

constexpr uint64_t kSeed = 7;
constexpr size_t kPayloadBytes = 16;
constexpr int kBurstMessages = 64;
constexpr Duration kBurstInterval = absl::Microseconds(100);

// Counters shared by every fiber of the run (one OS thread, so plain integers).
struct Tally {
  uint64_t sent = 0;
  uint64_t received = 0;  // kMessage events read by receivers (duplicates included)
};

// Adds `processes` processes in a ring (i sends to i + 1, the last to the first) and starts them.
void StartRing(sim::Simulator& sim, int processes, Tally* tally) {
  for (int i = 0; i < processes; ++i) {
    const NodeId next = static_cast<NodeId>(i + 1 == processes ? 1 : i + 2);
    sim::ProcessOptions options;
    options.boot = [next, tally](Runtime& rt,
                                 storage::FileSystem&) -> std::unique_ptr<sim::ProcessApp> {
      rt.Spawn("sender", [next, tally, &rt] {
        const std::string payload(kPayloadBytes, 'x');
        while (true) {
          for (int m = 0; m < kBurstMessages; ++m) {
            const absl::Status status = rt.transport().Send(next, payload);
            KV_ASSERT(status.ok());
            ++tally->sent;
          }
          FiberSleep(kBurstInterval);
        }
      });
      rt.Spawn("receiver", [tally, &rt] {
        while (true) {
          absl::StatusOr<TransportEvent> event = rt.transport().ReceiveUntil(MonoTime::Max());
          KV_ASSERT(event.ok());
          if (event->kind == TransportEvent::Kind::kMessage) {
            KV_ASSERT(event->payload.size() == kPayloadBytes);
            ++tally->received;
          }
        }
      });
      return nullptr;
    };
    sim.AddProcess(std::move(options));
  }
  for (NodeId id : sim.process_ids()) sim.Start(id);
}

// One iteration = kBurstInterval of simulated time: one burst from every sender, and the deliveries
// and receives that fall in that stretch. Items are messages received (duplicates included).
void RunDeliveries(benchmark::State& state, sim::Simulator& sim, const Tally& tally) {
  sim.RunFor(absl::Milliseconds(10));  // warm up: links connected, pipelines full
  KV_ASSERT(tally.received > 0);
  const uint64_t received_before = tally.received;
  const uint64_t events_before = sim.events_run();
  const sim::NetworkStats stats_before = sim.network().stats();
  for (auto _ : state) {
    sim.RunFor(kBurstInterval);
  }
  const uint64_t received = tally.received - received_before;
  const uint64_t events = sim.events_run() - events_before;
  const sim::NetworkStats& stats = sim.network().stats();
  const auto per_message = [received](uint64_t count) {
    return benchmark::Counter(static_cast<double>(count) /
                              static_cast<double>(received == 0 ? 1 : received));
  };
  state.SetItemsProcessed(static_cast<int64_t>(received));
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["cpu_s_per_msg"] = benchmark::Counter(
      static_cast<double>(received), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["events_per_msg"] = per_message(events);
  state.counters["lost_per_msg"] = per_message(stats.dropped_loss - stats_before.dropped_loss);
  state.counters["dup_per_msg"] = per_message(stats.duplicated - stats_before.duplicated);
  state.counters["events_pending"] = benchmark::Counter(static_cast<double>(sim.events_pending()));
}

// Reliable links (the default profile: exponential-tail latency, no loss).
void BM_SimNetworkDelivery(benchmark::State& state) {
  Tally tally;
  sim::Simulator sim(kSeed);
  StartRing(sim, static_cast<int>(state.range(0)), &tally);
  RunDeliveries(state, sim, tally);
  KV_ASSERT(tally.received <= tally.sent);  // no duplicates on reliable links
  KV_ASSERT(sim.network().stats().dropped_loss == 0);
}
BENCHMARK(BM_SimNetworkDelivery)->ArgName("processes")->Arg(2)->Arg(8);

// Faulty links: 10% loss, 5% duplication, 5% reordering on every link.
void BM_SimNetworkDeliveryLossy(benchmark::State& state) {
  Tally tally;
  sim::Simulator sim(kSeed);
  sim::LinkProfile profile;
  profile.loss_probability = 0.10;
  profile.duplicate_probability = 0.05;
  profile.reorder_probability = 0.05;
  sim.network().set_default_profile(profile);
  StartRing(sim, static_cast<int>(state.range(0)), &tally);
  RunDeliveries(state, sim, tally);
}
BENCHMARK(BM_SimNetworkDeliveryLossy)->ArgName("processes")->Arg(2)->Arg(8);

}  // namespace
}  // namespace kv
