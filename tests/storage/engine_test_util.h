// Helpers for tests that run the storage engine inside the simulator, on a simulated process's
// disk through the seam env.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "net/runtime.h"
#include "sim/simulator.h"
#include "storage/engine/engine.h"
#include "storage/record/dvv.h"
#include "storage/rocksdb_env/seam_env.h"

namespace kv::storage::testing {

// One process incarnation's env and engine. Destroyed without Close when the process crashes.
struct EngineApp final : sim::ProcessApp {
  std::unique_ptr<rocksdb_env::SeamEnv> env;
  std::unique_ptr<Engine> engine;
  ~EngineApp() override {
    engine.reset();
    env.reset();
  }
};

using EngineBody = std::function<void(Runtime& rt, EngineApp& app)>;

// Adds a process whose every boot makes an EngineApp (env on the process's disk; engine not yet
// open) and runs `body` on a fiber.
inline NodeId AddEngineProcess(sim::Simulator& sim, std::string name, EngineBody body,
                               sim::ProcessOptions base = {}) {
  base.name = std::move(name);
  base.boot = [body](Runtime& rt, storage::FileSystem& fs) -> std::unique_ptr<sim::ProcessApp> {
    auto app = std::make_unique<EngineApp>();
    app->env = rocksdb_env::NewSeamEnv(rt, fs);
    EngineApp* raw = app.get();
    rt.Spawn("main", [body, &rt, raw] { body(rt, *raw); });
    return app;
  };
  return sim.AddProcess(std::move(base));
}

// Opens the engine with `options` on the app's env. REQUIRES: on the app's fiber.
inline absl::Status OpenEngine(Runtime& rt, EngineApp& app, EngineOptions options = {}) {
  options.seam_env = app.env.get();
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(rt, std::move(options));
  if (!engine.ok()) return engine.status();
  app.engine = *std::move(engine);
  return absl::OkStatus();
}

// A record holding one value written by node 1 at `wall_micros`.
inline Record ValueRecord(const std::string& value, int64_t wall_micros = 1,
                          int64_t expiry_micros = 0) {
  return Update(EmptyRecord(), Context(), 1, Write::Put(value, expiry_micros), wall_micros);
}

// The single live value of `record` at `wall_micros`, or "" if none / several.
inline std::string OnlyValue(const Record& record, int64_t wall_micros = 1) {
  std::vector<const Sibling*> live = LiveValues(record, wall_micros);
  return live.size() == 1 ? live[0]->value() : std::string();
}

}  // namespace kv::storage::testing
