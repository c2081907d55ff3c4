// The HTTP API as a curl user meets it: a simulated 3-node cluster (N=3, R=2, W=2) of full nodes,
// each serving HTTP over in-memory pipes (ServeHttpConnection on the node's runtime), and a client
// fiber writing raw HTTP bytes and reading the responses. Values, contexts, siblings, deletes,
// TTLs, tokens, client errors, keep-alive, split and unfinished requests, /cluster and /metrics.
#include "net/http.h"

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "net/memory_stream.h"
#include "nlohmann/json.hpp"
#include "node/api/http_api.h"
#include "node/api/http_server.h"
#include "node/api/metrics.h"
#include "sim/sim_network.h"
#include "workloads/kv/sim_cluster.h"

namespace kv::node {
namespace {

using workloads::SimCluster;

// The cluster, an API and metrics per node, and the pipes of the connections opened.
class HttpCluster {
 public:
  explicit HttpCluster(uint64_t seed, HttpApiOptions api = {}, HttpServerOptions server = {},
                       std::function<void(NodeOptions&)> tweak = nullptr)
      : api_options_(std::move(api)),
        server_options_(server),
        cluster_(seed, 3, [tweak](NodeOptions& o) {
          o.coordinator.n = 3;
          o.coordinator.r = 2;
          o.coordinator.w = 2;
          if (tweak) tweak(o);
        }) {}

  // A connection to node `id`'s API, served by a fiber on that node. REQUIRES: the node serves.
  ByteStream& Connect(NodeId id) {
    KV_ASSERT(cluster_.serving(id));
    Runtime& rt = cluster_.sim.process(id).runtime();
    if (!apis_.contains(id)) {
      metrics_[id] = std::make_unique<ApiMetrics>();
      apis_[id] = std::make_unique<HttpApi>(rt, cluster_.node(id), *metrics_[id], api_options_);
    }
    auto [client, server] = MemoryStream::Pipe("client", "server");
    ByteStream& server_end = *server;
    HttpApi& api = *apis_[id];
    rt.Spawn("http", [&rt, &server_end, &api, this] {
      ServeHttpConnection(rt, server_end, api, server_options_);
    });
    streams_.push_back(std::move(server));
    streams_.push_back(std::move(client));
    return *streams_.back();
  }

  ApiMetrics& metrics(NodeId id) { return *metrics_.at(id); }

  // Runs `body` on a client fiber once the ring has formed; then the simulation for `duration`.
  // Returns whether `body` ran to its end.
  bool Run(std::function<void()> body, Duration duration = absl::Seconds(60)) {
    bool finished = false;
    cluster_.AddClient([&](Runtime&, KvClient&) {
      FiberSleep(absl::Seconds(20));
      body();
      finished = true;
    });
    cluster_.sim.RunFor(duration);
    return finished;
  }

  SimCluster& cluster() { return cluster_; }

 private:
  HttpApiOptions api_options_;
  HttpServerOptions server_options_;
  absl::btree_map<NodeId, std::unique_ptr<ApiMetrics>> metrics_;
  absl::btree_map<NodeId, std::unique_ptr<HttpApi>> apis_;
  std::deque<std::unique_ptr<MemoryStream>> streams_;
  // Last: destroyed first, cancelling the server fibers that use the members above.
  SimCluster cluster_;
};

// Raw HTTP over one connection.
class Client {
 public:
  explicit Client(ByteStream& stream) : stream_(stream) {}

  void Send(absl::string_view bytes) {
    ASSERT_TRUE(stream_.WriteAll(bytes, FiberNow() + absl::Seconds(10)).ok());
  }

  // The next response; an error if none is complete within `timeout` or the stream ends first.
  absl::StatusOr<http::Response> Receive(Duration timeout = absl::Seconds(30)) {
    const MonoTime deadline = FiberNow() + timeout;
    char buf[4096];
    while (parser_.state() == http::ParseState::kNeedMore) {
      absl::StatusOr<size_t> n = stream_.ReadSome(buf, sizeof(buf), deadline);
      if (!n.ok()) return n.status();
      if (*n == 0) {
        parser_.FeedEof();
        break;
      }
      parser_.Feed(absl::string_view(buf, *n));
    }
    if (parser_.state() == http::ParseState::kError) {
      return absl::DataLossError(parser_.error().message);
    }
    if (parser_.state() != http::ParseState::kDone) return absl::UnavailableError("end of stream");
    return parser_.Take();
  }

  http::Response Call(absl::string_view bytes) {
    Send(bytes);
    absl::StatusOr<http::Response> r = Receive();
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : http::Response{.status = 0};
  }

  // True if the server closed the connection (end of stream within `timeout`, nothing more).
  bool Closed(Duration timeout = absl::Seconds(30)) {
    char c;
    absl::StatusOr<size_t> n = stream_.ReadSome(&c, 1, FiberNow() + timeout);
    return n.ok() && *n == 0;
  }

 private:
  ByteStream& stream_;
  http::ResponseParser parser_;
};

std::string Request(absl::string_view method, absl::string_view target, http::Headers headers = {},
                    std::string body = "", bool keep_alive = true) {
  http::Request r;
  r.method = std::string(method);
  r.target = std::string(target);
  r.headers = std::move(headers);
  r.headers.insert(r.headers.begin(), {"Host", "node"});
  r.body = std::move(body);
  r.keep_alive = keep_alive;
  return http::SerializeRequest(r);
}

std::string Header(const http::Response& r, absl::string_view name) {
  return std::string(r.header(name).value_or(""));
}

// The parts of a multipart/mixed body: their headers and values.
std::vector<http::Response> Parts(const http::Response& r) {
  const std::string type = Header(r, "Content-Type");
  const size_t at = type.find("boundary=");
  EXPECT_NE(at, std::string::npos) << type;
  const std::string delimiter = "--" + type.substr(at + 9);
  std::vector<http::Response> parts;
  std::vector<std::string> pieces = absl::StrSplit(r.body, delimiter);
  EXPECT_GE(pieces.size(), 3u);
  EXPECT_EQ(pieces.front(), "");
  EXPECT_EQ(pieces.back(), "--\r\n");
  for (size_t i = 1; i + 1 < pieces.size(); ++i) {
    // "\r\nName: value\r\n...\r\n\r\nVALUE\r\n"
    absl::string_view piece = pieces[i];
    EXPECT_TRUE(absl::ConsumePrefix(&piece, "\r\n"));
    EXPECT_TRUE(absl::ConsumeSuffix(&piece, "\r\n"));
    const size_t blank = piece.find("\r\n\r\n");
    http::Response part;
    for (absl::string_view line : absl::StrSplit(piece.substr(0, blank), "\r\n")) {
      const size_t colon = line.find(": ");
      part.headers.push_back(
          {std::string(line.substr(0, colon)), std::string(line.substr(colon + 2))});
    }
    part.body = std::string(piece.substr(blank + 4));
    parts.push_back(part);
  }
  return parts;
}

TEST(HttpApiTest, APutThenAGetThroughAnotherNodeReturnsTheValueAndAContext) {
  HttpCluster h(1);
  http::Response put, get, binary_get, raw_slash_get, returned;
  ASSERT_TRUE(h.Run([&] {
    Client n1(h.Connect(1)), n2(h.Connect(2)), n3(h.Connect(3));
    put = n1.Call(Request("PUT", "/kv/greeting", {}, "hello"));
    get = n2.Call(Request("GET", "/kv/greeting"));
    // Keys are binary-safe: percent-decoded bytes, "/" included.
    const std::string value("\0\x01\xff value", 9);
    n1.Call(Request("PUT", "/kv/bin%00%2F%20key", {}, value));
    binary_get = n3.Call(Request("GET", "/kv/bin%00%2F%20key"));
    raw_slash_get = n2.Call(Request("GET", "/kv/bin%00/%20key"));
    returned = n3.Call(Request("PUT", "/kv/greeting?returnbody=true",
                               {{"X-Kv-Context", Header(get, "X-Kv-Context")}}, "hi again"));
  }));
  EXPECT_EQ(put.status, 204);
  EXPECT_FALSE(Header(put, "X-Kv-Context").empty());
  EXPECT_TRUE(absl::StartsWith(Header(put, "X-Kv-Dot"), "1.1:")) << Header(put, "X-Kv-Dot");
  EXPECT_EQ(put.body, "");
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.body, "hello");
  EXPECT_FALSE(Header(get, "X-Kv-Context").empty());
  EXPECT_EQ(Header(get, "X-Kv-Dot"), Header(put, "X-Kv-Dot"));
  EXPECT_TRUE(absl::EndsWith(Header(get, "X-Kv-Timestamp"), "Z")) << Header(get, "X-Kv-Timestamp");
  EXPECT_EQ(Header(get, "X-Kv-Expires"), "") << "no TTL, no expiry";
  EXPECT_EQ(binary_get.status, 200);
  EXPECT_EQ(binary_get.body, std::string("\0\x01\xff value", 9));
  EXPECT_EQ(raw_slash_get.body, binary_get.body);
  EXPECT_EQ(returned.status, 200) << returned.body;
  EXPECT_EQ(returned.body, "hi again");
  EXPECT_FALSE(Header(returned, "X-Kv-Context").empty());
}

TEST(HttpApiTest, APutWithOverwriteSupersedesWhatTheCoordinatorHolds) {
  HttpCluster h(1);
  http::Response siblings, overwritten, bad;
  ASSERT_TRUE(h.Run([&] {
    Client n1(h.Connect(1));
    EXPECT_EQ(n1.Call(Request("PUT", "/kv/cart", {}, "apples")).status, 204);
    EXPECT_EQ(n1.Call(Request("PUT", "/kv/cart", {}, "pears")).status, 204);
    siblings = n1.Call(Request("GET", "/kv/cart"));
    EXPECT_EQ(n1.Call(Request("PUT", "/kv/cart?overwrite=true", {}, "plums")).status, 204);
    overwritten = n1.Call(Request("GET", "/kv/cart"));
    bad = n1.Call(Request("PUT", "/kv/cart?overwrite=maybe", {}, "figs"));
  }));
  EXPECT_EQ(siblings.status, 300) << "blind puts are siblings";
  EXPECT_EQ(overwritten.status, 200) << overwritten.body;
  EXPECT_EQ(overwritten.body, "plums");
  EXPECT_EQ(bad.status, 400) << bad.body;
}

TEST(HttpApiTest, BlindPutsFromTwoNodesGiveSiblingsThatAPutWithTheContextResolves) {
  HttpCluster h(2, {}, {}, [](NodeOptions& o) { o.coordinator.siblings_max = 2; });
  http::Response siblings, as_json, too_many, resolve, resolved;
  ASSERT_TRUE(h.Run([&] {
    Client n1(h.Connect(1)), n2(h.Connect(2)), n3(h.Connect(3));
    EXPECT_EQ(n1.Call(Request("PUT", "/kv/cart", {}, "apples")).status, 204);
    EXPECT_EQ(n2.Call(Request("PUT", "/kv/cart", {}, "pears")).status, 204);
    siblings = n3.Call(Request("GET", "/kv/cart"));
    as_json = n1.Call(Request("GET", "/kv/cart?format=json"));
    FiberSleep(absl::Seconds(1));  // every replica holds both
    too_many = n3.Call(Request("PUT", "/kv/cart", {}, "plums"));
    resolve = n3.Call(
        Request("PUT", "/kv/cart", {{"X-Kv-Context", Header(siblings, "X-Kv-Context")}}, "both"));
    resolved = n2.Call(Request("GET", "/kv/cart"));
  }));
  ASSERT_EQ(siblings.status, 300) << siblings.body;
  EXPECT_TRUE(absl::StartsWith(Header(siblings, "Content-Type"), "multipart/mixed; boundary="));
  EXPECT_FALSE(Header(siblings, "X-Kv-Context").empty());
  std::vector<http::Response> parts = Parts(siblings);
  ASSERT_EQ(parts.size(), 2u);
  std::vector<std::string> values = {parts[0].body, parts[1].body};
  std::sort(values.begin(), values.end());
  EXPECT_EQ(values, (std::vector<std::string>{"apples", "pears"}));
  for (const http::Response& part : parts) {
    EXPECT_FALSE(Header(part, "X-Kv-Timestamp").empty());
    EXPECT_FALSE(Header(part, "X-Kv-Dot").empty());
  }
  EXPECT_NE(Header(parts[0], "X-Kv-Dot"), Header(parts[1], "X-Kv-Dot"));

  ASSERT_EQ(as_json.status, 200);
  nlohmann::json j = nlohmann::json::parse(as_json.body);
  ASSERT_EQ(j["values"].size(), 2u);
  std::vector<std::string> decoded;
  for (const auto& v : j["values"]) {
    std::string bytes;
    ASSERT_TRUE(absl::Base64Unescape(v["value_base64"].get<std::string>(), &bytes));
    decoded.push_back(bytes);
    EXPECT_TRUE(v["expires"].is_null());
    EXPECT_FALSE(v["dot"].get<std::string>().empty());
  }
  std::sort(decoded.begin(), decoded.end());
  EXPECT_EQ(decoded, values);
  EXPECT_FALSE(j["context"].get<std::string>().empty());

  EXPECT_EQ(too_many.status, 409) << too_many.body;
  EXPECT_NE(too_many.body.find("siblings"), std::string::npos) << too_many.body;
  EXPECT_EQ(resolve.status, 204) << resolve.body;
  EXPECT_EQ(resolved.status, 200);
  EXPECT_EQ(resolved.body, "both");
}

TEST(HttpApiTest, ADeleteWithTheContextMakesTheKeyNotFoundWithAContextLeft) {
  HttpCluster h(3);
  http::Response del, gone, gone_json, blind_delete;
  ASSERT_TRUE(h.Run([&] {
    Client n1(h.Connect(1)), n2(h.Connect(2));
    n1.Call(Request("PUT", "/kv/doomed", {}, "v"));
    http::Response read = n2.Call(Request("GET", "/kv/doomed"));
    del =
        n2.Call(Request("DELETE", "/kv/doomed", {{"X-Kv-Context", Header(read, "X-Kv-Context")}}));
    gone = n1.Call(Request("GET", "/kv/doomed"));
    gone_json = n1.Call(Request("GET", "/kv/doomed?format=json"));
    blind_delete = n1.Call(Request("DELETE", "/kv/never-written"));
  }));
  EXPECT_EQ(del.status, 204) << del.body;
  EXPECT_EQ(gone.status, 404);
  EXPECT_FALSE(Header(gone, "X-Kv-Context").empty()) << "the deletion's context remains";
  EXPECT_EQ(gone_json.status, 404);
  EXPECT_TRUE(nlohmann::json::parse(gone_json.body)["values"].empty());
  EXPECT_EQ(blind_delete.status, 204);
}

TEST(HttpApiTest, AValueWithATtlExpiresInSimulatedTime) {
  HttpCluster h(4);
  http::Response put, fresh, expired, bad_ttl, negative_ttl;
  ASSERT_TRUE(h.Run([&] {
    Client n1(h.Connect(1)), n3(h.Connect(3));
    put = n1.Call(Request("PUT", "/kv/session", {{"X-Kv-Ttl", "2.5"}}, "token"));
    fresh = n3.Call(Request("GET", "/kv/session"));
    FiberSleep(absl::Seconds(3));
    expired = n3.Call(Request("GET", "/kv/session"));
    bad_ttl = n1.Call(Request("PUT", "/kv/session", {{"X-Kv-Ttl", "soon"}}, "x"));
    negative_ttl = n1.Call(Request("PUT", "/kv/session", {{"X-Kv-Ttl", "-1"}}, "x"));
  }));
  EXPECT_EQ(put.status, 204);
  EXPECT_FALSE(Header(put, "X-Kv-Expires").empty());
  EXPECT_EQ(fresh.status, 200);
  EXPECT_EQ(fresh.body, "token");
  EXPECT_EQ(Header(fresh, "X-Kv-Expires"), Header(put, "X-Kv-Expires"));
  EXPECT_EQ(expired.status, 404) << expired.body;
  EXPECT_EQ(bad_ttl.status, 400);
  EXPECT_NE(bad_ttl.body.find("X-Kv-Ttl"), std::string::npos);
  EXPECT_EQ(negative_ttl.status, 400);
}

TEST(HttpApiTest, WithAClientTokenRequestsWithoutItGet401ButHealthDoesNot) {
  HttpCluster h(5, {.client_token = "s3cret"});
  http::Response none, wrong, right, health, metrics;
  ASSERT_TRUE(h.Run([&] {
    Client c(h.Connect(1));
    none = c.Call(Request("GET", "/kv/k"));
    wrong = c.Call(Request("GET", "/kv/k", {{"Authorization", "Bearer guess"}}));
    right = c.Call(Request("GET", "/kv/k", {{"Authorization", "Bearer s3cret"}}));
    health = c.Call(Request("GET", "/health"));
    metrics = c.Call(Request("GET", "/metrics"));
  }));
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(Header(none, "WWW-Authenticate"), "Bearer");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(right.status, 404);
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(nlohmann::json::parse(health.body),
            nlohmann::json::parse(R"({"status":"ok","node":1})"));
  EXPECT_EQ(metrics.status, 401);
}

TEST(HttpApiTest, NamespacesAreDefinedListedAndKeepTheirKeysApart) {
  HttpCluster h(21);
  http::Response created, n_change, changed, bad_name, is_default, unknown_field, list, missing;
  http::Response plain, tenant, unknown_ns;
  ASSERT_TRUE(h.Run([&] {
    Client c1(h.Connect(1));
    created = c1.Call(Request("PUT", "/ns/tenant-1", {}, R"({"n": 2, "r": 1, "w": 1, "ttl": 30})"));
    n_change = c1.Call(Request("PUT", "/ns/tenant-1", {}, R"({"n": 3})"));
    changed = c1.Call(Request("PUT", "/ns/tenant-1", {}, R"({"r": 2})"));
    bad_name = c1.Call(Request("PUT", "/ns/bad%20name", {}, "{}"));
    is_default = c1.Call(Request("PUT", "/ns/default", {}, "{}"));
    unknown_field = c1.Call(Request("PUT", "/ns/x", {}, R"({"replicas": 3})"));
    FiberSleep(absl::Seconds(5));  // gossip
    Client c2(h.Connect(2));
    list = c2.Call(Request("GET", "/ns"));
    missing = c2.Call(Request("GET", "/ns/nope"));
    ASSERT_EQ(c2.Call(Request("PUT", "/kv/k", {}, "plain")).status, 204);
    ASSERT_EQ(c2.Call(Request("PUT", "/ns/tenant-1/kv/k", {}, "tenant")).status, 204);
    Client c3(h.Connect(3));
    plain = c3.Call(Request("GET", "/kv/k"));
    tenant = c3.Call(Request("GET", "/ns/tenant-1/kv/k"));
    unknown_ns = c3.Call(Request("GET", "/ns/nope/kv/k"));
  }));
  using nlohmann::json;
  EXPECT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(json::parse(created.body), json::parse(R"({"name":"tenant-1","n":2,"r":1,"w":1,
      "quorum":"sloppy","ttl":30.0,"siblings_max":0,"token":false,"cache_bytes":0,"version":1})"));
  EXPECT_EQ(n_change.status, 409);
  EXPECT_EQ(n_change.body, "namespace 'tenant-1' has N=2; N cannot change once a namespace is "
                           "defined (its keys are placed by it)\n");
  EXPECT_EQ(changed.status, 200);
  EXPECT_EQ(json::parse(changed.body)["version"], 2);
  EXPECT_EQ(json::parse(changed.body)["r"], 2);
  EXPECT_EQ(bad_name.status, 400);
  EXPECT_EQ(bad_name.body, "namespace 'bad name': a name is letters, digits, '_' and '-' only\n");
  EXPECT_EQ(is_default.status, 400);
  EXPECT_EQ(unknown_field.status, 400);
  EXPECT_EQ(unknown_field.body, "unknown field \"replicas\" (known: n, r, w, quorum, ttl, "
                                "siblings_max, token, cache_bytes)\n");
  ASSERT_EQ(list.status, 200);
  const json names = json::parse(list.body)["namespaces"];
  ASSERT_EQ(names.size(), 2u) << list.body;
  EXPECT_EQ(names[0]["name"], "default");
  EXPECT_EQ(names[0]["n"], 3);
  EXPECT_EQ(names[1]["name"], "tenant-1");
  EXPECT_EQ(names[1]["version"], 2);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(plain.status, 200);
  EXPECT_EQ(plain.body, "plain");
  EXPECT_EQ(Header(plain, "X-Kv-Expires"), "");
  EXPECT_EQ(tenant.status, 200);
  EXPECT_EQ(tenant.body, "tenant");
  EXPECT_NE(Header(tenant, "X-Kv-Expires"), "") << "the namespace's default TTL";
  EXPECT_EQ(unknown_ns.status, 404);
  EXPECT_EQ(unknown_ns.body, "no namespace 'nope' (kvctl ns create nope)\n");
}

TEST(HttpApiTest, ANamespaceTokenOpensThatNamespaceOnly) {
  HttpCluster h(22, {.client_token = "admin"});
  std::vector<int> statuses;
  ASSERT_TRUE(h.Run([&] {
    Client c(h.Connect(1));
    const http::Headers admin = {{"Authorization", "Bearer admin"}};
    const http::Headers ta = {{"Authorization", "Bearer ta"}};
    ASSERT_EQ(c.Call(Request("PUT", "/ns/a", admin, R"({"token": "ta"})")).status, 201);
    ASSERT_EQ(c.Call(Request("PUT", "/ns/b", admin, R"({"token": "tb"})")).status, 201);
    ASSERT_EQ(c.Call(Request("PUT", "/ns/open", admin, "{}")).status, 201);
    for (const auto& [method, target, headers] : std::vector<std::tuple<std::string, std::string, http::Headers>>{
             {"PUT", "/ns/a/kv/k", ta},         // 204: its own namespace
             {"GET", "/ns/a/kv/k", ta},         // 200
             {"GET", "/ns/b/kv/k", ta},         // 401: another tenant's
             {"GET", "/ns/open/kv/k", ta},      // 401: not opened by this token
             {"GET", "/kv/k", ta},              // 401: the default namespace
             {"GET", "/cluster", ta},           // 401: administration
             {"PUT", "/ns/a", ta},              // 401: nor may it redefine its namespace
             {"GET", "/ns/a/kv/k", {}},         // 401: no token
             {"GET", "/ns/a/kv/k", admin}}) {   // 200: the client token opens all
      statuses.push_back(
          c.Call(Request(method, target, headers, method == "PUT" && target == "/ns/a/kv/k" ? "v"
                                                  : method == "PUT" ? "{}" : "")).status);
    }
  }));
  EXPECT_EQ(statuses, (std::vector<int>{204, 200, 401, 401, 401, 401, 401, 401, 200}));
}

TEST(HttpApiTest, ClientErrorsGet400404405And413WithAOneLineMessage) {
  HttpCluster h(6, {.value_bytes_max = 1000}, {.parser = {.body_bytes_max = 4000}});
  absl::btree_map<std::string, http::Response> r;
  bool oversized_closed = false, garbage_closed = false;
  http::Response oversized, garbage;
  ASSERT_TRUE(h.Run([&] {
    Client c(h.Connect(1));
    // All on one connection: these errors leave it usable.
    r["bad escape"] = c.Call(Request("GET", "/kv/bad%zz"));
    r["empty key"] = c.Call(Request("GET", "/kv/"));
    r["unknown param"] = c.Call(Request("GET", "/kv/k?bogus=1"));
    r["r=0"] = c.Call(Request("GET", "/kv/k?r=0"));
    r["r>n"] = c.Call(Request("GET", "/kv/k?r=3&n=2"));
    r["bad context"] = c.Call(Request("PUT", "/kv/k", {{"X-Kv-Context", "!!!"}}, "v"));
    r["unknown path"] = c.Call(Request("GET", "/nope"));
    r["post kv"] = c.Call(Request("POST", "/kv/k", {}, "v"));
    r["delete health"] = c.Call(Request("DELETE", "/health"));
    r["big value"] = c.Call(Request("PUT", "/kv/k", {}, std::string(2000, 'x')));
    r["unknown node"] = c.Call(Request("POST", "/admin/decommission/9"));
    r["not a node"] = c.Call(Request("POST", "/admin/decommission/x"));
    r["still fine"] = c.Call(Request("PUT", "/kv/k", {}, std::string(1000, 'x')));
    // A body over the server's limit is refused before it is read, and the connection closed.
    Client big(h.Connect(1));
    big.Send("PUT /kv/k HTTP/1.1\r\nHost: n\r\nContent-Length: 5000000\r\n\r\n");
    oversized = *big.Receive();
    oversized_closed = big.Closed();
    // Bytes that are not HTTP: 400, closed.
    Client junk(h.Connect(2));
    junk.Send("HELLO THERE\r\n\r\n");
    garbage = *junk.Receive();
    garbage_closed = junk.Closed();
  }));
  for (const auto& [name, response] : r) {
    if (name == "still fine") continue;
    EXPECT_TRUE(absl::EndsWith(response.body, "\n")) << name;
    EXPECT_EQ(std::count(response.body.begin(), response.body.end(), '\n'), 1) << name;
    EXPECT_TRUE(response.keep_alive) << name;
  }
  EXPECT_EQ(r["bad escape"].status, 400);
  EXPECT_EQ(r["empty key"].status, 400);
  EXPECT_EQ(r["unknown param"].status, 400);
  EXPECT_NE(r["unknown param"].body.find("bogus"), std::string::npos);
  EXPECT_EQ(r["r=0"].status, 400);
  EXPECT_EQ(r["r>n"].status, 400) << r["r>n"].body;
  EXPECT_EQ(r["bad context"].status, 400);
  EXPECT_EQ(r["unknown path"].status, 404);
  EXPECT_EQ(r["post kv"].status, 405);
  EXPECT_EQ(Header(r["post kv"], "Allow"), "GET, PUT, DELETE");
  EXPECT_EQ(r["delete health"].status, 405);
  EXPECT_EQ(Header(r["delete health"], "Allow"), "GET");
  EXPECT_EQ(r["big value"].status, 413);
  EXPECT_NE(r["big value"].body.find("1000"), std::string::npos) << r["big value"].body;
  EXPECT_EQ(r["unknown node"].status, 404) << r["unknown node"].body;
  EXPECT_EQ(r["not a node"].status, 400);
  EXPECT_EQ(r["still fine"].status, 204);
  EXPECT_EQ(oversized.status, 413);
  EXPECT_FALSE(oversized.keep_alive);
  EXPECT_TRUE(oversized_closed);
  EXPECT_EQ(garbage.status, 400);
  EXPECT_TRUE(garbage_closed);
}

TEST(HttpApiTest, WithoutAQuorumRequestsGet503NamingTheReplicas) {
  HttpCluster h(7, {}, {},
                [](NodeOptions& o) { o.coordinator.request_timeout = absl::Milliseconds(300); });
  http::Response put, get;
  ASSERT_TRUE(h.Run([&] {
    Client c(h.Connect(1));
    h.cluster().sim.network().Isolate(2);
    h.cluster().sim.network().Isolate(3);
    put = c.Call(Request("PUT", "/kv/k", {}, "v"));
    get = c.Call(Request("GET", "/kv/k"));
  }));
  EXPECT_EQ(put.status, 503);
  EXPECT_NE(put.body.find("acknowledged"), std::string::npos) << put.body;
  EXPECT_EQ(get.status, 503) << get.body;
}

TEST(HttpApiTest, OneConnectionServesSeveralRequestsUntilConnectionClose) {
  HttpCluster h(8);
  std::vector<int> statuses;
  std::vector<std::string> pipelined;
  http::Response last;
  bool closed = false;
  int64_t open_during = -1;
  ASSERT_TRUE(h.Run([&] {
    Client c(h.Connect(2));
    for (int i = 0; i < 5; ++i) {
      statuses.push_back(
          c.Call(Request("PUT", "/kv/k" + std::to_string(i), {}, "v" + std::to_string(i))).status);
    }
    open_during = h.metrics(2).connections_open("http");
    // Three requests in one write come back in order.
    c.Send(Request("GET", "/kv/k0") + Request("GET", "/kv/k1") + Request("GET", "/kv/k2"));
    for (int i = 0; i < 3; ++i) pipelined.push_back(c.Receive()->body);
    last = c.Call(Request("GET", "/kv/k4", {}, "", /*keep_alive=*/false));
    closed = c.Closed();
  }));
  EXPECT_EQ(statuses, std::vector<int>(5, 204));
  EXPECT_EQ(pipelined, (std::vector<std::string>{"v0", "v1", "v2"}));
  EXPECT_EQ(last.status, 200);
  EXPECT_EQ(last.body, "v4");
  EXPECT_FALSE(last.keep_alive) << "Connection: close is answered in kind";
  EXPECT_TRUE(closed);
  EXPECT_EQ(open_during, 1);
  EXPECT_EQ(h.metrics(2).connections_open("http"), 0);
}

TEST(HttpApiTest, ARequestSplitAcrossManyWritesIsServed) {
  HttpCluster h(9);
  http::Response put, get, continued, interim;
  ASSERT_TRUE(h.Run([&] {
    Client c(h.Connect(3));
    const std::string request = Request("PUT", "/kv/slow%20key", {{"X-Kv-Ttl", "60"}}, "drip");
    for (char byte : request) {
      c.Send(std::string(1, byte));
      FiberSleep(absl::Milliseconds(10));
    }
    put = *c.Receive();
    const std::string read = Request("GET", "/kv/slow%20key");
    c.Send(read.substr(0, 3));
    FiberSleep(absl::Milliseconds(100));
    c.Send(read.substr(3, 20));
    FiberSleep(absl::Milliseconds(100));
    c.Send(read.substr(23));
    get = *c.Receive();
    // curl's Expect: 100-continue: the body follows the interim answer.
    c.Send("PUT /kv/big HTTP/1.1\r\nHost: n\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
    interim = *c.Receive();
    c.Send("body");
    continued = *c.Receive();
  }));
  EXPECT_EQ(put.status, 204);
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.body, "drip");
  EXPECT_EQ(interim.status, 100);
  EXPECT_EQ(continued.status, 204);
}

TEST(HttpApiTest, ARequestThatNeverFinishesGets408AndAnIdleConnectionIsClosed) {
  HttpCluster h(10, {}, {.idle_timeout = absl::Seconds(15), .request_timeout = absl::Seconds(5)});
  absl::StatusOr<http::Response> timed_out = absl::UnknownError("not run");
  Duration waited, idle_waited;
  bool closed = false, idle_closed = false;
  ASSERT_TRUE(h.Run([&] {
    Client c(h.Connect(1));
    const MonoTime start = FiberNow();
    c.Send("GET /health HTTP/1.1\r\nHost: n\r\n");  // the blank line never comes
    timed_out = c.Receive();
    waited = FiberNow() - start;
    closed = c.Closed();
    Client idle(h.Connect(1));
    const MonoTime idle_start = FiberNow();
    idle_closed = idle.Closed(absl::Seconds(30));
    idle_waited = FiberNow() - idle_start;
  }));
  ASSERT_TRUE(timed_out.ok()) << timed_out.status();
  EXPECT_EQ(timed_out->status, 408);
  EXPECT_FALSE(timed_out->keep_alive);
  EXPECT_EQ(waited, absl::Seconds(5));
  EXPECT_TRUE(closed);
  EXPECT_TRUE(idle_closed) << "closed without an answer";
  EXPECT_EQ(idle_waited, absl::Seconds(15));
  EXPECT_EQ(h.metrics(1).requests("http", "timeout", false), 1u);
}

TEST(HttpApiTest, ClusterShowsThreeLiveMembersOwningAllPartitions) {
  HttpCluster h(11);
  http::Response cluster, health;
  ASSERT_TRUE(h.Run([&] {
    Client c(h.Connect(2));
    health = c.Call(Request("GET", "/health"));
    cluster = c.Call(Request("GET", "/cluster"));
  }));
  EXPECT_EQ(health.status, 200);
  ASSERT_EQ(cluster.status, 200);
  EXPECT_EQ(Header(cluster, "Content-Type"), "application/json");
  nlohmann::json j = nlohmann::json::parse(cluster.body);
  EXPECT_EQ(j["node"], 2);
  EXPECT_EQ(j["status"], "UP");
  EXPECT_GT(j["ring"]["version"].get<uint64_t>(), 0u);
  EXPECT_EQ(j["ring"]["partitions"], 64);
  ASSERT_EQ(j["members"].size(), 3u);
  double percent = 0;
  uint32_t partitions = 0;
  for (const auto& m : j["members"]) {
    EXPECT_EQ(m["status"], "UP") << m;
    EXPECT_TRUE(m["alive"].get<bool>()) << m;
    EXPECT_GE(m["generation"].get<uint64_t>(), 1u);
    EXPECT_GT(m["partitions"].get<uint32_t>(), 0u);
    partitions += m["partitions"].get<uint32_t>();
    percent += m["ownership_percent"].get<double>();
  }
  EXPECT_EQ(partitions, 64u);
  EXPECT_NEAR(percent, 100.0, 1e-9);
  EXPECT_EQ(j["hints"]["total"], 0);
  EXPECT_TRUE(j["transfers"].is_array());
}

TEST(HttpApiTest, AdminLeaveTakesTheNodeOutOfTheRing) {
  HttpCluster h(12);
  http::Response leave;
  nlohmann::json after;
  ASSERT_TRUE(h.Run(
      [&] {
        Client n3(h.Connect(3)), n1(h.Connect(1));
        leave = n3.Call(Request("POST", "/admin/leave"));
        FiberSleep(absl::Seconds(40));
        after = nlohmann::json::parse(n1.Call(Request("GET", "/cluster")).body);
      },
      absl::Seconds(90)));
  EXPECT_EQ(leave.status, 202);
  uint32_t partitions = 0;
  for (const auto& m : after["members"]) {
    if (m["id"] == 3) {
      EXPECT_EQ(m["status"], "LEFT") << m;
      EXPECT_EQ(m["partitions"], 0);
    }
    partitions += m["partitions"].get<uint32_t>();
  }
  EXPECT_EQ(partitions, 64u);
}

// /admin/backup hands an absolute directory to the process's backup hook and returns its JSON;
// without a hook (the simulator has no host directories) it says so; a relative directory, a
// hook's refusal and a GET are client errors.
TEST(HttpApiTest, AdminBackupCallsTheHookWithAnAbsoluteDirectory) {
  std::vector<std::string> asked;
  HttpApiOptions api;
  api.backup = [&asked](const std::string& dir) -> absl::StatusOr<std::string> {
    asked.push_back(dir);
    if (dir == "/exists") return absl::AlreadyExistsError("/exists/node-1 already exists");
    return std::string(R"({"node": 1, "dir": "/b/node-1"})");
  };
  HttpCluster with_hook(14, api), without_hook(15);
  http::Response made, relative, exists, get, none;
  ASSERT_TRUE(with_hook.Run([&] {
    Client n1(with_hook.Connect(1));
    made = n1.Call(Request("POST", "/admin/backup?to=%2Fb"));
    relative = n1.Call(Request("POST", "/admin/backup?to=b"));
    exists = n1.Call(Request("POST", "/admin/backup?to=/exists"));
    get = n1.Call(Request("GET", "/admin/backup?to=/b"));
  }));
  ASSERT_TRUE(without_hook.Run([&] {
    Client n1(without_hook.Connect(1));
    none = n1.Call(Request("POST", "/admin/backup?to=/b"));
  }));
  EXPECT_EQ(made.status, 200);
  EXPECT_EQ(nlohmann::json::parse(made.body)["dir"], "/b/node-1");
  EXPECT_EQ(relative.status, 400);
  EXPECT_NE(relative.body.find("absolute directory"), std::string::npos) << relative.body;
  EXPECT_EQ(exists.status, 409);
  EXPECT_NE(exists.body.find("already exists"), std::string::npos) << exists.body;
  EXPECT_EQ(get.status, 405);
  EXPECT_EQ(asked, (std::vector<std::string>{"/b", "/exists"}));
  EXPECT_EQ(none.status, 501);
}

TEST(HttpApiTest, MetricsCountRequestsByOperationAndOutcomeInPrometheusFormat) {
  HttpCluster h(13);
  http::Response metrics;
  ASSERT_TRUE(h.Run([&] {
    Client c(h.Connect(1));
    c.Call(Request("PUT", "/kv/k", {}, "v"));
    c.Call(Request("GET", "/kv/k"));
    c.Call(Request("GET", "/kv/missing"));
    c.Call(Request("GET", "/kv/k?r=0"));
    metrics = c.Call(Request("GET", "/metrics"));
  }));
  ASSERT_EQ(metrics.status, 200);
  EXPECT_TRUE(absl::StartsWith(Header(metrics, "Content-Type"), "text/plain; version=0.0.4"));
  const std::string& m = metrics.body;
  for (const char* expected : {
           "kv_requests_total{api=\"http\",op=\"put\",outcome=\"ok\"} 1\n",
           "kv_requests_total{api=\"http\",op=\"get\",outcome=\"ok\"} 2\n",
           "kv_requests_total{api=\"http\",op=\"get\",outcome=\"error\"} 1\n",
           "kv_request_duration_seconds_count{api=\"http\",op=\"get\"} 3\n",
           "kv_request_duration_seconds_bucket{api=\"http\",op=\"put\",le=\"+Inf\"} 1\n",
           "kv_connections_open{api=\"http\"} 1\n",
           "kv_node_started 1\n",
           "kv_coordinator_puts_total 1\n",
           "kv_hints_stored 0\n",
           "kv_members{status=\"UP\"} 3\n",
           "# TYPE kv_request_duration_seconds histogram\n",
           "# TYPE kv_read_repairs_total counter\n",
           "kv_anti_entropy_exchanges_total ",
           "kv_storage_writes_total ",
           "kv_storage_memtable_bytes ",
           "kv_storage_estimated_keys ",
       }) {
    EXPECT_NE(m.find(expected), std::string::npos) << expected << "\n" << m;
  }
  // Every sample line is "name{labels} value" or "name value", the value a number.
  for (absl::string_view line : absl::StrSplit(m, '\n', absl::SkipEmpty())) {
    if (absl::StartsWith(line, "# HELP ") || absl::StartsWith(line, "# TYPE ")) continue;
    const size_t space = line.rfind(' ');
    ASSERT_NE(space, absl::string_view::npos) << line;
    double value;
    EXPECT_TRUE(absl::SimpleAtod(line.substr(space + 1), &value)) << line;
    absl::string_view series = line.substr(0, space);
    const size_t brace = series.find('{');
    const absl::string_view name = series.substr(0, brace);
    EXPECT_TRUE(!name.empty() && name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") ==
                                     absl::string_view::npos)
        << line;
    if (brace != absl::string_view::npos) {
      EXPECT_TRUE(absl::EndsWith(series, "\"}")) << line;
      for (absl::string_view label :
           absl::StrSplit(series.substr(brace + 1, series.size() - brace - 2), ',')) {
        EXPECT_TRUE(absl::StrContains(label, "=\"") && absl::EndsWith(label, "\"")) << line;
      }
    }
  }
  EXPECT_EQ(h.metrics(1).requests("http", "metrics", true), 1u);
}

}  // namespace
}  // namespace kv::node
