// The storage engine in the simulator: records, batches, read-modify-write, partitions, hints,
// metadata, limits, group commit, Merkle trees, TTL and tombstone purge.
#include "storage/engine/engine.h"
#include "storage/record/record_codec.h"

#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "net/future.h"
#include "sim/sim_process.h"
#include "storage/engine/expiry_filter.h"
#include "storage/record/record_digest.h"
#include "support/status_test_util.h"
#include "tests/storage/engine_test_util.h"

namespace kv::storage {
namespace {

using testing::AddEngineProcess;
using testing::EngineApp;
using testing::OnlyValue;
using testing::OpenEngine;
using testing::ValueRecord;

// Runs `body` with an open engine (closed afterwards) in a one-process simulation.
void WithEngine(std::function<void(Runtime&, Engine&)> body, EngineOptions options = {},
                uint64_t seed = 1) {
  sim::Simulator sim(seed);
  bool ran = false;
  NodeId id = AddEngineProcess(sim, "node", [&](Runtime& rt, EngineApp& app) {
    absl::Status opened = OpenEngine(rt, app, options);
    ASSERT_TRUE(opened.ok()) << opened;
    body(rt, *app.engine);
    EXPECT_TRUE(app.engine->Close().ok());
    app.engine.reset();
    ran = true;
  });
  sim.Start(id);
  sim.RunFor(absl::Hours(48));
  EXPECT_TRUE(ran) << "the test body did not finish";
}

TEST(EngineTest, PutGetRoundTripAndMissingKeys) {
  WithEngine([](Runtime&, Engine& engine) {
    KV_ASSERT_OK(engine.Put(3, "apple", ValueRecord("red")));
    KV_ASSERT_OK_AND_ASSIGN(std::optional<Record> got, engine.Get(3, "apple"));
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(OnlyValue(*got), "red");
    KV_ASSERT_OK_AND_ASSIGN(std::optional<Record> other_partition, engine.Get(4, "apple"));
    EXPECT_FALSE(other_partition.has_value()) << "partitions are separate key spaces";
    KV_ASSERT_OK_AND_ASSIGN(std::optional<Record> missing, engine.Get(3, "pear"));
    EXPECT_FALSE(missing.has_value());
  });
}

// The bytes a replica read forwards are the stored record: they decode to what Get returns.
TEST(EngineTest, GetEncodedHandsOutTheStoredBytesOfTheRecordGetReturns) {
  WithEngine([](Runtime&, Engine& engine) {
    KV_ASSERT_OK(engine.Put(3, "apple", ValueRecord("red")));
    std::string bytes = "left over";
    KV_ASSERT_OK_AND_ASSIGN(bool found, engine.GetEncoded(3, "apple", &bytes));
    ASSERT_TRUE(found);
    KV_ASSERT_OK_AND_ASSIGN(std::optional<Record> got, engine.Get(3, "apple"));
    KV_ASSERT_OK_AND_ASSIGN(Record decoded, DecodeRecord(bytes));
    EXPECT_EQ(decoded.SerializeAsString(), got->SerializeAsString());
    EXPECT_EQ(bytes, EncodeRecord(*got));
    KV_ASSERT_OK_AND_ASSIGN(found, engine.GetEncoded(4, "apple", &bytes));
    EXPECT_FALSE(found) << "partitions are separate key spaces";
    EXPECT_EQ(engine.GetEncoded(3, std::string(5000, 'k'), &bytes).status().code(),
              absl::StatusCode::kInvalidArgument);
  });
}

TEST(EngineTest, BatchesApplyAtomicallyAndDeletesRemove) {
  WithEngine([](Runtime&, Engine& engine) {
    WriteBatch batch;
    batch.PutRecord(1, "a", ValueRecord("1"));
    batch.PutRecord(1, "b", ValueRecord("2"));
    batch.PutMeta("node_id", "7");
    KV_ASSERT_OK(engine.Write(std::move(batch)));
    WriteBatch removal;
    removal.DeleteRecord(1, "a");
    KV_ASSERT_OK(engine.Write(std::move(removal)));
    EXPECT_FALSE(engine.Get(1, "a")->has_value());
    EXPECT_EQ(OnlyValue(**engine.Get(1, "b")), "2");
    EXPECT_EQ(engine.GetMeta("node_id")->value_or(""), "7");
    EXPECT_FALSE(engine.GetMeta("absent")->has_value());
  });
}

TEST(EngineTest, ScanPartitionVisitsOnlyThatPartitionInKeyOrder) {
  WithEngine([](Runtime&, Engine& engine) {
    for (std::string key : {"m", "a", "z", "c"}) KV_ASSERT_OK(engine.Put(5, key, ValueRecord(key)));
    KV_ASSERT_OK(engine.Put(4, "b", ValueRecord("other")));
    KV_ASSERT_OK(engine.Put(6, "b", ValueRecord("other")));
    std::vector<std::string> keys;
    KV_ASSERT_OK(engine.ScanPartition(5, [&](absl::string_view key, const Record& r) {
      keys.emplace_back(key);
      EXPECT_EQ(OnlyValue(r), key);
      return true;
    }));
    EXPECT_EQ(keys, (std::vector<std::string>{"a", "c", "m", "z"}));
    keys.clear();
    KV_ASSERT_OK(engine.ScanPartition(5, [&](absl::string_view key, const Record&) {
      keys.emplace_back(key);
      return keys.size() < 2;
    }));
    EXPECT_EQ(keys.size(), 2u) << "the callback stops the scan";
  });
}

TEST(EngineTest, OversizedKeysAndValuesAreRefusedBeforeAnythingIsWritten) {
  EngineOptions options;
  options.key_bytes_max = 16;
  options.value_bytes_max = 100;
  WithEngine(
      [](Runtime&, Engine& engine) {
        WriteBatch batch;
        batch.PutRecord(1, "fine", ValueRecord("ok"));
        batch.PutRecord(1, std::string(17, 'k'), ValueRecord("too long a key"));
        absl::Status s = engine.Write(std::move(batch));
        EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
        EXPECT_NE(s.message().find("key of 17 bytes exceeds the maximum of 16"), std::string::npos)
            << s;
        EXPECT_FALSE(engine.Get(1, "fine")->has_value()) << "nothing of the batch was written";
        s = engine.Put(1, "fine", ValueRecord(std::string(101, 'v')));
        EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
        EXPECT_NE(s.message().find("value of 101 bytes exceeds the maximum of 100"),
                  std::string::npos);
        EXPECT_EQ(engine.Put(1, "", ValueRecord("x")).code(), absl::StatusCode::kInvalidArgument);
        EXPECT_EQ(engine.Get(1, std::string(17, 'k')).status().code(),
                  absl::StatusCode::kInvalidArgument);
        EXPECT_EQ(engine.stats().writes, 0u);
        KV_EXPECT_OK(engine.Put(1, std::string(16, 'k'), ValueRecord(std::string(100, 'v'))));
      },
      options);
}

TEST(EngineTest, UpdateSerialisesReadModifyWriteOfOneKey) {
  WithEngine([](Runtime& rt, Engine& engine) {
    // 20 fibers each add their own sibling through DVV updates with an empty context: none may
    // lose another's write, though their commits interleave.
    std::vector<FiberHandle> writers;
    for (int w = 1; w <= 20; ++w) {
      writers.push_back(rt.Spawn("writer", [&engine, w] {
        absl::StatusOr<std::optional<Record>> r =
            engine.Update(1, "k", [w](const Record* current) {
              const Record& base = current != nullptr ? *current : EmptyRecord();
              return std::optional<Record>(Update(base, Context(), static_cast<uint64_t>(w),
                                                  Write::Put("v" + std::to_string(w)), w));
            });
        EXPECT_TRUE(r.ok()) << r.status();
      }));
    }
    for (auto& w : writers) w.Join();
    KV_ASSERT_OK_AND_ASSIGN(std::optional<Record> final, engine.Get(1, "k"));
    EXPECT_EQ(final->siblings_size(), 20);
  });
}

TEST(EngineTest, UpdateReturnsWhatItStoredOrNulloptWhenItRemoved) {
  WithEngine([](Runtime&, Engine& engine) {
    auto put = [](const Record* current) {
      return std::optional<Record>(Update(current != nullptr ? *current : EmptyRecord(),
                                          current ? ReadContext(*current) : Context(), 1,
                                          Write::Put("new"), 5));
    };
    KV_ASSERT_OK_AND_ASSIGN(std::optional<Record> returned, engine.Update(2, "k", put));
    KV_ASSERT_OK_AND_ASSIGN(std::optional<Record> stored, engine.Get(2, "k"));
    ASSERT_TRUE(returned.has_value());
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(returned->SerializeAsString(), stored->SerializeAsString());
    KV_ASSERT_OK_AND_ASSIGN(
        returned, engine.Update(2, "k", [](const Record*) {
          return absl::StatusOr<std::optional<Record>>(std::nullopt);
        }));
    EXPECT_FALSE(returned.has_value());
    EXPECT_FALSE(engine.Get(2, "k")->has_value());
    EXPECT_EQ(engine.merkle(2).key_count(), 0u);
  });
}

TEST(EngineTest, ConcurrentWritesShareOneWalSyncUnderGroupCommit) {
  EngineOptions options;
  options.modelled_sync_latency = absl::Milliseconds(2);
  WithEngine(
      [](Runtime& rt, Engine& engine) {
        std::vector<FiberHandle> writers;
        for (int i = 0; i < 50; ++i) {
          writers.push_back(rt.Spawn("writer", [&engine, i] {
            KV_EXPECT_OK(engine.Put(1, "k" + std::to_string(i), ValueRecord("v")));
          }));
        }
        for (auto& w : writers) w.Join();
        const EngineStats s = engine.stats();
        EXPECT_EQ(s.writes, 50u);
        EXPECT_EQ(s.ops_committed, 50u);
        EXPECT_LE(s.commit_groups, 5u) << "50 concurrent writers should need few fsyncs";
        // Each acknowledged write waited for its group's fsync.
        EXPECT_GE(rt.Now() - MonoTime(), absl::Milliseconds(2));
      },
      options);
}

TEST(EngineTest, WritersReadyTogetherShareOneWalWriteUnderIntervalDurability) {
  EngineOptions options;
  options.durability = Durability::kInterval;
  WithEngine(
      [](Runtime& rt, Engine& engine) {
        std::vector<FiberHandle> writers;
        for (int i = 0; i < 50; ++i) {
          writers.push_back(rt.Spawn("writer", [&engine, i] {
            KV_EXPECT_OK(engine.Put(1, "k" + std::to_string(i), ValueRecord("v")));
          }));
        }
        for (auto& w : writers) w.Join();
        EngineStats s = engine.stats();
        EXPECT_EQ(s.writes, 50u);
        EXPECT_EQ(s.ops_committed, 50u);
        EXPECT_LE(s.commit_groups, 2u) << "50 writers ready at once should share a WAL write";
        // A lone writer still commits at once, in a group of its own.
        KV_EXPECT_OK(engine.Put(1, "alone", ValueRecord("v")));
        EXPECT_EQ(engine.stats().commit_groups, s.commit_groups + 1);
        EXPECT_EQ(rt.Now(), MonoTime()) << "no write waited for time to pass";
      },
      options);
}

TEST(EngineTest, ALeaderCancelledDuringItsFsyncHandsOverAndNoWriteHangs) {
  EngineOptions options;
  options.modelled_sync_latency = absl::Milliseconds(5);
  WithEngine(
      [](Runtime& rt, Engine& engine) {
        // The first writer leads; the others queue behind it while it waits for its fsync.
        FiberHandle leader = rt.Spawn("leader", [&engine] {
          (void)engine.Put(1, "first", ValueRecord("1"));
        });
        std::vector<FiberHandle> followers;
        int ok = 0;
        for (int i = 0; i < 10; ++i) {
          followers.push_back(rt.Spawn("follower", [&engine, &ok, i] {
            FiberSleep(absl::Milliseconds(1));
            ok += engine.Put(1, "k" + std::to_string(i), ValueRecord("v")).ok();
          }));
        }
        FiberSleep(absl::Milliseconds(2));
        leader.Cancel();
        leader.Join();
        for (auto& f : followers) f.Join();
        EXPECT_EQ(ok, 10) << "queued writes were committed by a new leader";
        EXPECT_TRUE(engine.Get(1, "first")->has_value()) << "the cancelled leader's group committed";
        KV_EXPECT_OK(engine.Put(1, "after", ValueRecord("x")));
      },
      options);
}

TEST(EngineTest, HintsAreStoredListedCountedAndDeleted) {
  WithEngine([](Runtime&, Engine& engine) {
    WriteBatch batch;
    batch.PutHint(Hint{7, 1, "a", ValueRecord("x"), 100});
    batch.PutHint(Hint{7, 2, "b", ValueRecord("y"), 200});
    batch.PutHint(Hint{9, 1, "a", ValueRecord("z"), 300});
    batch.PutHint(Hint{7, 1, "a", ValueRecord("x2"), 150});  // replaces the first
    KV_ASSERT_OK(engine.Write(std::move(batch)));
    EXPECT_EQ(engine.stats().hints, 3u);
    KV_ASSERT_OK_AND_ASSIGN(auto counts, engine.HintCounts());
    EXPECT_EQ(counts, (absl::btree_map<NodeId, uint64_t>{{7, 2}, {9, 1}}));
    KV_ASSERT_OK_AND_ASSIGN(std::vector<Hint> for7, engine.HintsFor(7, 10));
    ASSERT_EQ(for7.size(), 2u);
    EXPECT_EQ(for7[0].key, "a");
    EXPECT_EQ(OnlyValue(for7[0].record), "x2");
    EXPECT_EQ(for7[0].created_wall_micros, 150);
    EXPECT_EQ(for7[1].partition, 2u);
    KV_ASSERT_OK_AND_ASSIGN(std::vector<Hint> limited, engine.HintsFor(7, 1));
    EXPECT_EQ(limited.size(), 1u);
    WriteBatch done;
    done.DeleteHint(7, 1, "a");
    done.DeleteHint(7, 1, "never-existed");
    KV_ASSERT_OK(engine.Write(std::move(done)));
    EXPECT_EQ(engine.stats().hints, 2u);
  });
}

// Root of a tree rebuilt from what ScanPartition returns.
uint64_t RebuiltRoot(Engine& engine, PartitionId p) {
  MerkleTree tree(engine.merkle(p).shape());
  EXPECT_TRUE(engine
                  .ScanPartition(p,
                                 [&](absl::string_view key, const Record& r) {
                                   tree.Update(key, std::nullopt, RecordDigest(r));
                                   return true;
                                 })
                  .ok());
  return tree.Root();
}

TEST(EngineTest, MerkleTreesFollowEveryWriteAndSurviveReopen) {
  sim::Simulator sim(3);
  std::map<PartitionId, uint64_t> roots_before;
  int phase = 0;
  NodeId id = AddEngineProcess(sim, "node", [&](Runtime& rt, EngineApp& app) {
    ASSERT_TRUE(OpenEngine(rt, app).ok());
    Engine& engine = *app.engine;
    if (phase == 0) {
      Random random(77);
      for (int i = 0; i < 500; ++i) {
        const PartitionId p = static_cast<PartitionId>(random.Uniform(4));
        const std::string key = "k" + std::to_string(random.Uniform(100));
        if (random.Bernoulli(0.2)) {
          WriteBatch b;
          b.DeleteRecord(p, key);
          KV_ASSERT_OK(engine.Write(std::move(b)));
        } else if (random.Bernoulli(0.5)) {
          // Read-modify-write passes the old digest to the tree without a second read.
          auto updated = engine.Update(p, key, [i](const Record* current) {
            return std::optional<Record>(Update(current != nullptr ? *current : EmptyRecord(),
                                                current ? ReadContext(*current) : Context(), 2,
                                                Write::Put("u" + std::to_string(i)), i));
          });
          KV_ASSERT_OK(updated.status());
        } else {
          KV_ASSERT_OK(engine.Put(p, key, ValueRecord("v" + std::to_string(i), i)));
        }
      }
      for (PartitionId p = 0; p < 4; ++p) {
        EXPECT_EQ(engine.merkle(p).Root(), RebuiltRoot(engine, p)) << "partition " << p;
        roots_before[p] = engine.merkle(p).Root();
      }
      KV_ASSERT_OK(engine.Close());
      app.engine.reset();
      phase = 1;
    } else {
      for (PartitionId p = 0; p < 4; ++p) EXPECT_EQ(engine.merkle(p).Root(), roots_before[p]);
      phase = 2;
    }
  });
  sim.Start(id);
  sim.RunFor(absl::Minutes(1));
  ASSERT_EQ(phase, 1);
  sim.Crash(id);  // everything was synced and closed; the crash must not matter
  sim.Start(id);
  sim.RunFor(absl::Minutes(1));
  EXPECT_EQ(phase, 2);
}

TEST(EngineTest, NewKeysCostNoReadAndEveryKeyIsFoundAfterReopen) {
  // More keys than the key filter's first size, so it grows; after the reopen it is rebuilt from
  // the keys on disk. A key it wrongly left out would read as absent, and its Merkle digest would
  // be missing from the tree.
  constexpr int kKeys = static_cast<int>(KeyFilter::kMinCapacity) + 4'000;
  constexpr PartitionId kPartitions = 8;
  auto key_of = [](int i) { return "key" + std::to_string(i); };
  sim::Simulator sim(11);
  std::map<PartitionId, uint64_t> roots_before;
  int phase = 0;
  NodeId id = AddEngineProcess(sim, "node", [&](Runtime& rt, EngineApp& app) {
    ASSERT_TRUE(OpenEngine(rt, app).ok());
    Engine& engine = *app.engine;
    if (phase == 0) {
      for (int first = 0; first < kKeys; first += 1000) {
        WriteBatch batch;
        for (int i = first; i < std::min(kKeys, first + 1000); ++i) {
          batch.PutRecord(i % kPartitions, key_of(i), ValueRecord("v" + std::to_string(i), i + 1));
        }
        KV_ASSERT_OK(engine.Write(std::move(batch)));
      }
      // New keys: the filter answers for almost all of them, so almost none was read.
      EXPECT_GT(engine.stats().reads_skipped, static_cast<uint64_t>(kKeys) * 95 / 100);
      // Overwrites of existing keys read their old digests (the trees below prove it).
      for (int i = 0; i < 500; ++i) {
        KV_ASSERT_OK(engine.Put(i % kPartitions, key_of(i), ValueRecord("w", kKeys + i + 1)));
      }
      for (PartitionId p = 0; p < kPartitions; ++p) {
        EXPECT_EQ(engine.merkle(p).Root(), RebuiltRoot(engine, p)) << "partition " << p;
        roots_before[p] = engine.merkle(p).Root();
      }
      KV_ASSERT_OK(engine.Close());
      app.engine.reset();
      phase = 1;
      return;
    }
    for (int i = 0; i < kKeys; ++i) {
      KV_ASSERT_OK_AND_ASSIGN(std::optional<Record> got, engine.Get(i % kPartitions, key_of(i)));
      ASSERT_TRUE(got.has_value()) << key_of(i) << " lost after reopen";
      EXPECT_EQ(OnlyValue(*got), i < 500 ? "w" : "v" + std::to_string(i));
    }
    const uint64_t skipped_before = engine.stats().reads_skipped;
    for (int i = kKeys; i < kKeys + 1000; ++i) {
      KV_ASSERT_OK_AND_ASSIGN(std::optional<Record> got, engine.Get(i % kPartitions, key_of(i)));
      EXPECT_FALSE(got.has_value());
    }
    EXPECT_GT(engine.stats().reads_skipped - skipped_before, 950u) << "absent keys were read";
    for (PartitionId p = 0; p < kPartitions; ++p) {
      EXPECT_EQ(engine.merkle(p).Root(), roots_before[p]) << "partition " << p;
    }
    phase = 2;
  });
  sim.Start(id);
  sim.RunFor(absl::Minutes(10));
  ASSERT_EQ(phase, 1);
  sim.Crash(id);
  sim.Start(id);
  sim.RunFor(absl::Minutes(10));
  EXPECT_EQ(phase, 2);
}

TEST(EngineTest, MerkleTreesFollowBatchesThatRepeatOverwriteAndDeleteKeys) {
  // A batch reads the old digests of its keys in one pass, in key order and in slices (over 32
  // keys); a key the batch writes twice takes, the second time, the digest the batch just left.
  WithEngine([](Runtime&, Engine& engine) {
    Random random(5);
    for (int round = 0; round < 30; ++round) {
      WriteBatch batch;
      const int ops = 1 + static_cast<int>(random.Uniform(150));
      for (int i = 0; i < ops; ++i) {
        const PartitionId p = static_cast<PartitionId>(random.Uniform(3));
        const std::string key = "k" + std::to_string(random.Uniform(120));
        const int64_t n = round * 1000 + i + 1;
        if (random.Bernoulli(0.15)) {
          batch.DeleteRecord(p, key);
        } else {
          batch.PutRecord(p, key, ValueRecord("v" + std::to_string(n), n));
        }
      }
      KV_ASSERT_OK(engine.Write(std::move(batch)));
      for (PartitionId p = 0; p < 3; ++p) {
        ASSERT_EQ(engine.merkle(p).Root(), RebuiltRoot(engine, p))
            << "round " << round << " partition " << p;
        uint64_t keys = 0;
        KV_ASSERT_OK(engine.ScanPartition(p, [&](absl::string_view, const Record&) {
          ++keys;
          return true;
        }));
        EXPECT_EQ(engine.merkle(p).key_count(), keys) << "round " << round << " partition " << p;
      }
    }
  });
}

TEST(EngineTest, AMalformedRecordRefusesItsWholeBatch) {
  WithEngine([](Runtime&, Engine& engine) {
    Record uncovered;  // a sibling its own (empty) context does not cover
    Sibling* s = uncovered.add_siblings();
    s->set_dot_node(1);
    s->set_dot_counter(1);
    s->set_value("x");
    WriteBatch batch;
    batch.PutRecord(1, "good", ValueRecord("ok"));
    batch.PutRecord(1, "bad", uncovered);
    absl::Status status = engine.Write(std::move(batch));
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find("malformed record"), std::string::npos) << status;
    EXPECT_FALSE(engine.Get(1, "good")->has_value()) << "nothing of the batch was written";
    EXPECT_EQ(engine.merkle(1).key_count(), 0u);
  });
}

TEST(ExpiryFilterTest, PurgesOnlyRecordsWhoseEveryVersionDiedAGraceAgo) {
  const int64_t grace = 1000;
  Record live = ValueRecord("v", 10);
  EXPECT_FALSE(RecordIsPurgeable(live, 1'000'000, grace));
  Record expired = ValueRecord("v", 10, /*expiry=*/500);
  EXPECT_FALSE(RecordIsPurgeable(expired, 1499, grace)) << "expired, but within the grace";
  EXPECT_TRUE(RecordIsPurgeable(expired, 1500, grace));
  Record deleted = Update(live, ReadContext(live), 1, Write::Delete(), 2000);
  EXPECT_FALSE(RecordIsPurgeable(deleted, 2999, grace));
  EXPECT_TRUE(RecordIsPurgeable(deleted, 3000, grace));
  // A tombstone concurrent with a live value: the value keeps the record.
  Record mixed = Update(live, Context(), 2, Write::Delete(), 2000);
  ASSERT_EQ(mixed.siblings_size(), 2);
  EXPECT_FALSE(RecordIsPurgeable(mixed, 1'000'000, grace));
}

TEST(EngineTest, CompactionPurgesDeadRecordsAfterTheGraceAndNothingComesBack) {
  EngineOptions options;
  options.tombstone_grace = absl::Minutes(10);
  WithEngine(
      [](Runtime& rt, Engine& engine) {
        auto now = [&rt] { return absl::ToUnixMicros(rt.WallNow()); };
        // Old versions first, flushed to their own file, so a purge that exposed them would show.
        for (int i = 0; i < 50; ++i) {
          KV_ASSERT_OK(engine.Put(1, "del" + std::to_string(i), ValueRecord("old", now())));
          KV_ASSERT_OK(engine.Put(1, "ttl" + std::to_string(i), ValueRecord("old", now())));
        }
        KV_ASSERT_OK(engine.CompactRecords());
        for (int i = 0; i < 50; ++i) {
          const std::string del = "del" + std::to_string(i);
          Record current = **engine.Get(1, del);
          KV_ASSERT_OK(engine.Put(1, del, Update(current, ReadContext(current), 1, Write::Delete(),
                                                 now())));
          const std::string ttl = "ttl" + std::to_string(i);
          current = **engine.Get(1, ttl);
          const int64_t expiry = now() + 60'000'000;  // one minute
          KV_ASSERT_OK(engine.Put(
              1, ttl, Update(current, ReadContext(current), 1, Write::Put("new", expiry), now())));
          KV_ASSERT_OK(engine.Put(1, "keep" + std::to_string(i), ValueRecord("kept", now())));
        }
        // Within the grace: dead records stay (their contexts still supersede old copies).
        FiberSleep(absl::Minutes(5));
        KV_ASSERT_OK(engine.CompactRecords());
        EXPECT_EQ(engine.stats().records_purged, 0u);
        EXPECT_TRUE(engine.Get(1, "del3")->has_value());
        EXPECT_TRUE(LiveValues(**engine.Get(1, "ttl3"), now()).empty()) << "expired: invisible";
        // Past the grace: purged, and the old versions below them do not resurface.
        FiberSleep(absl::Minutes(20));
        KV_ASSERT_OK(engine.CompactRecords());
        EXPECT_EQ(engine.stats().records_purged, 100u);
        for (int i = 0; i < 50; ++i) {
          EXPECT_FALSE(engine.Get(1, "del" + std::to_string(i))->has_value());
          EXPECT_FALSE(engine.Get(1, "ttl" + std::to_string(i))->has_value());
          EXPECT_EQ(OnlyValue(**engine.Get(1, "keep" + std::to_string(i)), now()), "kept");
        }
        int remaining = 0;
        KV_ASSERT_OK(engine.ScanPartition(1, [&](absl::string_view, const Record&) {
          ++remaining;
          return true;
        }));
        EXPECT_EQ(remaining, 50);
      },
      options);
}

}  // namespace
}  // namespace kv::storage
