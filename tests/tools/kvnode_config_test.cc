// kvnode's settings (TOML file, then flags) and its data directory's identity: what an operator
// sees when a setting or a directory is wrong.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tools/kvnode/config.h"
#include "tools/kvnode/data_dir.h"

namespace kv::kvnode {
namespace {

std::string Write(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

absl::StatusOr<Config> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "kvnode");
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  return ParseConfig(static_cast<int>(argv.size()), argv.data());
}

TEST(KvnodeConfigTest, FlagsOverrideTheFileWhichOverridesTheDefaults) {
  const std::string clean = Write("clean.toml", R"(
[node]
id = 2
data_dir = "/tmp/x"
[listen]
peer = "127.0.0.1:7002"
[cluster]
seeds = ["1@127.0.0.1:7001", "2@127.0.0.1:7002"]
w = 3
[storage]
durability = "interval"
sync_interval = "250ms"
)");
  absl::StatusOr<Config> c = Parse({"--config", clean, "--w", "1", "--strict", "--resolution",
                                     "lww", "--handoff-interval", "300ms"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->id, 2u);
  EXPECT_EQ(c->w, 1u);  // the flag wins
  EXPECT_EQ(c->r, 2u);  // the default stays
  EXPECT_FALSE(c->sloppy);
  ASSERT_EQ(c->seeds.size(), 2u);
  EXPECT_EQ(c->seeds[0].id, 1u);
  EXPECT_EQ(c->seeds[0].address, "127.0.0.1:7001");
  EXPECT_EQ(c->sync_interval, absl::Milliseconds(250));
  const node::NodeOptions o = ToNodeOptions(*c);
  EXPECT_EQ(o.engine.durability, storage::Durability::kInterval);
  EXPECT_EQ(o.engine.dir, "/tmp/x/db");
  EXPECT_EQ(o.membership.seeds, (std::vector<NodeId>{1, 2}));
  EXPECT_EQ(o.membership.address, "127.0.0.1:7002");
  EXPECT_EQ(o.resolution, storage::Resolution::kLastWriterWins);
  EXPECT_EQ(o.handoff.interval, absl::Milliseconds(300));
  EXPECT_EQ(ToNodeOptions(*Parse({"--id", "1", "--data-dir", "/tmp/x"})).resolution,
            storage::Resolution::kDottedVersionVectors);
}

TEST(KvnodeConfigTest, BadSettingsNameTheFileLineOrFlag) {
  EXPECT_EQ(Parse({"--config", Write("unknown.toml", "[node]\nid = 1\n\n[cluster]\nsync_interval = \"1s\"\n")})
                .status()
                .message(),
            ::testing::TempDir() + "/unknown.toml:5: cluster.sync_interval: unknown key");
  EXPECT_EQ(Parse({"--config", Write("type.toml", "[cluster]\nn = \"three\"\n")}).status().message(),
            ::testing::TempDir() + "/type.toml:2: cluster.n: 'three' is not a number");
  EXPECT_EQ(Parse({"--config", Write("syntax.toml", "[node\nid = 1\n")}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse({"--id", "1", "--data-dir", "/tmp/x", "--n", "3", "--w", "4"}).status().message(),
            "need R, W <= N; got N=3 R=2 W=4");
  EXPECT_EQ(Parse({"--id", "1", "--data-dir", "/tmp/x", "--seeds", "127.0.0.1:7001"}).status().message(),
            "--seeds: bad seed '127.0.0.1:7001': expected id@host:port, e.g. 1@127.0.0.1:7001");
  EXPECT_EQ(Parse({"--data-dir", "/tmp/x"}).status().message(), "node.id (--id) is required");
  EXPECT_EQ(Parse({"--id", "1", "--data-dir", "/tmp/x", "--durability", "fast"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse({"--id", "1", "--data-dir", "/tmp/x", "--resolution", "newest"}).status().message(),
            "--resolution: 'newest' is not dvv or lww");
  EXPECT_EQ(Parse({"--id", "1", "--data-dir", "/tmp/x", "--sync-interval", "soon"}).status().message(),
            "--sync-interval: 'soon' is not a positive duration (e.g. 500ms, 1s, 5m)");
  EXPECT_EQ(Parse({"--id", "1", "--data-dir", "/tmp/x", "--no-such-flag"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::IsCancelled(Parse({"--help"}).status()));
}

TEST(KvnodeDataDirTest, ADirectoryBelongsToOneNodeAndOneFormat) {
  const std::string dir = ::testing::TempDir() + "/kvnode-data";
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(PrepareDataDir(dir, 3).ok());
  EXPECT_TRUE(PrepareDataDir(dir, 3).ok());  // the same node again
  EXPECT_EQ(PrepareDataDir(dir, 4).message(),
            "data directory " + dir + " belongs to node 3, not node 4");
  std::ofstream(dir + "/IDENTITY") << "dynkv data directory\nformat 99\nnode 3\n";
  EXPECT_EQ(PrepareDataDir(dir, 3).message(), "data directory " + dir +
                                                  " holds format version 99; this kvnode reads "
                                                  "version 1");
  const std::string other = ::testing::TempDir() + "/not-dynkv";
  std::filesystem::remove_all(other);
  std::filesystem::create_directories(other);
  std::ofstream(other + "/photo.jpg") << "x";
  EXPECT_EQ(PrepareDataDir(other, 1).message(),
            other + " is not empty and has no IDENTITY file: not a dynkv data directory");
  std::filesystem::remove_all(other);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kv::kvnode
