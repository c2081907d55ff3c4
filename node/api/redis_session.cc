#include "node/api/redis_session.h"

#include <algorithm>
#include <optional>
#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "net/assert.h"
#include "net/status_macros.h"
#include "node/api/access.h"
#include "node/namespaces.h"

namespace kv::api {

namespace {

constexpr int64_t kMicrosPerMilli = 1000;
constexpr int64_t kMicrosPerSecond = 1000 * 1000;
// The Redis version this front end answers as: the RESP2 command set of Redis 7.0 it implements.
constexpr const char* kRedisVersion = "7.0.0";
// Longest command name and argument text an "unknown command" error quotes (Redis's limit).
constexpr size_t kUnknownCommandQuoteMax = 128;

std::string ErrArity(absl::string_view name) {
  return absl::StrCat("ERR wrong number of arguments for '", name, "' command");
}
constexpr const char* kErrSyntax = "ERR syntax error";
constexpr const char* kErrNotInteger = "ERR value is not an integer or out of range";
constexpr const char* kErrNoAuth = "NOAUTH Authentication required.";
constexpr const char* kErrWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";

std::string Upper(absl::string_view s) { return absl::AsciiStrToUpper(s); }

std::string UnknownSubcommand(absl::string_view sub, absl::string_view command) {
  return absl::StrCat("ERR unknown subcommand '", sub.substr(0, kUnknownCommandQuoteMax),
                      "'. Try ", command, " HELP.");
}

// Redis's "unknown command" error: the name and the start of the arguments, quoted.
std::string UnknownCommand(const std::vector<std::string>& args) {
  std::string quoted;
  for (size_t i = 1; i < args.size() && quoted.size() < kUnknownCommandQuoteMax; ++i) {
    absl::StrAppend(&quoted, "'",
                    absl::string_view(args[i]).substr(0, kUnknownCommandQuoteMax - quoted.size()),
                    "' ");
  }
  return absl::StrCat("ERR unknown command '",
                      absl::string_view(args[0]).substr(0, kUnknownCommandQuoteMax),
                      "', with args beginning with: ", quoted);
}

// a * b, or nullopt if it overflows int64.
std::optional<int64_t> Multiply(int64_t a, int64_t b) {
  int64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out)) return std::nullopt;
  return out;
}
std::optional<int64_t> Add(int64_t a, int64_t b) {
  int64_t out = 0;
  if (__builtin_add_overflow(a, b, &out)) return std::nullopt;
  return out;
}


// Redis's rule for client names: printable ASCII without spaces.
bool ValidClientName(absl::string_view name) {
  for (char c : name) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

// Glob match with '*' and '?', ASCII case-insensitive (CONFIG GET's patterns).
bool GlobMatch(absl::string_view pattern, absl::string_view text) {
  size_t p = 0, t = 0, star = absl::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || absl::ascii_tolower(pattern[p]) ==
                                                       absl::ascii_tolower(text[t]))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (star != absl::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// What CONFIG GET answers: settings clients and redis-benchmark ask about, as this server
// behaves (no RDB snapshots, no AOF: durability is the engine's WAL).
constexpr std::pair<const char*, const char*> kConfig[] = {
    {"appendonly", "no"},    {"databases", "1"},  {"maxmemory", "0"},
    {"maxmemory-policy", "noeviction"},           {"save", ""},
};

}  // namespace

const node::ClientValue* LastWriterWins(
    const google::protobuf::RepeatedPtrField<node::ClientValue>& values) {
  const node::ClientValue* best = nullptr;
  for (const node::ClientValue& v : values) {
    if (best == nullptr ||
        std::make_tuple(v.wall_micros(), v.dot_node(), v.dot_counter()) >
            std::make_tuple(best->wall_micros(), best->dot_node(), best->dot_counter())) {
      best = &v;
    }
  }
  return best;
}

struct RedisSession::Command {
  const char* name;  // lower case
  // Redis's arity: n > 0, exactly n words (the name included); n < 0, at least -n.
  int arity;
  bool without_auth;  // may run before AUTH
  bool needs_store;   // answers "LOADING" until the node started
  void (*run)(RedisSession&, const Args&, RespWriter&);
};

absl::Span<const RedisSession::Command> RedisSession::Table() {
  using S = RedisSession;
  static const Command kCommands[] = {
      {"auth", -2, true, false, [](S& s, const Args& a, RespWriter& o) { s.Auth(a, o); }},
      {"client", -2, false, false, [](S& s, const Args& a, RespWriter& o) { s.Client(a, o); }},
      {"command", -1, false, false,
       [](S& s, const Args& a, RespWriter& o) { s.CommandCmd(a, o); }},
      {"config", -2, false, false, [](S& s, const Args& a, RespWriter& o) { s.Config(a, o); }},
      {"dbsize", 1, false, true, [](S& s, const Args& a, RespWriter& o) { s.DbSize(a, o); }},
      {"del", -2, false, true, [](S& s, const Args& a, RespWriter& o) { s.Del(a, o); }},
      {"echo", 2, false, false, [](S& s, const Args& a, RespWriter& o) { s.Echo(a, o); }},
      {"exists", -2, false, true, [](S& s, const Args& a, RespWriter& o) { s.Exists(a, o); }},
      {"expire", -3, false, true,
       [](S& s, const Args& a, RespWriter& o) { s.Expire(a, o, kMicrosPerSecond); }},
      {"get", 2, false, true, [](S& s, const Args& a, RespWriter& o) { s.Get(a, o); }},
      {"hello", -1, true, false, [](S& s, const Args& a, RespWriter& o) { s.Hello(a, o); }},
      {"info", -1, false, false, [](S& s, const Args& a, RespWriter& o) { s.Info(a, o); }},
      {"mget", -2, false, true, [](S& s, const Args& a, RespWriter& o) { s.MGet(a, o); }},
      {"mset", -3, false, true, [](S& s, const Args& a, RespWriter& o) { s.MSet(a, o); }},
      {"pexpire", -3, false, true,
       [](S& s, const Args& a, RespWriter& o) { s.Expire(a, o, kMicrosPerMilli); }},
      {"ping", -1, false, false, [](S& s, const Args& a, RespWriter& o) { s.Ping(a, o); }},
      {"pttl", 2, false, true,
       [](S& s, const Args& a, RespWriter& o) { s.Ttl(a, o, kMicrosPerMilli); }},
      // QUIT's reply and the close are Execute's.
      {"quit", -1, true, false, [](S&, const Args&, RespWriter& o) { o.SimpleString("OK"); }},
      {"select", 2, false, false, [](S& s, const Args& a, RespWriter& o) { s.Select(a, o); }},
      {"set", -3, false, true, [](S& s, const Args& a, RespWriter& o) { s.Set(a, o); }},
      {"ttl", 2, false, true,
       [](S& s, const Args& a, RespWriter& o) { s.Ttl(a, o, kMicrosPerSecond); }},
  };
  return kCommands;
}

const RedisSession::Command* RedisSession::Find(absl::string_view lower_name) {
  for (const Command& c : Table()) {
    if (lower_name == c.name) return &c;
  }
  return nullptr;
}

RedisSession::RedisSession(Runtime& rt, node::Node& node, RedisSessionOptions options,
                           RedisStats* stats)
    : rt_(rt),
      node_(node),
      options_(std::move(options)),
      stats_(stats != nullptr ? stats : &own_stats_),
      authenticated_(options_.auth_token.empty()) {
  KV_ASSERT(options_.n >= 1);
  KV_ASSERT(options_.r >= 1 && options_.r <= options_.n);
  KV_ASSERT(options_.w >= 1 && options_.w <= options_.n);
  if (stats == nullptr) own_stats_.started = rt_.Now();
  id_ = stats_->next_client_id++;
}

RedisSession::After RedisSession::Execute(const Args& args, RespWriter& out) {
  KV_ASSERT(!args.empty());
  const size_t reply_at = out.size();
  ++stats_->commands_processed;
  After after = After::kContinue;
  const Command* command = Find(absl::AsciiStrToLower(args[0]));
  if (command == nullptr) {
    out.Error(UnknownCommand(args));
  } else if (Admit(*command, args, out)) {
    command->run(*this, args, out);
    if (absl::string_view(command->name) == "quit") after = After::kClose;
  }
  KV_ASSERT_MSG(out.size() > reply_at, "every command replies");
  if (out.data()[reply_at] == '-') ++stats_->error_replies;
  return after;
}

bool RedisSession::Admit(const Command& command, const Args& args, RespWriter& out) {
  const int argc = static_cast<int>(args.size());
  if ((command.arity > 0 && argc != command.arity) || argc < -command.arity) {
    out.Error(ErrArity(command.name));
    return false;
  }
  if (!authenticated_ && !command.without_auth) {
    out.Error(kErrNoAuth);
    return false;
  }
  if (command.needs_store && !node_.started()) {
    out.Error("LOADING the node is starting");
    return false;
  }
  if (command.needs_store && !MayUse(ns_)) {
    out.Error(NoPermission(ns_));
    return false;
  }
  return true;
}

bool RedisSession::MayUse(absl::string_view ns) const {
  const node::Namespace* def =
      node::IsDefaultNamespace(ns) ? nullptr : node_.membership().FindNamespace(ns);
  return MayUseNamespace(options_.auth_token, def, token_);
}

std::string RedisSession::NoPermission(absl::string_view ns) {
  return absl::StrCat("NOPERM this connection's password does not open namespace '",
                      node::IsDefaultNamespace(ns) ? node::kDefaultNamespace : ns,
                      "' (AUTH with its token or the cluster's)");
}

int64_t RedisSession::WallMicros() const { return absl::ToUnixMicros(rt_.WallNow()); }

absl::Status RedisSession::CheckKey(absl::string_view key) const {
  if (key.empty()) return absl::InvalidArgumentError("empty keys are not supported");
  const size_t limit = node_.key_bytes_max();
  if (key.size() > limit) {
    return absl::InvalidArgumentError(
        absl::StrCat("key too large (", key.size(), " bytes; the limit is ", limit, ")"));
  }
  return absl::OkStatus();
}

absl::Status RedisSession::CheckValue(absl::string_view value) const {
  const size_t limit = node_.engine().options().value_bytes_max;
  if (value.size() > limit) {
    return absl::InvalidArgumentError(
        absl::StrCat("value too large (", value.size(), " bytes; the limit is ", limit, ")"));
  }
  return absl::OkStatus();
}

bool RedisSession::Unstorable(absl::string_view key) const { return !CheckKey(key).ok(); }

void RedisSession::ReplyStatus(const absl::Status& status, RespWriter& out) {
  KV_ASSERT(!status.ok());
  const absl::string_view message =
      status.message().empty() ? absl::string_view("request failed") : status.message();
  if (absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status)) {
    out.Error(absl::StrCat("TRYAGAIN ", message));
  } else {
    out.Error(absl::StrCat("ERR ", message));
  }
}

absl::StatusOr<RedisSession::Read> RedisSession::ReadKey(absl::string_view key) {
  node::ClientGet request;
  request.set_key(std::string(key));
  request.set_ns(ns_);
  ASSIGN_OR_RETURN(node::ClientGetReply reply, node_.coordinator().Get(request));
  Read read;
  read.context = std::move(*reply.mutable_context());
  // The reply is ours: the winner is moved out, not copied (a value is up to 1 MiB).
  node::ClientValue* winner = const_cast<node::ClientValue*>(LastWriterWins(reply.values()));
  // A value the coordinator showed that has expired on this node's clock (the coordinator's
  // may lag) is gone for this client, as TTL would say.
  if (winner != nullptr &&
      (winner->expiry_micros() == 0 || winner->expiry_micros() > WallMicros())) {
    read.found = true;
    read.value = std::move(*winner);
  }
  return read;
}

absl::Status RedisSession::WriteKey(absl::string_view key, const WriteSpec& spec) {
  KV_ASSERT(spec.ttl_micros >= 0);
  node::ClientPut request;
  request.set_key(std::string(key));
  request.set_ns(ns_);
  if (spec.tombstone) {
    request.set_tombstone(true);
  } else {
    request.set_value(std::string(spec.value));
    request.set_ttl_micros(spec.ttl_micros);
  }
  request.set_context(spec.context);
  request.set_overwrite(true);
  request.set_omit_values(true);  // a Redis write answers OK (or what a read before it saw)
  ASSIGN_OR_RETURN(node::ClientPutReply reply, node_.coordinator().Put(std::move(request)));
  (void)reply;
  return absl::OkStatus();
}

void RedisSession::Ping(const Args& args, RespWriter& out) {
  if (args.size() > 2) {
    out.Error(ErrArity("ping"));
  } else if (args.size() == 2) {
    out.Bulk(args[1]);
  } else {
    out.SimpleString("PONG");
  }
}

void RedisSession::Echo(const Args& args, RespWriter& out) { out.Bulk(args[1]); }

void RedisSession::Get(const Args& args, RespWriter& out) {
  if (Unstorable(args[1])) {
    ++stats_->keyspace_misses;
    out.NullBulk();
    return;
  }
  absl::StatusOr<Read> read = ReadKey(args[1]);
  if (!read.ok()) return ReplyStatus(read.status(), out);
  if (!read->found) {
    ++stats_->keyspace_misses;
    out.NullBulk();
    return;
  }
  ++stats_->keyspace_hits;
  out.Bulk(read->value.value());
}

void RedisSession::Set(const Args& args, RespWriter& out) {
  bool nx = false, xx = false, get = false, keep_ttl = false;
  std::string expire_kind;  // "", "EX", "PX", "EXAT" or "PXAT"
  int64_t expire_value = 0;
  for (size_t i = 3; i < args.size(); ++i) {
    const std::string option = Upper(args[i]);
    const bool has_next = i + 1 < args.size();
    if (option == "NX" && !xx) {
      nx = true;
    } else if (option == "XX" && !nx) {
      xx = true;
    } else if (option == "GET") {
      get = true;
    } else if (option == "KEEPTTL" && expire_kind.empty()) {
      keep_ttl = true;
    } else if ((option == "EX" || option == "PX" || option == "EXAT" || option == "PXAT") &&
               expire_kind.empty() && !keep_ttl && has_next) {
      expire_kind = option;
      if (!ParseRespInteger(args[++i], &expire_value)) return (void)out.Error(kErrNotInteger);
    } else {
      return (void)out.Error(kErrSyntax);
    }
  }
  // The expiry as a TTL from now; an absolute time already past deletes the key (as Redis).
  int64_t ttl_micros = 0;
  bool expired_at_once = false;
  if (!expire_kind.empty()) {
    const int64_t unit = expire_kind[0] == 'E' ? kMicrosPerSecond : kMicrosPerMilli;
    const std::optional<int64_t> micros = Multiply(expire_value, unit);
    if (expire_value <= 0 || !micros.has_value()) {
      return (void)out.Error("ERR invalid expire time in 'set' command");
    }
    if (absl::EndsWith(expire_kind, "AT")) {
      ttl_micros = *micros - WallMicros();
      expired_at_once = ttl_micros <= 0;
    } else {
      ttl_micros = *micros;
    }
  }
  const std::string& key = args[1];
  const std::string& value = args[2];
  if (absl::Status s = CheckKey(key); !s.ok()) return ReplyStatus(s, out);
  if (absl::Status s = CheckValue(value); !s.ok()) return ReplyStatus(s, out);
  std::optional<Read> read;
  if (nx || xx || get || keep_ttl) {
    absl::StatusOr<Read> r = ReadKey(key);
    if (!r.ok()) return ReplyStatus(r.status(), out);
    read = *std::move(r);
  }
  const bool exists = read.has_value() && read->found;
  const bool write = !(nx && exists) && !(xx && !exists);
  if (write) {
    WriteSpec spec{.value = value, .ttl_micros = std::max<int64_t>(ttl_micros, 0),
                   .tombstone = expired_at_once,
                   .context = read.has_value() ? read->context : std::string()};
    if (keep_ttl && exists && read->value.expiry_micros() != 0) {
      // The remaining time (the read showed the value live, so it is positive or nearly so).
      spec.ttl_micros = std::max<int64_t>(read->value.expiry_micros() - WallMicros(), 1);
    }
    if (absl::Status s = WriteKey(key, spec); !s.ok()) return ReplyStatus(s, out);
  }
  if (get) {
    exists ? (void)out.Bulk(read->value.value()) : (void)out.NullBulk();
  } else {
    write ? (void)out.SimpleString("OK") : (void)out.NullBulk();
  }
}

void RedisSession::Del(const Args& args, RespWriter& out) {
  int64_t deleted = 0;
  for (size_t i = 1; i < args.size(); ++i) {
    if (Unstorable(args[i])) continue;
    // The read tells whether the key existed (DEL's reply); its context makes the tombstone
    // supersede what it saw on every replica, not only what the coordinator holds.
    absl::StatusOr<Read> read = ReadKey(args[i]);
    if (!read.ok()) return ReplyStatus(read.status(), out);
    absl::Status s = WriteKey(args[i], {.tombstone = true, .context = read->context});
    if (!s.ok()) return ReplyStatus(s, out);
    deleted += read->found ? 1 : 0;
  }
  out.Integer(deleted);
}

void RedisSession::Exists(const Args& args, RespWriter& out) {
  int64_t found = 0;
  for (size_t i = 1; i < args.size(); ++i) {
    if (Unstorable(args[i])) continue;
    absl::StatusOr<Read> read = ReadKey(args[i]);
    if (!read.ok()) return ReplyStatus(read.status(), out);
    found += read->found ? 1 : 0;
  }
  out.Integer(found);
}

void RedisSession::Expire(const Args& args, RespWriter& out, int64_t unit_micros) {
  const std::string name = absl::AsciiStrToLower(args[0]);
  bool nx = false, xx = false, gt = false, lt = false;
  for (size_t i = 3; i < args.size(); ++i) {
    const std::string option = Upper(args[i]);
    if (option == "NX") {
      nx = true;
    } else if (option == "XX") {
      xx = true;
    } else if (option == "GT") {
      gt = true;
    } else if (option == "LT") {
      lt = true;
    } else {
      return (void)out.Error(absl::StrCat("ERR Unsupported option ", args[i]));
    }
  }
  if (nx && (xx || gt || lt)) {
    return (void)out.Error("ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if (gt && lt) return (void)out.Error("ERR GT and LT options at the same time are not compatible");
  int64_t amount = 0;
  if (!ParseRespInteger(args[2], &amount)) return (void)out.Error(kErrNotInteger);
  const std::optional<int64_t> ttl_micros = Multiply(amount, unit_micros);
  const int64_t now = WallMicros();
  const std::optional<int64_t> expiry =
      ttl_micros.has_value() ? Add(now, *ttl_micros) : std::nullopt;
  if (!expiry.has_value()) {
    return (void)out.Error(absl::StrCat("ERR invalid expire time in '", name, "' command"));
  }
  if (Unstorable(args[1])) return (void)out.Integer(0);
  absl::StatusOr<Read> read = ReadKey(args[1]);
  if (!read.ok()) return ReplyStatus(read.status(), out);
  if (!read->found) return (void)out.Integer(0);
  const int64_t current = read->value.expiry_micros();  // 0: none (infinite)
  if ((nx && current != 0) || (xx && current == 0) ||
      (gt && (current == 0 || *expiry <= current)) || (lt && current != 0 && *expiry >= current)) {
    return (void)out.Integer(0);
  }
  // The value is rewritten with the new TTL (or deleted, for a TTL not in the future) over
  // what the read saw.
  WriteSpec spec{.value = read->value.value(), .context = read->context};
  if (*ttl_micros <= 0) {
    spec.tombstone = true;
  } else {
    spec.ttl_micros = *ttl_micros;
  }
  if (absl::Status s = WriteKey(args[1], spec); !s.ok()) return ReplyStatus(s, out);
  out.Integer(1);
}

void RedisSession::Ttl(const Args& args, RespWriter& out, int64_t unit_micros) {
  if (Unstorable(args[1])) return (void)out.Integer(-2);
  absl::StatusOr<Read> read = ReadKey(args[1]);
  if (!read.ok()) return ReplyStatus(read.status(), out);
  if (!read->found) return (void)out.Integer(-2);
  const int64_t expiry = read->value.expiry_micros();
  if (expiry == 0) return (void)out.Integer(-1);
  const int64_t millis = std::max<int64_t>(expiry - WallMicros(), 0) / kMicrosPerMilli;
  // TTL rounds to the nearest second, as Redis does.
  out.Integer(unit_micros == kMicrosPerMilli ? millis : (millis + 500) / 1000);
}

void RedisSession::MGet(const Args& args, RespWriter& out) {
  std::vector<std::optional<std::string>> values;
  values.reserve(args.size() - 1);
  for (size_t i = 1; i < args.size(); ++i) {
    if (Unstorable(args[i])) {
      values.emplace_back();
      continue;
    }
    absl::StatusOr<Read> read = ReadKey(args[i]);
    if (!read.ok()) return ReplyStatus(read.status(), out);
    if (read->found) {
      values.emplace_back(std::move(*read->value.mutable_value()));
    } else {
      values.emplace_back();
    }
  }
  out.ArrayHeader(values.size());
  for (const std::optional<std::string>& v : values) {
    if (v.has_value()) {
      ++stats_->keyspace_hits;
      out.Bulk(*v);
    } else {
      ++stats_->keyspace_misses;
      out.NullBulk();
    }
  }
}

void RedisSession::MSet(const Args& args, RespWriter& out) {
  if (args.size() % 2 != 1) return (void)out.Error(ErrArity("mset"));
  // Every pair is checked before anything is written.
  for (size_t i = 1; i < args.size(); i += 2) {
    if (absl::Status s = CheckKey(args[i]); !s.ok()) return ReplyStatus(s, out);
    if (absl::Status s = CheckValue(args[i + 1]); !s.ok()) return ReplyStatus(s, out);
  }
  for (size_t i = 1; i < args.size(); i += 2) {
    if (absl::Status s = WriteKey(args[i], {.value = args[i + 1]}); !s.ok()) {
      return ReplyStatus(s, out);
    }
  }
  out.SimpleString("OK");
}

void RedisSession::Info(const Args& args, RespWriter& out) {
  std::vector<std::string> sections;
  for (size_t i = 1; i < args.size(); ++i) sections.push_back(absl::AsciiStrToLower(args[i]));
  out.Bulk(InfoText(sections));
}

std::string RedisSession::InfoText(const std::vector<std::string>& sections) {
  const bool all = sections.empty() || std::any_of(sections.begin(), sections.end(), [](auto& s) {
                     return s == "all" || s == "everything" || s == "default";
                   });
  auto want = [&](absl::string_view name) {
    return all || std::find(sections.begin(), sections.end(), name) != sections.end();
  };
  const bool started = node_.started();
  std::string text;
  auto section = [&](absl::string_view title) {
    if (!text.empty()) text += "\r\n";
    absl::StrAppend(&text, "# ", title, "\r\n");
  };
  auto field = [&](absl::string_view name, const auto& value) {
    absl::StrAppend(&text, name, ":", value, "\r\n");
  };
  if (want("server")) {
    const int64_t uptime = absl::ToInt64Seconds(rt_.Now() - stats_->started);
    section("Server");
    field("redis_version", kRedisVersion);
    field("redis_mode", "standalone");
    field("server_name", "dynkv");
    field("node_id", rt_.self());
    field("generation", node_.generation());
    field("uptime_in_seconds", uptime);
    field("uptime_in_days", uptime / 86400);
  }
  if (want("clients")) {
    section("Clients");
    field("connected_clients", stats_->connected_clients);
  }
  if (want("stats")) {
    section("Stats");
    field("total_connections_received", stats_->connections_received);
    field("total_commands_processed", stats_->commands_processed);
    field("total_error_replies", stats_->error_replies);
    field("keyspace_hits", stats_->keyspace_hits);
    field("keyspace_misses", stats_->keyspace_misses);
    if (started) {
      const node::CoordinatorStats& c = node_.coordinator().stats();
      field("coordinator_puts", c.puts);
      field("coordinator_puts_failed", c.puts_failed);
      field("coordinator_gets", c.gets);
      field("coordinator_gets_failed", c.gets_failed);
      field("coordinator_forwarded", c.forwarded);
      field("read_repairs", c.read_repairs);
      field("hinted_writes", c.hinted_writes);
    }
  }
  if (want("replication")) {
    section("Replication");
    field("role", "dynamo");
    field("n", options_.n);
    field("r", options_.r);
    field("w", options_.w);
    if (started && node_.membership().ring().has_value()) {
      field("ring_version", node_.membership().ring_version());
      field("ring_members", node_.membership().ring()->weights().size());
      field("ring_partitions", node_.membership().ring()->partition_count());
    }
  }
  if (want("cache") && started) {
    // Cache namespaces (node/cache.h): this node's reads of them, evictions and holdings.
    section("Cache");
    const node::CoordinatorStats& c = node_.coordinator().stats();
    absl::btree_map<std::string, node::CacheSpaceStats> spaces = node_.cache().stats();
    for (const auto& [ns, reads] : c.cache_reads) spaces.try_emplace(ns);  // read here, held elsewhere
    for (const auto& [ns, space] : spaces) {
      auto reads = c.cache_reads.find(ns);
      const node::CoordinatorStats::CacheReads counts =
          reads == c.cache_reads.end() ? node::CoordinatorStats::CacheReads{} : reads->second;
      absl::StrAppend(&text, "cache_", ns, ":hits=", counts.hits, ",misses=", counts.misses,
                      ",evictions=", space.evictions, ",keys=", space.keys, ",bytes=", space.bytes,
                      ",budget=", space.budget, "\r\n");
    }
  }
  if (want("keyspace")) {
    section("Keyspace");
    const uint64_t keys = started ? KeyCountEstimate() : 0;
    if (keys > 0) absl::StrAppend(&text, "db0:keys=", keys, ",expires=0,avg_ttl=0\r\n");
  }
  return text;
}

uint64_t RedisSession::KeyCountEstimate() {
  const std::optional<node::Ring>& ring = node_.membership().ring();
  if (!ring.has_value()) return 0;
  const uint32_t partitions = ring->partition_count();
  uint64_t local = 0;
  uint32_t replicated = 0;
  for (node::PartitionId p = 0; p < partitions; ++p) {
    const std::vector<NodeId> replicas = ring->PreferenceList(p, options_.n);
    if (std::find(replicas.begin(), replicas.end(), rt_.self()) == replicas.end()) continue;
    local += node_.engine().merkle(p).key_count();
    ++replicated;
  }
  if (replicated == 0) return 0;
  // This node's copies stand for the partitions it replicates; the others are assumed alike.
  const unsigned __int128 scaled =
      static_cast<unsigned __int128>(local) * partitions / replicated;
  return static_cast<uint64_t>(std::min<unsigned __int128>(scaled, UINT64_MAX));
}

void RedisSession::DbSize(const Args&, RespWriter& out) {
  out.Integer(static_cast<int64_t>(std::min<uint64_t>(KeyCountEstimate(), INT64_MAX)));
}

void RedisSession::Select(const Args& args, RespWriter& out) {
  int64_t db = 0;
  if (!ParseRespInteger(args[1], &db)) return (void)out.Error(kErrNotInteger);
  if (db < 0) return (void)out.Error("ERR DB index is out of range");
  // Database n is the namespace named n (0: the default one).
  const std::string ns = db == 0 ? "" : absl::StrCat(db);
  if (db != 0) {
    if (!node_.started()) return (void)out.Error("LOADING the node is starting");
    if (node_.membership().FindNamespace(ns) == nullptr) {
      return (void)out.Error(absl::StrCat("ERR DB index is out of range: no namespace '", ns,
                                          "' (kvctl ns create ", ns, ")"));
    }
  }
  if (!MayUse(ns)) return (void)out.Error(NoPermission(ns));
  ns_ = ns;
  out.SimpleString("OK");
}

void RedisSession::Config(const Args& args, RespWriter& out) {
  const std::string sub = absl::AsciiStrToLower(args[1]);
  if (sub == "get") {
    if (args.size() < 3) return (void)out.Error(ErrArity("config|get"));
    std::vector<std::pair<const char*, const char*>> matched;
    for (const auto& entry : kConfig) {
      for (size_t i = 2; i < args.size(); ++i) {
        if (GlobMatch(args[i], entry.first)) {
          matched.push_back(entry);
          break;
        }
      }
    }
    out.ArrayHeader(matched.size() * 2);
    for (const auto& [name, value] : matched) out.Bulk(name).Bulk(value);
  } else if (sub == "set") {
    if (args.size() < 4 || args.size() % 2 != 0) return (void)out.Error(ErrArity("config|set"));
    out.Error(absl::StrCat("ERR Unsupported CONFIG parameter: ", args[2]));
  } else if (sub == "resetstat") {
    stats_->commands_processed = 0;
    stats_->keyspace_hits = 0;
    stats_->keyspace_misses = 0;
    stats_->error_replies = 0;
    out.SimpleString("OK");
  } else {
    out.Error(UnknownSubcommand(args[1], "CONFIG"));
  }
}

void RedisSession::CommandCmd(const Args& args, RespWriter& out) {
  if (args.size() == 1) return (void)out.ArrayHeader(0);
  const std::string sub = absl::AsciiStrToLower(args[1]);
  if (sub == "count") {
    out.Integer(static_cast<int64_t>(Table().size()));
  } else if (sub == "list") {
    out.ArrayHeader(Table().size());
    for (const Command& c : Table()) out.Bulk(c.name);
  } else if (sub == "docs") {
    out.ArrayHeader(0);  // no documentation to offer; redis-cli does without
  } else if (sub == "info") {
    // Redis answers a null for a command it does not know; the details of known ones are not
    // offered either.
    out.ArrayHeader(args.size() - 2);
    for (size_t i = 2; i < args.size(); ++i) out.NullArray();
  } else {
    out.Error(UnknownSubcommand(args[1], "COMMAND"));
  }
}

void RedisSession::Client(const Args& args, RespWriter& out) {
  const std::string sub = absl::AsciiStrToLower(args[1]);
  if (sub == "setname") {
    if (args.size() != 3) return (void)out.Error(ErrArity("client|setname"));
    if (!ValidClientName(args[2])) {
      return (void)out.Error(
          "ERR Client names cannot contain spaces, newlines or special characters.");
    }
    name_ = args[2];
    out.SimpleString("OK");
  } else if (sub == "getname") {
    if (args.size() != 2) return (void)out.Error(ErrArity("client|getname"));
    name_.empty() ? (void)out.NullBulk() : (void)out.Bulk(name_);
  } else if (sub == "id") {
    if (args.size() != 2) return (void)out.Error(ErrArity("client|id"));
    out.Integer(static_cast<int64_t>(id_));
  } else if (sub == "setinfo") {
    // Client libraries announce their name and version; accepted and not kept.
    if (args.size() != 4) return (void)out.Error(ErrArity("client|setinfo"));
    out.SimpleString("OK");
  } else {
    out.Error(UnknownSubcommand(args[1], "CLIENT"));
  }
}

absl::Status RedisSession::CheckPassword(absl::string_view user, absl::string_view password) {
  const bool user_ok = user.empty() || user == "default";
  // The cluster's password, or a namespace's (which then opens only that namespace).
  static const google::protobuf::RepeatedPtrField<node::Namespace> kNone;
  const auto& namespaces = node_.started() ? node_.membership().namespaces() : kNone;
  if (user_ok && IsKnownToken(options_.auth_token, namespaces, password)) {
    token_ = std::string(password);
    authenticated_ = true;
    return absl::OkStatus();
  }
  if (options_.auth_token.empty()) {
    // Redis's default user without a password accepts any password given with its name.
    if (user.empty()) {
      return absl::FailedPreconditionError(
          "ERR AUTH <password> called without any password configured for the default user. "
          "Are you sure your configuration is correct?");
    }
    if (user == "default") return absl::OkStatus();
  }
  return absl::PermissionDeniedError(kErrWrongPass);
}

void RedisSession::Auth(const Args& args, RespWriter& out) {
  if (args.size() > 3) return (void)out.Error(kErrSyntax);
  const absl::string_view user = args.size() == 3 ? absl::string_view(args[1]) : "";
  absl::Status s = CheckPassword(user, args.back());
  if (!s.ok()) return (void)out.Error(s.message());
  out.SimpleString("OK");
}

void RedisSession::Hello(const Args& args, RespWriter& out) {
  if (args.size() >= 2) {
    int64_t version = 0;
    if (!ParseRespInteger(args[1], &version)) {
      return (void)out.Error("ERR Protocol version is not an integer or out of range");
    }
    // RESP3 is not spoken: HELLO 3 is refused as Redis refuses an unknown version.
    if (version != 2) return (void)out.Error("NOPROTO unsupported protocol version");
  }
  std::optional<std::pair<std::string, std::string>> auth;
  std::optional<std::string> set_name;
  for (size_t i = 2; i < args.size(); ++i) {
    const std::string option = Upper(args[i]);
    if (option == "AUTH" && i + 2 < args.size()) {
      auth.emplace(args[i + 1], args[i + 2]);
      i += 2;
    } else if (option == "SETNAME" && i + 1 < args.size()) {
      set_name = args[++i];
    } else {
      return (void)out.Error(absl::StrCat("ERR Syntax error in HELLO option '", args[i], "'"));
    }
  }
  if (auth.has_value()) {
    absl::Status s = CheckPassword(auth->first, auth->second);
    if (!s.ok()) return (void)out.Error(s.message());
  }
  if (!authenticated_) {
    return (void)out.Error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
        "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and "
        "select the RESP protocol version at the same time");
  }
  if (set_name.has_value()) {
    if (!ValidClientName(*set_name)) {
      return (void)out.Error(
          "ERR Client names cannot contain spaces, newlines or special characters.");
    }
    name_ = *set_name;
  }
  // RESP2 has no maps: the server's properties as a flat array of names and values.
  out.ArrayHeader(14);
  out.Bulk("server").Bulk("redis");
  out.Bulk("version").Bulk(kRedisVersion);
  out.Bulk("proto").Integer(2);
  out.Bulk("id").Integer(static_cast<int64_t>(id_));
  out.Bulk("mode").Bulk("standalone");
  out.Bulk("role").Bulk("master");
  out.Bulk("modules").ArrayHeader(0);
}

}  // namespace kv::api
