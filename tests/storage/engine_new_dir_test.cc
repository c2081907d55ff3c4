// A new database's directory survives a crash once a write in it was acknowledged. RocksDB
// creates the directory (create_if_missing) and syncs the directory itself, never the directory
// holding it, so a crash could forget the directory and every acknowledged write inside: found by
// the crash property in long mode (`KV_SEEDS=3000`, sync_disk_faults seed 6618: /db was gone
// after the first crash: an open whose directory sync had failed left /db visible but not
// durable, and the next open found it there and synced nothing). The simulated disk keeps, at a
// crash, only a random prefix of the name operations no directory sync covered.
#include <cstdint>
#include <cstdlib>
#include <optional>

#include "gtest/gtest.h"
#include "sim/simulator.h"
#include "tests/storage/engine_test_util.h"
#include "tests/support/seeds.h"

namespace kv::storage {
namespace {

using testing::AddEngineProcess;
using testing::EngineApp;
using testing::OnlyValue;
using testing::OpenEngine;
using testing::ValueRecord;

// Leaves /db created but not durable (an earlier open's mkdir whose directory sync failed), opens
// a new database there, writes one record (synced: acknowledged), crashes, and reports whether the
// second boot finds it.
bool SurvivesTheFirstCrash(uint64_t seed) {
  sim::Simulator sim(seed);
  bool written = false, found = false;
  NodeId id = AddEngineProcess(sim, "node", [&](Runtime& rt, EngineApp& app) {
    ASSERT_TRUE(OpenEngine(rt, app).ok());
    if (!written) {
      ASSERT_TRUE(app.engine->Put(1, "k", ValueRecord("v")).ok());
      written = true;
      return;
    }
    absl::StatusOr<std::optional<Record>> got = app.engine->Get(1, "k");
    ASSERT_TRUE(got.ok()) << got.status();
    found = got->has_value() && OnlyValue(**got) == "v";
  });
  EXPECT_TRUE(sim.process(id).disk().CreateDir("/db").ok());  // no SyncDir("/")
  sim.Start(id);
  sim.RunFor(absl::Seconds(1));
  EXPECT_TRUE(written);
  sim.Crash(id);
  sim.Start(id);
  sim.RunFor(absl::Seconds(1));
  return found;
}

// KV_SEED=<seed> runs that seed alone.
TEST(EngineNewDirTest, AnAcknowledgedWriteInANewDatabaseSurvivesTheFirstCrash) {
  for (const uint64_t seed : ::kv::testing::PropertySeedList(1, 200, 30)) {
    ASSERT_TRUE(SurvivesTheFirstCrash(seed))
        << "seed " << seed << ": the acknowledged write is gone\nreproduce: KV_SEED=" << seed
        << " build/release/tests/tests_storage --gtest_filter='EngineNewDirTest.*'";
  }
}

}  // namespace
}  // namespace kv::storage
