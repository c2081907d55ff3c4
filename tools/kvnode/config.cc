#include "tools/kvnode/config.h"

#include <functional>
#include <map>
#include <string_view>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "net/status_macros.h"
#include "storage/engine/options.h"
#include "toml++/toml.h"

namespace kv::kvnode {
namespace {

// One setting: its TOML key ("section.key"), its flag ("--key"), and how to set it from text.
struct Field {
  const char* toml;
  const char* flag;
  const char* help;
  std::function<absl::Status(Config&, const std::string&)> set;
};

absl::Status ParseU64(const std::string& text, uint64_t min, uint64_t max, uint64_t* out) {
  uint64_t v = 0;
  if (!absl::SimpleAtoi(text, &v)) return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not a number"));
  if (v < min || v > max) {
    return absl::InvalidArgumentError(absl::StrCat(v, " is out of range ", min, "..", max));
  }
  *out = v;
  return absl::OkStatus();
}

template <typename T>
std::function<absl::Status(Config&, const std::string&)> Number(T Config::*member, uint64_t min,
                                                                 uint64_t max) {
  return [=](Config& c, const std::string& text) {
    uint64_t v = 0;
    RETURN_IF_ERROR(ParseU64(text, min, max, &v));
    c.*member = static_cast<T>(v);
    return absl::OkStatus();
  };
}

std::function<absl::Status(Config&, const std::string&)> Text(std::string Config::*member) {
  return [=](Config& c, const std::string& text) {
    c.*member = text;
    return absl::OkStatus();
  };
}

std::function<absl::Status(Config&, const std::string&)> Time(Duration Config::*member) {
  return [=](Config& c, const std::string& text) {
    Duration d;
    if (!absl::ParseDuration(text, &d) || d <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", text, "' is not a positive duration (e.g. 500ms, 1s, 5m)"));
    }
    c.*member = d;
    return absl::OkStatus();
  };
}

absl::Status SetBool(bool* out, const std::string& text) {
  if (text == "true") *out = true;
  else if (text == "false") *out = false;
  else return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not true or false"));
  return absl::OkStatus();
}

const std::vector<Field>& Fields() {
  static const std::vector<Field> fields = {
      {"node.id", "--id", "this node's id (1..2^32-1), unique in the cluster, fixed for its data",
       Number(&Config::id, 1, UINT32_MAX)},
      {"node.data_dir", "--data-dir", "directory of this node's data (created if missing)",
       Text(&Config::data_dir)},
      {"node.weight", "--weight", "partitions this node takes relative to others",
       Number(&Config::weight, 1, 1000)},
      {"node.log_level", "--log-level", "debug, info, warn or error",
       [](Config& c, const std::string& t) {
         if (t == "debug") c.log_level = LogLevel::kDebug;
         else if (t == "info") c.log_level = LogLevel::kInfo;
         else if (t == "warn") c.log_level = LogLevel::kWarn;
         else if (t == "error") c.log_level = LogLevel::kError;
         else return absl::InvalidArgumentError(absl::StrCat("'", t, "' is not debug, info, warn or error"));
         return absl::OkStatus();
       }},
      {"listen.peer", "--peer", "host:port for node-to-node traffic", Text(&Config::peer_listen)},
      {"listen.http", "--http", "host:port of the HTTP API (\"\" = off)", Text(&Config::http_listen)},
      {"listen.redis", "--redis", "host:port of the Redis protocol (\"\" = off)",
       Text(&Config::redis_listen)},
      {"cluster.seeds", "--seeds", "comma-separated id@host:port of nodes to join through",
       [](Config& c, const std::string& t) {
         c.seeds.clear();
         for (absl::string_view part : absl::StrSplit(t, ',', absl::SkipWhitespace())) {
           ASSIGN_OR_RETURN(SeedAddress seed, ParseSeed(absl::StripAsciiWhitespace(part)));
           c.seeds.push_back(std::move(seed));
         }
         return absl::OkStatus();
       }},
      {"cluster.partitions", "--partitions", "partitions of the ring (Q); cluster-wide, fixed",
       Number(&Config::partitions, 1, 1 << 16)},
      {"cluster.n", "--n", "replicas per key (N)", Number(&Config::n, 1, 16)},
      {"cluster.r", "--r", "replies a read waits for (R)", Number(&Config::r, 1, 16)},
      {"cluster.w", "--w", "acknowledgements a write waits for (W)", Number(&Config::w, 1, 16)},
      {"cluster.sloppy", "--sloppy", "sloppy quorums with hinted handoff (true) or strict (false)",
       [](Config& c, const std::string& t) { return SetBool(&c.sloppy, t); }},
      {"cluster.secret", "--secret", "shared secret every node presents to its peers",
       Text(&Config::cluster_secret)},
      {"cluster.gossip_interval", "--gossip-interval", "gossip round period",
       Time(&Config::gossip_interval)},
      {"cluster.anti_entropy_interval", "--anti-entropy-interval",
       "period of anti-entropy exchanges (one partition each)",
       Time(&Config::anti_entropy_interval)},
      {"cluster.request_timeout", "--request-timeout", "how long a coordinator waits for replicas",
       Time(&Config::request_timeout)},
      {"cluster.handoff_interval", "--handoff-interval",
       "how often hints are offered back to the nodes they stand in for",
       Time(&Config::handoff_interval)},
      {"cluster.resolution", "--resolution",
       "dvv (concurrent writes kept as siblings) or lww (last writer wins); cluster-wide",
       [](Config& c, const std::string& t) {
         if (t != "dvv" && t != "lww") {
           return absl::InvalidArgumentError(absl::StrCat("'", t, "' is not dvv or lww"));
         }
         c.resolution = t;
         return absl::OkStatus();
       }},
      {"storage.durability", "--durability",
       "sync (fsync before acknowledging) or interval (fsync every sync_interval)",
       [](Config& c, const std::string& t) {
         RETURN_IF_ERROR(storage::ParseDurability(t).status());
         c.durability = t;
         return absl::OkStatus();
       }},
      {"storage.sync_interval", "--sync-interval", "fsync period under interval durability",
       Time(&Config::sync_interval)},
      {"storage.key_bytes_max", "--key-bytes-max", "longest key accepted",
       Number(&Config::key_bytes_max, 1, 1 << 20)},
      {"storage.value_bytes_max", "--value-bytes-max", "longest value accepted",
       Number(&Config::value_bytes_max, 1, 64 << 20)},
      {"storage.block_cache_bytes", "--block-cache-bytes", "RocksDB block cache",
       Number(&Config::block_cache_bytes, 1 << 20, uint64_t{1} << 40)},
      {"storage.memtable_flush_bytes", "--memtable-flush-bytes", "RocksDB memtable size",
       Number(&Config::memtable_flush_bytes, 1 << 20, uint64_t{1} << 34)},
      {"clients.token", "--token", "token clients must present (HTTP bearer, Redis AUTH); \"\" = none",
       Text(&Config::client_token)},
      {"clients.connections_max", "--connections-max", "client connections served at once",
       Number(&Config::connections_max, 1, 1000000)},
      {"clients.idle_timeout", "--idle-timeout", "a silent client connection is closed after this",
       Time(&Config::idle_timeout)},
  };
  return fields;
}

// The TOML value as the text its flag would take; error for tables and wrong types.
absl::StatusOr<std::string> TomlText(const toml::node& node) {
  if (auto s = node.as_string()) return std::string(s->get());
  if (auto i = node.as_integer()) {
    if (i->get() < 0) return absl::InvalidArgumentError("must not be negative");
    return absl::StrCat(i->get());
  }
  if (auto b = node.as_boolean()) return std::string(b->get() ? "true" : "false");
  if (auto a = node.as_array()) {
    std::vector<std::string> parts;
    for (const toml::node& e : *a) {
      auto s = e.as_string();
      if (!s) return absl::InvalidArgumentError("must be an array of strings");
      parts.emplace_back(s->get());
    }
    return absl::StrJoin(parts, ",");
  }
  return absl::InvalidArgumentError("must be a string, integer, boolean or array of strings");
}

}  // namespace

absl::StatusOr<SeedAddress> ParseSeed(absl::string_view text) {
  std::vector<std::string> parts = absl::StrSplit(text, absl::MaxSplits('@', 1));
  uint64_t id = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &id) || id == 0 || id > UINT32_MAX ||
      parts[1].find(':') == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad seed '", text, "': expected id@host:port, e.g. 1@127.0.0.1:7001"));
  }
  return SeedAddress{static_cast<NodeId>(id), parts[1]};
}

absl::StatusOr<Config> ApplyTomlFile(const std::string& path, Config base) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ":", e.source().begin.line, ": ",
                                                   std::string(e.description())));
  }
  std::map<std::string, const Field*> by_key;
  for (const Field& f : Fields()) by_key[f.toml] = &f;
  for (auto&& [section_key, table_node] : root) {
    const std::string section(section_key.str());
    const int section_line = static_cast<int>(table_node.source().begin.line);
    const toml::table* table = table_node.as_table();
    if (table == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", section_line, ": ", section,
                                                     ": expected a [", section, "] table"));
    }
    for (auto&& [key, value] : *table) {
      const std::string name = absl::StrCat(section, ".", std::string(key.str()));
      const int line = static_cast<int>(value.source().begin.line);
      auto it = by_key.find(name);
      if (it == by_key.end()) {
        return absl::InvalidArgumentError(absl::StrCat(path, ":", line, ": ", name, ": unknown key"));
      }
      absl::StatusOr<std::string> text = TomlText(value);
      absl::Status set = text.ok() ? it->second->set(base, *text) : text.status();
      if (!set.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ":", line, ": ", name, ": ", set.message()));
      }
    }
  }
  return base;
}

absl::Status ValidateConfig(const Config& c) {
  if (c.id == kNoNode) return absl::InvalidArgumentError("node.id (--id) is required");
  if (c.data_dir.empty()) return absl::InvalidArgumentError("node.data_dir (--data-dir) is required");
  if (c.r > c.n || c.w > c.n) {
    return absl::InvalidArgumentError(
        absl::StrCat("need R, W <= N; got N=", c.n, " R=", c.r, " W=", c.w));
  }
  if (c.http_listen.empty() && c.redis_listen.empty()) {
    return absl::InvalidArgumentError("no client API: set listen.http or listen.redis");
  }
  for (const SeedAddress& s : c.seeds) {
    if (s.id == c.id && s.address != c.peer_listen) {
      return absl::InvalidArgumentError(absl::StrCat(
          "seed ", s.id, "@", s.address, " has this node's id but not its peer address ",
          c.peer_listen));
    }
  }
  return ValidateNodeOptions(ToNodeOptions(c));
}

node::NodeOptions ToNodeOptions(const Config& c) {
  node::NodeOptions o;
  o.membership.partitions = c.partitions;
  o.membership.n_val = c.n;
  o.membership.weight = c.weight;
  o.membership.address = c.peer_listen;
  o.membership.gossip_interval = c.gossip_interval;
  o.membership.gossip_timeout = std::min(c.gossip_interval, absl::Milliseconds(500));
  for (const SeedAddress& s : c.seeds) o.membership.seeds.push_back(s.id);
  o.coordinator.n = c.n;
  o.coordinator.r = c.r;
  o.coordinator.w = c.w;
  o.coordinator.sloppy = c.sloppy;
  o.coordinator.request_timeout = c.request_timeout;
  o.engine.dir = c.data_dir + "/db";
  o.engine.durability = *storage::ParseDurability(c.durability);
  o.engine.sync_interval = c.sync_interval;
  o.engine.key_bytes_max = c.key_bytes_max;
  o.engine.value_bytes_max = c.value_bytes_max;
  o.engine.block_cache_bytes = c.block_cache_bytes;
  o.engine.memtable_flush_bytes = c.memtable_flush_bytes;
  o.anti_entropy.interval = c.anti_entropy_interval;
  o.handoff.interval = c.handoff_interval;
  o.resolution = c.resolution == "lww" ? storage::Resolution::kLastWriterWins
                                       : storage::Resolution::kDottedVersionVectors;
  return o;
}

absl::StatusOr<Config> ParseConfig(int argc, const char* const* argv) {
  CLI::App app{"kvnode: one node of a dynkv cluster (Dynamo-style key-value store)"};
  std::string config_file;
  app.add_option("--config", config_file, "TOML file of settings (flags override it)");
  // Flags are read as text and applied after the file, through the same setters.
  std::vector<std::pair<const Field*, std::string>> given;
  std::vector<std::string> values(Fields().size());
  std::vector<CLI::Option*> options;
  for (size_t i = 0; i < Fields().size(); ++i) {
    const Field& f = Fields()[i];
    options.push_back(app.add_option(f.flag, values[i], absl::StrCat(f.help, " [", f.toml, "]")));
  }
  bool strict = false;
  app.add_flag("--strict", strict, "strict quorums (same as --sloppy false)");
  std::string restore_from;
  app.add_option("--restore", restore_from,
                 "restore the data directory from this snapshot (a node snapshot, or a cluster "
                 "backup holding one for this node) before starting; the directory must hold no "
                 "database");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    return absl::CancelledError(app.help());
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(e.what());
  }
  Config config;
  if (!config_file.empty()) {
    ASSIGN_OR_RETURN(config, ApplyTomlFile(config_file, config));
  }
  for (size_t i = 0; i < Fields().size(); ++i) {
    if (options[i]->count() == 0) continue;
    absl::Status set = Fields()[i].set(config, values[i]);
    if (!set.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(Fields()[i].flag, ": ", set.message()));
    }
  }
  if (strict) config.sloppy = false;
  config.restore_from = restore_from;
  RETURN_IF_ERROR(ValidateConfig(config));
  return config;
}

}  // namespace kv::kvnode
