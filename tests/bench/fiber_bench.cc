// Fiber costs on the simulator's executor: a Yield round trip, spawning a fiber that finishes at
// once, and a Promise/Future hand-off between two fibers. A raw boost::context::fiber round trip is
// the floor they are compared with (what a switch costs before any scheduling).
//
// Each benchmark iteration is counted in whole units (one switch round trip, one fiber, one
// hand-off); the per-iteration time is the cost of one unit, simulator event included.
#include <benchmark/benchmark.h>

#include <boost/context/fiber.hpp>
#include <boost/context/protected_fixedsize_stack.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "net/assert.h"
#include "net/future.h"
#include "net/runtime.h"
#include "sim/sim_process.h"
#include "sim/simulator.h"

namespace kv {
namespace {

constexpr uint64_t kSeed = 1;

// Adds and starts a process whose boot runs `spawn(runtime)` (which spawns the fibers under test).
NodeId StartProcess(sim::Simulator& sim, std::function<void(Runtime&)> spawn) {
  sim::ProcessOptions options;
  options.name = "bench";
  options.boot = [spawn = std::move(spawn)](
                     Runtime& rt, storage::FileSystem&) -> std::unique_ptr<sim::ProcessApp> {
    spawn(rt);
    return nullptr;
  };
  const NodeId id = sim.AddProcess(std::move(options));
  sim.Start(id);
  return id;
}

// One iteration = one Yield round trip: fiber -> scheduler (resume task posted) -> the simulator
// pops that task -> fiber. The fiber runs until the simulator's destructor cancels it.
void BM_FiberYieldRoundTrip(benchmark::State& state) {
  sim::Simulator sim(kSeed);
  uint64_t yields = 0;
  const NodeId id = StartProcess(sim, [&yields](Runtime& rt) {
    rt.Spawn("yielder", [&yields] {
      while (true) {
        Yield();
        ++yields;
      }
    });
  });
  sim.Step();  // first resume: the fiber starts and yields once
  const uint64_t switches_before = sim.process(id).fibers().switches();
  const uint64_t yields_before = yields;
  for (auto _ : state) {
    sim.Step();
  }
  const uint64_t switches = sim.process(id).fibers().switches() - switches_before;
  KV_ASSERT(yields - yields_before == static_cast<uint64_t>(state.iterations()));
  KV_ASSERT(switches == static_cast<uint64_t>(state.iterations()));
  state.SetItemsProcessed(static_cast<int64_t>(yields - yields_before));
  state.counters["sim_events"] = benchmark::Counter(static_cast<double>(sim.events_run()));
}
BENCHMARK(BM_FiberYieldRoundTrip);

// One iteration = Spawn from executor context, then the one simulator event that starts the fiber;
// its body is empty, so it finishes, is erased, and its stack goes back to the pool.
void BM_FiberSpawnFinish(benchmark::State& state) {
  sim::Simulator sim(kSeed);
  const NodeId id = StartProcess(sim, [](Runtime&) {});
  Runtime& rt = sim.process(id).runtime();
  uint64_t ran = 0;
  for (auto _ : state) {
    rt.Spawn("child", [&ran] { ++ran; });
    sim.Step();
  }
  KV_ASSERT(ran == static_cast<uint64_t>(state.iterations()));
  KV_ASSERT(sim.process(id).fibers().fiber_count() == 0);
  state.SetItemsProcessed(static_cast<int64_t>(ran));
}
BENCHMARK(BM_FiberSpawnFinish);

// As above, but a parent fiber spawns each child and Joins it: spawn, first run, finish, and the
// joiner's wake-up, all in fiber context. One iteration = one child.
void BM_FiberSpawnJoin(benchmark::State& state) {
  sim::Simulator sim(kSeed);
  uint64_t joined = 0;
  StartProcess(sim, [&joined](Runtime& rt) {
    rt.Spawn("parent", [&joined, &rt] {
      while (true) {
        FiberHandle child = rt.Spawn("child", [] {});
        child.Join();
        ++joined;
      }
    });
  });
  for (auto _ : state) {
    const uint64_t target = joined + 1;
    while (joined < target) sim.Step();
  }
  KV_ASSERT(joined == static_cast<uint64_t>(state.iterations()));
  state.SetItemsProcessed(static_cast<int64_t>(joined));
}
BENCHMARK(BM_FiberSpawnJoin);

// Two fibers pass the turn back and forth through one-shot promises. Before fulfilling the other
// side's promise, each side arms its own next promise, so no Set ever lands on a consumed state.
struct PingPong {
  Promise<Unit> ping;
  Future<Unit> ping_future = ping.GetFuture();
  Promise<Unit> pong;
  Future<Unit> pong_future = pong.GetFuture();
  uint64_t handoffs = 0;
};

// One iteration = one hand-off: Promise::Set wakes the waiting fiber (a posted resume task), the
// simulator runs it, Future::Get returns, and a fresh promise is made for the next round.
void BM_PromiseFutureHandoff(benchmark::State& state) {
  PingPong pp;  // outlives the simulator, whose destructor cancels the two fibers
  sim::Simulator sim(kSeed);
  StartProcess(sim, [&pp](Runtime& rt) {
    rt.Spawn("ping", [&pp] {
      while (true) {
        pp.pong = Promise<Unit>();
        pp.pong_future = pp.pong.GetFuture();
        pp.ping.Set(Unit{});
        const absl::StatusOr<Unit> pong = pp.pong_future.Get();
        KV_ASSERT(pong.ok());
        ++pp.handoffs;
      }
    });
    rt.Spawn("pong", [&pp] {
      while (true) {
        const absl::StatusOr<Unit> ping = pp.ping_future.Get();
        KV_ASSERT(ping.ok());
        ++pp.handoffs;
        pp.ping = Promise<Unit>();
        pp.ping_future = pp.ping.GetFuture();
        pp.pong.Set(Unit{});
      }
    });
  });
  while (pp.handoffs < 2) sim.Step();  // warm up: both fibers started and waiting in turn
  const uint64_t before = pp.handoffs;
  const uint64_t events_before = sim.events_run();
  for (auto _ : state) {
    const uint64_t target = pp.handoffs + 1;
    while (pp.handoffs < target) sim.Step();
  }
  const uint64_t handoffs = pp.handoffs - before;
  state.SetItemsProcessed(static_cast<int64_t>(handoffs));
  state.counters["events_per_handoff"] =
      benchmark::Counter(static_cast<double>(sim.events_run() - events_before) /
                         static_cast<double>(handoffs == 0 ? 1 : handoffs));
}
BENCHMARK(BM_PromiseFutureHandoff);

namespace ctx = boost::context;

// One iteration = main -> fiber -> main with boost::context::fiber alone: no executor, no
// scheduler bookkeeping. The floor under BM_FiberYieldRoundTrip.
void BM_RawBoostFiberRoundTrip(benchmark::State& state) {
  bool stop = false;
  uint64_t resumes = 0;
  ctx::fiber f(std::allocator_arg, ctx::protected_fixedsize_stack(64 * 1024),
               [&stop, &resumes](ctx::fiber&& main) {
                 while (!stop) {
                   ++resumes;
                   main = std::move(main).resume();
                 }
                 return std::move(main);
               });
  f = std::move(f).resume();  // first entry
  for (auto _ : state) {
    f = std::move(f).resume();
  }
  stop = true;
  f = std::move(f).resume();  // the fiber returns; f becomes empty
  KV_ASSERT(!f);
  KV_ASSERT(resumes == static_cast<uint64_t>(state.iterations()) + 1);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RawBoostFiberRoundTrip);

}  // namespace
}  // namespace kv
