// Backup and restore with real kvnode processes: kvctl backup under load (online snapshots),
// a destroyed data directory restored with kvnode --restore, the restored node catching up with
// its peers, and snapshots that are damaged or of another node refused before anything is written.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "support/seeds.h"
#include "support/real_cluster_util.h"

namespace kv::realcluster {
namespace {

namespace fs = std::filesystem;

// kvctl's arguments for a backup of every node of `c` into `to`.
std::string ClusterBackupArgs(const LocalCluster& c, const std::string& to) {
  std::string out = "--nodes ";
  for (int node = 1; node <= c.size(); ++node) {
    absl::StrAppend(&out, node > 1 ? "," : "", c.http_address(node));
  }
  return absl::StrCat("backup --to ", to, " ", out);
}

// Kills `node`, its database lost (moved aside), and starts it from `backup` (kvnode --restore).
void DestroyAndRestore(LocalCluster& c, int node, const std::string& backup) {
  ASSERT_TRUE(c.Kill(node).ok());
  absl::Status started = c.SpawnRestored(node, backup);
  if (started.ok()) started = c.WaitHealthy(node);
  ASSERT_TRUE(started.ok()) << started << "\n" << c.LogTail(node);
}

// One node holds every key (N=1): what its snapshot holds is exactly what a restore brings back.
// Every write acknowledged before the backup began is readable after the data directory is
// destroyed and restored; the node takes a new range of generations.
TEST(BackupTest, RestoreBringsBackEveryWriteAcknowledgedBeforeTheBackupBegan) {
  std::unique_ptr<LocalCluster> c =
      StartCluster("backup1", {"--n", "1", "--r", "1", "--w", "1"}, "", /*nodes=*/1);
  ASSERT_NE(c, nullptr);
  std::atomic<bool> stop{false};
  std::atomic<int> acked_so_far{0};
  std::vector<int> acked;
  std::thread writer([&] {
    std::unique_ptr<RespClient> client = Redis(*c, 1);
    for (int i = 0; client != nullptr && !stop.load(); ++i) {
      absl::StatusOr<RespReply> r = client->Call({"SET", absl::StrCat("w", i), absl::StrCat("v", i)});
      if (r.ok() && r->type == RespReply::Type::kSimple) {
        acked.push_back(i);
        acked_so_far = static_cast<int>(acked.size());
      }
    }
  });
  while (acked_so_far.load() < 200) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const int before_backup = acked_so_far.load();  // acknowledged before the backup began
  const std::string backup = c->dir() + "/snapshots";  // removed with the cluster's directory
  const std::string made =
      Kvctl(absl::StrCat("--node ", c->http_address(1), " backup --to ", backup));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // writes go on meanwhile
  stop = true;
  writer.join();
  ASSERT_NE(made.find("status=0"), std::string::npos) << made;
  EXPECT_NE(made.find("node 1: " + backup + "/node-1"), std::string::npos) << made;
  ASSERT_TRUE(fs::exists(fs::path(backup) / "MANIFEST.json"));
  ASSERT_GT(static_cast<int>(acked.size()), before_backup) << "no write went on during the backup";

  DestroyAndRestore(*c, 1, backup);
  std::unique_ptr<RespClient> reader = Redis(*c, 1);
  ASSERT_NE(reader, nullptr);
  int missing = 0;
  for (int k = 0; k < before_backup; ++k) {
    const int i = acked[k];
    absl::StatusOr<RespReply> r = reader->Call({"GET", absl::StrCat("w", i)});
    if (!r.ok() || r->text != absl::StrCat("v", i)) ++missing;
  }
  EXPECT_EQ(missing, 0) << "of " << before_backup << " writes acknowledged before the backup";
  // The restored node writes with a new range of dot issuers (generation >= 2^16).
  EXPECT_EQ(reader->Call({"SET", "after", "restore"})->ToString(), "OK");
  const std::string log = Shell(absl::StrCat("cat ", c->log_path(1)));
  EXPECT_NE(log.find("restored node started with generation 655"), std::string::npos)
      << c->LogTail(1);
  EXPECT_FALSE(fs::exists(fs::path(c->data_dir(1)) / "RESTORED"));
}

// Three nodes, one snapshot each (a cluster backup). Node 2 loses its data and is restored from
// the backup; hinted handoff and anti-entropy give it everything written since, which its own
// copies (read with R=1 while the others are paused) then show.
TEST(BackupTest, ARestoredNodeConvergesWithItsPeers) {
  if (kv::testing::kSanitizerBuild) {
    GTEST_SKIP() << "convergence is timing, not memory safety; the release build runs it";
  }
  std::unique_ptr<LocalCluster> c = StartCluster("backup3");
  ASSERT_NE(c, nullptr);
  std::atomic<bool> stop{false};
  std::vector<int> acked;
  std::thread writer([&] { acked = WriteUntil(*c, stop, 0); });
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  const std::string backup = c->dir() + "/snapshots";  // removed with the cluster's directory
  const std::string made = Kvctl(ClusterBackupArgs(*c, backup));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  stop = true;
  writer.join();
  ASSERT_NE(made.find("status=0"), std::string::npos) << made;
  for (int id = 1; id <= 3; ++id) {
    EXPECT_TRUE(fs::exists(fs::path(backup) / absl::StrCat("node-", id) / "SNAPSHOT.json")) << id;
  }
  ASSERT_GT(acked.size(), 20u);

  DestroyAndRestore(*c, 2, backup);  // the cluster backup's node-2
  const int behind = KeysStillMissing(*c, 2, acked);
  EXPECT_EQ(behind, 0) << "keys the restored node still lacks:\n" << c->LogTail(2);
}

// Restores that must not happen: each is refused with a message saying why, exit status 1, and
// the data directory is left as it was.
TEST(BackupTest, DamagedForeignOrMisplacedSnapshotsAreRefused) {
  std::unique_ptr<LocalCluster> c = StartCluster("backup-bad", {"--n", "2", "--r", "1", "--w", "1"},
                                                 "", /*nodes=*/2);
  ASSERT_NE(c, nullptr);
  ASSERT_NE(Kvctl(absl::StrCat("--node ", c->http_address(1), " put k v")).find("status=0"),
            std::string::npos);
  const std::string backup = c->dir() + "/snapshots";  // removed with the cluster's directory
  ASSERT_NE(Kvctl(ClusterBackupArgs(*c, backup)).find("status=0"),
            std::string::npos);
  // The same directory again: refused, nothing overwritten.
  const std::string again = Kvctl(absl::StrCat("--node ", c->http_address(1), " backup --to ", backup));
  EXPECT_NE(again.find("already exists"), std::string::npos) << again;
  EXPECT_NE(again.find("status=1\n"), std::string::npos) << again;

  ASSERT_TRUE(c->Kill(2).ok());
  const fs::path db = fs::path(c->data_dir(2)) / "db";
  auto restore = [&](const std::string& from) {
    return Shell(absl::StrCat(KvnodeBinary(), " --id ", c->id(2), " --data-dir ", c->data_dir(2),
                              " --peer 127.0.0.1:0 --http 127.0.0.1:0 --redis '' --restore ", from,
                              " 2>&1; echo status=$?"));
  };
  // A node's data directory that still holds a database.
  std::string out = restore(backup);
  EXPECT_NE(out.find("already holds a database"), std::string::npos) << out;
  EXPECT_NE(out.find("status=1\n"), std::string::npos) << out;
  fs::rename(db, fs::path(c->data_dir(2)) / "db.moved-away");

  // Another node's snapshot.
  out = restore(absl::StrCat(backup, "/node-1"));
  EXPECT_NE(out.find("is of node 1, not node 2"), std::string::npos) << out;
  EXPECT_NE(out.find("status=1\n"), std::string::npos) << out;

  // A flipped byte in one of node 2's snapshot files.
  fs::path victim;
  for (const fs::directory_entry& e : fs::directory_iterator(fs::path(backup) / "node-2" / "db")) {
    if (e.path().filename().string().rfind("MANIFEST-", 0) == 0) victim = e.path();
  }
  ASSERT_FALSE(victim.empty());
  {
    std::fstream f(victim, std::ios::in | std::ios::out | std::ios::binary);
    char byte = 0;
    f.seekg(8);
    f.read(&byte, 1);
    byte = static_cast<char>(byte ^ 0x20);
    f.seekp(8);
    f.write(&byte, 1);
  }
  out = restore(backup);
  EXPECT_NE(out.find("checksum differs"), std::string::npos) << out;
  EXPECT_NE(out.find("status=1\n"), std::string::npos) << out;

  // Not a snapshot at all (an interrupted backup leaves no SNAPSHOT.json).
  out = restore(c->data_dir(1));
  EXPECT_NE(out.find("is not a snapshot"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(db)) << "a refused restore wrote the database";
  EXPECT_FALSE(fs::exists(fs::path(c->data_dir(2)) / "RESTORED"));
}

}  // namespace
}  // namespace kv::realcluster
