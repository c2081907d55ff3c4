// The simulator's scheduling costs. EventQueue alone: one pop plus one push with N events pending
// (the "hold" model: every popped event schedules one more, so the queue stays at N). The whole
// Simulator: timer events per wall-clock second, for simulator-owned events (Simulator::After) and
// for process-owned ones (Executor::RunAt, the path fibers and the network use), each callback
// scheduling its successor so that about N stay pending.
//
// The project's goal: >= 2 million simulated events per wall-clock second on one core. Items/s in
// the output is events/s; like every rate Google Benchmark prints, it is per second of the
// process's CPU time, which equals wall time for this single-threaded loop on an idle core.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "net/assert.h"
#include "net/random.h"
#include "net/runtime.h"
#include "sim/event_queue.h"
#include "sim/sim_process.h"
#include "sim/simulator.h"

namespace kv {
namespace {

constexpr uint64_t kSeed = 42;
// Event delays are uniform in [0, kDelayNsMax): about 10 ms, a typical network/timer horizon.
constexpr uint64_t kDelayNsMax = 10'000'000;

// The queue sizes the benchmarks run with.
void PendingSizes(benchmark::internal::Benchmark* b) {
  b->Arg(1)->Arg(1000)->Arg(100'000)->Arg(1'000'000);
}

// One iteration = Pop the earliest event, Push one at (its time + random delay). The tasks are
// empty lambdas (no heap allocation inside AnyInvocable) and are not run: this is the queue only.
void BM_EventQueuePushPop(benchmark::State& state) {
  const auto pending = static_cast<size_t>(state.range(0));
  Random random(kSeed);
  sim::EventQueue queue;
  for (size_t i = 0; i < pending; ++i) {
    queue.Push(static_cast<int64_t>(random.Uniform(kDelayNsMax)), 0, 0, [] {});
  }
  sim::EventQueue::Popped event;
  for (auto _ : state) {
    queue.Pop(&event);
    queue.Push(event.time_ns + static_cast<int64_t>(random.Uniform(kDelayNsMax)), 0, 0,
               std::move(event.task));
  }
  KV_ASSERT(queue.size() == pending);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EventQueuePushPop)->Apply(PendingSizes);

// As BM_EventQueuePushPop, plus a Cancel of a random pending event (and a Push to replace it) every
// fourth iteration: timeouts that are cancelled before they fire are common in node code. Cancelled
// entries stay in the heap until they surface, so the queue holds somewhat more than N entries.
void BM_EventQueuePushPopCancel(benchmark::State& state) {
  const auto pending = static_cast<size_t>(state.range(0));
  Random random(kSeed);
  sim::EventQueue queue;
  std::vector<TimerId> ids(pending);
  for (size_t i = 0; i < pending; ++i) {
    ids[i] = queue.Push(static_cast<int64_t>(random.Uniform(kDelayNsMax)), 0, 0, [] {});
  }
  sim::EventQueue::Popped event;
  uint64_t n = 0;
  for (auto _ : state) {
    queue.Pop(&event);
    // Remember the new event's id in a random slot; cancelling an id that already ran is a no-op.
    ids[random.Uniform(pending)] =
        queue.Push(event.time_ns + static_cast<int64_t>(random.Uniform(kDelayNsMax)), 0, 0,
                   std::move(event.task));
    if (++n % 4 == 0) {
      const size_t other = random.Uniform(pending);
      queue.Cancel(ids[other]);
      ids[other] = queue.Push(event.time_ns + static_cast<int64_t>(random.Uniform(kDelayNsMax)), 0,
                              0, [] {});
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EventQueuePushPopCancel)->Apply(PendingSizes);

// A simulator-owned timer that schedules its successor when it runs. Small enough to live inside
// AnyInvocable's inline storage (no allocation per event).
struct SimTicker {
  sim::Simulator* sim;
  Random* random;
  void operator()() const {
    sim->After(absl::Nanoseconds(static_cast<int64_t>(random->Uniform(kDelayNsMax))), *this);
  }
};

// One iteration = one Simulator::Step: pop, trace record, run the callback (which pushes the
// next event). N chains keep N events pending.
void BM_SimulatorTimerEvents(benchmark::State& state) {
  const auto pending = static_cast<size_t>(state.range(0));
  sim::Simulator sim(kSeed);
  Random random = sim.ForkRandom("bench");
  for (size_t i = 0; i < pending; ++i) {
    sim.After(absl::Nanoseconds(static_cast<int64_t>(random.Uniform(kDelayNsMax))),
              SimTicker{&sim, &random});
  }
  for (auto _ : state) {
    sim.Step();
  }
  KV_ASSERT(sim.events_pending() == pending);
  KV_ASSERT(sim.events_run() == static_cast<uint64_t>(state.iterations()));
  state.SetItemsProcessed(state.iterations());
  state.counters["sim_s_per_cpu_s"] = benchmark::Counter(
      absl::ToDoubleSeconds(sim.now().SinceOrigin()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SimulatorTimerEvents)->Apply(PendingSizes);

// The same with process-owned events (SimProcess::RunAt): each pop also checks the owner's
// incarnation and pause state, as every fiber wake-up and message delivery does.
struct ProcessTicker {
  Executor* executor;
  Random* random;
  void operator()() const {
    executor->RunAt(
        executor->Now() + absl::Nanoseconds(static_cast<int64_t>(random->Uniform(kDelayNsMax))),
        *this);
  }
};

void BM_SimulatorProcessTimerEvents(benchmark::State& state) {
  const auto pending = static_cast<size_t>(state.range(0));
  sim::Simulator sim(kSeed);
  sim::ProcessOptions options;
  options.name = "bench";
  const NodeId id = sim.AddProcess(std::move(options));
  sim.Start(id);
  Executor& executor = sim.process(id).runtime().executor();
  Random random = sim.ForkRandom("bench");
  for (size_t i = 0; i < pending; ++i) {
    ProcessTicker{&executor, &random}();
  }
  for (auto _ : state) {
    sim.Step();
  }
  KV_ASSERT(sim.events_pending() == pending);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SimulatorProcessTimerEvents)->Apply(PendingSizes);

// Whole-run throughput the way scenarios drive the simulator: RunFor over a stretch of simulated
// time, 1,000 chains pending. Items are events run; this includes RunUntil's deadline checks.
void BM_SimulatorRunFor(benchmark::State& state) {
  constexpr size_t kPending = 1000;
  sim::Simulator sim(kSeed);
  Random random = sim.ForkRandom("bench");
  for (size_t i = 0; i < kPending; ++i) {
    sim.After(absl::Nanoseconds(static_cast<int64_t>(random.Uniform(kDelayNsMax))),
              SimTicker{&sim, &random});
  }
  for (auto _ : state) {
    sim.RunFor(
        absl::Milliseconds(10));  // about 2,000 events: each chain fires every 5 ms on average
  }
  state.SetItemsProcessed(static_cast<int64_t>(sim.events_run()));
}
BENCHMARK(BM_SimulatorRunFor);

}  // namespace
}  // namespace kv
