// Helpers for tests that run RocksDB inside the simulator on a simulated process's disk, through
// the seam env (storage/rocksdb_env/).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_format.h"
#include "net/runtime.h"
#include "rocksdb/db.h"
#include "sim/simulator.h"
#include "storage/rocksdb_env/deterministic_options.h"
#include "storage/rocksdb_env/seam_env.h"

namespace kv::storage::rocksdb_env::testing {

// One process incarnation's env and DB. A DB still open when the app is destroyed belongs to a
// process that crashed (or was stopped): the disk is disconnected first, because a crashed process
// runs none of the DB destructor's close-time writes and syncs.
struct RocksApp final : sim::ProcessApp {
  std::unique_ptr<SeamEnv> env;
  std::unique_ptr<rocksdb::DB> db;

  ~RocksApp() override {
    if (db != nullptr) {
      env->Disconnect();
      db.reset();
    }
  }
};

using RocksBody = std::function<void(Runtime& rt, RocksApp& app)>;

// Adds a process (options from `base`, with its name and boot replaced) whose every boot makes a
// RocksApp with a SeamEnv on the process's disk and runs `body` on a fiber named "main".
inline NodeId AddRocksProcess(sim::Simulator& sim, std::string name, RocksBody body,
                              sim::ProcessOptions base = {}) {
  base.name = std::move(name);
  base.boot = [body](Runtime& rt, storage::FileSystem& fs) -> std::unique_ptr<sim::ProcessApp> {
    auto app = std::make_unique<RocksApp>();
    app->env = NewSeamEnv(rt, fs);
    RocksApp* raw = app.get();
    rt.Spawn("main", [body, &rt, raw] { body(rt, *raw); });
    return app;
  };
  return sim.AddProcess(std::move(base));
}

// Opens (creating if missing) the DB at `path` with SeamOptions. REQUIRES: on the app's fiber.
inline rocksdb::Status OpenDb(RocksApp& app, const std::string& path = "/db") {
  rocksdb::Options options = SeamOptions(app.env.get());
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, path, &raw);
  app.db.reset(raw);
  return s;
}

// Lets queued background jobs finish, then closes the DB cleanly. REQUIRES: on the app's fiber.
inline rocksdb::Status CloseDb(RocksApp& app) {
  app.env->WaitForBackgroundJobs();
  rocksdb::Status s = app.db->Close();
  app.db.reset();
  return s;
}

inline std::string Key(int i) { return absl::StrFormat("key%06d", i); }

// A value of `bytes` bytes that depends on `i` and `version`.
inline std::string Value(int i, int version = 0, size_t bytes = 100) {
  std::string v = absl::StrFormat("value-%d-%d-", i, version);
  while (v.size() < bytes) v += static_cast<char>('a' + (i * 7 + version + v.size()) % 26);
  v.resize(bytes);
  return v;
}

inline int64_t IntProperty(rocksdb::DB* db, const std::string& name) {
  uint64_t v = 0;
  if (!db->GetIntProperty(name, &v)) return -1;
  return static_cast<int64_t>(v);
}

// The number of SST files at `level`, or -1 if RocksDB does not say.
inline int FilesAtLevel(rocksdb::DB* db, int level) {
  std::string v;
  if (!db->GetProperty("rocksdb.num-files-at-level" + std::to_string(level), &v)) return -1;
  return std::stoi(v);
}

}  // namespace kv::storage::rocksdb_env::testing
