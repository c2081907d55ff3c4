// One Redis-protocol client connection's state, and the execution of its commands against the
// node's coordinator. The wire (RESP2 parsing, pipelining, timeouts) is redis_server.h's; this
// file turns one parsed command into one reply. node/api/README.md documents what each command
// means on a Dynamo store (last-writer-wins over siblings, overwrite writes, TTLs, estimates).
//
// Commands: PING ECHO GET SET(EX PX EXAT PXAT KEEPTTL NX XX GET) DEL EXISTS EXPIRE PEXPIRE
// (NX XX GT LT) TTL PTTL MGET MSET INFO DBSIZE SELECT QUIT CONFIG(GET SET RESETSTAT)
// COMMAND(COUNT DOCS INFO LIST) CLIENT(SETNAME GETNAME ID SETINFO) HELLO AUTH. Errors use Redis's codes and wording:
// "ERR unknown command ...", "ERR wrong number of arguments for 'get' command", "NOAUTH ...",
// "WRONGPASS ...", "NOPROTO ...". Coordinator failures are answered, never fatal: quorum failures
// (UNAVAILABLE, DEADLINE_EXCEEDED) as "TRYAGAIN <the coordinator's message>", anything else as
// "ERR <message>".
//
// Threading: one session per connection, on fibers of the node's process. Execute may suspend
// (the coordinator waits for replicas). The connection runs pipelined GETs and SETs of distinct
// keys concurrently (redis_server.cc), so those commands touch no per-session state but the
// shared counters; every other command runs alone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "net/resp.h"
#include "net/runtime.h"
#include "node/kv.pb.h"
#include "node/node.h"

namespace kv::api {

struct RedisSessionOptions {
  // The password AUTH (or HELLO ... AUTH) must present, for the user "default"; empty: none.
  // While a session is not authenticated every command but AUTH, HELLO and QUIT answers
  // "NOAUTH Authentication required.". A namespace's token is a password too, opening only
  // that namespace (SELECT n chooses namespace "n"; node/api/access.h): commands on a
  // namespace the password does not open answer "NOPERM ...".
  std::string auth_token;
  // The cluster's replication settings, as configured (NodeOptions::coordinator), for INFO and
  // the DBSIZE estimate; the node does not expose its options.
  uint32_t n = 3;
  uint32_t r = 2;
  uint32_t w = 2;
};

// Counters shared by every Redis connection of one node, for INFO. The owner (the listener)
// sets `started` when it starts serving.
struct RedisStats {
  MonoTime started;
  uint64_t connections_received = 0;
  uint64_t connected_clients = 0;
  uint64_t commands_processed = 0;
  uint64_t keyspace_hits = 0;    // GET/MGET keys found
  uint64_t keyspace_misses = 0;  // GET/MGET keys not found
  uint64_t error_replies = 0;
  uint64_t next_client_id = 1;
};

class RedisSession {
 public:
  enum class After {
    kContinue,  // keep reading commands
    kClose,     // the reply is the last: write it, then close the connection (QUIT)
  };

  // `stats`: the node's shared counters (nullptr: this session keeps its own). `node` and
  // `stats` outlive the session. The node may still be starting: commands that need the store
  // answer "LOADING ..." until node.started().
  RedisSession(Runtime& rt, node::Node& node, RedisSessionOptions options,
               RedisStats* stats = nullptr);

  // Executes one command (`args[0]` the command name, any case) and appends its reply to `out`.
  // REQUIRES: on a fiber of the node's process; !args.empty().
  After Execute(const std::vector<std::string>& args, RespWriter& out);

  uint64_t id() const { return id_; }
  const std::string& name() const { return name_; }
  bool authenticated() const { return authenticated_; }
  RedisStats& stats() { return *stats_; }

 private:
  using Args = std::vector<std::string>;
  struct Command;
  // The live value of a key as this API shows it: the last writer's among the read's siblings.
  struct Read {
    bool found = false;
    node::ClientValue value;
    std::string context;  // the read's causal context, for a write that follows it
  };
  struct WriteSpec {
    absl::string_view value;
    int64_t ttl_micros = 0;  // 0: no expiry
    bool tombstone = false;
    std::string context;  // "" for a write without a read first
  };

  // Every command, and the one named `lower_name` (nullptr if none).
  static absl::Span<const Command> Table();
  static const Command* Find(absl::string_view lower_name);
  // Replies an error for a command the session may not run now; true if it may.
  bool Admit(const Command& command, const Args& args, RespWriter& out);

  // Store access (REQUIRES: node_.started()). Errors are answered by ReplyStatus.
  absl::StatusOr<Read> ReadKey(absl::string_view key);
  absl::Status WriteKey(absl::string_view key, const WriteSpec& spec);
  // INVALID_ARGUMENT naming the limit a key or value breaks (checked before any write).
  absl::Status CheckKey(absl::string_view key) const;
  absl::Status CheckValue(absl::string_view value) const;
  // True if `key` can never be stored (empty or over the limit), so a read can skip the store.
  bool Unstorable(absl::string_view key) const;
  void ReplyStatus(const absl::Status& status, RespWriter& out);
  int64_t WallMicros() const;

  // Command handlers: each appends exactly one reply.
  void Ping(const Args& args, RespWriter& out);
  void Echo(const Args& args, RespWriter& out);
  void Get(const Args& args, RespWriter& out);
  void Set(const Args& args, RespWriter& out);
  void Del(const Args& args, RespWriter& out);
  void Exists(const Args& args, RespWriter& out);
  void Expire(const Args& args, RespWriter& out, int64_t unit_micros);
  void Ttl(const Args& args, RespWriter& out, int64_t unit_micros);
  void MGet(const Args& args, RespWriter& out);
  void MSet(const Args& args, RespWriter& out);
  void Info(const Args& args, RespWriter& out);
  void DbSize(const Args& args, RespWriter& out);
  void Select(const Args& args, RespWriter& out);
  void Config(const Args& args, RespWriter& out);
  void CommandCmd(const Args& args, RespWriter& out);
  void Client(const Args& args, RespWriter& out);
  void Hello(const Args& args, RespWriter& out);
  void Auth(const Args& args, RespWriter& out);

  // May this connection use namespace `ns` (node/api/access.h)? REQUIRES: node_.started().
  bool MayUse(absl::string_view ns) const;
  static std::string NoPermission(absl::string_view ns);
  // AUTH's check: OK, or the WRONGPASS/ERR reply text.
  absl::Status CheckPassword(absl::string_view user, absl::string_view password);
  // INFO's text for the requested sections.
  std::string InfoText(const std::vector<std::string>& sections);
  // Keys this node's copy of the ring suggests the cluster holds (see the README).
  uint64_t KeyCountEstimate();

  Runtime& rt_;
  node::Node& node_;
  RedisSessionOptions options_;
  RedisStats own_stats_;
  RedisStats* stats_;
  uint64_t id_;
  std::string name_;
  bool authenticated_;
  // The namespace SELECT chose ("" = default: database 0; database n is namespace "n").
  std::string ns_;
  // The password AUTH accepted (the cluster's or a namespace's): node/api/access.h.
  std::optional<std::string> token_;
};

// The value a Redis read shows among a key's siblings: the one with the greatest wall_micros,
// ties broken by the greater dot (node, then counter). nullptr if there are none.
const node::ClientValue* LastWriterWins(
    const google::protobuf::RepeatedPtrField<node::ClientValue>& values);

}  // namespace kv::api
