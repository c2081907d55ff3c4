#include "node/api/http_api.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "net/assert.h"
#include "nlohmann/json.hpp"
#include "node/api/access.h"
#include "node/api/namespace_json.h"
#include "node/kv.pb.h"
#include "node/namespaces.h"

namespace kv::node {

namespace {

using nlohmann::json;

constexpr size_t kDefaultValueBytesMax = 1 << 20;
constexpr size_t kDefaultKeyBytesMax = 4 << 10;
// TTLs beyond this are refused: they would overflow microsecond arithmetic long before.
constexpr double kTtlSecondsMax = 100.0 * 365 * 24 * 3600;

constexpr absl::string_view kContextHeader = "X-Kv-Context";

// A message as a one-line body: control bytes (a binary key in an error, say) are escaped.
std::string OneLine(absl::string_view message) {
  std::string out;
  for (unsigned char c : message) {
    if (c < 0x20 || c == 0x7f) {
      absl::StrAppend(&out, "\\x", absl::Hex(c, absl::kZeroPad2));
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '\n';
  return out;
}

http::Response TextResponse(int status, absl::string_view message) {
  http::Response r;
  r.status = status;
  r.headers.push_back({"Content-Type", "text/plain; charset=utf-8"});
  r.body = OneLine(message);
  return r;
}

http::Response JsonResponse(int status, const json& body) {
  http::Response r;
  r.status = status;
  r.headers.push_back({"Content-Type", "application/json"});
  r.body = body.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
  return r;
}

int HttpStatusOf(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
      return 503;
    default:
      return 500;
  }
}

http::Response StatusResponse(const absl::Status& s) {
  KV_ASSERT(!s.ok());
  return TextResponse(HttpStatusOf(s), s.message());
}

// Decodes %XX escapes (and '+' as a space when `plus_is_space`); false if an escape is malformed.
bool PercentDecode(absl::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const char hi = in[i + 1], lo = in[i + 2];
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(hi)) ||
          !absl::ascii_isxdigit(static_cast<unsigned char>(lo))) {
        return false;
      }
      auto nibble = [](char h) {
        return absl::ascii_isdigit(static_cast<unsigned char>(h))
                   ? h - '0'
                   : absl::ascii_tolower(static_cast<unsigned char>(h)) - 'a' + 10;
      };
      out->push_back(static_cast<char>(nibble(hi) << 4 | nibble(lo)));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

std::string Rfc3339(int64_t unix_micros) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::FromUnixMicros(unix_micros),
                          absl::UTCTimeZone());
}

// "node.generation:counter" for a dot whose issuer id is ActorId(node, generation).
std::string DotText(uint64_t actor, uint64_t counter) {
  return absl::StrCat(actor >> 32, ".", actor & 0xffffffffu, ":", counter);
}

std::string Base64(absl::string_view bytes) { return absl::Base64Escape(bytes); }

void AddValueHeaders(const ClientValue& v, http::Headers& headers) {
  headers.push_back({"X-Kv-Timestamp", Rfc3339(v.wall_micros())});
  headers.push_back({"X-Kv-Dot", DotText(v.dot_node(), v.dot_counter())});
  if (v.expiry_micros() > 0) headers.push_back({"X-Kv-Expires", Rfc3339(v.expiry_micros())});
}

// A boundary that occurs in none of the values (deterministic: the first free one).
std::string Boundary(const google::protobuf::RepeatedPtrField<ClientValue>& values) {
  for (int attempt = 0;; ++attempt) {
    const std::string boundary = absl::StrCat("kv-siblings-", attempt);
    const std::string delimiter = "--" + boundary;
    bool clash = false;
    for (const ClientValue& v : values) clash = clash || absl::StrContains(v.value(), delimiter);
    if (!clash) return boundary;
  }
}

// What a read (or a put with ?returnbody=true) shows: see the top of http_api.h.
http::Response ValuesResponse(const google::protobuf::RepeatedPtrField<ClientValue>& values,
                              const std::string& context, bool as_json) {
  if (as_json) {
    json list = json::array();
    for (const ClientValue& v : values) {
      list.push_back(
          {{"value_base64", Base64(v.value())},
           {"timestamp", Rfc3339(v.wall_micros())},
           {"dot", DotText(v.dot_node(), v.dot_counter())},
           {"expires", v.expiry_micros() > 0 ? json(Rfc3339(v.expiry_micros())) : json(nullptr)}});
    }
    return JsonResponse(values.empty() ? 404 : 200,
                        {{"values", std::move(list)}, {"context", Base64(context)}});
  }
  http::Response r;
  if (values.empty()) {
    r = TextResponse(404, "not found");
  } else if (values.size() == 1) {
    r.status = 200;
    r.headers.push_back({"Content-Type", "application/octet-stream"});
    AddValueHeaders(values[0], r.headers);
    r.body = values[0].value();
  } else {
    const std::string boundary = Boundary(values);
    r.status = 300;
    r.headers.push_back({"Content-Type", absl::StrCat("multipart/mixed; boundary=", boundary)});
    for (const ClientValue& v : values) {
      http::Headers part;
      part.push_back({"Content-Type", "application/octet-stream"});
      AddValueHeaders(v, part);
      absl::StrAppend(&r.body, "--", boundary, "\r\n");
      for (const http::Header& h : part) absl::StrAppend(&r.body, h.name, ": ", h.value, "\r\n");
      absl::StrAppend(&r.body, "\r\n", v.value(), "\r\n");
    }
    absl::StrAppend(&r.body, "--", boundary, "--\r\n");
  }
  if (!context.empty()) r.headers.push_back({std::string(kContextHeader), Base64(context)});
  return r;
}

// A replica count from the query: absent -> 0 (the cluster's), else 1..255.
absl::StatusOr<uint32_t> CountParam(const absl::btree_map<std::string, std::string>& query,
                                    const std::string& name) {
  auto it = query.find(name);
  if (it == query.end()) return 0u;
  uint32_t v = 0;
  if (!absl::SimpleAtoi(it->second, &v) || v < 1 || v > 255) {
    return absl::InvalidArgumentError(
        absl::StrCat("?", name, "= must be a positive replica count; got '", it->second, "'"));
  }
  return v;
}

absl::StatusOr<bool> BoolParam(const absl::btree_map<std::string, std::string>& query,
                               const std::string& name) {
  auto it = query.find(name);
  if (it == query.end()) return false;
  if (it->second == "true" || it->second == "1" || it->second.empty()) return true;
  if (it->second == "false" || it->second == "0") return false;
  return absl::InvalidArgumentError(
      absl::StrCat("?", name, "= must be true or false; got '", it->second, "'"));
}

absl::StatusOr<std::string> ContextHeader(const http::Request& request) {
  std::optional<absl::string_view> text = request.header(kContextHeader);
  if (!text.has_value()) return std::string();
  std::string bytes;
  if (!absl::Base64Unescape(absl::StripAsciiWhitespace(*text), &bytes)) {
    return absl::InvalidArgumentError("X-Kv-Context is not valid base64");
  }
  return bytes;
}

absl::StatusOr<int64_t> TtlMicros(const http::Request& request) {
  std::optional<absl::string_view> text = request.header("X-Kv-Ttl");
  if (!text.has_value()) return 0;
  double seconds = 0;
  if (!absl::SimpleAtod(absl::StripAsciiWhitespace(*text), &seconds) || !std::isfinite(seconds) ||
      seconds <= 0 || seconds > kTtlSecondsMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("X-Kv-Ttl must be a positive number of seconds; got '", *text, "'"));
  }
  return std::max<int64_t>(1, std::llround(seconds * 1e6));
}

#define KV_RETURN_RESPONSE_IF_ERROR(expr)                            \
  do {                                                               \
    const ::absl::Status kv_api_status_ = (expr);                    \
    if (!kv_api_status_.ok()) return StatusResponse(kv_api_status_); \
  } while (0)

}  // namespace

// Where a request goes, from its target alone.
struct HttpApi::Route {
  enum class Kind {
    kKv, kNamespaces, kNamespace, kHealth, kCluster, kMetrics, kJoin, kLeave, kDecommission,
    kBackup, kUnknown
  };
  Kind kind = Kind::kUnknown;
  std::string key;  // kKv: the decoded key; kDecommission: the node as written
  std::string ns;   // kKv, kNamespace: the decoded namespace ("" = default, for /kv/)
  absl::btree_map<std::string, std::string> query;  // decoded; the last of repeated names wins
  std::string error;                                // non-empty: the target is malformed (400)

  // The methods the path accepts, as an Allow header lists them.
  absl::string_view allow() const {
    switch (kind) {
      case Kind::kKv:
        return "GET, PUT, DELETE";
      case Kind::kNamespace:
        return "GET, PUT";
      case Kind::kJoin:
      case Kind::kLeave:
      case Kind::kDecommission:
      case Kind::kBackup:
        return "POST";
      case Kind::kUnknown:
        return "";
      default:
        return "GET";
    }
  }
  // The operation name metrics count a request of `method` here under (a method it allows).
  absl::string_view op(absl::string_view method) const {
    switch (kind) {
      case Kind::kKv:
        return method == "GET" ? "get" : method == "PUT" ? "put" : "delete";
      case Kind::kNamespaces:
        return "namespaces";
      case Kind::kNamespace:
        return method == "GET" ? "namespace" : "define_namespace";
      case Kind::kHealth:
        return "health";
      case Kind::kCluster:
        return "cluster";
      case Kind::kMetrics:
        return "metrics";
      case Kind::kJoin:
        return "join";
      case Kind::kLeave:
        return "leave";
      case Kind::kDecommission:
        return "decommission";
      case Kind::kBackup:
        return "backup";
      case Kind::kUnknown:
        break;
    }
    return "unknown";
  }
  // The query parameters `method` accepts here.
  std::vector<absl::string_view> params(absl::string_view method) const {
    if (kind == Kind::kJoin) return {"seed"};
    if (kind == Kind::kBackup) return {"to"};
    if (kind != Kind::kKv) return {};
    if (method == "GET") return {"r", "n", "format"};
    if (method == "PUT") return {"w", "n", "returnbody", "format", "overwrite"};
    return {"w", "n"};
  }
};

HttpApi::Route HttpApi::ParseTarget(absl::string_view target) {
  using Kind = Route::Kind;
  Route route;
  const size_t question = target.find('?');
  const absl::string_view path = target.substr(0, question);
  const absl::string_view query =
      question == absl::string_view::npos ? absl::string_view() : target.substr(question + 1);
  // The key of /kv/{key} (or of /ns/{ns}/kv/{key}): `encoded` after the prefix.
  auto take_key = [&route](absl::string_view encoded) {
    route.kind = Kind::kKv;
    if (!PercentDecode(encoded, false, &route.key)) {
      route.error = "malformed percent-encoding in the key";
    } else if (route.key.empty()) {
      route.error = "empty key";
    }
  };
  if (absl::StartsWith(path, "/kv/")) {
    take_key(path.substr(4));
  } else if (path == "/ns" || path == "/ns/") {
    route.kind = Kind::kNamespaces;
  } else if (absl::StartsWith(path, "/ns/")) {
    const absl::string_view rest = path.substr(4);
    const size_t slash = rest.find('/');
    const bool decoded = PercentDecode(rest.substr(0, slash), false, &route.ns);
    if (slash == absl::string_view::npos) {
      route.kind = Kind::kNamespace;
    } else if (absl::StartsWith(rest.substr(slash), "/kv/")) {
      take_key(rest.substr(slash + 4));
    }
    if (!decoded) route.error = "malformed percent-encoding in the namespace";
  } else if (path == "/health") {
    route.kind = Kind::kHealth;
  } else if (path == "/cluster") {
    route.kind = Kind::kCluster;
  } else if (path == "/metrics") {
    route.kind = Kind::kMetrics;
  } else if (path == "/admin/join") {
    route.kind = Kind::kJoin;
  } else if (path == "/admin/leave") {
    route.kind = Kind::kLeave;
  } else if (path == "/admin/backup") {
    route.kind = Kind::kBackup;
  } else if (absl::StartsWith(path, "/admin/decommission/")) {
    route.kind = Kind::kDecommission;
    route.key = std::string(path.substr(strlen("/admin/decommission/")));
  }
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    const size_t eq = pair.find('=');
    std::string name, value;
    if (!PercentDecode(pair.substr(0, eq), true, &name) ||
        (eq != absl::string_view::npos && !PercentDecode(pair.substr(eq + 1), true, &value))) {
      route.error = "malformed percent-encoding in the query";
      break;
    }
    route.query[name] = value;
  }
  return route;
}

HttpApi::HttpApi(Runtime& rt, Node& node, ApiMetrics& metrics, HttpApiOptions options)
    : rt_(rt), node_(node), metrics_(metrics), options_(std::move(options)) {}

size_t HttpApi::value_bytes_max() const {
  if (options_.value_bytes_max != 0) return options_.value_bytes_max;
  return node_.started() ? node_.engine().options().value_bytes_max : kDefaultValueBytesMax;
}

size_t HttpApi::key_bytes_max() const {
  if (options_.key_bytes_max != 0) return options_.key_bytes_max;
  return node_.started() ? node_.key_bytes_max() : kDefaultKeyBytesMax;
}

std::optional<std::string> HttpApi::BearerToken(const http::Request& request) {
  std::optional<absl::string_view> auth = request.header("Authorization");
  if (!auth.has_value()) return std::nullopt;
  absl::string_view value = absl::StripAsciiWhitespace(*auth);
  if (value.size() < 7 || !absl::EqualsIgnoreCase(value.substr(0, 7), "Bearer ")) {
    return std::string();  // something presented, and it is no token: opens nothing
  }
  return std::string(absl::StripAsciiWhitespace(value.substr(7)));
}

bool HttpApi::Authorized(const http::Request& request, const Route& route) const {
  using Kind = Route::Kind;
  if (route.kind == Kind::kHealth) return true;
  const std::optional<std::string> token = BearerToken(request);
  if (route.kind != Kind::kKv) return api::MayAdminister(options_.client_token, token);
  const Namespace* def = nullptr;
  if (!IsDefaultNamespace(route.ns) && node_.started()) {
    def = node_.membership().FindNamespace(route.ns);
  }
  return api::MayUseNamespace(options_.client_token, def, token);
}

HttpApi::Handled HttpApi::Handle(const http::Request& request) {
  const Route route = ParseTarget(request.target);
  Handled h = Dispatch(request, route);
  h.response.version = request.version;
  h.response.keep_alive = request.keep_alive;
  return h;
}

HttpApi::Handled HttpApi::Dispatch(const http::Request& request, const Route& route) {
  using Kind = Route::Kind;
  const absl::string_view method = request.method;
  Handled h;
  h.op = "unknown";
  if (!Authorized(request, route)) {
    h.response = TextResponse(401, "missing or wrong bearer token");
    h.response.headers.push_back({"WWW-Authenticate", "Bearer"});
    return h;
  }
  if (route.kind == Kind::kUnknown) {
    h.response = TextResponse(404, absl::StrCat("no such path: ", request.target));
    return h;
  }
  const absl::string_view allow = route.allow();
  if (!absl::StrContains(absl::StrCat(", ", allow, ","), absl::StrCat(" ", method, ","))) {
    h.response = TextResponse(405, absl::StrCat(method, " is not allowed here; use ", allow));
    h.response.headers.push_back({"Allow", std::string(allow)});
    return h;
  }
  h.op = route.op(method);
  if (!route.error.empty()) {
    h.response = TextResponse(400, route.error);
    return h;
  }
  const std::vector<absl::string_view> params = route.params(method);
  for (const auto& [name, value] : route.query) {
    if (std::find(params.begin(), params.end(), name) == params.end()) {
      h.response = TextResponse(400, absl::StrCat("unknown query parameter '", name, "'"));
      return h;
    }
  }
  if (!node_.started() && route.kind != Kind::kHealth && route.kind != Kind::kMetrics) {
    h.response = TextResponse(503, "the node has not started yet");
    return h;
  }
  h.response = Serve(request, route);
  const int status = h.response.status;
  h.ok = status < 400 || (status == 404 && route.kind == Kind::kKv);
  return h;
}

http::Response HttpApi::Serve(const http::Request& request, const Route& route) {
  using Kind = Route::Kind;
  switch (route.kind) {
    case Kind::kKv:
      if (request.method == "GET") return Get(request, route);
      return Put(request, route, request.method == "DELETE");
    case Kind::kNamespaces:
      return Namespaces();
    case Kind::kNamespace:
      if (request.method == "GET") return ShowNamespace(route.ns);
      return DefineNamespace(request, route.ns);
    case Kind::kHealth:
      return Health();
    case Kind::kCluster:
      return Cluster();
    case Kind::kMetrics:
      return Metrics();
    case Kind::kJoin:
      return Join(route);
    case Kind::kLeave:
      return Leave();
    case Kind::kDecommission:
      return Decommission(route.key);
    case Kind::kBackup:
      return Backup(route);
    case Kind::kUnknown:
      break;
  }
  KV_UNREACHABLE("unknown routes are answered before");
}

http::Response HttpApi::Put(const http::Request& request, const Route& route, bool tombstone) {
  KV_ASSERT(node_.started());
  if (route.key.size() > key_bytes_max()) {
    return TextResponse(400, absl::StrCat("the key of ", route.key.size(),
                                          " bytes exceeds the limit of ", key_bytes_max()));
  }
  if (tombstone && !request.body.empty()) return TextResponse(400, "a DELETE takes no body");
  if (request.body.size() > value_bytes_max()) {
    return TextResponse(413, absl::StrCat("the value of ", request.body.size(),
                                          " bytes exceeds the limit of ", value_bytes_max()));
  }
  ClientPut put;
  put.set_key(route.key);
  put.set_ns(route.ns);
  put.set_tombstone(tombstone);
  if (!tombstone) put.set_value(request.body);
  absl::StatusOr<std::string> context = ContextHeader(request);
  KV_RETURN_RESPONSE_IF_ERROR(context.status());
  // A DELETE without a context deletes what the coordinator holds (as curl users expect; a
  // blind tombstone would sit as a hidden sibling next to the value and delete nothing).
  if (tombstone && context->empty()) put.set_overwrite(true);
  put.set_context(*std::move(context));
  if (!tombstone) {
    absl::StatusOr<int64_t> ttl = TtlMicros(request);
    KV_RETURN_RESPONSE_IF_ERROR(ttl.status());
    put.set_ttl_micros(*ttl);
  } else if (request.header("X-Kv-Ttl").has_value()) {
    return TextResponse(400, "a DELETE takes no X-Kv-Ttl");
  }
  absl::StatusOr<uint32_t> w = CountParam(route.query, "w");
  KV_RETURN_RESPONSE_IF_ERROR(w.status());
  absl::StatusOr<uint32_t> n = CountParam(route.query, "n");
  KV_RETURN_RESPONSE_IF_ERROR(n.status());
  absl::StatusOr<bool> return_body = BoolParam(route.query, "returnbody");
  KV_RETURN_RESPONSE_IF_ERROR(return_body.status());
  // ?overwrite=true: supersede what the coordinator holds, as a Redis SET does (no sibling of the
  // values there; concurrent values elsewhere still become siblings).
  absl::StatusOr<bool> overwrite = BoolParam(route.query, "overwrite");
  KV_RETURN_RESPONSE_IF_ERROR(overwrite.status());
  if (*overwrite) put.set_overwrite(true);
  auto format = route.query.find("format");
  if (format != route.query.end() && format->second != "json") {
    return TextResponse(400, "?format= must be json");
  }
  put.set_w(*w);
  put.set_n(*n);
  put.set_omit_values(!*return_body);  // only ?returnbody=true shows them

  absl::StatusOr<ClientPutReply> reply = node_.coordinator().Put(std::move(put));
  KV_RETURN_RESPONSE_IF_ERROR(reply.status());
  http::Response r;
  if (*return_body) {
    r = ValuesResponse(reply->values(), reply->context(), format != route.query.end());
  } else {
    r.status = 204;
    r.headers.push_back({std::string(kContextHeader), Base64(reply->context())});
    if (reply->expiry_micros() > 0) {
      r.headers.push_back({"X-Kv-Expires", Rfc3339(reply->expiry_micros())});
    }
  }
  r.headers.push_back({"X-Kv-Dot", DotText(reply->dot_node(), reply->dot_counter())});
  r.headers.push_back({"X-Kv-Acks", absl::StrCat(reply->acks())});
  return r;
}

http::Response HttpApi::Get(const http::Request& request, const Route& route) {
  KV_ASSERT(node_.started());
  if (route.key.size() > key_bytes_max()) {
    return TextResponse(400, absl::StrCat("the key of ", route.key.size(),
                                          " bytes exceeds the limit of ", key_bytes_max()));
  }
  absl::StatusOr<uint32_t> r = CountParam(route.query, "r");
  KV_RETURN_RESPONSE_IF_ERROR(r.status());
  absl::StatusOr<uint32_t> n = CountParam(route.query, "n");
  KV_RETURN_RESPONSE_IF_ERROR(n.status());
  auto format = route.query.find("format");
  if (format != route.query.end() && format->second != "json") {
    return TextResponse(400, "?format= must be json");
  }
  ClientGet get;
  get.set_key(route.key);
  get.set_ns(route.ns);
  get.set_r(*r);
  get.set_n(*n);
  absl::StatusOr<ClientGetReply> reply = node_.coordinator().Get(get);
  KV_RETURN_RESPONSE_IF_ERROR(reply.status());
  return ValuesResponse(reply->values(), reply->context(), format != route.query.end());
}

http::Response HttpApi::Health() {
  if (!node_.started()) {
    return JsonResponse(503, {{"status", "starting"}, {"node", node_.self()}});
  }
  return JsonResponse(200, {{"status", "ok"}, {"node", node_.self()}});
}

http::Response HttpApi::Cluster() {
  Membership& membership = node_.membership();
  const std::optional<Ring>& ring = membership.ring();
  absl::btree_map<NodeId, uint32_t> owned;
  if (ring.has_value()) owned = ring->OwnedCounts();
  const double partitions = ring.has_value() ? ring->partition_count() : 0;

  json members = json::array();
  for (const auto& [id, m] : membership.members()) {
    auto it = owned.find(id);
    const uint32_t count = it == owned.end() ? 0 : it->second;
    members.push_back({{"id", id},
                       {"address", m.address()},
                       {"status", Member::Status_Name(m.status())},
                       {"alive", membership.IsAlive(id)},
                       {"generation", m.generation()},
                       {"weight", m.weight()},
                       {"partitions", count},
                       {"ownership_percent", partitions > 0 ? 100.0 * count / partitions : 0.0}});
  }
  json ring_json = nullptr;
  if (ring.has_value()) {
    ring_json = {{"version", membership.ring_version()},
                 {"claimant", membership.state().ring().claimant()},
                 {"partitions", ring->partition_count()},
                 {"n_val", ring->n_val()}};
  }
  json hints = json::object();
  absl::StatusOr<absl::btree_map<NodeId, uint64_t>> counts = node_.engine().HintCounts();
  if (counts.ok()) {
    uint64_t total = 0;
    json by_target = json::array();
    for (const auto& [target, count] : *counts) {
      total += count;
      by_target.push_back({{"node", target}, {"count", count}});
    }
    hints = {{"total", total}, {"by_target", std::move(by_target)}};
  } else {
    hints = {{"error", counts.status().ToString()}};
  }
  const HandoffStats& handoff = node_.handoff().stats();
  hints["delivered"] = handoff.delivered;
  hints["expired"] = handoff.expired;
  json transfers = json::array();
  for (const TransferTask& t : node_.transfer().pending()) {
    transfers.push_back({{"partition", t.partition()},
                         {"target", t.target()},
                         {"keys_sent", t.keys_sent()},
                         {"passes_left", t.passes_left()}});
  }
  return JsonResponse(200, {{"node", node_.self()},
                            {"generation", node_.generation()},
                            {"status", Member::Status_Name(membership.status())},
                            {"ring", std::move(ring_json)},
                            {"members", std::move(members)},
                            {"hints", std::move(hints)},
                            {"transfers", std::move(transfers)}});
}

http::Response HttpApi::Metrics() {
  http::Response r;
  r.status = 200;
  r.headers.push_back({"Content-Type", "text/plain; version=0.0.4; charset=utf-8"});
  r.body = metrics_.RenderPrometheus(node_);
  return r;
}

http::Response HttpApi::Join(const Route& route) {
  auto seed = route.query.find("seed");
  const std::string text = seed == route.query.end() ? "" : seed->second;
  const size_t at = text.find('@');
  NodeId id = kNoNode;
  if (at == std::string::npos || !absl::SimpleAtoi(text.substr(0, at), &id) || id == kNoNode ||
      text.find(':', at) == std::string::npos) {
    return TextResponse(400, absl::StrCat("?seed= must be id@host:port of a member's peer "
                                          "listener, e.g. 1@127.0.0.1:7001; got '", text, "'"));
  }
  if (options_.learn_address) options_.learn_address(id, text.substr(at + 1));
  const absl::Status s = node_.membership().JoinThrough(id);
  if (!s.ok()) return StatusResponse(s);
  return JsonResponse(202, {{"status", "joining"}, {"node", node_.self()}, {"seed", id}});
}

http::Response HttpApi::Backup(const Route& route) {
  if (!options_.backup) {
    return TextResponse(501, "backups are not available here (only a kvnode process writes them)");
  }
  auto to = route.query.find("to");
  if (to == route.query.end() || to->second.empty() || to->second.front() != '/') {
    return TextResponse(400, "backup needs ?to=DIR, an absolute directory on the node's host");
  }
  absl::StatusOr<std::string> written = options_.backup(to->second);
  if (!written.ok()) {
    const int status = absl::IsAlreadyExists(written.status()) ||
                               absl::IsInvalidArgument(written.status())
                           ? 409
                           : 500;
    return TextResponse(status, absl::StrCat("backup failed: ", written.status().message()));
  }
  http::Response r;
  r.status = 200;
  r.headers.push_back({"Content-Type", "application/json"});
  r.body = *std::move(written);
  if (!absl::EndsWith(r.body, "\n")) r.body += "\n";
  return r;
}

http::Response HttpApi::Namespaces() {
  json list = json::array();
  list.push_back(api::DefaultNamespaceJson(node_.options().coordinator,
                                           !options_.client_token.empty()));
  for (const Namespace& ns : node_.membership().namespaces()) list.push_back(api::NamespaceJson(ns));
  return JsonResponse(200, {{"namespaces", std::move(list)}});
}

http::Response HttpApi::ShowNamespace(const std::string& name) {
  if (IsDefaultNamespace(name)) {
    return JsonResponse(200, api::DefaultNamespaceJson(node_.options().coordinator,
                                                       !options_.client_token.empty()));
  }
  const Namespace* def = node_.membership().FindNamespace(name);
  if (def == nullptr) return TextResponse(404, absl::StrCat("no namespace '", name, "'"));
  return JsonResponse(200, api::NamespaceJson(*def));
}

http::Response HttpApi::DefineNamespace(const http::Request& request, const std::string& name) {
  // A new namespace starts from the default one's settings; a known one from its definition.
  Namespace base;
  if (const Namespace* def = node_.membership().FindNamespace(name); def != nullptr) {
    base = *def;
  } else {
    const CoordinatorOptions& o = node_.options().coordinator;
    base.set_name(name);
    base.set_n(o.n);
    base.set_r(o.r);
    base.set_w(o.w);
    base.set_strict(!o.sloppy);
  }
  const bool created = base.version() == 0;
  absl::StatusOr<Namespace> wanted = api::NamespaceFromJson(request.body, base);
  KV_RETURN_RESPONSE_IF_ERROR(wanted.status());
  absl::StatusOr<Namespace> defined = node_.membership().DefineNamespace(*std::move(wanted));
  if (!defined.ok()) {
    return TextResponse(absl::IsFailedPrecondition(defined.status()) ? 409 : 400,
                        defined.status().message());
  }
  return JsonResponse(created ? 201 : 200, api::NamespaceJson(*defined));
}

http::Response HttpApi::Leave() {
  node_.membership().Leave();
  return JsonResponse(202, {{"status", "leaving"}, {"node", node_.self()}});
}

http::Response HttpApi::Decommission(absl::string_view node) {
  NodeId id = kNoNode;
  if (!absl::SimpleAtoi(node, &id) || id == kNoNode) {
    return TextResponse(400, absl::StrCat("not a node id: '", node, "'"));
  }
  const absl::Status s = node_.membership().Decommission(id);
  if (!s.ok()) return StatusResponse(s);
  return JsonResponse(200, {{"status", "decommissioned"}, {"node", id}});
}

}  // namespace kv::node

// File-local: a unity build compiles the next .cc file of kv_api in this translation unit.
#undef KV_RETURN_RESPONSE_IF_ERROR
